//! The cache folder ([`Cache`]: where fetched datasets live, and the registry clients that
//! fill it) and reading its files back: streamed sha256, text (plain or gzipped), the files of
//! a folder by suffix.

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{DataError, Result};

/// The folder where fetched datasets live, and the registry clients that fill it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    pub(super) root: PathBuf,
    /// The npm client to run (`npm` on the `PATH` unless set).
    pub(super) npm: OsString,
    /// The pip client to run; `None` tries `pip`, then `python3 -m pip`.
    pub(super) pip: Option<OsString>,
}

impl Cache {
    /// A cache rooted at `root` (created on first fetch), fetching with the `npm` and `pip` on
    /// the `PATH`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            npm: OsString::from("npm"),
            pip: None,
        }
    }

    /// `$KILN_CACHE` when set, else the user's cache folder + `kiln` (e.g. `~/.cache/kiln`);
    /// `$KILN_NPM` and `$KILN_PIP`, when set, name the clients to run instead of `npm` and
    /// `pip`.
    ///
    /// # Errors
    /// [`DataError::Fetch`] when neither exists (no home folder).
    pub fn from_env() -> Result<Self> {
        let cache = if let Some(dir) = std::env::var_os("KILN_CACHE").filter(|d| !d.is_empty()) {
            Self::new(dir)
        } else {
            directories::ProjectDirs::from("", "", "kiln")
                .map(|d| Self::new(d.cache_dir()))
                .or_else(|| {
                    directories::BaseDirs::new().map(|b| Self::new(b.cache_dir().join("kiln")))
                })
                .ok_or_else(|| DataError::Fetch {
                    dataset: String::new(),
                    message: "no user cache folder; set KILN_CACHE to a writable folder"
                        .to_string(),
                })?
        };
        let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Ok(Self {
            npm: set("KILN_NPM").unwrap_or(cache.npm),
            pip: set("KILN_PIP"),
            ..cache
        })
    }

    /// The same cache, fetching npm packages with `program` instead of `npm`.
    #[must_use]
    pub fn with_npm(self, program: impl Into<OsString>) -> Self {
        Self {
            npm: program.into(),
            ..self
        }
    }

    /// The same cache, fetching PyPI packages with `program` (run as `program download ...`)
    /// instead of `pip` or `python3 -m pip`.
    #[must_use]
    pub fn with_pip(self, program: impl Into<OsString>) -> Self {
        Self {
            pip: Some(program.into()),
            ..self
        }
    }

    /// The cache's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where hand-downloaded archives may be placed.
    pub fn downloads(&self) -> PathBuf {
        self.root.join("downloads")
    }
}

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
    move |e| DataError::io(path, e)
}

/// sha256 (hex) of a file, streamed.
///
/// # Errors
/// [`DataError::Io`].
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The files of `folder` whose names end with `suffix`, sorted by name.
pub(super) fn files_ending(folder: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(folder)
        .map_err(io(folder))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(suffix))
        })
        .collect();
    files.sort();
    Ok(files)
}

pub(super) fn read_text(path: &Path) -> Result<String> {
    let mut text = String::new();
    let file = fs::File::open(path).map_err(io(path))?;
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .map_err(io(path))?;
    } else {
        std::io::BufReader::new(file)
            .read_to_string(&mut text)
            .map_err(io(path))?;
    }
    Ok(text)
}
