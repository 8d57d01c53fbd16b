//! The evaluation cache: a project whose sources did not change is not evaluated again.
//!
//! Evaluating the configuration (Nickel, the `Lab` contract, the lab's own rules) is the largest
//! part of `hlc check` and of a build into an empty `out/`. Its result is a pure function of the
//! files the sandbox admitted and of the executable, so after each successful evaluation hlc
//! stores the evaluated tree (positions included) under a key made of
//!
//! * this executable (path, size and modification time, as the no-op fast path), and
//! * [`hlc_eval::Loaded::digest`]: every admitted file's virtual path, format, load order and
//!   content — the project's files and the embedded library's.
//!
//! and the next run that loads the same sources takes the tree from there and goes on with
//! decoding, checking and rendering as usual: every rule still runs, every warning is still
//! printed, `out/` is still rendered and verified. Only evaluations without errors are stored
//! (a failing one is re-run so that its diagnostics are always current).
//!
//! One entry per project (the last evaluation), in the cache directory of the fast path
//! (`$HLC_CACHE_DIR`, else `$XDG_CACHE_HOME/hlc`, else `$HOME/.cache/hlc`), named
//! `eval-<sha256 of the project's canonical path>`. An entry that cannot be read, is for other
//! sources, or does not decode is ignored and replaced. Deleting it is always safe;
//! `HLC_EVAL_CACHE=off` turns the cache off.

use crate::fastpath;
use hlc_diag::{codec, Node};
use hlc_out::sha256_hex;
use std::io::Write;
use std::path::{Path, PathBuf};

const HEADER: &str = "hlc-eval-cache 1";

/// The key of `digest` (from [`hlc_eval::Loaded::digest`]) for this executable, when the cache
/// is on and has a home.
pub fn key(digest: Option<String>) -> Option<String> {
    if std::env::var_os("HLC_EVAL_CACHE").is_some_and(|v| v == "off") {
        return None;
    }
    let exe = fastpath::exe_id()?;
    Some(sha256_hex(
        format!("{HEADER}\n{exe}\n{}", digest?).as_bytes(),
    ))
}

/// The tree stored for `key`, if any.
pub fn get(root: &Path, key: &str) -> Option<Node> {
    let bytes = std::fs::read(entry_path(root)?).ok()?;
    let rest = bytes.strip_prefix(format!("{HEADER}\n{key}\n").as_bytes())?;
    codec::decode(rest)
}

/// Stores `node` for `key`, replacing the project's previous entry. Failures are ignored (the
/// cache is an optimisation): the entry is written to a temp file and renamed into place, so a
/// reader sees a whole entry or none.
pub fn put(root: &Path, key: &str, node: &Node) {
    let Some(path) = entry_path(root) else {
        return;
    };
    let Some(dir) = path.parent() else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
        return;
    };
    let ok = tmp
        .write_all(format!("{HEADER}\n{key}\n").as_bytes())
        .and_then(|()| tmp.write_all(&codec::encode(node)))
        .is_ok();
    if ok {
        let _ = tmp.persist(&path);
    }
}

fn entry_path(root: &Path) -> Option<PathBuf> {
    let canonical = root.canonicalize().ok()?;
    let name = sha256_hex(canonical.to_string_lossy().as_bytes());
    Some(fastpath::cache_dir()?.join(format!("eval-{name}")))
}
