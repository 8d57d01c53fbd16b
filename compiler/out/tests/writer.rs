//! plan / apply / check / verify on a real filesystem.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::*;
use hlc_out::{
    apply, check, plan, verify, Artifact, ArtifactPath, ConflictReason, Drift, DriftKind, Input,
    InputKind, Lock, OutError, JOURNAL_FILE, LOCK_FILE,
};

fn base() -> Vec<Artifact> {
    vec![
        art("inventory.json", "{\"hosts\": []}\n", "inventory"),
        art("docs/architecture.md", "# Architecture\n", "docs"),
        art("talos/prod/cp-1.yaml", "machine: {}\n", "talos"),
    ]
}

#[test]
fn first_build_creates_all_and_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = build(&out, base(), inputs("v1")).unwrap();
    assert_eq!(r.created.len(), 3);
    assert!(r.updated.is_empty() && r.removed.is_empty());
    assert!(r.lock_written);
    let snap = snapshot(&out);
    assert_eq!(
        snap.keys().cloned().collect::<Vec<_>>(),
        vec![
            "docs/architecture.md",
            "hlc.lock",
            "inventory.json",
            "talos/prod/cp-1.yaml"
        ]
    );
    assert_eq!(snap["docs/architecture.md"], b"# Architecture\n");
    let lock = Lock::from_json(&snap["hlc.lock"]).unwrap();
    assert_eq!(lock.artifacts.len(), 3);
    assert_eq!(lock.artifacts[0].path.as_str(), "docs/architecture.md");
    assert_eq!(
        lock.artifacts[0].sha256,
        hlc_out::sha256_hex(b"# Architecture\n")
    );
    assert_eq!(lock.artifacts[0].target, "docs");
    assert_eq!(lock.artifacts[0].sources, vec!["src.docs"]);
    assert_eq!(lock.compiler, VERSION);
    assert_eq!(lock.inputs_digest, hlc_out::inputs_digest(&inputs("v1")));
    assert!(verify(&out, &inputs("v1")).unwrap().is_empty());
}

#[test]
fn second_identical_build_rewrites_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    let before = stats(&out);
    let snap = snapshot(&out);
    std::thread::sleep(std::time::Duration::from_millis(20));

    let p = plan(&out, base(), inputs("v1"), VERSION).unwrap();
    assert!(p.is_up_to_date());
    assert!(check(&p).is_empty());
    let r = apply(p).unwrap();
    assert!(r.created.is_empty() && r.updated.is_empty() && r.removed.is_empty());
    assert_eq!(r.unchanged, 3);
    assert!(!r.lock_written);
    assert_eq!(stats(&out), before, "inode or mtime changed");
    assert_eq!(snapshot(&out), snap);
}

#[test]
fn changing_one_artifact_rewrites_only_it_and_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    let before = stats(&out);
    let mut arts = base();
    arts[1].contents = b"# Architecture v2\n".to_vec();
    let r = build(&out, arts, inputs("v2")).unwrap();
    assert_eq!(
        r.updated,
        vec![ArtifactPath::new("docs/architecture.md").unwrap()]
    );
    assert!(r.created.is_empty() && r.removed.is_empty());
    assert!(r.lock_written);
    let after = stats(&out);
    for (k, v) in &before {
        if k == "docs/architecture.md" || k == LOCK_FILE {
            assert_ne!(&after[k], v, "{k} should have been rewritten");
        } else {
            assert_eq!(&after[k], v, "{k} should not have been touched");
        }
    }
    assert_eq!(
        fs::read(out.join("docs/architecture.md")).unwrap(),
        b"# Architecture v2\n"
    );
    assert!(verify(&out, &inputs("v2")).unwrap().is_empty());
}

