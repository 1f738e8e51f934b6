//! Page tokens for the answers kiln pages itself (experiment search, metric history): the
//! offset of the next item, written `offset:N` (run search pages in the store, with the same
//! form). Opaque to clients, which send it back verbatim.

use crate::error::ApiError;

/// The offset a token names (0 for none).
pub(crate) fn offset(token: Option<&str>) -> Result<usize, ApiError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(0);
    };
    token
        .strip_prefix("offset:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "page_token '{}' is not a token this server gave",
                token.chars().take(80).collect::<String>().escape_default()
            ))
        })
}

/// Items `offset..offset + size` and the token for what follows, when anything does.
pub(crate) fn page<T>(items: &[T], offset: usize, size: usize) -> (&[T], Option<String>) {
    let start = offset.min(items.len());
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| format!("offset:{end}"));
    (&items[start..end], next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_everything_once() {
        let items: Vec<u32> = (0..7).collect();
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let at = offset(token.as_deref()).unwrap();
            let (page, next) = page(&items, at, 3);
            seen.extend_from_slice(page);
            token = next;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn foreign_tokens_are_refused() {
        assert_eq!(offset(None).unwrap(), 0);
        assert_eq!(offset(Some("")).unwrap(), 0);
        assert!(offset(Some("eyJvZmZzZXQiOiAxfQ==")).is_err());
        assert!(offset(Some("offset:-1")).is_err());
    }
}
