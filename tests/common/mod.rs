//! Helpers shared by the integration tests: running the real binary, locating the repository.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn hlc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hlc"));
    // The no-op stamps and evaluation cache of test projects stay out of the user's cache.
    c.env("NO_COLOR", "1")
        .env(
            "HLC_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("hlc-cache"),
        )
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_FILE");
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str], root: &Path) -> Run {
    let out: Output = hlc()
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("hlc runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn bless() -> bool {
    std::env::var_os("HLC_BLESS").is_some_and(|v| v == "1")
}

/// Compares `actual` with the golden file, or rewrites it under `HLC_BLESS=1`.
pub fn golden(path: &Path, actual: &str) -> Result<(), String> {
    if bless() {
        std::fs::write(path, actual).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(path).map_err(|_| {
        format!(
            "{} is missing: run with HLC_BLESS=1 to create it",
            path.display()
        )
    })?;
    if expected != actual {
        return Err(format!(
            "{} differs (run with HLC_BLESS=1 to accept, then review the diff):\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        ));
    }
    Ok(())
}

/// Copies a directory tree (symlinks are copied as symlinks).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        let dest = to.join(e.file_name());
        if t.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), dest).unwrap();
        } else if t.is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

pub fn case_dirs(kind: &str) -> Vec<PathBuf> {
    let dir = repo().join("tests/cases").join(kind);
    let mut v: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("configs").is_dir())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}
