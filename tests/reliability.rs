//! Crash safety and concurrency of `hlc build` as users run it: killed at random points,
//! run twice at once, pointed at an `out/` it cannot write.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &repo().join("tests/cases/build/tiny/configs"),
        &dir.path().join("configs"),
    );
    dir
}

/// Every file under `out/`, normalised for comparison across directories: SOPS files are
/// encrypted afresh in every new directory (new data key and IVs), so they compare by their
/// decrypted content; the lock compares by the paths it lists (its digests cover ciphertexts).
fn tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let key = std::fs::read_to_string(root.join("configs/secrets/demo.agekey")).unwrap();
    let ids = hlc_sops::parse_identities(&key).unwrap();
    let mut files = Vec::new();
    walk(&root.join("out"), &root.join("out"), &mut files);
    files
        .into_iter()
        .map(|(k, bytes)| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let v = if k == "hlc.lock" {
                let lock: serde_json::Value = serde_json::from_str(&text).unwrap();
                format!(
                    "{:?}",
                    lock["artifacts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a["path"].clone())
                        .collect::<Vec<_>>()
                )
            } else if text.contains("\nsops:\n") {
                match hlc_sops::decrypt(&bytes, hlc_sops::Format::Yaml, &ids) {
                    Ok(d) => format!("{:?}", hlc_sops::Format::Yaml.emit(&d.document).unwrap()),
                    Err(e) => format!("undecryptable: {e}"),
                }
            } else {
                text
            };
            (k, v)
        })
        .collect()
}

fn assert_same_tree(got: &BTreeMap<String, String>, expected: &BTreeMap<String, String>) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (k, v) in got {
        assert!(
            *v == expected[k],
            "out/{k} differs from an undisturbed build"
        );
    }
}

/// A tiny deterministic generator (no dependency): xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn a_killed_build_is_detected_and_repaired_and_foreign_files_survive() {
    // The expected tree, from an undisturbed build elsewhere.
    let reference = project();
    assert_eq!(run(&["build"], reference.path()).code, 0);
    let expected = tree(reference.path());

    let p = project();
    // A first good build, then change the config so that the next build rewrites files.
    assert_eq!(run(&["build"], p.path()).code, 0);
    std::fs::write(p.path().join("out/NOTES.md"), "mine\n").unwrap();
    std::fs::create_dir_all(p.path().join("out/docs")).unwrap();
    std::fs::write(p.path().join("out/docs/extra.txt"), "also mine\n").unwrap();
    let main = p.path().join("configs/main.ncl");
    let original = std::fs::read_to_string(&main).unwrap();
    let edited = original.replace("port = 8080", "port = 8081");

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut interrupted = 0;
    for i in 0..24 {
        // Alternate between two configurations so every build has something to write.
        std::fs::write(&main, if i % 2 == 0 { &edited } else { &original }).unwrap();
        let mut child = hlc()
            .args(["build", "--root"])
            .arg(p.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % 150_000));
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        // Whatever state the kill left, `hlc check` must not call it good unless it is.
        let check = run(&["check"], p.path());
        if check.code == 0 {
            assert_eq!(
                run(&["build", "--check"], p.path()).code,
                0,
                "check passed on a stale out/"
            );
        }
    }
    assert!(
        interrupted > 0,
        "no build was interrupted; the test proves nothing"
    );
    // The next build restores a correct out/.
    std::fs::write(&main, &original).unwrap();
    let r = run(&["build"], p.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run(&["check"], p.path()).code, 0);
    let got: BTreeMap<_, _> = tree(p.path())
        .into_iter()
        .filter(|(k, _)| k != "NOTES.md" && k != "docs/extra.txt")
        .collect();
    assert_same_tree(&got, &expected);
    assert_eq!(
        std::fs::read_to_string(p.path().join("out/NOTES.md")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(p.path().join("out/docs/extra.txt")).unwrap(),
        "also mine\n"
    );
}

#[test]
fn concurrent_builds_do_not_interleave() {
    let p = project();
    let main = p.path().join("configs/main.ncl");
    let original = std::fs::read_to_string(&main).unwrap();
    for _ in 0..3 {
        let a = hlc()
            .args(["build", "--root"])
            .arg(p.path())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let b = hlc()
            .args(["build", "--root"])
            .arg(p.path())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert_eq!(
            a.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&a.stderr)
        );
        assert_eq!(
            b.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&b.stderr)
        );
        assert_eq!(run(&["check"], p.path()).code, 0);
        std::fs::write(&main, original.replace("port = 8080", "port = 9090")).unwrap();
    }
}

#[test]
fn an_unwritable_out_is_exit_2_and_the_lock_is_unchanged() {
    let p = project();
    assert_eq!(run(&["build"], p.path()).code, 0);
    let lock = std::fs::read(p.path().join("out/hlc.lock")).unwrap();
    let main = p.path().join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("port = 8080", "port = 8082")).unwrap();
    // Root ignores permission bits; make out/ immutable where possible, else skip loudly.
    let out = p.path().join("out");
    let mut perms = std::fs::metadata(&out).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&out, perms).unwrap();
    let immutable = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&out)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let writable = std::fs::write(out.join(".probe"), b"x").is_ok();
    if writable {
        let _ = std::fs::remove_file(out.join(".probe"));
        assert!(
            std::env::var_os("CI").is_none() || immutable,
            "cannot make out/ read-only here"
        );
        eprintln!("SKIPPED: out/ cannot be made read-only on this machine");
        return;
    }
    let r = run(&["build"], p.path());
    if immutable {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&out)
            .status();
    }
    let mut perms = std::fs::metadata(&out).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&out, perms).unwrap();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(std::fs::read(p.path().join("out/hlc.lock")).unwrap(), lock);
}

#[test]
fn a_50_mb_string_is_a_diagnostic_not_a_50_mb_message() {
    // A 50 MB string where a hostname belongs (generated here: it is not committed).
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("configs")).unwrap();
    let huge = "a".repeat(50 * 1024 * 1024);
    std::fs::write(
        dir.path().join("configs/main.ncl"),
        format!(
            "{{\n  name = \"case\",\n  domain = \"example.org\",\n  clusters.k8s = {{ talos_version = \"1.12.1\", kubernetes_version = \"1.35.0\" }},\n  services.web = {{ cluster = \"k8s\", port = 80, hostname = \"{huge}\" }},\n}}\n"
        ),
    )
    .unwrap();
    drop(huge);
    for format in ["human", "json"] {
        let r = run(&["check", "--format", format], dir.path());
        assert_eq!(r.code, 1, "--format {format}: exit {}", r.code);
        assert!(!r.stderr.contains("panicked"), "--format {format} panicked");
        let out = if format == "json" {
            &r.stdout
        } else {
            &r.stderr
        };
        assert!(
            out.contains("HLC106") && out.contains("configs/main.ncl"),
            "--format {format}: no HLC106 with its location"
        );
        // The value is neither echoed in the message nor printed as a source snippet.
        assert!(
            r.stdout.len() + r.stderr.len() < 64 * 1024,
            "--format {format}: {} bytes of output",
            r.stdout.len() + r.stderr.len()
        );
    }
}
