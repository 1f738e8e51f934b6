//! Text corpora for character-level language models.

use std::path::Path;

use crate::datasets::{Cache, is_builtin, shakespeare_corpus};
use crate::error::{DataError, Result};

/// The text a language model trains on: `shakespeare` (the built-in works, fetched into the
/// cache) or a UTF-8 text file, relative paths taken from `base_dir`.
///
/// # Errors
///
/// A missing or unreadable file ([`DataError::Io`]), invalid UTF-8 ([`DataError::Parse`] with
/// the line and byte offset of the first bad byte), an empty corpus, or a built-in dataset
/// that is a table rather than text ([`DataError::WrongType`]).
pub fn load_corpus(source: &str, base_dir: &Path, cache: &Cache) -> Result<String> {
    if source == "shakespeare" {
        return shakespeare_corpus(cache);
    }
    if is_builtin(source) {
        return Err(DataError::WrongType {
            column: format!("data.source `{source}`"),
            expected: "a text corpus (`shakespeare` or a UTF-8 text file)".into(),
            found: "a built-in table".into(),
        });
    }
    let path = base_dir.join(source);
    let bytes = std::fs::read(&path).map_err(|source| DataError::Io {
        path: path.clone(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        DataError::Parse {
            path: path.clone(),
            line,
            column: "text".into(),
            expected: "UTF-8 text (convert the corpus, e.g. `iconv -t UTF-8`)".into(),
            found: format!("the byte 0x{:02X} at offset {offset}", bytes[offset]),
        }
    })?;
    if text.is_empty() {
        return Err(DataError::Parse {
            path,
            line: 1,
            column: "text".into(),
            expected: "a non-empty text".into(),
            found: "an empty file".into(),
        });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_errors_name_the_file_and_the_byte() {
        let dir = std::env::temp_dir().join(format!("kiln-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cache = Cache::new(dir.join("cache"));
        std::fs::write(dir.join("ok.txt"), "to be\nor not").unwrap();
        assert_eq!(
            load_corpus("ok.txt", &dir, &cache).unwrap(),
            "to be\nor not"
        );
        std::fs::write(dir.join("latin1.txt"), b"caf\xe9\nna\xefve").unwrap();
        let e = load_corpus("latin1.txt", &dir, &cache)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("latin1.txt:1") && e.contains("0xE9 at offset 3"),
            "{e}"
        );
        std::fs::write(dir.join("empty.txt"), "").unwrap();
        let e = load_corpus("empty.txt", &dir, &cache)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("empty.txt") && e.contains("an empty file"),
            "{e}"
        );
        let e = load_corpus("missing.txt", &dir, &cache)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.txt"), "{e}");
        let e = load_corpus("iris", &dir, &cache).unwrap_err().to_string();
        assert!(e.contains("a built-in table"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
