//! Reading the PyTorch reference fixtures (`tests/reference/*.json`) and comparing with them.

use burn::tensor::Tensor;
use serde_json::Value;

/// Outputs and gradients must agree with PyTorch's float64 reference to this (kiln computes in
/// float32).
pub(crate) const TOLERANCE: f32 = 1e-5;

/// A JSON array of numbers as `f32`.
pub(crate) fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number") as f32)
        .collect()
}

/// An integer field of a case.
pub(crate) fn usize_of(case: &Value, key: &str) -> usize {
    case[key].as_u64().expect("an integer") as usize
}

/// A tensor's values, row-major.
pub(crate) fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("f32 values")
}

/// Fails naming `what` when any value differs from PyTorch's by more than [`TOLERANCE`].
pub(crate) fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let worst = got
        .iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= TOLERANCE,
        "{what}: max |kiln − torch| = {worst:e} > {TOLERANCE:e}\n kiln  {got:?}\n torch {want:?}"
    );
}