#[test]
fn dropped_artifacts_are_removed_and_foreign_files_survive() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut arts = base();
    arts.push(art("docs/extra.md", "extra\n", "docs"));
    build(&out, arts, inputs("v1")).unwrap();
    // Foreign files: at the top, inside a directory hlc shares, inside one it fully created.
    write(&out.join("README.md"), "mine\n");
    write(&out.join("docs/notes.txt"), "mine too\n");
    write(&out.join("talos/prod/.keep"), "keep\n");

    // Drop everything under docs/ and talos/.
    let arts = vec![art("inventory.json", "{\"hosts\": []}\n", "inventory")];
    let r = build(&out, arts, inputs("v2")).unwrap();
    let mut removed: Vec<_> = r.removed.iter().map(|p| p.to_string()).collect();
    removed.sort();
    assert_eq!(
        removed,
        vec![
            "docs/architecture.md",
            "docs/extra.md",
            "talos/prod/cp-1.yaml"
        ]
    );
    let snap = snapshot(&out);
    assert_eq!(
        snap.keys().cloned().collect::<Vec<_>>(),
        vec![
            "README.md",
            "docs/notes.txt",
            "hlc.lock",
            "inventory.json",
            "talos/prod/.keep"
        ]
    );
    assert_eq!(snap["talos/prod/.keep"], b"keep\n");

    // Without the foreign file, a directory emptied by a removal goes too.
    fs::remove_file(out.join("talos/prod/.keep")).unwrap();
    build(&out, base(), inputs("v3")).unwrap();
    build(
        &out,
        vec![art("inventory.json", "{}\n", "inventory")],
        inputs("v4"),
    )
    .unwrap();
    assert!(
        !out.join("talos").exists(),
        "emptied directories are pruned"
    );
    assert!(out.join("docs/notes.txt").exists());
    assert!(out.join("README.md").exists());
}

#[test]
fn conflict_with_a_foreign_file_is_an_error_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&out.join("docs/architecture.md"), "hand-written\n");
    let before = snapshot(&out);

    let p = plan(&out, base(), inputs("v1"), VERSION).unwrap();
    assert_eq!(p.conflicts().len(), 1);
    assert_eq!(p.conflicts()[0].path, "docs/architecture.md");
    assert_eq!(p.conflicts()[0].reason, ConflictReason::ForeignFile);
    let err = apply(p).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, OutError::Conflicts { .. }), "{err:?}");
    assert!(msg.contains("docs/architecture.md"), "{msg}");
    assert!(msg.contains("hlc never wrote it"), "{msg}");
    assert!(msg.contains("nothing was written"), "{msg}");
    assert_eq!(snapshot(&out), before, "nothing may be written");

    // Also when a lock exists but does not own the path.
    fs::remove_file(out.join("docs/architecture.md")).unwrap();
    build(&out, base(), inputs("v1")).unwrap();
    write(&out.join("new.txt"), "foreign\n");
    let before = snapshot(&out);
    let mut arts = base();
    arts.push(art("new.txt", "generated\n", "docs"));
    arts[0].contents = b"changed\n".to_vec();
    assert!(matches!(
        build(&out, arts, inputs("v2")),
        Err(OutError::Conflicts { .. })
    ));
    assert_eq!(snapshot(&out), before);
}

#[test]
fn symlinks_inside_out_are_refused_and_their_targets_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap();
    write(&outside.path().join("victim.json"), "precious\n");

    // A directory link: out/docs -> outside.
    symlink(outside.path(), out.join("docs")).unwrap();
    // A file link: out/inventory.json -> outside/victim.json.
    symlink(
        outside.path().join("victim.json"),
        out.join("inventory.json"),
    )
    .unwrap();
    let before_out = snapshot(&out);
    let before_outside = snapshot(outside.path());

    let p = plan(&out, base(), inputs("v1"), VERSION).unwrap();
    let reasons: Vec<_> = p
        .conflicts()
        .iter()
        .map(|c| (c.path.as_str(), c.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                "docs/architecture.md",
                ConflictReason::Symlink { at: "docs".into() }
            ),
            (
                "inventory.json",
                ConflictReason::Symlink {
                    at: "inventory.json".into()
                }
            ),
        ]
    );
    let err = apply(p).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(snapshot(&out), before_out);
    assert_eq!(snapshot(outside.path()), before_outside);
    assert!(
        !out.join("talos").exists(),
        "nothing written, not even dirs"
    );
}

