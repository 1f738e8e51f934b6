//! The wire formats: request bodies in, answer bodies out, with no routes and no workers.
//! Every format the server speaks is parsed and rendered here, and nowhere else in kiln.
//!
//! - [`row`]: one predicted row as a JSON object, the form every protocol (and `kiln predict`'s
//!   JSON lines) answers with.
//! - `mlflow`: MLflow's scoring bodies (four JSON layouts and CSV) into checked rows.
//! - `v2`: KServe v2 tensors (JSON and binary) into checked rows; prediction rows into output
//!   tensors; the model metadata's tensor descriptions.
//! - `generate`: Triton's generate request, checked against a language model's vocabulary.

pub(crate) mod generate;
pub(crate) mod mlflow;
pub mod row;
pub(crate) mod v2;
