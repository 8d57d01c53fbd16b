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
//! The stamp lives outside the project, in `$HLC_CACHE_DIR`, else `$XDG_CACHE_HOME/hlc`, else
//! `$HOME/.cache/hlc`, named after the sha256 of the project's canonical path. Without any of
//! these there is no fast path. Deleting it is always safe.

use crate::project;
use hlc_eval::{SourceKind, SourceRecord};
use hlc_out::{sha256_hex, Input, InputKind};
use std::path::{Path, PathBuf};

const STAMP_FORMAT: &str = "hlc-noop-stamp 1";

/// The number of files in `out/` when the fast path applies, `None` when a full build is needed.
pub fn up_to_date(root: &Path, version: &str) -> Option<usize> {
    let stamp = std::fs::read_to_string(stamp_path(root)?).ok()?;
    let mut lines = stamp.lines();
    if lines.next()? != STAMP_FORMAT || lines.next()? != exe_id()? {
        return None;
    }
    let out = root.join("out");
    let lock_bytes = std::fs::read(out.join(hlc_out::LOCK_FILE)).ok()?;
    if lines.next()? != sha256_hex(&lock_bytes) {
        return None;
    }
    let lock = hlc_out::Lock::from_json(&lock_bytes).ok()?;
    if lock.compiler != version {
        return None;
    }
    let inputs = current_inputs(root)?;
    let drift = hlc_out::verify(&out, &inputs).ok()?;
    drift.is_empty().then_some(lock.artifacts.len())
}

/// After a successful full build: remember the lock it left, for the next no-op rebuild.
/// Failing to write the stamp only costs the next build its fast path.
pub fn record(root: &Path) {
    let (Some(path), Some(exe)) = (stamp_path(root), exe_id()) else {
        return;
    };
    let Ok(lock_bytes) = std::fs::read(root.join("out").join(hlc_out::LOCK_FILE)) else {
        return;
    };
    let text = format!("{STAMP_FORMAT}\n{exe}\n{}\n", sha256_hex(&lock_bytes));
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
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

fn cache_dir() -> Option<PathBuf> {
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
fn exe_id() -> Option<String> {
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
