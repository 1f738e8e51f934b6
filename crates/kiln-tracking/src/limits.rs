//! MLflow's protocol limits (`mlflow/utils/validation.py`) that belong to a request rather than
//! to what is stored: entities per batch, batch body size, page sizes, experiment-tag and
//! dataset field lengths. Key syntax and param/tag value lengths are the store's checks
//! ([`kiln_runs::validate`]), the same for every way in.

use crate::error::ApiError;

/// Params per `log-batch` request (`MAX_PARAMS_TAGS_PER_BATCH`).
pub const MAX_PARAMS_PER_BATCH: usize = 100;
/// Tags per `log-batch` request (`MAX_PARAMS_TAGS_PER_BATCH`).
pub const MAX_TAGS_PER_BATCH: usize = 100;
/// Metrics per `log-batch` request (`MAX_METRICS_PER_BATCH`).
pub const MAX_METRICS_PER_BATCH: usize = 1000;
/// Metrics, params and tags together per `log-batch` request (`MAX_ENTITIES_PER_BATCH`).
pub const MAX_ENTITIES_PER_BATCH: usize = 1000;
/// Bytes of one `log-batch` body (`MAX_BATCH_LOG_REQUEST_SIZE`).
pub const MAX_BATCH_BODY_BYTES: usize = 1_000_000;
/// Largest page of a search (`SEARCH_MAX_RESULTS_THRESHOLD`).
pub const MAX_PAGE_SIZE: i64 = 50_000;
/// `search_experiments`' page size when none is given.
pub const DEFAULT_EXPERIMENTS_PAGE: i64 = 1000;
/// `search_runs`' page size when none is given.
pub const DEFAULT_RUNS_PAGE: i64 = 1000;
/// Experiment tag key length (`MAX_EXPERIMENT_TAG_KEY_LENGTH`).
pub const MAX_EXPERIMENT_TAG_KEY: usize = 250;
/// Experiment tag value length (`MAX_EXPERIMENT_TAG_VAL_LENGTH`).
pub const MAX_EXPERIMENT_TAG_VALUE: usize = 20_000;
/// Dataset name length.
pub const MAX_DATASET_NAME: usize = 500;
/// Dataset digest length.
pub const MAX_DATASET_DIGEST: usize = 36;
/// Dataset source length (64 KiB − 1).
pub const MAX_DATASET_SOURCE: usize = 65_535;
/// Dataset schema length (1 MiB − 1).
pub const MAX_DATASET_SCHEMA: usize = 1_048_575;
/// Dataset profile length (16 MiB − 1).
pub const MAX_DATASET_PROFILE: usize = 16_777_215;
/// Input tag key length.
pub const MAX_INPUT_TAG_KEY: usize = 255;
/// Input tag value length.
pub const MAX_INPUT_TAG_VALUE: usize = 500;

fn over(what: &str, limit: usize, got: usize) -> ApiError {
    ApiError::invalid(format!("{what} is {got} characters; at most {limit}"))
}

/// Checks a length in characters.
pub(crate) fn length(what: &str, text: &str, limit: usize) -> Result<(), ApiError> {
    let n = text.chars().count();
    if n > limit {
        return Err(over(what, limit, n));
    }
    Ok(())
}

/// Checks one `log-batch` request's counts and size.
pub(crate) fn batch(
    metrics: usize,
    params: usize,
    tags: usize,
    body_bytes: usize,
) -> Result<(), ApiError> {
    if body_bytes > MAX_BATCH_BODY_BYTES {
        return Err(ApiError::invalid(format!(
            "a batch logging request must be at most {MAX_BATCH_BODY_BYTES} bytes; got {body_bytes}"
        )));
    }
    for (what, n, limit) in [
        ("metrics", metrics, MAX_METRICS_PER_BATCH),
        ("params", params, MAX_PARAMS_PER_BATCH),
        ("tags", tags, MAX_TAGS_PER_BATCH),
        (
            "metrics, params, and tags",
            metrics + params + tags,
            MAX_ENTITIES_PER_BATCH,
        ),
    ] {
        if n > limit {
            return Err(ApiError::invalid(format!(
                "a batch logging request can contain at most {limit} {what}; got {n}: split it across requests"
            )));
        }
    }
    Ok(())
}

/// A search's page size: `default` when absent, 1 to [`MAX_PAGE_SIZE`].
pub(crate) fn page_size(given: Option<i64>, default: i64) -> Result<usize, ApiError> {
    let n = given.unwrap_or(default);
    if !(1..=MAX_PAGE_SIZE).contains(&n) {
        return Err(ApiError::invalid(format!(
            "max_results {n}: expected 1 to {MAX_PAGE_SIZE}"
        )));
    }
    usize::try_from(n).map_err(|_| ApiError::invalid(format!("max_results {n} is too large")))
}

/// Checks an experiment tag.
pub(crate) fn experiment_tag(key: &str, value: &str) -> Result<(), ApiError> {
    length("experiment tag key", key, MAX_EXPERIMENT_TAG_KEY)?;
    length(
        &format!("the value of experiment tag '{}'", key.escape_default()),
        value,
        MAX_EXPERIMENT_TAG_VALUE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_limits_are_mlflows() {
        batch(1000, 0, 0, 10).unwrap();
        batch(900, 50, 50, 10).unwrap();
        assert!(batch(1001, 0, 0, 10).is_err());
        assert!(batch(0, 101, 0, 10).is_err());
        assert!(batch(0, 0, 101, 10).is_err());
        assert!(batch(901, 50, 50, 10).is_err());
        assert!(batch(1, 0, 0, MAX_BATCH_BODY_BYTES + 1).is_err());
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(None, 1000).unwrap(), 1000);
        assert_eq!(page_size(Some(50_000), 1000).unwrap(), 50_000);
        assert!(page_size(Some(50_001), 1000).is_err());
        assert!(page_size(Some(0), 1000).is_err());
        assert!(page_size(Some(-1), 1000).is_err());
    }
}
