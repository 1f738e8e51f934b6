//! Artifacts, content-addressed: the bytes of every file live once under
//! `artifacts/sha256/AB/ABCDEF…` (named by their SHA-256), and each run's artifact tree is a
//! table of `path → digest`. A file path on disk is built only from a digest (64 hex digits),
//! never from a name a client sent, so no artifact path can reach outside the store; names are
//! also checked by [`crate::validate::artifact_path`]. Blobs are written to a temporary file,
//! synced, then renamed: a crash leaves either the whole blob or none.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::entity::ArtifactEntry;
use crate::error::{Result, RunsError};
use crate::runs::run_info_in;
use crate::store::Store;
use crate::validate;

/// A stored blob: its digest and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
}

impl Blob {
    /// The SHA-256 hex digest of `bytes`, as the store names blobs.
    pub fn digest_of(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> RunsError + 'a {
    move |source| RunsError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// Refuses `dir` (a folder inside the store) when any folder from the store root down to
    /// it is a symbolic link: the store's own folders are never links, so one there (a hand
    /// edit, a restored backup) must not lead a blob's read or write outside the store. The
    /// root itself may be a link (a store moved to another disk). Folders not yet created
    /// end the check: `create_dir_all` then makes real ones.
    fn refuse_links_inside(&self, dir: &Path) -> Result<()> {
        let Ok(inside) = dir.strip_prefix(self.root()) else {
            return Err(RunsError::invalid(
                "artifact store",
                format!("{} is not inside the store", dir.display()),
            ));
        };
        let mut at = self.root().to_path_buf();
        for part in inside.components() {
            at.push(part);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(RunsError::invalid(
                        "artifact store",
                        format!(
                            "{} is a symbolic link; the store does not follow links",
                            at.display()
                        ),
                    ));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(source) => {
                    return Err(RunsError::Io {
                        action: "checking",
                        path: at,
                        source,
                    });
                }
            }
        }
        Ok(())
    }
}

