//! Forward pass, likelihood and hand-derived backward pass of a dense network for one draw of
//! the weights, over a batch stored feature-major (`[feature][row]`), so every inner loop runs
//! over contiguous rows and vectorises. Buffers are allocated once, for the largest batch.

use crate::config::{Activation, LayerConfig, Likelihood};
use crate::math::{Real, dot, sum};

/// Where one layer's parameters sit in the flat parameter vector.
#[derive(Debug, Clone)]
pub(crate) struct LayerShape {
    pub(crate) inputs: usize,
    pub(crate) units: usize,
    pub(crate) activation: Activation,
    pub(crate) bias: bool,
    /// Offset of the `[input][unit]` weights.
    pub(crate) w_off: usize,
    /// Offset of the biases (meaningful when `bias`).
    pub(crate) b_off: usize,
}

/// Lays the layers' parameters out one after the other: weights then biases.
pub(crate) fn layout(layers: &[LayerConfig]) -> (Vec<LayerShape>, usize) {
    let mut off = 0;
    let shapes = layers
        .iter()
        .map(|l| {
            let w_off = off;
            off += l.inputs * l.units;
            let b_off = off;
            if l.bias {
                off += l.units;
            }
            LayerShape {
                inputs: l.inputs,
                units: l.units,
                activation: l.activation,
                bias: l.bias,
                w_off,
                b_off,
            }
        })
        .collect();
    (shapes, off)
}

/// Workspace of one network: the sampled parameters, their gradient, and per-layer
/// activations and gradients for up to `capacity` rows.
#[derive(Debug, Clone)]
pub(crate) struct Net<F: Real> {
    pub(crate) shapes: Vec<LayerShape>,
    /// Sampled parameters (flat).
    pub(crate) w: Vec<F>,
    /// ∂ log-likelihood / ∂ parameters (flat), unscaled.
    pub(crate) g: Vec<F>,
    acts: Vec<Vec<F>>,
    grads: Vec<Vec<F>>,
    row_ll: Vec<F>,
    capacity: usize,
}

/// Log-likelihood of a batch and the sum of squared residuals (Gaussian only).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BatchLikelihood {
    pub(crate) log_lik: f64,
    pub(crate) sum_sq: f64,
}

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

impl<F: Real> Net<F> {
    pub(crate) fn new(layers: &[LayerConfig], capacity: usize) -> Self {
        let (shapes, n) = layout(layers);
        let acts: Vec<Vec<F>> = shapes
            .iter()
            .map(|s| vec![F::ZERO; s.units * capacity])
            .collect();
        Self {
            w: vec![F::ZERO; n],
            g: vec![F::ZERO; n],
            grads: acts.clone(),
            acts,
            row_ll: vec![F::ZERO; capacity],
            shapes,
            capacity,
        }
    }

    /// The last layer's outputs (logits or means), `[unit][row]` for `n` rows.
    pub(crate) fn output(&self, n: usize) -> &[F] {
        let last = self.shapes.len() - 1;
        &self.acts[last][..self.shapes[last].units * n]
    }

    /// Forward pass of `n` rows of `x` (`[feature][row]`, stride `n`).
    #[inline(always)]
    pub(crate) fn forward(&mut self, x: &[F], n: usize) {
        debug_assert!(n <= self.capacity);
        let last = self.shapes.len() - 1;
        for (l, s) in self.shapes.iter().enumerate() {
            let (done, rest) = self.acts.split_at_mut(l);
            let input: &[F] = if l == 0 {
                &x[..s.inputs * n]
            } else {
                &done[l - 1][..s.inputs * n]
            };
            let out = &mut rest[0][..s.units * n];
            for j in 0..s.units {
                let o = &mut out[j * n..(j + 1) * n];
                let b = if s.bias { self.w[s.b_off + j] } else { F::ZERO };
                o.fill(b);
                for k in 0..s.inputs {
                    let wkj = self.w[s.w_off + k * s.units + j];
                    let xk = &input[k * n..(k + 1) * n];
                    for (o, &xv) in o.iter_mut().zip(xk) {
                        *o += wkj * xv;
                    }
                }
                if l != last {
                    activate(o, s.activation);
                }
            }
        }
    }

