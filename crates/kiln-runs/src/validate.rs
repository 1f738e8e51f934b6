//! What names and values the store accepts. The limits are MLflow's (`mlflow/utils/validation.py`),
//! so a run logged to kiln could be logged to MLflow and back.

use crate::error::{Result, RunsError};

/// Longest metric, param or tag key.
pub const MAX_KEY_LENGTH: usize = 250;
/// Longest param value.
pub const MAX_PARAM_VALUE_LENGTH: usize = 6000;
/// Longest tag value.
pub const MAX_TAG_VALUE_LENGTH: usize = 8000;
/// Longest experiment, run or registered-model name.
pub const MAX_NAME_LENGTH: usize = 500;

/// Checks a metric, param or tag key: 1–250 characters of letters, digits, `_ - . / :` and
/// spaces, with no `..` segment (keys may become file names).
pub(crate) fn key(field: &'static str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(RunsError::invalid(field, "empty; give a name"));
    }
    if key.chars().count() > MAX_KEY_LENGTH {
        return Err(RunsError::invalid(
            field,
            format!(
                "'{}…' is {} characters; at most {MAX_KEY_LENGTH}",
                key.chars().take(40).collect::<String>(),
                key.chars().count()
            ),
        ));
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | ' ')))
    {
        return Err(RunsError::invalid(
            field,
            format!(
                "'{key}' holds {bad:?}; names may hold letters, digits, '_', '-', '.', '/', ':' and spaces"
            ),
        ));
    }
    if key.split('/').any(|seg| seg == ".." || seg == ".") || key.starts_with('/') {
        return Err(RunsError::invalid(
            field,
            format!(
                "'{key}' would resolve to another name as a path ('/..', '/.' or a leading '/')"
            ),
        ));
    }
    Ok(())
}

/// Checks a value's length.
pub(crate) fn value(field: &'static str, key: &str, value: &str, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n > max {
        return Err(RunsError::invalid(
            field,
            format!("the value of '{key}' is {n} characters; at most {max}"),
        ));
    }
    Ok(())
}

/// Checks an experiment, run or model name.
pub(crate) fn name(field: &'static str, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(RunsError::invalid(field, "empty; give a name"));
    }
    if name.chars().count() > MAX_NAME_LENGTH {
        return Err(RunsError::invalid(
            field,
            format!(
                "{} characters; at most {MAX_NAME_LENGTH}",
                name.chars().count()
            ),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(RunsError::invalid(field, "holds a control character"));
    }
    Ok(())
}

/// Checks a run id: 32 lowercase hex digits (what this store issues). Anything else cannot name
/// a run, so it is refused before a query.
pub(crate) fn run_id(id: &str) -> Result<()> {
    if id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(RunsError::not_found("run", format!("'{}'", printable(id))))
    }
}

/// An artifact path made safe, or refused: relative, `/`-separated, no empty, `.` or `..`
/// segment, no backslash, no control character. The result never names anything outside the
/// run's artifact tree, whatever the file system holds.
pub fn artifact_path(path: &str) -> Result<String> {
    let refuse = |why: &str| {
        Err(RunsError::invalid(
            "artifact path",
            format!("'{}' {why}", printable(path)),
        ))
    };
    if path.is_empty() {
        return refuse("is empty");
    }
    if path.len() > 4096 {
        return refuse("is longer than 4096 bytes");
    }
    if path.starts_with('/')
        || path.starts_with('\\')
        || path.contains(':') && looks_like_drive(path)
    {
        return refuse("is absolute; give a path inside the run's artifacts");
    }
    if path.contains('\\') {
        return refuse("holds a backslash; separate folders with '/'");
    }
    if path.chars().any(char::is_control) {
        return refuse("holds a control character");
    }
    let trimmed = path.trim_end_matches('/');
    for segment in trimmed.split('/') {
        match segment {
            "" => return refuse("has an empty segment ('//')"),
            "." | ".." => return refuse("has a '.' or '..' segment"),
            _ => {}
        }
    }
    Ok(trimmed.to_string())
}

fn looks_like_drive(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// A value shown in a message: at most 80 characters, control characters escaped.
pub(crate) fn printable(s: &str) -> String {
    let mut out: String = s.chars().take(80).flat_map(char::escape_default).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_mlflow_rules() {
        for ok in [
            "loss",
            "validation.accuracy",
            "layers.1.units",
            "a/b c:d-e_f",
        ] {
            key("metric key", ok).unwrap();
        }
        for bad in ["", "a/../b", "../x", "/abs", "a\nb", "a\"b", "a/./b"] {
            assert!(key("metric key", bad).is_err(), "{bad:?} accepted");
        }
        assert!(key("metric key", &"k".repeat(251)).is_err());
        key("metric key", &"k".repeat(250)).unwrap();
    }

    #[test]
    fn artifact_paths_never_leave_the_tree() {
        assert_eq!(artifact_path("model.kiln").unwrap(), "model.kiln");
        assert_eq!(artifact_path("plots/loss.png").unwrap(), "plots/loss.png");
        assert_eq!(artifact_path("plots/").unwrap(), "plots");
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "..",
            ".",
            "C:/x",
            "a\\..\\b",
            "\\\\server\\x",
            "a\0b",
        ] {
            assert!(artifact_path(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn run_ids_are_32_hex_digits() {
        run_id("0123456789abcdef0123456789abcdef").unwrap();
        for bad in [
            "",
            "xyz",
            "0123456789ABCDEF0123456789abcdef",
            "'; drop table runs; --",
        ] {
            assert!(run_id(bad).is_err());
        }
    }
}