#[test]
fn removal_through_a_symlinked_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    // Someone replaces out/docs with a link to a directory holding a file of the same name.
    fs::remove_dir_all(out.join("docs")).unwrap();
    write(&outside.path().join("architecture.md"), "outside\n");
    symlink(outside.path(), out.join("docs")).unwrap();

    let arts = vec![art("inventory.json", "{\"hosts\": []}\n", "inventory")];
    let err = build(&out, arts, inputs("v2")).unwrap_err();
    assert!(matches!(err, OutError::Conflicts { .. }), "{err}");
    assert_eq!(
        fs::read(outside.path().join("architecture.md")).unwrap(),
        b"outside\n"
    );
    // verify reports the link.
    let d = verify(&out, &inputs("v1")).unwrap();
    assert!(d.contains(&Drift {
        path: "docs/architecture.md".into(),
        kind: DriftKind::FileNotRegular
    }));
}

#[test]
fn out_dir_itself_must_not_be_a_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    fs::create_dir(&real).unwrap();
    let out = tmp.path().join("out");
    symlink(&real, &out).unwrap();
    let err = plan(&out, base(), inputs("v1"), VERSION).unwrap_err();
    assert!(matches!(err, OutError::OutDirNotADirectory { .. }), "{err}");
    assert!(snapshot(&real).is_empty());
}

#[test]
fn escaping_paths_are_refused() {
    for p in [
        "../x",
        "docs/../../x",
        "/etc/passwd",
        "a\\b",
        "",
        "a//b",
        "hlc.lock",
    ] {
        assert!(Artifact::new(p, "x", "t", ["s"]).is_err(), "{p:?}");
    }
    // A hand-edited lock naming ../ is refused, so nothing outside out/ is ever removed.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&tmp.path().join("victim"), "precious\n");
    write(
        &out.join(LOCK_FILE),
        r#"{"format":1,"compiler":"0","inputs_digest":"","inputs":[],
           "artifacts":[{"path":"../victim","sha256":"","target":"x","sources":[]}]}"#,
    );
    let err = plan(&out, base(), inputs("v1"), VERSION).unwrap_err();
    assert!(matches!(err, OutError::LockInvalid { .. }), "{err}");
    assert!(err.to_string().contains("hlc.lock"), "{err}");
    assert!(tmp.path().join("victim").exists());
}

#[test]
fn duplicates_and_file_directory_clashes_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut arts = base();
    arts.push(art("inventory.json", "other\n", "other"));
    let err = plan(&out, arts, inputs("v1"), VERSION).unwrap_err();
    assert!(
        matches!(&err, OutError::DuplicateArtifact { path, .. } if path == "inventory.json"),
        "{err}"
    );
    let arts = vec![art("a", "x", "t"), art("a/b", "y", "t")];
    assert!(matches!(
        plan(&out, arts, inputs("v1"), VERSION),
        Err(OutError::FileDirectoryClash { .. })
    ));
    let mut ins = inputs("v1");
    ins.push(Input::from_bytes(
        "configs/main.ncl",
        InputKind::Config,
        b"other",
    ));
    assert!(matches!(
        plan(&out, base(), ins, VERSION),
        Err(OutError::DuplicateInput { .. })
    ));
    assert!(!out.exists(), "planning writes nothing");
}

#[test]
fn unknown_lock_format_is_a_typed_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    write(&out.join(LOCK_FILE), "{\"format\": 7}\n");
    let err = plan(&out, base(), inputs("v1"), VERSION).unwrap_err();
    assert!(
        matches!(err, OutError::UnsupportedLockFormat { found: 7, .. }),
        "{err}"
    );
    assert!(matches!(
        verify(&out, &inputs("v1")),
        Err(OutError::UnsupportedLockFormat { found: 7, .. })
    ));
}

/// Makes `dir` unwritable even for root: chmod 0555, and `chattr +i` when running as root
/// (root ignores mode bits). Returns false if neither works.
fn make_read_only(dir: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
    let probe = dir.join("probe");
    if fs::write(&probe, "x").is_err() {
        return true;
    }
    let _ = fs::remove_file(&probe);
    std::process::Command::new("chattr")
        .arg("+i")
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
        && fs::write(&probe, "x").is_err()
}

