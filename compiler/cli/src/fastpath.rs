//! The no-op rebuild fast path: `hlc build` finds `out/` up to date without evaluating.
//!
//! # The rule
//!
//! `hlc build` (human output, not `--check`) skips load, evaluation, checking and rendering and
//! reports "out/ is up to date" when all of the following hold; otherwise it runs the full build:
//!
//! 1. **Same binary.** A stamp written by the last successful build of this project with this
//!    executable exists, and names this executable (path, size and modification time: a rebuilt
//!    or reinstalled `hlc` never trusts an older stamp, even with the same version number).
//! 2. **Same lock.** `out/hlc.lock` is byte for byte the lock that build left (its sha256 is in
//!    the stamp), it names this compiler version, and its `inputs_digest` matches its inputs.
//! 3. **Same inputs, and no new ones.** Every regular file under `configs/` (except
//!    `configs/secrets/`) is a config input of the lock with the same sha256, and every config
//!    input of the lock is such a file — so a file added anywhere under `configs/` (which an
//!    import could now reach, or which could shadow a library file such as `hlc.ncl`) defeats
//!    the fast path, as does an edited, removed or symlinked one. The library digest and the
//!    files under `configs/secrets/` are compared exactly as `hlc check` does. Imports cannot
//!    leave `configs/` (the sandbox refuses `..`, absolute paths and symlinks), so this set
//!    covers everything the last build could have read.
//! 4. **`out/` untouched.** No interrupted-build journal, and every file the lock lists exists
//!    with its recorded sha256 (the same verification as `hlc check`).
//!
//! Consequence: a no-op rebuild does not print the warnings of the configuration again
//! (`hlc check` always evaluates and prints them).
//!
//! # Without reading the files
//!
//! Checking 3 and 4 by content means hashing every input and every file of `out/` (tens of MB
//! at 10,000 services). So the stamp also holds a snapshot of each such file as the build left
//! it — every regular file under `configs/` (secrets and other files included), every file the
//! lock lists, and the lock — with its size, modification and change times (ns), inode and
//! sha256. When no file under `configs/` was added or removed and every file's `stat` still
//! matches, rule 3 and 4 hold without reading a byte, as git's index decides that a file is
//! unchanged. A file whose times are not strictly older than the stamp itself (written in the
//! same clock tick, so a later edit in that tick could keep its `stat`) is "racy" and is hashed
//! instead. Any other difference falls back to the content check above; when that finds
//! `out/` up to date, the snapshot is refreshed. The change time cannot be set by `touch` or
//! by tools that restore modification times.
//!
//! The stamp lives outside the project, in `$HLC_CACHE_DIR`, else `$XDG_CACHE_HOME/hlc`, else
//! `$HOME/.cache/hlc`, named after the sha256 of the project's canonical path. Without any of
//! these there is no fast path. Deleting it is always safe.

use crate::project;
use hlc_eval::{SourceKind, SourceRecord};
use hlc_out::{sha256_hex, Input, InputKind};
use std::path::{Path, PathBuf};

const STAMP_FORMAT: &str = "hlc-noop-stamp 2";

/// The number of files in `out/` when the fast path applies, `None` when a full build is needed.
pub fn up_to_date(root: &Path, version: &str) -> Option<usize> {
    let stamp = std::fs::read_to_string(stamp_path(root)?).ok()?;
    let mut lines = stamp.lines();
    if lines.next()? != STAMP_FORMAT || lines.next()? != exe_id()? {
        return None;
    }
    let lock_sha = lines.next()?;
    if let Some(n) = snapshot_holds(root, lines) {
        return Some(n);
    }
    // Something's `stat` changed: decide by content.
    let out = root.join("out");
    let lock_bytes = std::fs::read(out.join(hlc_out::LOCK_FILE)).ok()?;
    if lock_sha != sha256_hex(&lock_bytes) {
        return None;
    }
    let lock = hlc_out::Lock::from_json(&lock_bytes).ok()?;
    if lock.compiler != version {
        return None;
    }
    let inputs = current_inputs(root)?;
    let drift = hlc_out::verify(&out, &inputs).ok()?;
    if !drift.is_empty() {
        return None;
    }
    // Up to date after all (a file was touched, not changed): refresh the snapshot.
    record(root);
    Some(lock.artifacts.len())
}

