//! Secret hygiene (issue 10): canary values planted in every declared secret of a copy of the
//! reference lab (with `hlc secrets set`, sealed for the lab's recipients; the build decrypts
//! them with the committed demo key) never appear in plaintext: not in any file of `out/`, not
//! on stdout/stderr of a passing or failing command (human and `--format json`), and no command
//! panics. A canary routed into a plaintext artifact (a service description) fails the build
//! without the value being printed.

mod common;

use common::{copy_tree, hlc, repo};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

struct Out {
    code: i32,
    text: String,
}

/// Runs hlc with a private HOME (no personal sops keys), optional stdin.
fn run(args: &[&str], root: &Path, stdin: Option<&str>) -> Out {
    let home = tempfile::tempdir().unwrap();
    let mut child = hlc()
        .args(args)
        .arg("--root")
        .arg(root)
        .env("HOME", home.path())
        .env("RUST_BACKTRACE", "1")
        // Stamps and evaluation cache too in the private HOME: every run here starts afresh.
        .env_remove("HLC_CACHE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        text: format!(
            "{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    }
}

/// The canary of secret number `i`: distinctive, and appended to the current value so that any
/// shape check on the value (URL, token prefix) still passes.
fn canary(i: usize) -> String {
    format!("Cn{i:02}q7Zx4Rk9")
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str, hits: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_containing(&p, needle, hits);
        } else if let Ok(bytes) = std::fs::read(&p) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                hits.push(p.display().to_string());
            }
        }
    }
}

fn assert_clean(what: &str, out: &Out, canaries: &[String]) {
    assert!(
        !out.text.contains("panicked"),
        "{what}: hlc panicked:\n{}",
        out.text
    );
    for c in canaries {
        assert!(
            !out.text.contains(c.as_str()),
            "{what}: printed the canary {c}"
        );
    }
}

#[test]
fn planted_canaries_never_reach_plaintext_output_or_diagnostics() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&repo().join("configs"), &root.join("configs"));
    copy_tree(&repo().join("out"), &root.join("out"));

    // The declared secrets, from the evaluated lab.
    let e = run(&["eval", "secrets"], root, None);
    assert_eq!(e.code, 0, "{}", e.text);
    let json_start = e.text.find('{').unwrap();
    let secrets: serde_json::Map<String, serde_json::Value> =
        serde_json::Deserializer::from_str(&e.text[json_start..])
            .into_iter()
            .next()
            .unwrap()
            .unwrap();
    assert!(secrets.len() >= 10, "{} secrets", secrets.len());

    // Plant a canary into every one of them.
    let mut canaries = Vec::new();
    for (i, name) in secrets.keys().enumerate() {
        let g = run(&["secrets", "get", name], root, None);
        let old = if g.code == 0 {
            g.text.split('\n').next().unwrap_or("").to_string()
        } else {
            String::new()
        };
        let c = canary(i);
        let s = run(&["secrets", "set", name], root, Some(&format!("{old}{c}")));
        assert_eq!(s.code, 0, "secrets set {name}: {}", s.text);
        assert_clean(&format!("secrets set {name}"), &s, &canaries);
        canaries.push(c);
    }

    // A successful build, check and diff, human and JSON.
    for args in [
        &["build"][..],
        &["build", "--format", "json"][..],
        &["check"][..],
        &["check", "--format", "json"][..],
        &["diff"][..],
        &["eval"][..],
        &["graph"][..],
    ] {
        let o = run(args, root, None);
        assert!(
            o.code == 0 || o.code == 1,
            "{args:?}: exit {}: {}",
            o.code,
            o.text
        );
        assert_clean(&format!("{args:?}"), &o, &canaries);
    }
    for c in &canaries {
        let mut hits = Vec::new();
        files_containing(&root.join("out"), c, &mut hits);
        assert!(hits.is_empty(), "canary {c} in plaintext: {hits:?}");
    }
    let mut hits = Vec::new();
    files_containing(&root.join("configs"), "q7Zx4Rk9", &mut hits);
    assert!(
        hits.is_empty(),
        "a canary is in plaintext under configs/: {hits:?}"
    );

    // Route the first canary's full value into a plaintext artifact: the description of a
    // service reaches the docs and the inventory.
    let name = secrets.keys().next().unwrap();
    let g = run(&["secrets", "get", name], root, None);
    assert_eq!(g.code, 0, "{}", g.text);
    let value = g.text.split('\n').next().unwrap().to_string();
    assert!(value.ends_with(&canaries[0]));
    let services = root.join("configs/services.ncl");
    let text = std::fs::read_to_string(&services).unwrap();
    let marker = "Homepage: the family start page";
    assert!(
        text.contains(marker),
        "services.ncl changed: update the marker"
    );
    std::fs::write(&services, text.replace(marker, &value)).unwrap();
    for args in [
        &["build"][..],
        &["build", "--format", "json"][..],
        &["build", "--check"][..],
        &["diff"][..],
    ] {
        let o = run(args, root, None);
        assert_eq!(o.code, 1, "{args:?} must fail: {}", o.text);
        assert!(o.text.contains("HLC605"), "{args:?}: {}", o.text);
        assert_clean(&format!("leak {args:?}"), &o, &canaries);
        assert!(!o.text.contains(&value));
    }
    for c in &canaries {
        let mut hits = Vec::new();
        files_containing(&root.join("out"), c, &mut hits);
        assert!(
            hits.is_empty(),
            "canary {c} in plaintext after the failed build: {hits:?}"
        );
    }
}