fn make_writable(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(dir)
        .status();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn read_only_out_gives_an_io_error_and_the_lock_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    let lock_before = fs::read(out.join(LOCK_FILE)).unwrap();
    let before = snapshot(&out);
    let mut arts = base();
    arts.push(art("new.md", "new\n", "docs"));
    arts[0].contents = b"changed\n".to_vec();
    let p = plan(&out, arts, inputs("v2"), VERSION).unwrap();
    let result = if make_read_only(&out) {
        let r = apply(p);
        make_writable(&out);
        r
    } else {
        // Neither mode bits nor the immutable attribute hold here: simulate EROFS at the first
        // mutation instead.
        eprintln!("note: cannot make a directory read-only here; injecting the failure");
        hlc_out::apply_with_fault(p, 0)
    };
    let err = result.unwrap_err();
    assert!(matches!(err, OutError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("out"), "{err}");
    assert_eq!(fs::read(out.join(LOCK_FILE)).unwrap(), lock_before);
    let after: std::collections::BTreeMap<_, _> = snapshot(&out)
        .into_iter()
        .filter(|(k, _)| !hlc_out::is_temp_name(k))
        .collect();
    assert_eq!(after, before);
    // And the next build (writable again) succeeds.
    let mut arts = base();
    arts[0].contents = b"changed\n".to_vec();
    build(&out, arts, inputs("v2")).unwrap();
    assert!(verify(&out, &inputs("v2")).unwrap().is_empty());
}

#[test]
fn stale_temp_files_are_cleaned_and_look_alikes_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    write(
        &out.join(".inventory.json.hlc-tmp-0123456789abcdef"),
        "partial",
    );
    write(
        &out.join("talos/prod/.cp-1.yaml.hlc-tmp-fedcba9876543210"),
        "part",
    );
    write(
        &out.join("foreign/.x.hlc-tmp-0123456789abcdef"),
        "also stale",
    );
    write(&out.join(".notes.hlc-tmp-keepme"), "not ours");
    write(&out.join(".notes.hlc-tmp-0123456789ABCDEF"), "not ours");
    let r = build(&out, base(), inputs("v1")).unwrap();
    assert_eq!(r.stale_temps_removed.len(), 3);
    assert!(!r.lock_written && r.created.is_empty());
    assert!(no_temps(&out));
    assert!(out.join(".notes.hlc-tmp-keepme").exists());
    assert!(out.join(".notes.hlc-tmp-0123456789ABCDEF").exists());
}

#[test]
fn verify_detects_hand_edits_deletions_and_input_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(
        verify(&out, &inputs("v1")).unwrap(),
        vec![Drift {
            path: LOCK_FILE.into(),
            kind: DriftKind::LockMissing
        }]
    );
    build(&out, base(), inputs("v1")).unwrap();
    assert!(verify(&out, &inputs("v1")).unwrap().is_empty());

    write(&out.join("docs/architecture.md"), "# edited by hand\n");
    fs::remove_file(out.join("talos/prod/cp-1.yaml")).unwrap();
    let mut now = inputs("v2");
    now.push(Input::from_bytes(
        "configs/secrets/prod.sops.yaml",
        InputKind::Secret,
        b"enc",
    ));
    now.retain(|i| i.path != "lib/hlc.ncl");
    let d = verify(&out, &now).unwrap();
    let kinds: Vec<(&str, &DriftKind)> = d.iter().map(|d| (d.path.as_str(), &d.kind)).collect();
    assert_eq!(kinds.len(), 5, "{d:#?}");
    assert!(matches!(
        kinds[0],
        ("configs/main.ncl", DriftKind::InputChanged { .. })
    ));
    assert_eq!(
        kinds[1],
        ("configs/secrets/prod.sops.yaml", &DriftKind::InputAdded)
    );
    assert_eq!(kinds[2], ("lib/hlc.ncl", &DriftKind::InputRemoved));
    assert!(
        matches!(kinds[3], ("docs/architecture.md", DriftKind::FileModified { expected, actual })
            if *expected == hlc_out::sha256_hex(b"# Architecture\n")
            && *actual == hlc_out::sha256_hex(b"# edited by hand\n")),
        "{d:#?}"
    );
    assert_eq!(kinds[4], ("talos/prod/cp-1.yaml", &DriftKind::FileMissing));
    assert!(d[3].to_string().contains("docs/architecture.md"));
    assert!(d[0].is_input_drift() && !d[3].is_input_drift());

    // An edited lock (inputs_digest no longer matching) is flagged too.
    let lock = fs::read_to_string(out.join(LOCK_FILE)).unwrap();
    let edited = lock.replacen("\"kind\": \"library\"", "\"kind\": \"config\"", 1);
    assert_ne!(edited, lock);
    fs::write(out.join(LOCK_FILE), edited).unwrap();
    assert!(verify(&out, &inputs("v1"))
        .unwrap()
        .iter()
        .any(|d| d.kind == DriftKind::LockInconsistent));
}

