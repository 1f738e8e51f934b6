//! kiln-tracking through `router().oneshot(..)`: MLflow's error codes, limits, paging,
//! non-finite metric values, and artifact path traversal. The full flow with the real MLflow
//! client is `tests/tracking/run.sh`.

mod artifacts;
mod errors;
mod logging;
mod util;
