//! Every kind of damage is named, with the file: a cut anywhere is `Truncated` (naming the part
//! cut), a changed byte in the header, a section or the stored checksum is `Checksum`, extra
//! bytes are `Trailing`, and a newer container version is `Version`. None of them panics.
//!
//! The synthetic files carry a header that is JSON but not a `ModelHeader`: the container is
//! checked whole (magic, version, lengths, checksum) before the header is parsed, so an intact
//! synthetic file reaches the header and fails there, with [`ArtifactError::Header`]; that
//! is the control every damaged variant is compared with.

use std::path::{Path, PathBuf};

use kiln_artifact::{ArtifactError, FORMAT_VERSION, MAGIC, ModelFile};
use sha2::{Digest, Sha256};

const HEADER: &[u8] = br#"{"kiln_version": "0.0.0-synthetic"}"#;
const WEIGHTS: &[u8] = &[7; 48];
const ELBO: &[u8] = &[1, 2, 3, 4, 5, 6, 7, 8];

/// Where each part of a synthetic file lies.
struct Layout {
    header: std::ops::Range<usize>,
    /// The data of each section, by name.
    sections: Vec<(&'static str, std::ops::Range<usize>)>,
    checksum: std::ops::Range<usize>,
}

/// A model-file container holding [`HEADER`] and two sections, with version `version` and a
/// correct checksum.
fn container(version: u32) -> (Vec<u8>, Layout) {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(HEADER.len() as u64).to_le_bytes());
    let header = out.len()..out.len() + HEADER.len();
    out.extend_from_slice(HEADER);
    let sections = [("weights", WEIGHTS), ("elbo", ELBO)];
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    let mut ranges = Vec::new();
    for (name, data) in sections {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        ranges.push((name, out.len()..out.len() + data.len()));
        out.extend_from_slice(data);
    }
    let digest = Sha256::digest(&out);
    let checksum = out.len()..out.len() + 32;
    out.extend_from_slice(&digest);
    (
        out,
        Layout {
            header,
            sections: ranges,
            checksum,
        },
    )
}

/// Writes `bytes` as `name` in `dir` and reads it back as a model file.
fn read(dir: &Path, name: &str, bytes: &[u8]) -> (PathBuf, ArtifactError) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    match ModelFile::read(&path) {
        Ok(_) => panic!("{name}: a synthetic file was accepted"),
        Err(e) => (path, e),
    }
}

/// The error's message starts with the file's path.
fn names_the_file(e: &ArtifactError, path: &Path) {
    let message = e.to_string();
    assert!(
        message.starts_with(&format!("{}: ", path.display())),
        "{message}"
    );
}

#[test]
fn an_intact_synthetic_file_passes_every_container_check() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _) = container(FORMAT_VERSION);
    let (path, e) = read(dir.path(), "intact.kiln", &bytes);
    assert!(matches!(e, ArtifactError::Header { .. }), "{e:?}");
    names_the_file(&e, &path);
}

#[test]
fn a_file_cut_anywhere_is_truncated_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, layout) = container(FORMAT_VERSION);
    for len in 0..bytes.len() {
        let (path, e) = read(dir.path(), "cut.kiln", &bytes[..len]);
        let ArtifactError::Truncated {
            what, size, offset, ..
        } = &e
        else {
            panic!("cut at {len}: {e:?}");
        };
        assert_eq!(*size, len as u64, "cut at {len}");
        assert!(*offset <= *size, "cut at {len}: {e}");
        names_the_file(&e, &path);
        let message = e.to_string();
        assert!(message.contains("truncated model file"), "{message}");
        // The part that is cut is named.
        let inside = |r: &std::ops::Range<usize>| r.start < len && len < r.end;
        if inside(&layout.header) {
            assert_eq!(what, "header", "cut at {len}");
        }
        for (name, data) in &layout.sections {
            if inside(data) {
                assert_eq!(what, &format!("section `{name}`"), "cut at {len}");
            }
        }
        if inside(&layout.checksum) {
            assert_eq!(what, "checksum", "cut at {len}");
        }
    }
}

#[test]
fn a_changed_byte_in_the_header_a_section_or_the_checksum_fails_the_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, layout) = container(FORMAT_VERSION);
    let mut positions: Vec<usize> = layout.header.clone().collect();
    for (_, data) in &layout.sections {
        positions.extend(data.clone());
    }
    positions.extend(layout.checksum.clone());
    for at in positions {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x20;
        let (path, e) = read(dir.path(), "flipped.kiln", &damaged);
        assert!(
            matches!(e, ArtifactError::Checksum { .. }),
            "byte {at}: {e:?}"
        );
        names_the_file(&e, &path);
        assert!(e.to_string().contains("corrupt"), "{e}");
    }
}

#[test]
fn bytes_after_the_checksum_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bytes, _) = container(FORMAT_VERSION);
    bytes.extend_from_slice(b"tail");
    let (path, e) = read(dir.path(), "tail.kiln", &bytes);
    assert!(
        matches!(e, ArtifactError::Trailing { extra: 4, .. }),
        "{e:?}"
    );
    names_the_file(&e, &path);
}

#[test]
fn a_newer_format_version_asks_for_a_newer_kiln() {
    let dir = tempfile::tempdir().unwrap();
    for version in [FORMAT_VERSION + 1, u32::MAX] {
        // A well-formed file in every other respect, its checksum included.
        let (bytes, _) = container(version);
        let (path, e) = read(dir.path(), "newer.kiln", &bytes);
        assert!(
            matches!(e, ArtifactError::Version { found, .. } if found == version),
            "{e:?}"
        );
        names_the_file(&e, &path);
        let message = e.to_string();
        for part in [
            format!("format version {version}"),
            format!("reads version {FORMAT_VERSION}"),
            "upgrade kiln".to_string(),
        ] {
            assert!(message.contains(&part), "{message}");
        }
    }
}