#[test]
fn check_reports_exactly_the_drift_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    write(&out.join("foreign.txt"), "mine\n");
    let before = stats(&out);
    let snap = snapshot(&out);

    let arts = vec![
        art("inventory.json", "{\"hosts\": [1]}\n", "inventory"), // modified
        art("docs/architecture.md", "# Architecture\n", "docs"),  // unchanged
        art("docs/new.md", "new\n", "docs"),                      // created
        art("foreign.txt", "generated\n", "docs"),                // conflict
    ]; // talos/prod/cp-1.yaml removed
    let p = plan(&out, arts, inputs("v1"), VERSION).unwrap();
    let d: Vec<(String, DriftKind)> = check(&p).into_iter().map(|d| (d.path, d.kind)).collect();
    assert_eq!(
        d,
        vec![
            ("docs/new.md".into(), DriftKind::WouldCreate),
            (
                "foreign.txt".into(),
                DriftKind::Conflict(ConflictReason::ForeignFile)
            ),
            ("hlc.lock".into(), DriftKind::WouldModify),
            ("inventory.json".into(), DriftKind::WouldModify),
            ("talos/prod/cp-1.yaml".into(), DriftKind::WouldRemove),
        ]
    );
    let diff = p.diff();
    assert!(
        diff.contains("--- a/inventory.json\n+++ b/inventory.json\n"),
        "{diff}"
    );
    assert!(diff.contains("+{\"hosts\": [1]}\n"), "{diff}");
    assert!(
        diff.contains("--- /dev/null\n+++ b/docs/new.md\n"),
        "{diff}"
    );
    assert!(
        diff.contains("--- a/talos/prod/cp-1.yaml\n+++ /dev/null\n"),
        "{diff}"
    );
    drop(p);
    assert_eq!(stats(&out), before);
    assert_eq!(snapshot(&out), snap);

    // Only an input changed: outputs identical, but the lock would change.
    let p = plan(&out, base(), inputs("v9"), VERSION).unwrap();
    assert_eq!(
        check(&p),
        vec![Drift {
            path: "hlc.lock".into(),
            kind: DriftKind::WouldModify
        }]
    );
    drop(p);

    // check on a missing out/ lists everything and creates nothing.
    let fresh = tmp.path().join("fresh");
    let p = plan(&fresh, base(), inputs("v1"), VERSION).unwrap();
    assert_eq!(check(&p).len(), 4);
    assert!(!fresh.exists());
}

#[test]
fn lock_json_round_trips_and_is_byte_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut arts = base();
    arts[0].sources = vec!["z.b".into(), "a.c".into(), "z.b".into()];
    build(&out, arts.clone(), inputs("v1")).unwrap();
    let bytes = fs::read(out.join(LOCK_FILE)).unwrap();
    let lock = Lock::from_json(&bytes).unwrap();
    assert_eq!(lock.to_json(), bytes);
    assert!(bytes.starts_with(b"{\n  \"format\": 1,\n  \"compiler\": \"0.1.0-test\",\n"));
    assert!(bytes.ends_with(b"}\n"));
    assert_eq!(
        lock.entry("inventory.json").unwrap().sources,
        vec!["a.c", "z.b"]
    );

    // Same build in another directory, artifacts and inputs in another order: same bytes.
    let other = tmp.path().join("elsewhere/out");
    arts.reverse();
    let mut ins = inputs("v1");
    ins.reverse();
    build(&other, arts, ins).unwrap();
    assert_eq!(snapshot(&other), snapshot(&out));
    assert_eq!(hlc_out::read_lock_file(&out).unwrap(), Some(lock));
}