/// The snapshot of one file: `stat` fields that change when its content does, and its sha256.
#[derive(PartialEq, Eq)]
struct FileStat {
    size: u64,
    mtime: i128,
    ctime: i128,
    ino: u64,
}

fn file_stat(path: &Path) -> Option<FileStat> {
    let m = std::fs::symlink_metadata(path).ok()?;
    if !m.file_type().is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FileStat {
            size: m.len(),
            mtime: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ctime: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            ino: m.ino(),
        })
    }
    #[cfg(not(unix))]
    {
        let t = m
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some(FileStat {
            size: m.len(),
            mtime: t.as_nanos() as i128,
            ctime: t.as_nanos() as i128,
            ino: 0,
        })
    }
}

/// Whether every file of the snapshot (`F <size> <mtime> <ctime> <ino> <racy 0|1> <sha256>
/// <path>` lines after the header) is unchanged and `configs/` holds no other file. The
/// number of files of `out/` it lists (the lock excluded) when it holds.
fn snapshot_holds<'a>(root: &Path, lines: impl Iterator<Item = &'a str>) -> Option<usize> {
    let mut entries = Vec::new();
    for line in lines {
        let mut f = line.splitn(8, ' ');
        if f.next()? != "F" {
            return None;
        }
        let st = FileStat {
            size: f.next()?.parse().ok()?,
            mtime: f.next()?.parse().ok()?,
            ctime: f.next()?.parse().ok()?,
            ino: f.next()?.parse().ok()?,
        };
        let racy = f.next()? == "1";
        let sha = f.next()?;
        let rel = f.next()?;
        entries.push((rel, st, racy, sha));
    }
    if entries.is_empty() || root.join("out").join(hlc_out::JOURNAL_FILE).exists() {
        return None;
    }
    // No file added under configs/ (or removed: the stat below fails).
    let configs = root.join("configs");
    let mut now = Vec::new();
    walk(&configs, Path::new(""), &mut now)?;
    let recorded = entries
        .iter()
        .filter(|e| e.0.starts_with("configs/"))
        .count();
    if now.len() != recorded {
        return None;
    }
    let ok = |chunk: &[(&str, FileStat, bool, &str)]| {
        chunk.iter().all(|(rel, st, racy, sha)| {
            let path = root.join(rel);
            match file_stat(&path) {
                Some(cur) if cur == *st && !racy => true,
                Some(cur) if cur == *st => {
                    std::fs::read(&path).is_ok_and(|b| sha256_hex(&b) == *sha)
                }
                _ => false,
            }
        })
    };
    // `stat` of ~10⁴ files: split over the cores.
    let holds = hlc_out::parallel::map_chunks(&entries, 256, ok)
        .into_iter()
        .all(|h| h == Some(true));
    let lock = format!("out/{}", hlc_out::LOCK_FILE);
    holds.then(|| {
        entries
            .iter()
            .filter(|e| e.0.starts_with("out/") && e.0 != lock)
            .count()
    })
}

