//! [`ParallelCoordinates`]: one vertical axis per name, one polyline per item.

use std::fmt::Write as _;

use crate::frame::{self, Linear, finite_extent, tick_target, widest};
use crate::svg::{
    AXIS, Anchor, LABEL_SIZE, MUTED, Num, Svg, TICK_SIZE, Text, Value, colour, escape, text_width,
};
use crate::ticks::{Ticks, nice_scale};

/// Parallel coordinates: one vertical axis per name, each scaled to its own range (padded to
/// nice ticks); one polyline per item, broken where a value is `None` (or not finite). For
/// comparing runs' params and metrics.
///
/// Each axis is a `<g class="y-axis" data-name="AXIS">` with its tick labels and its name
/// (`<text class="axis-label">`, underneath). Each item is a `<g class="series">` whose
/// circles have `data-x` = the axis name and `data-y` = the value.
///
/// ```
/// use kiln_chart::ParallelCoordinates;
///
/// let runs = ParallelCoordinates {
///     title: "runs".into(),
///     axes: vec!["lr".into(), "epochs".into(), "accuracy".into()],
///     lines: vec![
///         ("run 1".into(), vec![Some(0.01), Some(5.0), Some(0.91)]),
///         ("run 2".into(), vec![Some(0.1), None, Some(0.88)]),
///     ],
///     ..ParallelCoordinates::default()
/// };
/// assert_eq!(runs.svg().matches("<circle").count(), 5);
/// ```
#[derive(Debug, Clone)]
pub struct ParallelCoordinates {
    /// Title, drawn at the top and used as the accessible name.
    pub title: String,
    /// Axis names, left to right.
    pub axes: Vec<String>,
    /// `(name, values)`: one value per axis per item.
    pub lines: Vec<(String, Vec<Option<f64>>)>,
    /// Width in px (at least 120).
    pub width: u32,
    /// Height in px (at least 80).
    pub height: u32,
}

impl Default for ParallelCoordinates {
    fn default() -> Self {
        Self {
            title: String::new(),
            axes: Vec::new(),
            lines: Vec::new(),
            width: 520,
            height: 300,
        }
    }
}

/// The finite value of `line` on axis `k`.
fn value(line: &[Option<f64>], k: usize) -> Option<f64> {
    line.get(k).copied().flatten().filter(|v| v.is_finite())
}

impl ParallelCoordinates {
    /// The chart as a standalone `<svg>` element.
    ///
    /// Without axes or a single finite value it says "no data".
    pub fn svg(&self) -> String {
        let n = self.axes.len();
        let any = (0..n).any(|k| self.lines.iter().any(|(_, l)| value(l, k).is_some()));
        if !any {
            return frame::no_data(self.width, self.height, &self.title);
        }
        let (width, height) = frame::size(self.width, self.height);
        let mut svg = Svg::new(width, height, &self.title);
        let names: Vec<&str> = self.lines.iter().map(|(name, _)| name.as_str()).collect();
        let top = frame::header(&mut svg, &self.title, &names) + 10.0;
        // Room for the last axis' ticks' tail and half its name.
        let right_pad =
            (text_width(&self.axes[n - 1], LABEL_SIZE) / 2.0 + 6.0).clamp(24.0, svg.width * 0.3);
        // Axis names underneath, turned when they do not fit between the axes.
        let guess_left = 10.0 + 40.0;
        let spacing = (svg.width - guess_left - right_pad) / (n.max(2) - 1) as f64;
        let turn = widest(&self.axes) * LABEL_SIZE / TICK_SIZE > spacing - 6.0;
        let names_height = if turn {
            (widest(&self.axes) * 0.75 + LABEL_SIZE).min(svg.height * 0.3)
        } else {
            LABEL_SIZE + 8.0
        };
        let bottom = svg.height - names_height - 10.0;
        let target = tick_target(bottom - top, 40.0, 8);
        let scales: Vec<Option<(Ticks, Linear)>> = (0..n)
            .map(|k| {
                let extent = finite_extent(self.lines.iter().filter_map(|(_, l)| value(l, k)))?;
                let ticks = nice_scale(extent.0, extent.1, target)?;
                let domain = ticks.extent()?;
                Some((
                    ticks,
                    Linear {
                        domain,
                        range: (bottom.max(top + 10.0), top),
                    },
                ))
            })
            .collect();
        let first_labels = scales
            .first()
            .and_then(|s| s.as_ref())
            .map(|(t, _)| t.labels())
            .unwrap_or_default();
        let left = (10.0 + widest(&first_labels) + 8.0)
            .max(text_width(&self.axes[0], LABEL_SIZE) / 2.0 + 6.0)
            .min(svg.width * 0.3);
        let svg_width = svg.width;
        let x_of = |k: usize| {
            if n == 1 {
                (left + svg_width - right_pad) / 2.0
            } else {
                left + (svg_width - left - right_pad) * k as f64 / (n - 1) as f64
            }
        };
        for (i, (name, line)) in self.lines.iter().enumerate() {
            self.draw_line(&mut svg, i, name, line, &scales, x_of);
        }
        for (k, axis) in self.axes.iter().enumerate() {
            let x = x_of(k);
            svg.named_group("y-axis", axis);
            let (y0, y1) = (bottom.max(top + 10.0), top);
            svg.line((x, y0), (x, y1), AXIS, "");
            if let Some((ticks, scale)) = &scales[k] {
                for (v, label) in ticks.values.iter().zip(ticks.labels()) {
                    let y = scale.map(*v);
                    svg.line((x - 3.0, y), (x, y), AXIS, "");
                    svg.text(
                        Text::new("tick", x - 5.0, y + TICK_SIZE * 0.35)
                            .anchor(Anchor::End)
                            .size(TICK_SIZE)
                            .fill(MUTED),
                        &label,
                    );
                }
            }
            let name = Text::new("axis-label", x, y0 + LABEL_SIZE + 6.0);
            let name = if turn {
                name.anchor(Anchor::End).rotate(-30.0)
            } else {
                name.anchor(Anchor::Middle)
            };
            svg.text(name, axis);
            svg.end_group();
        }
        svg.finish()
    }