#[test]
fn an_owned_file_replaced_by_a_directory_is_a_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    fs::remove_file(out.join("inventory.json")).unwrap();
    write(&out.join("inventory.json/inner"), "x");
    let mut arts = base();
    arts[0].contents = b"new\n".to_vec();
    let p = plan(&out, arts, inputs("v1"), VERSION).unwrap();
    assert_eq!(p.conflicts()[0].reason, ConflictReason::NotAFile);
    assert!(apply(p).is_err());
    assert!(out.join("inventory.json/inner").exists());
}

#[test]
fn an_interrupted_build_is_flagged_by_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    let mut arts = base();
    arts[0].contents = b"new\n".to_vec();
    let p = plan(&out, arts.clone(), inputs("v1"), VERSION).unwrap();
    // journal write = temp write + rename (2 ops), then sync, then the update: stop before it.
    assert!(hlc_out::apply_with_fault(p, 3).is_err());
    assert!(out.join(JOURNAL_FILE).exists());
    let d = verify(&out, &inputs("v1")).unwrap();
    assert_eq!(d[0].kind, DriftKind::Interrupted, "{d:#?}");
    build(&out, arts, inputs("v1")).unwrap();
    assert!(!out.join(JOURNAL_FILE).exists());
    assert!(verify(&out, &inputs("v1")).unwrap().is_empty());
}

#[test]
fn debug_output_never_shows_contents() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let secret = "CANARY-s3cr3t-value";
    let a = art("secret.yaml", secret, "talos");
    assert!(!format!("{a:?}").contains(secret));
    build(&out, vec![art("secret.yaml", "old", "talos")], inputs("v1")).unwrap();
    let p = plan(&out, vec![a], inputs("v1"), VERSION).unwrap();
    let dbg = format!("{p:?}");
    assert!(
        dbg.contains("secret.yaml") && !dbg.contains(secret),
        "{dbg}"
    );
}

/// The single conflict of a failed apply.
fn race_of(err: OutError) -> (String, ConflictReason) {
    match err {
        OutError::Conflicts { conflicts, .. } if conflicts.len() == 1 => {
            (conflicts[0].path.clone(), conflicts[0].reason.clone())
        }
        e => panic!("expected one conflict, got {e}"),
    }
}

/// Artifacts in a directory and in a subdirectory of it, sorted so that `x/` is met (and
/// checked) before `x/y/`.
fn nested() -> Vec<Artifact> {
    vec![
        art("x/1.txt", "one\n", "docs"),
        art("x/y/2.txt", "two\n", "docs"),
        art("x/y/3.txt", "three\n", "docs"),
    ]
}

#[test]
fn links_planted_between_plan_and_apply_are_refused_at_every_depth() {
    let outside = tempfile::tempdir().unwrap();
    write(&outside.path().join("2.txt"), "precious\n");
    let before_outside = snapshot(outside.path());

    // A directory link below a directory that apply checks first (and remembers).
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    let p = plan(&out, nested(), inputs("v2"), VERSION).unwrap();
    assert!(p.conflicts().is_empty());
    fs::create_dir(out.join("x")).unwrap();
    symlink(outside.path(), out.join("x/y")).unwrap();
    let (path, reason) = race_of(apply(p).unwrap_err());
    assert_eq!(path, "x/y/2.txt");
    assert_eq!(reason, ConflictReason::Symlink { at: "x/y".into() });
    assert_eq!(snapshot(outside.path()), before_outside);
    assert!(!out.join("x/1.txt").exists());

    // A link at the first directory.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    let p = plan(&out, nested(), inputs("v2"), VERSION).unwrap();
    symlink(outside.path(), out.join("x")).unwrap();
    let (path, reason) = race_of(apply(p).unwrap_err());
    assert_eq!(path, "x/1.txt");
    assert_eq!(reason, ConflictReason::Symlink { at: "x".into() });
    assert_eq!(snapshot(outside.path()), before_outside);

    // A link at the file itself, in a directory the build creates.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    let p = plan(&out, nested(), inputs("v2"), VERSION).unwrap();
    fs::create_dir_all(out.join("x/y")).unwrap();
    symlink(outside.path().join("2.txt"), out.join("x/y/3.txt")).unwrap();
    let (path, reason) = race_of(apply(p).unwrap_err());
    assert_eq!(path, "x/y/3.txt");
    assert_eq!(
        reason,
        ConflictReason::Symlink {
            at: "x/y/3.txt".into()
        }
    );
    assert_eq!(snapshot(outside.path()), before_outside);
    assert_eq!(
        fs::read_link(out.join("x/y/3.txt")).unwrap(),
        outside.path().join("2.txt")
    );
}