    /// Log-likelihood of targets `y` (class index or value per row) given the outputs of the
    /// last [`Net::forward`], and ∂/∂output written where [`Net::backward`] reads it.
    /// `noise` is the Gaussian noise standard deviation (ignored otherwise).
    #[inline(always)]
    pub(crate) fn likelihood(
        &mut self,
        likelihood: Likelihood,
        y: &[F],
        n: usize,
        noise: F,
    ) -> BatchLikelihood {
        let last = self.shapes.len() - 1;
        let k = self.shapes[last].units;
        let z = &self.acts[last][..k * n];
        let dz = &mut self.grads[last][..k * n];
        let ll = &mut self.row_ll[..n];
        let y = &y[..n];
        match likelihood {
            Likelihood::Bernoulli => {
                // log p = y·z − softplus(z); ∂/∂z = y − σ(z).
                for i in 0..n {
                    let (zi, yi) = (z[i], y[i]);
                    ll[i] = yi * zi - zi.softplus();
                    dz[i] = yi - zi.sigmoid();
                }
                BatchLikelihood {
                    log_lik: sum(ll).to_f64(),
                    sum_sq: 0.0,
                }
            }
            Likelihood::Categorical => {
                // log p = z_y − logsumexp(z); ∂/∂z_c = [c = y] − softmax(z)_c.
                let mut total = 0.0;
                for i in 0..n {
                    let mut m = z[i];
                    for c in 1..k {
                        m = m.max(z[c * n + i]);
                    }
                    let mut s = F::ZERO;
                    for c in 0..k {
                        let e = (z[c * n + i] - m).exp();
                        dz[c * n + i] = e;
                        s += e;
                    }
                    let class = y[i].to_f64() as usize;
                    total += (z[class * n + i] - m - s.ln()).to_f64();
                    for c in 0..k {
                        let p = dz[c * n + i] / s;
                        dz[c * n + i] = if c == class { F::ONE - p } else { -p };
                    }
                }
                BatchLikelihood {
                    log_lik: total,
                    sum_sq: 0.0,
                }
            }
            Likelihood::Gaussian { .. } => {
                // log p = −r²/(2s²) − ln s − ½ln 2π with r = y − z; ∂/∂z = r/s².
                let inv_var = F::ONE / (noise * noise);
                for i in 0..n {
                    let r = y[i] - z[i];
                    ll[i] = r * r;
                    dz[i] = r * inv_var;
                }
                let sum_sq = sum(ll).to_f64();
                let s = noise.to_f64();
                BatchLikelihood {
                    log_lik: -0.5 * sum_sq / (s * s) - n as f64 * (s.ln() + HALF_LN_2PI),
                    sum_sq,
                }
            }
        }
    }

    /// Backward pass from the output gradient [`Net::likelihood`] left: fills `g` with
    /// ∂ log-likelihood / ∂ parameters.
    #[inline(always)]
    pub(crate) fn backward(&mut self, x: &[F], n: usize) {
        let last = self.shapes.len() - 1;
        for l in (0..=last).rev() {
            let s = &self.shapes[l];
            let (lower, upper) = self.grads.split_at_mut(l);
            let dz = &mut upper[0][..s.units * n];
            let out = &self.acts[l][..s.units * n];
            if l != last {
                derivative(dz, out, s.activation);
            }
            let input: &[F] = if l == 0 {
                &x[..s.inputs * n]
            } else {
                &self.acts[l - 1][..s.inputs * n]
            };
            for j in 0..s.units {
                let dzj = &dz[j * n..(j + 1) * n];
                for k in 0..s.inputs {
                    self.g[s.w_off + k * s.units + j] = dot(&input[k * n..(k + 1) * n], dzj);
                }
                if s.bias {
                    self.g[s.b_off + j] = sum(dzj);
                }
            }
            if l > 0 {
                let da = &mut lower[l - 1][..s.inputs * n];
                for k in 0..s.inputs {
                    let dak = &mut da[k * n..(k + 1) * n];
                    dak.fill(F::ZERO);
                    for j in 0..s.units {
                        let wkj = self.w[s.w_off + k * s.units + j];
                        for (d, &g) in dak.iter_mut().zip(&dz[j * n..(j + 1) * n]) {
                            *d += wkj * g;
                        }
                    }
                }
            }
        }
    }
}

#[inline(always)]
fn activate<F: Real>(o: &mut [F], activation: Activation) {
    match activation {
        Activation::Tanh => o.iter_mut().for_each(|v| *v = v.tanh()),
        Activation::Relu => o.iter_mut().for_each(|v| *v = v.max(F::ZERO)),
        Activation::Sigmoid => o.iter_mut().for_each(|v| *v = v.sigmoid()),
        Activation::Linear => {}
    }
}

/// dz = da · act'(z), written in terms of the activation's output a.
#[inline(always)]
fn derivative<F: Real>(d: &mut [F], a: &[F], activation: Activation) {
    match activation {
        Activation::Tanh => d
            .iter_mut()
            .zip(a)
            .for_each(|(d, &a)| *d = *d * (F::ONE - a * a)),
        Activation::Relu => d.iter_mut().zip(a).for_each(|(d, &a)| {
            if a <= F::ZERO {
                *d = F::ZERO;
            }
        }),
        Activation::Sigmoid => d
            .iter_mut()
            .zip(a)
            .for_each(|(d, &a)| *d = *d * a * (F::ONE - a)),
        Activation::Linear => {}
    }
}

/// Rows `row_major` (`rows × d`) copied to `[feature][row]` in `F`.
pub(crate) fn to_feature_major<F: Real>(row_major: &[f32], rows: usize, d: usize) -> Vec<F> {
    let mut out = vec![F::ZERO; rows * d];
    for (i, row) in row_major.chunks_exact(d).take(rows).enumerate() {
        for (k, &v) in row.iter().enumerate() {
            out[k * rows + i] = F::from_f64(f64::from(v));
        }
    }
    out
}
