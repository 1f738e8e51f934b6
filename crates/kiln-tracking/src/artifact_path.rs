//! The path of a proxied artifact request, `<experiment_id>/<run_id>/artifacts/<path>`, read
//! from the URL path (still percent-encoded) or the `path` query parameter, and checked before
//! anything is looked up: percent-encoding is undone until nothing changes (as MLflow's
//! `validate_path_is_safe` does, so `%2e%2e` and `%252e%252e` are `..`), then a path with a
//! `.` or `..` segment, an empty segment (`//`, a leading `/`), a backslash, a `#`, a NUL or
//! another control character is refused with 400 `INVALID_PARAMETER_VALUE`. What remains is
//! handed to the store, which names blobs by digest: a request path never becomes a
//! file-system path.

use crate::error::ApiError;

/// How many rounds of percent-decoding are undone before a path that still changes is refused.
const MAX_DECODE_ROUNDS: usize = 4;

/// A checked artifact location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArtifactPath {
    /// Above any run's artifact root (`""`, `<experiment_id>`, `<experiment_id>/<run_id>`).
    AboveRun,
    /// Inside one run's artifacts.
    InRun {
        /// The experiment the path names.
        experiment_id: String,
        /// The run.
        run_id: String,
        /// The path under the run's `artifacts/` (empty for the root).
        path: String,
    },
}

/// Refuses `raw`; never echoes more than a short, escaped prefix of it.
fn refuse(raw: &str, why: &str) -> ApiError {
    let shown: String = raw
        .chars()
        .take(120)
        .flat_map(char::escape_default)
        .collect();
    ApiError::invalid(format!("invalid artifact path '{shown}': {why}"))
}

/// Undoes `%XX` escapes once; other `%` are kept (as Python's `unquote` does).
fn decode_once(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(h * 16 + l).ok()?);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Percent-decodes until stable and checks every segment.
pub(crate) fn decode_and_check(raw: &str) -> Result<String, ApiError> {
    let mut current = raw.to_string();
    let mut stable = false;
    for _ in 0..MAX_DECODE_ROUNDS {
        let next =
            decode_once(&current).ok_or_else(|| refuse(raw, "it is not UTF-8 once decoded"))?;
        if next == current {
            stable = true;
            break;
        }
        current = next;
    }
    if !stable {
        return Err(refuse(raw, "it is percent-encoded too many times"));
    }
    if current.is_empty() {
        return Ok(current);
    }
    if current.starts_with('/') {
        return Err(refuse(raw, "it is absolute"));
    }
    if current.contains('\\') {
        return Err(refuse(raw, "it holds a backslash"));
    }
    if current.contains('#') {
        return Err(refuse(raw, "it holds a '#'"));
    }
    if current.chars().any(char::is_control) {
        return Err(refuse(raw, "it holds a control character"));
    }
    let trimmed = current.strip_suffix('/').unwrap_or(&current);
    for segment in trimmed.split('/') {
        match segment {
            "" => return Err(refuse(raw, "it has an empty segment")),
            "." | ".." => return Err(refuse(raw, "it has a '.' or '..' segment")),
            s if s.len() >= 2
                && s.as_bytes()[1] == b':'
                && s.as_bytes()[0].is_ascii_alphabetic() =>
            {
                return Err(refuse(raw, "it names a drive"));
            }
            _ => {}
        }
    }
    Ok(trimmed.to_string())
}

/// Parses a request's artifact path (percent-encoded or not).
pub(crate) fn parse(raw: &str) -> Result<ArtifactPath, ApiError> {
    let path = decode_and_check(raw)?;
    let mut parts = path.splitn(4, '/');
    let (Some(experiment_id), Some(run_id), Some(root)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Ok(ArtifactPath::AboveRun);
    };
    if root != "artifacts" {
        return Err(refuse(
            raw,
            "expected <experiment_id>/<run_id>/artifacts/<path>",
        ));
    }
    Ok(ArtifactPath::InRun {
        experiment_id: experiment_id.to_string(),
        run_id: run_id.to_string(),
        path: parts.next().unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn run_paths_parse() {
        assert_eq!(
            parse(&format!("1/{RUN}/artifacts/tree/blob.bin")).unwrap(),
            ArtifactPath::InRun {
                experiment_id: "1".into(),
                run_id: RUN.into(),
                path: "tree/blob.bin".into()
            }
        );
        assert_eq!(
            parse(&format!("1/{RUN}/artifacts")).unwrap(),
            ArtifactPath::InRun {
                experiment_id: "1".into(),
                run_id: RUN.into(),
                path: String::new()
            }
        );
        assert_eq!(
            parse(&format!("1/{RUN}/artifacts/my%20file.txt")).unwrap(),
            ArtifactPath::InRun {
                experiment_id: "1".into(),
                run_id: RUN.into(),
                path: "my file.txt".into()
            }
        );
        assert_eq!(parse("1").unwrap(), ArtifactPath::AboveRun);
        assert_eq!(parse("").unwrap(), ArtifactPath::AboveRun);
        // A lone '%' that is not an escape is a character.
        assert!(matches!(
            parse(&format!("1/{RUN}/artifacts/50%off.txt")).unwrap(),
            ArtifactPath::InRun { path, .. } if path == "50%off.txt"
        ));
    }

    #[test]
    fn traversal_is_refused() {
        for bad in [
            format!("1/{RUN}/artifacts/../../x"),
            format!("1/{RUN}/artifacts/%2e%2e/%2e%2e/x"),
            format!("1/{RUN}/artifacts/%2E%2E%2F%2E%2E%2Fx"),
            format!("1/{RUN}/artifacts/%252e%252e/x"),
            format!("1/{RUN}/artifacts/..%5c..%5cx"),
            format!("1/{RUN}/artifacts/a/./b"),
            format!("1/{RUN}/artifacts//x"),
            format!("1/{RUN}/artifacts/a%00b"),
            format!("1/{RUN}/artifacts/a#b"),
            format!("1/{RUN}/artifacts/C:/x"),
            "/etc/passwd".to_string(),
            "%2Fetc%2Fpasswd".to_string(),
            "../..".to_string(),
            "..".to_string(),
            "%25252525252e".to_string(),
            format!("1/{RUN}/elsewhere/x"),
        ] {
            let e = parse(&bad).unwrap_err();
            assert_eq!(e.code, crate::ErrorCode::InvalidParameterValue, "{bad}");
        }
    }
}