/// After a successful full build: remember the lock it left and the snapshot of every file
/// the fast path compares, for the next no-op rebuild. Failing to write the stamp only costs
/// the next build its fast path.
pub fn record(root: &Path) {
    let (Some(path), Some(exe)) = (stamp_path(root), exe_id()) else {
        return;
    };
    let Ok(lock_bytes) = std::fs::read(root.join("out").join(hlc_out::LOCK_FILE)) else {
        return;
    };
    let Ok(lock) = hlc_out::Lock::from_json(&lock_bytes) else {
        return;
    };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    // The file system's "now": files whose times are not older are racy (see the module docs).
    let Some(now) = std::fs::write(&tmp, b"")
        .ok()
        .and_then(|()| file_stat(&tmp))
        .map(|s| s.mtime)
    else {
        let _ = std::fs::remove_file(&tmp);
        return;
    };
    let mut text = format!("{STAMP_FORMAT}\n{exe}\n{}\n", sha256_hex(&lock_bytes));
    let mut files: Vec<(String, Option<String>)> = Vec::new();
    let configs = root.join("configs");
    let mut cfg = Vec::new();
    if walk(&configs, Path::new(""), &mut cfg).is_none() {
        let _ = std::fs::remove_file(&tmp);
        return;
    }
    // The build already hashed its inputs (the lock has their digests); only other files under
    // configs/ (not imported, demo keys, notes) are read here.
    let known: std::collections::HashMap<&str, &str> = lock
        .inputs
        .iter()
        .map(|i| (i.path.as_str(), i.sha256.as_str()))
        .collect();
    for f in cfg {
        let Ok(rel) = f.strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let sha = known.get(rel.as_str()).map(|s| s.to_string());
        files.push((rel, sha));
    }
    files.push((
        format!("out/{}", hlc_out::LOCK_FILE),
        Some(sha256_hex(&lock_bytes)),
    ));
    for a in &lock.artifacts {
        files.push((format!("out/{}", a.path.as_str()), Some(a.sha256.clone())));
    }
    for (rel, sha) in files {
        let p = root.join(&rel);
        let Some(st) = file_stat(&p) else {
            let _ = std::fs::remove_file(&tmp);
            return;
        };
        let sha = match sha {
            Some(s) => s,
            None => match std::fs::read(&p) {
                Ok(b) => sha256_hex(&b),
                Err(_) => {
                    let _ = std::fs::remove_file(&tmp);
                    return;
                }
            },
        };
        let racy = u8::from(st.mtime >= now || st.ctime >= now);
        text.push_str(&format!(
            "F {} {} {} {} {racy} {sha} {rel}\n",
            st.size, st.mtime, st.ctime, st.ino
        ));
    }
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Forgets the stamp (before a build that may change `out/`).
pub fn forget(root: &Path) {
    if let Some(p) = stamp_path(root) {
        let _ = std::fs::remove_file(p);
    }
}

pub(crate) fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("HLC_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("hlc")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("hlc")))
}

fn stamp_path(root: &Path) -> Option<PathBuf> {
    let canonical = root.canonicalize().ok()?;
    let key = sha256_hex(canonical.to_string_lossy().as_bytes());
    Some(cache_dir()?.join(format!("noop-{key}")))
}

/// This executable: path, size and modification time.
pub(crate) fn exe_id() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{}|{}|{}.{:09}",
        exe.display(),
        meta.len(),
        mtime.as_secs(),
        mtime.subsec_nanos()
    ))
}

/// The inputs as `hlc build` would record them, with every regular file under `configs/`
/// (except `configs/secrets/`) standing for the config sources; `None` on a symlink or an
/// unreadable file.
fn current_inputs(root: &Path) -> Option<Vec<Input>> {
    let configs = root.join("configs");
    let mut files = Vec::new();
    walk(&configs, &configs.join("secrets"), &mut files)?;
    let mut records = Vec::with_capacity(files.len());
    for f in files {
        let bytes = std::fs::read(&f).ok()?;
        let rel = f
            .strip_prefix(root)
            .ok()?
            .to_string_lossy()
            .replace('\\', "/");
        let input = Input::from_bytes(rel, InputKind::Config, &bytes);
        records.push(SourceRecord {
            display: input.path,
            kind: SourceKind::Config,
            sha256: input.sha256,
        });
    }
    project::inputs(root, &records).ok()
}

fn walk(dir: &Path, skip: &Path, out: &mut Vec<PathBuf>) -> Option<()> {
    for e in std::fs::read_dir(dir).ok()? {
        let e = e.ok()?;
        let path = e.path();
        let t = e.file_type().ok()?;
        if t.is_dir() {
            if path != skip {
                walk(&path, skip, out)?;
            }
        } else if t.is_file() {
            out.push(path);
        } else {
            return None;
        }
    }
    Some(())
}
