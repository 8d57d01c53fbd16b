//! Crash simulation: fail `apply` after k filesystem operations for every k, then check the
//! intermediate state is flagged and the next build restores exactly the expected tree.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use hlc_out::{apply_with_fault, plan, verify, Artifact, DriftKind, Input, Lock, LOCK_FILE};

fn old_build() -> Vec<Artifact> {
    vec![
        art("inventory.json", "{\"v\": 1}\n", "inventory"), // updated
        art("docs/architecture.md", "same\n", "docs"),      // unchanged
        art("docs/gone.md", "bye\n", "docs"),               // removed, foreign sibling stays
        art("talos/prod/cp-1.yaml", "cp\n", "talos"),       // removed, dirs pruned
        art("misc", "was a file\n", "docs"),                // file becomes a directory
    ]
}

fn new_build() -> Vec<Artifact> {
    vec![
        art("inventory.json", "{\"v\": 2}\n", "inventory"),
        art("docs/architecture.md", "same\n", "docs"),
        art("clusters/prod/apps/root.yaml", "root\n", "argocd"), // created, nested
        art("clusters/prod/ns.yaml", "ns\n", "argocd"),
        art("misc/inner.txt", "now a dir\n", "docs"),
    ]
}

/// A third build, used to crash a second time with other contents before recovering.
fn other_build() -> Vec<Artifact> {
    vec![
        art("inventory.json", "{\"v\": 3}\n", "inventory"),
        art("other/x.md", "x\n", "docs"),
    ]
}

fn foreign(out: &Path) {
    write(&out.join("README.md"), "foreign\n");
    write(&out.join("docs/notes.txt"), "foreign\n");
}

fn setup(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("out");
    build(&out, old_build(), inputs("old")).unwrap();
    foreign(&out);
    out
}

fn files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    snapshot(out)
}

/// The tree a clean build of `arts` gives next to the foreign files.
fn expected(arts: Vec<Artifact>, ins: Vec<Input>) -> BTreeMap<String, Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    foreign(&out);
    build(&out, arts, ins).unwrap();
    files(&out)
}

#[test]
fn a_crash_after_any_number_of_operations_is_flagged_and_recovered() {
    let want = expected(new_build(), inputs("new"));
    let old_tmp = tempfile::tempdir().unwrap();
    let old_state = files(&setup(old_tmp.path()));
    let old_lock = old_state[LOCK_FILE].clone();
    let new_lock = want[LOCK_FILE].clone();

    let mut crashed = 0;
    for k in 0.. {
        let tmp = tempfile::tempdir().unwrap();
        let out = setup(tmp.path());
        let p = plan(&out, new_build(), inputs("new"), VERSION).unwrap();
        if apply_with_fault(p, k).is_ok() {
            assert_eq!(files(&out), want, "k={k}: a complete run gives the tree");
            break;
        }
        crashed += 1;
        let state = files(&out);
        assert_eq!(state["README.md"], b"foreign\n", "k={k}");
        assert_eq!(state["docs/notes.txt"], b"foreign\n", "k={k}");

        // The lock is either the old one or the new one with every file present.
        let lock_now = &state[LOCK_FILE];
        if *lock_now == new_lock {
            let d = verify(&out, &inputs("new")).unwrap();
            assert!(
                d.iter().all(|d| d.kind == DriftKind::Interrupted),
                "k={k}: new lock but {d:#?}"
            );
        } else {
            assert_eq!(*lock_now, old_lock, "k={k}");
            // Anything that differs from the old build is flagged by `hlc check`.
            let clean_state: BTreeMap<_, _> = state
                .iter()
                .filter(|(k, _)| !k.rsplit('/').next().is_some_and(hlc_out::is_temp_name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let d = verify(&out, &inputs("old")).unwrap();
            if clean_state != old_state {
                assert!(!d.is_empty(), "k={k}: a half-written out/ must be flagged");
            }
        }

        // The next build restores exactly the expected tree.
        let r = build(&out, new_build(), inputs("new")).unwrap();
        assert_eq!(files(&out), want, "k={k}: recovery");
        assert!(no_temps(&out));
        assert!(verify(&out, &inputs("new")).unwrap().is_empty(), "k={k}");
        // And a build after that is a no-op.
        let again = build(&out, new_build(), inputs("new")).unwrap();
        assert!(
            !again.lock_written && again.created.is_empty(),
            "k={k}: {r:?}"
        );
    }
    eprintln!("simulated {crashed} crash points");
    assert!(
        crashed > 15,
        "the fault must hit many points, hit {crashed}"
    );
}

#[test]
fn two_crashes_with_different_builds_then_recovery() {
    let want = expected(new_build(), inputs("new"));
    let mut cases = 0;
    for k in (0..40).step_by(3) {
        for j in [0, 2, 4, 7, 11] {
            let tmp = tempfile::tempdir().unwrap();
            let out = setup(tmp.path());
            let p = plan(&out, new_build(), inputs("new"), VERSION).unwrap();
            if apply_with_fault(p, k).is_ok() {
                continue;
            }
            let p = plan(&out, other_build(), inputs("other"), VERSION).unwrap();
            let _ = apply_with_fault(p, j);
            build(&out, new_build(), inputs("new")).unwrap_or_else(|e| panic!("k={k} j={j}: {e}"));
            assert_eq!(files(&out), want, "k={k} j={j}");
            assert!(verify(&out, &inputs("new")).unwrap().is_empty());
            cases += 1;
        }
    }
    assert!(cases > 20, "{cases}");
}

#[test]
fn a_file_edited_after_a_crash_is_not_adopted() {
    // A file created by an interrupted build and then changed by someone is not hlc's any more.
    let tmp = tempfile::tempdir().unwrap();
    let out = setup(tmp.path());
    let lock_before = std::fs::read(out.join(LOCK_FILE)).unwrap();
    let mut k = 0;
    loop {
        let t = tempfile::tempdir().unwrap();
        let o = setup(t.path());
        let p = plan(&o, new_build(), inputs("new"), VERSION).unwrap();
        assert!(apply_with_fault(p, k).is_err());
        if o.join("clusters/prod/ns.yaml").exists() {
            break;
        }
        k += 1;
    }
    let p = plan(&out, new_build(), inputs("new"), VERSION).unwrap();
    assert!(apply_with_fault(p, k).is_err());
    assert_eq!(std::fs::read(out.join(LOCK_FILE)).unwrap(), lock_before);
    write(
        &out.join("clusters/prod/ns.yaml"),
        "edited after the crash\n",
    );
    let p = plan(&out, new_build(), inputs("new"), VERSION).unwrap();
    assert_eq!(p.conflicts().len(), 1);
    assert_eq!(p.conflicts()[0].path, "clusters/prod/ns.yaml");
    let _ = Lock::from_json(&lock_before).unwrap();
}
