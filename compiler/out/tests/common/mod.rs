//! Helpers shared by the integration tests: real files in temp dirs.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use hlc_out::{apply, plan, Artifact, Input, InputKind, OutError, Report};

pub const VERSION: &str = "0.1.0-test";

pub fn art(path: &str, contents: &str, target: &str) -> Artifact {
    Artifact::new(path, contents, target, [format!("src.{target}")]).unwrap()
}

pub fn inputs(main: &str) -> Vec<Input> {
    vec![
        Input::from_bytes("configs/main.ncl", InputKind::Config, main.as_bytes()),
        Input::from_bytes("lib/hlc.ncl", InputKind::Library, b"lib"),
    ]
}

pub fn build(out: &Path, arts: Vec<Artifact>, ins: Vec<Input>) -> Result<Report, OutError> {
    apply(plan(out, arts, ins, VERSION)?)
}

/// Every regular file (relative path → bytes) and every symlink (→ "-> target") under `dir`,
/// without following links.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    walk(dir, dir, &mut m);
    m
}

fn walk(root: &Path, dir: &Path, m: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd {
        let e = e.unwrap();
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let t = e.file_type().unwrap();
        if t.is_symlink() {
            let target = fs::read_link(&p).unwrap();
            m.insert(rel, format!("-> {}", target.display()).into_bytes());
        } else if t.is_dir() {
            walk(root, &p, m);
        } else {
            m.insert(rel, fs::read(&p).unwrap());
        }
    }
}

/// (inode, mtime ns) of every regular file under `dir`.
pub fn stats(dir: &Path) -> BTreeMap<String, (u64, i64, i64)> {
    snapshot(dir)
        .keys()
        .map(|k| {
            let md = fs::symlink_metadata(dir.join(k)).unwrap();
            (k.clone(), (md.ino(), md.mtime(), md.mtime_nsec()))
        })
        .collect()
}

pub fn write(path: &Path, contents: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

pub fn no_temps(out: &Path) -> bool {
    snapshot(out)
        .keys()
        .all(|k| !k.rsplit('/').next().is_some_and(hlc_out::is_temp_name))
}
