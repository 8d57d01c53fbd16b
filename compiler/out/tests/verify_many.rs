//! `verify` on a tree large enough to be read on several threads: every kind of drift is found,
//! in lock order.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::*;
use hlc_out::{verify, Drift, DriftKind};

#[test]
fn drift_across_a_large_tree_is_reported_in_lock_order() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let arts: Vec<_> = (0..1500)
        .map(|i| {
            art(
                &format!("apps/d{:02}/f{i:04}.yaml", i % 37),
                &format!("n: {i}\n"),
                "apps",
            )
        })
        .collect();
    build(&out, arts, inputs("v1")).unwrap();
    assert!(verify(&out, &inputs("v1")).unwrap().is_empty());
    // Damage spread over the whole lock: the first, some in the middle, the last.
    fs::write(out.join("apps/d00/f0000.yaml"), "n: -1\n").unwrap();
    fs::remove_file(out.join("apps/d10/f0750.yaml")).unwrap();
    fs::remove_file(out.join("apps/d36/f1479.yaml")).unwrap();
    symlink("/etc/hostname", out.join("apps/d36/f1479.yaml")).unwrap();
    fs::write(out.join("apps/d19/f1499.yaml"), "n: 1499\n# edited\n").unwrap();
    let d = verify(&out, &inputs("v1")).unwrap();
    let got: Vec<(&str, &str)> = d
        .iter()
        .map(|x| {
            let kind = match x.kind {
                DriftKind::FileModified { .. } => "modified",
                DriftKind::FileMissing => "missing",
                DriftKind::FileNotRegular => "not regular",
                _ => "other",
            };
            (x.path.as_str(), kind)
        })
        .collect();
    // The lock lists paths sorted.
    let mut want = vec![
        ("apps/d00/f0000.yaml", "modified"),
        ("apps/d10/f0750.yaml", "missing"),
        ("apps/d36/f1479.yaml", "not regular"),
        ("apps/d19/f1499.yaml", "modified"),
    ];
    want.sort();
    assert_eq!(got, want);
    assert!(d.iter().all(|x: &Drift| x.path.starts_with("apps/")));
}