    fn draw_line(
        &self,
        svg: &mut Svg,
        i: usize,
        name: &str,
        line: &[Option<f64>],
        scales: &[Option<(Ticks, Linear)>],
        x_of: impl Fn(usize) -> f64,
    ) {
        let stroke = colour(i);
        // Pixel positions per axis; None breaks the line.
        let points: Vec<Option<(f64, f64)>> = (0..self.axes.len())
            .map(|k| {
                let v = value(line, k)?;
                let (_, scale) = scales[k].as_ref()?;
                Some((x_of(k), scale.map(v)))
            })
            .collect();
        svg.named_group("series", name);
        for run in points.split(Option::is_none).filter(|r| r.len() >= 2) {
            let out = svg.raw();
            let _ = write!(
                out,
                "<polyline fill=\"none\" stroke=\"{stroke}\" stroke-width=\"1.6\" stroke-opacity=\"0.85\" points=\""
            );
            for (j, (x, y)) in run.iter().flatten().enumerate() {
                let sep = if j == 0 { "" } else { " " };
                let _ = write!(out, "{sep}{},{}", Num(*x), Num(*y));
            }
            out.push_str("\">");
            svg.tooltip(name);
            svg.raw().push_str("</polyline>");
        }
        for (k, point) in points.iter().enumerate() {
            let (Some((x, y)), Some(v)) = (point, value(line, k)) else {
                continue;
            };
            let axis = &self.axes[k];
            let _ = write!(
                svg.raw(),
                "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{stroke}\" data-x=\"{}\" data-y=\"{}\">",
                Num(*x),
                Num(*y),
                escape(axis),
                Value(v)
            );
            svg.tooltip(&format!("{name} · {axis}: {}", Value(v)));
            svg.raw().push_str("</circle>");
        }
        svg.end_group();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::{attr_values, check_common, groups, texts};

    fn runs() -> ParallelCoordinates {
        ParallelCoordinates {
            title: "runs".into(),
            axes: vec!["lr".into(), "epochs".into(), "accuracy".into()],
            lines: vec![
                ("run 1".into(), vec![Some(0.001), Some(5.0), Some(0.913)]),
                ("run 2".into(), vec![Some(0.01), None, Some(0.95)]),
                ("run 3".into(), vec![Some(0.1), Some(20.0), Some(f64::NAN)]),
            ],
            ..ParallelCoordinates::default()
        }
    }

    #[test]
    fn each_axis_has_its_own_nice_ticks() {
        let svg = runs().svg();
        check_common(&svg);
        let axes = groups(&svg, "y-axis");
        assert_eq!(axes.len(), 3);
        for (axis, (lo, hi)) in axes.iter().zip([(0.001, 0.1), (5.0, 20.0), (0.913, 0.95)]) {
            let labels = texts(axis, "tick");
            let values: Vec<f64> = labels.iter().map(|l| l.parse().unwrap()).collect();
            let step = values[1] - values[0];
            for v in &values {
                assert!(((v / step) - (v / step).round()).abs() < 1e-6, "{labels:?}");
            }
            assert!(
                values[0] <= lo && *values.last().unwrap() >= hi,
                "{labels:?}"
            );
        }
        assert_eq!(texts(&svg, "axis-label"), ["lr", "epochs", "accuracy"]);
        assert_eq!(texts(&svg, "legend"), ["run 1", "run 2", "run 3"]);
    }

    #[test]
    fn missing_values_break_lines() {
        let svg = runs().svg();
        let series = groups(&svg, "series");
        // run 1: one line through three axes; run 2: no line (a gap in the middle);
        // run 3: one line over two axes.
        let polylines: Vec<usize> = series
            .iter()
            .map(|s| s.matches("<polyline").count())
            .collect();
        assert_eq!(polylines, [1, 0, 1]);
        assert_eq!(attr_values(series[1], "data-x"), ["lr", "accuracy"]);
        assert_eq!(attr_values(series[2], "data-y"), ["0.1", "20"]);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for pc in [
            ParallelCoordinates::default(),
            ParallelCoordinates {
                axes: vec!["a".into()],
                lines: vec![("x".into(), vec![None])],
                ..ParallelCoordinates::default()
            },
        ] {
            let svg = pc.svg();
            check_common(&svg);
            assert!(svg.contains(">no data</text>"));
        }
        let one = ParallelCoordinates {
            axes: vec!["<only>".into()],
            lines: vec![(
                "<script>alert(1)</script>".into(),
                vec![Some(1.0), Some(2.0)],
            )],
            width: 10,
            height: 10,
            ..ParallelCoordinates::default()
        };
        let svg = one.svg();
        check_common(&svg);
        assert!(svg.contains("data-x=\"&lt;only&gt;\""));
    }
}