#[test]
fn files_planted_between_plan_and_apply_are_refused() {
    // A foreign file where the plan expected nothing.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    let p = plan(&out, nested(), inputs("v2"), VERSION).unwrap();
    write(&out.join("x/y/2.txt"), "someone else's\n");
    let (path, reason) = race_of(apply(p).unwrap_err());
    assert_eq!(path, "x/y/2.txt");
    assert_eq!(reason, ConflictReason::ForeignFile);
    assert_eq!(
        fs::read(out.join("x/y/2.txt")).unwrap(),
        b"someone else's\n"
    );

    // A file where the plan expected a directory.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(&out, base(), inputs("v1")).unwrap();
    let p = plan(&out, nested(), inputs("v2"), VERSION).unwrap();
    write(&out.join("x/y"), "a file\n");
    let (path, reason) = race_of(apply(p).unwrap_err());
    assert_eq!(path, "x/y/2.txt");
    assert_eq!(
        reason,
        ConflictReason::ParentNotADirectory { at: "x/y".into() }
    );
    assert_eq!(fs::read(out.join("x/y")).unwrap(), b"a file\n");
}

#[test]
fn an_out_dir_created_by_someone_else_after_planning_is_planned_again() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let p = plan(&out, base(), inputs("v1"), VERSION).unwrap();
    assert_eq!(p.created().len(), 3);
    // out/ did not exist when planned; now it does, holding a file in the way.
    write(&out.join("docs/architecture.md"), "mine\n");
    let err = apply(p).unwrap_err();
    let (path, reason) = race_of(err);
    assert_eq!(path, "docs/architecture.md");
    assert_eq!(reason, ConflictReason::ForeignFile);
    assert_eq!(
        fs::read(out.join("docs/architecture.md")).unwrap(),
        b"mine\n"
    );
    assert!(!out.join(LOCK_FILE).exists());

    // Created by someone else but empty: planned again, written in full.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let p = plan(&out, base(), inputs("v1"), VERSION).unwrap();
    fs::create_dir(&out).unwrap();
    let r = apply(p).unwrap();
    assert_eq!(r.created.len(), 3);
    assert!(r.lock_written);
    assert!(verify(&out, &inputs("v1")).unwrap().is_empty());
}

#[test]
fn a_first_build_into_a_missing_out_dir_writes_the_same_tree() {
    // Planned against a missing out/ (the plan is kept) and against an empty one (planned
    // under the lock): the same files and the same lock.
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (out_a, out_b) = (a.path().join("out"), b.path().join("out"));
    fs::create_dir(&out_b).unwrap();
    build(&out_a, nested(), inputs("v1")).unwrap();
    build(&out_b, nested(), inputs("v1")).unwrap();
    assert_eq!(snapshot(&out_a), snapshot(&out_b));
    assert!(no_temps(&out_a));
    assert!(!out_a.join(JOURNAL_FILE).exists());
    let lock = Lock::from_json(&fs::read(out_a.join(LOCK_FILE)).unwrap()).unwrap();
    assert_eq!(lock.artifacts.len(), 3);
    for e in &lock.artifacts {
        let bytes = fs::read(e.path.to_fs_path(&out_a)).unwrap();
        assert_eq!(e.sha256, hlc_out::sha256_hex(&bytes));
    }
}
