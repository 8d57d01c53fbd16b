//! The project on disk: finding the root, and hashing the build's inputs for the lock.

use hlc_eval::{SourceKind, SourceRecord};
use hlc_out::{Input, InputKind};
use std::path::{Path, PathBuf};

pub const MAIN: &str = "configs/main.ncl";

/// `--root`, or the nearest ancestor of the current directory holding `configs/main.ncl`.
pub fn find_root(explicit: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(r) = explicit {
        if !r.join(MAIN).is_file() {
            return Err(format!(
                "{} has no {MAIN}\n  = help: pass the directory that holds configs/main.ncl, or create one with `hlc init`",
                r.display()
            ));
        }
        return Ok(r);
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    for dir in cwd.ancestors() {
        if dir.join(MAIN).is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    Err(format!(
        "no {MAIN} in {} or any parent directory\n  = help: run hlc inside a project, or pass --root DIR",
        cwd.display()
    ))
}

/// The inputs of a build: every loaded config source, the embedded library, and every file under
/// `configs/secrets/` (hashed as stored, i.e. encrypted).
pub fn inputs(root: &Path, records: &[SourceRecord]) -> Result<Vec<Input>, String> {
    let mut out: Vec<Input> = records
        .iter()
        .filter(|r| r.kind == SourceKind::Config)
        .map(|r| Input {
            path: r.display.clone(),
            kind: InputKind::Config,
            sha256: r.sha256.clone(),
        })
        .collect();
    out.push(Input {
        path: "<hlc>/lib".into(),
        kind: InputKind::Library,
        sha256: hlc_eval::library_digest(),
    });
    let secrets = root.join("configs/secrets");
    if secrets.is_dir() {
        let mut files = Vec::new();
        walk(&secrets, &mut files)
            .map_err(|e| format!("cannot read {}: {e}", secrets.display()))?;
        for f in files {
            let bytes =
                std::fs::read(&f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            let rel = f
                .strip_prefix(root)
                .unwrap_or(&f)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(Input::from_bytes(rel, InputKind::Secret, &bytes));
        }
    }
    Ok(out)
}

/// Every regular file under `dir`, sorted, not following symbolic links.
pub fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let t = e.file_type()?;
        if t.is_dir() {
            walk(&e.path(), out)?;
        } else if t.is_file() {
            out.push(e.path());
        }
    }
    Ok(())
}
