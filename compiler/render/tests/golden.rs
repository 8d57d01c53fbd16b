//! Golden tests: every case under `tests/golden/<case>/` is rendered and compared, file by file,
//! with `tests/golden/<case>/out/`; `out/artifacts.txt` records each artifact's target and
//! sources. Run with `HLC_BLESS=1` to (re)write the expected files, then review the diff.
#![allow(clippy::disallowed_methods)] // tests read and write their golden files

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.insert(rel.to_path_buf());
            }
        }
    }
    out
}

#[test]
fn golden_cases() {
    let bless = std::env::var_os("HLC_BLESS").is_some_and(|v| v == "1");
    let cases = common::cases();
    assert!(cases.len() >= 2, "golden cases missing");
    let mut failures = Vec::new();
    for case in cases {
        let artifacts = hlc_render::render(&case.lab, &case.ctx).expect("render");
        let out = case.dir.join("out");
        let mut expected: Vec<(PathBuf, Vec<u8>)> = artifacts
            .iter()
            .map(|a| (PathBuf::from(a.path.as_str()), a.contents.clone()))
            .collect();
        let mut manifest = String::new();
        for a in &artifacts {
            manifest.push_str(&format!(
                "{}\ttarget={}\tsources={}\n",
                a.path.as_str(),
                a.target,
                a.sources.join(",")
            ));
        }
        expected.push((PathBuf::from("artifacts.txt"), manifest.into_bytes()));
        let produced: BTreeSet<PathBuf> = expected.iter().map(|(p, _)| p.clone()).collect();
        let existing = files_under(&out);
        if bless {
            for stale in existing.difference(&produced) {
                std::fs::remove_file(out.join(stale)).expect("remove stale golden file");
            }
            for (p, bytes) in &expected {
                let full = out.join(p);
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent).expect("mkdir");
                }
                if std::fs::read(&full).ok().as_deref() != Some(bytes.as_slice()) {
                    std::fs::write(&full, bytes).expect("write golden file");
                }
            }
            continue;
        }
        for extra in existing.difference(&produced) {
            failures.push(format!(
                "{}: {} is no longer produced",
                case.name,
                extra.display()
            ));
        }
        for (p, bytes) in &expected {
            match std::fs::read(out.join(p)) {
                Err(_) => failures.push(format!("{}: {} is missing", case.name, p.display())),
                Ok(old) if old != *bytes => {
                    let old = String::from_utf8_lossy(&old);
                    let new = String::from_utf8_lossy(bytes);
                    let first = old
                        .lines()
                        .zip(new.lines())
                        .position(|(a, b)| a != b)
                        .unwrap_or(old.lines().count().min(new.lines().count()));
                    failures.push(format!(
                        "{}: {} differs from line {}:\n  expected: {:?}\n  actual:   {:?}",
                        case.name,
                        p.display(),
                        first + 1,
                        old.lines().nth(first).unwrap_or("<eof>"),
                        new.lines().nth(first).unwrap_or("<eof>"),
                    ));
                }
                Ok(_) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "golden files differ (rerun with HLC_BLESS=1 and review the diff):\n{}",
        failures.join("\n")
    );
}
