use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::ModelHeader;

/// First bytes of every kiln model file.
pub const MAGIC: &[u8; 8] = b"KILNMDL\0";
/// Container format version written by this kiln.
pub const FORMAT_VERSION: u32 = 1;

/// What can be wrong with a model file.
#[derive(Debug, Error)]
pub enum ArtifactError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file does not start with kiln's magic bytes.
    ///
    /// Carries nothing read from the file: its bytes are not kiln's, and a message that quoted
    /// them would hand the start of any readable file to whoever can name one (a model server's
    /// reload route, a log line).
    #[error("{path}: not a kiln model file")]
    Foreign {
        /// The file.
        path: PathBuf,
    },
    /// The file ends early.
    #[error(
        "{path}: truncated model file: {what} needs {expected} bytes at offset {offset}, but the file is {size} bytes long"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The part being read.
        what: String,
        /// Bytes needed.
        expected: u64,
        /// Where.
        offset: u64,
        /// File size.
        size: u64,
    },
    /// Written by a newer kiln.
    #[error(
        "{path}: model file format version {found}; this kiln reads version {FORMAT_VERSION} (upgrade kiln)"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
    },
    /// The checksum does not match the content.
    #[error(
        "{path}: model file is corrupt: checksum {found} does not match the content ({expected})"
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// Computed.
        expected: String,
        /// Stored.
        found: String,
    },
    /// The header is not what this kiln expects.
    #[error("{path}: model header is unreadable: {message}")]
    Header {
        /// The file.
        path: PathBuf,
        /// serde's message.
        message: String,
    },
    /// A required section is absent.
    #[error("{path}: model file has no `{name}` section")]
    MissingSection {
        /// The file.
        path: PathBuf,
        /// Section name.
        name: String,
    },
    /// Trailing bytes after the checksum.
    #[error("{path}: {extra} unexpected bytes after the end of the model file")]
    Trailing {
        /// The file.
        path: PathBuf,
        /// How many.
        extra: u64,
    },
}

/// A model file in memory: header plus named binary sections (`weights`, …).
#[derive(Debug, Clone)]
pub struct ModelFile {
    /// The JSON header.
    pub header: ModelHeader,
    /// Named binary sections in order.
    pub sections: Vec<(String, Vec<u8>)>,
}

impl ModelFile {
    /// The bytes of section `name`.
    pub fn section(&self, name: &str) -> Option<&[u8]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// The bytes of section `name`, or an error naming the file.
    ///
    /// # Errors
    ///
    /// [`ArtifactError::MissingSection`].
    pub fn require_section(&self, name: &str, path: &Path) -> Result<&[u8], ArtifactError> {
        self.section(name)
            .ok_or_else(|| ArtifactError::MissingSection {
                path: path.to_path_buf(),
                name: name.to_string(),
            })
    }