fn is_digest(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Store {
    /// Where the blob with `digest` lives (whether or not it exists).
    ///
    /// # Errors
    /// [`RunsError::Invalid`] when `digest` is not 64 lowercase hex digits.
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        if !is_digest(digest) {
            return Err(RunsError::invalid(
                "digest",
                format!(
                    "'{}' is not a SHA-256 hex digest",
                    validate::printable(digest)
                ),
            ));
        }
        Ok(self
            .root()
            .join("artifacts")
            .join("sha256")
            .join(&digest[..2])
            .join(digest))
    }

    /// Stores bytes read from `reader` as a blob (once, however often they are stored).
    ///
    /// # Errors
    /// On a read or write error.
    pub fn put_blob(&self, reader: &mut dyn Read) -> Result<Blob> {
        let tmp_dir = self.root().join("artifacts").join("tmp");
        self.refuse_links_inside(&tmp_dir)?;
        std::fs::create_dir_all(&tmp_dir).map_err(io_error("creating", &tmp_dir))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&tmp_dir)
            .map_err(io_error("creating a file in", &tmp_dir))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(RunsError::Io {
                        action: "reading the upload for",
                        path: tmp.path().to_path_buf(),
                        source,
                    });
                }
            };
            hasher.update(&buf[..n]);
            size += n as u64;
            tmp.write_all(&buf[..n])
                .map_err(io_error("writing", &tmp_dir))?;
        }
        let digest = hex::encode(hasher.finalize());
        let path = self.blob_path(&digest)?;
        if !path.exists() {
            tmp.as_file()
                .sync_all()
                .map_err(io_error("syncing", &tmp_dir))?;
            let parent = path.parent().expect("blob paths have a parent");
            self.refuse_links_inside(parent)?;
            std::fs::create_dir_all(parent).map_err(io_error("creating", parent))?;
            tmp.persist(&path).map_err(|e| RunsError::Io {
                action: "renaming a blob to",
                path: path.clone(),
                source: e.error,
            })?;
        }
        Ok(Blob { digest, size })
    }

    /// Opens a stored blob for reading. Refuses a blob that is a symbolic link (someone edited
    /// the store by hand), so reading never follows a link out of it.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] when the store has no such blob.
    pub fn open_blob(&self, digest: &str) -> Result<File> {
        let path = self.blob_path(digest)?;
        self.refuse_links_inside(path.parent().expect("blob paths have a parent"))?;
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_file() => {
                File::open(&path).map_err(io_error("reading", &path))
            }
            Ok(_) => Err(RunsError::invalid(
                "artifact store",
                format!("{} is not a plain file", path.display()),
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(RunsError::not_found("artifact blob", digest.to_string()))
            }
            Err(source) => Err(RunsError::Io {
                action: "reading",
                path,
                source,
            }),
        }
    }

    /// Stores `reader`'s bytes as the run's artifact at `path` (replacing one there).
    ///
    /// # Errors
    /// [`RunsError::Invalid`] for a path that is absolute, has `..`, or clashes with a folder or
    /// file already there; [`RunsError::NotFound`] for the run.
    pub fn put_artifact(
        &self,
        run_id: &str,
        path: &str,
        reader: &mut dyn Read,
    ) -> Result<ArtifactEntry> {
        let path = validate::artifact_path(path)?;
        // Refuse before reading a large upload.
        self.read(|tx| {
            run_info_in(tx, run_id)?;
            Ok(())
        })?;
        let blob = self.put_blob(reader)?;
        self.write(|tx| {
            run_info_in(tx, run_id)?;
            let dir_clash: Option<String> = tx
                .query_row(
                    "SELECT path FROM artifacts WHERE run_id = ?1 AND path > ?2 AND path < ?3 LIMIT 1",
                    params![run_id, format!("{path}/"), format!("{path}0")],
                    |r| r.get(0),
                )
                .optional()?;
            if dir_clash.is_some() {
                return Err(RunsError::invalid(
                    "artifact path",
                    format!("'{path}' is a folder of this run's artifacts"),
                ));
            }
            let mut prefix = String::new();
            for segment in path.split('/').collect::<Vec<_>>().split_last().map_or(&[][..], |(_, init)| init) {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(segment);
                let file: Option<String> = tx
                    .query_row(
                        "SELECT path FROM artifacts WHERE run_id = ?1 AND path = ?2",
                        params![run_id, prefix],
                        |r| r.get(0),
                    )
                    .optional()?;
                if file.is_some() {
                    return Err(RunsError::invalid(
                        "artifact path",
                        format!("'{prefix}' is a file of this run, not a folder"),
                    ));
                }
            }
            tx.execute(
                "INSERT INTO artifacts (run_id, path, digest, size) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (run_id, path) DO UPDATE SET digest = excluded.digest, size = excluded.size",
                params![run_id, path, blob.digest, blob.size as i64],
            )?;
            Ok(())
        })?;
        Ok(ArtifactEntry {
            path,
            is_dir: false,
            size: Some(blob.size),
            digest: Some(blob.digest),
        })
    }

    /// Stores the file at `source` as the run's artifact at `path`.
    ///
    /// # Errors
    /// As [`Store::put_artifact`], and when `source` cannot be read.
    pub fn put_artifact_file(
        &self,
        run_id: &str,
        path: &str,
        source: &Path,
    ) -> Result<ArtifactEntry> {
        let mut file = File::open(source).map_err(io_error("reading", source))?;
        self.put_artifact(run_id, path, &mut file)
    }

    /// A run's artifact file: its entry and an open reader.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the run or the path; [`RunsError::Invalid`] for a bad path.
    pub fn artifact(&self, run_id: &str, path: &str) -> Result<(ArtifactEntry, File)> {
        let path = validate::artifact_path(path)?;
        let found: Option<(String, i64)> = self.read(|tx| {
            run_info_in(tx, run_id)?;
            Ok(tx
                .query_row(
                    "SELECT digest, size FROM artifacts WHERE run_id = ?1 AND path = ?2",
                    params![run_id, path],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })?;
        let (digest, size) = found
            .ok_or_else(|| RunsError::not_found("artifact", format!("'{path}' in run {run_id}")))?;
        let file = self.open_blob(&digest)?;
        Ok((
            ArtifactEntry {
                path,
                is_dir: false,
                size: Some(size as u64),
                digest: Some(digest),
            },
            file,
        ))
    }

    /// The direct children of folder `dir` (the root when `None`) of a run's artifacts:
    /// files with their size and digest, and sub-folders.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the run; [`RunsError::Invalid`] for a bad path.
    pub fn list_artifacts(&self, run_id: &str, dir: Option<&str>) -> Result<Vec<ArtifactEntry>> {
        let prefix = match dir.filter(|d| !d.is_empty() && *d != "/") {
            Some(d) => format!("{}/", validate::artifact_path(d)?),
            None => String::new(),
        };
        let rows: Vec<(String, String, i64)> = self.read(|tx| {
            run_info_in(tx, run_id)?;
            Ok(tx
                .prepare_cached(
                    "SELECT path, digest, size FROM artifacts
                     WHERE run_id = ?1 AND substr(path, 1, length(?2)) = ?2 ORDER BY path",
                )?
                .query_map(params![run_id, prefix], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<_, _>>()?)
        })?;
        let mut out: Vec<ArtifactEntry> = Vec::new();
        for (path, digest, size) in rows {
            let rest = &path[prefix.len()..];
            match rest.split_once('/') {
                Some((folder, _)) => {
                    let folder = format!("{prefix}{folder}");
                    if out.last().is_none_or(|e| e.path != folder) {
                        out.push(ArtifactEntry {
                            path: folder,
                            is_dir: true,
                            size: None,
                            digest: None,
                        });
                    }
                }
                None => out.push(ArtifactEntry {
                    path,
                    is_dir: false,
                    size: Some(size as u64),
                    digest: Some(digest),
                }),
            }
        }
        Ok(out)
    }
}