    /// Serialises the file.
    ///
    /// # Panics
    ///
    /// If the header cannot be serialised to JSON (a bug: every header type is plain data).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).expect("model header serialises");
        let mut out = Vec::with_capacity(
            64 + header.len()
                + self
                    .sections
                    .iter()
                    .map(|(_, b)| b.len() + 16)
                    .sum::<usize>(),
        );
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&(self.sections.len() as u32).to_le_bytes());
        for (name, bytes) in &self.sections {
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// Writes the file atomically: a temporary file in the same folder, flushed, then renamed
    /// over `path`. On error the previous file at `path`, if any, is untouched.
    ///
    /// # Errors
    ///
    /// [`ArtifactError::Io`].
    pub fn write(&self, path: &Path) -> Result<(), ArtifactError> {
        write_atomically(path, &self.to_bytes()).map_err(|source| ArtifactError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads and checks a model file.
    ///
    /// # Errors
    ///
    /// Names what is wrong: [`ArtifactError::Foreign`] for another kind of file,
    /// [`ArtifactError::Truncated`] (with the part that is cut), [`ArtifactError::Version`],
    /// [`ArtifactError::Checksum`], [`ArtifactError::Header`].
    pub fn read(path: &Path) -> Result<Self, ArtifactError> {
        let bytes = fs::read(path).map_err(|source| ArtifactError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses and checks model-file bytes; `path` is only used in messages.
    ///
    /// # Errors
    ///
    /// As [`ModelFile::read`].
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, ArtifactError> {
        let mut r = Reader {
            bytes,
            pos: 0,
            path,
        };
        // A short file that is not the start of the magic is foreign, not truncated: its
        // length is about someone else's file.
        if bytes.len() < MAGIC.len() && !MAGIC.starts_with(bytes) {
            return Err(ArtifactError::Foreign {
                path: path.to_path_buf(),
            });
        }
        let magic = r.take(8, "magic")?;
        if magic != MAGIC {
            return Err(ArtifactError::Foreign {
                path: path.to_path_buf(),
            });
        }
        let version = r.u32("format version")?;
        if version != FORMAT_VERSION {
            return Err(ArtifactError::Version {
                path: path.to_path_buf(),
                found: version,
            });
        }
        let header_len = r.u64("header length")?;
        let header_bytes = r.take(header_len, "header")?;
        let count = r.u32("section count")?;
        let mut raw_sections = Vec::new();
        for i in 0..count {
            let name_len = u64::from(r.u16(&format!("section {i} name length"))?);
            let name = r.take(name_len, &format!("section {i} name"))?;
            let name = String::from_utf8_lossy(name).into_owned();
            let len = r.u64(&format!("section `{name}` length"))?;
            let data = r.take(len, &format!("section `{name}`"))?;
            raw_sections.push((name, data));
        }
        let content_end = r.pos;
        let stored = r.take(32, "checksum")?;
        if r.pos < bytes.len() {
            return Err(ArtifactError::Trailing {
                path: path.to_path_buf(),
                extra: (bytes.len() - r.pos) as u64,
            });
        }
        let computed = Sha256::digest(&bytes[..content_end]);
        if computed.as_slice() != stored {
            return Err(ArtifactError::Checksum {
                path: path.to_path_buf(),
                expected: hex::encode(computed),
                found: hex::encode(stored),
            });
        }
        let header: ModelHeader =
            serde_json::from_slice(header_bytes).map_err(|e| ArtifactError::Header {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(Self {
            header,
            sections: raw_sections
                .into_iter()
                .map(|(n, d)| (n, d.to_vec()))
                .collect(),
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], ArtifactError> {
        let size = self.bytes.len() as u64;
        let end = (self.pos as u64).checked_add(n).filter(|&e| e <= size);
        let Some(end) = end else {
            return Err(ArtifactError::Truncated {
                path: self.path.to_path_buf(),
                what: what.to_string(),
                expected: n,
                offset: self.pos as u64,
                size,
            });
        };
        let out = &self.bytes[self.pos..end as usize];
        self.pos = end as usize;
        Ok(out)
    }

    fn u16(&mut self, what: &str) -> Result<u16, ArtifactError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ArtifactError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64, ArtifactError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it into place. The
/// file gets the permissions of the file it replaces, or `rw-r--r--` when it is new (a
/// temporary file is created private, and a model file that only its writer can read breaks
/// serving it as another user).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".kiln-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_readable_by_others_and_a_replaced_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.kiln");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        write_atomically(&path, b"one").unwrap();
        assert_eq!(mode(&path), 0o644);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        // Nothing is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Regression (issue 14): the server's reload route answered a foreign file's first bytes.
    #[test]
    fn a_foreign_file_error_quotes_none_of_its_bytes() {
        for bytes in [
            &b"root:*:19000:0:99999:7:::"[..],
            b"SECRET",
            b"\x00\x01\x02",
        ] {
            let err = ModelFile::from_bytes(bytes, Path::new("f")).unwrap_err();
            assert!(matches!(err, ArtifactError::Foreign { .. }), "{err:?}");
            let text = format!("{err} {err:?}");
            assert_eq!(err.to_string(), "f: not a kiln model file");
            assert!(!text.contains("root") && !text.contains("SECRET"), "{text}");
        }
        // The start of a real model file is truncated, not foreign.
        let err = ModelFile::from_bytes(&MAGIC[..3], Path::new("f")).unwrap_err();
        assert!(matches!(err, ArtifactError::Truncated { .. }), "{err:?}");
    }
}
