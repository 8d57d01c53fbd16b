//! CLI contract tests: the real `hlc` binary, its exit codes, output streams and formats, and
//! the properties of `out/` that users rely on (byte-stable rebuilds, drift detection).

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

fn tiny() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &repo().join("tests/cases/build/tiny/configs"),
        &dir.path().join("configs"),
    );
    dir
}

/// path → (bytes, mtime, inode) of every file under `out/`.
fn snapshot(root: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt;
    let mut m = BTreeMap::new();
    fn walk(
        base: &Path,
        dir: &Path,
        m: &mut BTreeMap<String, (Vec<u8>, std::time::SystemTime, u64)>,
    ) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, m);
            } else {
                let md = std::fs::metadata(&p).unwrap();
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                m.insert(
                    rel,
                    (std::fs::read(&p).unwrap(), md.modified().unwrap(), md.ino()),
                );
            }
        }
    }
    walk(&root.join("out"), &root.join("out"), &mut m);
    m
}

#[test]
fn missing_entry_point_is_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [&["build"][..], &["check"], &["eval"]] {
        let r = run(cmd, dir.path());
        assert_eq!(r.code, 2, "{cmd:?}: {}", r.stderr);
        assert!(r.stderr.contains("configs/main.ncl"), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn usage_errors_are_exit_2() {
    let out = hlc().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = hlc().args(["build", "--format", "yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn build_is_byte_stable_and_a_rebuild_rewrites_nothing() {
    let p = tiny();
    let first = run(&["build"], p.path());
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.is_empty(),
        "build must print no data on stdout"
    );
    let a = snapshot(p.path());
    assert!(
        a.contains_key("hlc.lock")
            && a.contains_key("inventory.json")
            && a.contains_key("docs/architecture.md")
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = run(&["build"], p.path());
    assert_eq!(second.code, 0);
    assert!(second.stderr.contains("up to date"), "{}", second.stderr);
    assert_eq!(
        a,
        snapshot(p.path()),
        "a second build changed bytes, mtimes or inodes"
    );
    assert_eq!(run(&["build", "--check"], p.path()).code, 0);
}

#[test]
fn builds_in_different_directories_give_identical_bytes() {
    let (a, b) = (tiny(), tiny());
    assert_eq!(run(&["build"], a.path()).code, 0);
    assert_eq!(run(&["build"], b.path()).code, 0);
    // SOPS-encrypted files are the exception: a fresh encryption draws a new data key, IVs and
    // age ephemeral keys (zero churn keeps them only when the previous out/ is there), so they
    // are compared by their plaintext, and their digests in the lock are left out.
    let key = a.path().join("configs/secrets/demo.agekey");
    let ids = hlc_sops::parse_identities(&std::fs::read_to_string(key).unwrap()).unwrap();
    let strip =
        |s: BTreeMap<String, (Vec<u8>, std::time::SystemTime, u64)>| -> BTreeMap<String, Vec<u8>> {
            let format = |p: &str| {
                if p.ends_with("talosconfig") {
                    hlc_sops::Format::Yaml
                } else {
                    hlc_sops::Format::from_path(p)
                }
            };
            let sops: Vec<String> = s
                .iter()
                .filter(|(p, v)| hlc_sops::inspect(&v.0, format(p)).is_ok())
                .map(|(p, _)| p.clone())
                .collect();
            s.into_iter()
                .map(|(k, v)| {
                    let bytes = if sops.contains(&k) {
                        let d = hlc_sops::decrypt(&v.0, format(&k), &ids).unwrap();
                        format(&k).emit(&d.document).unwrap()
                    } else if k == "hlc.lock" {
                        let mut lock: serde_json::Value = serde_json::from_slice(&v.0).unwrap();
                        for e in lock["artifacts"].as_array_mut().unwrap() {
                            if sops.iter().any(|p| e["path"] == p.as_str()) {
                                e["sha256"] = serde_json::Value::Null;
                            }
                        }
                        serde_json::to_vec(&lock).unwrap()
                    } else {
                        v.0
                    };
                    (k, bytes)
                })
                .collect()
        };
    assert_eq!(strip(snapshot(a.path())), strip(snapshot(b.path())));
}

#[test]
fn check_flags_a_hand_edited_output_file_by_name() {
    let p = tiny();
    assert_eq!(run(&["build"], p.path()).code, 0);
    let ok = run(&["check"], p.path());
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let inv = p.path().join("out/inventory.json");
    let mut text = std::fs::read_to_string(&inv).unwrap();
    text.push(' ');
    std::fs::write(&inv, text).unwrap();
    let r = run(&["check"], p.path());
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("out/inventory.json"), "{}", r.stderr);
    assert_eq!(run(&["build", "--check"], p.path()).code, 1);
    // A build restores it.
    assert_eq!(run(&["build"], p.path()).code, 0);
    assert_eq!(run(&["check"], p.path()).code, 0);
}

#[test]
fn check_flags_configs_changed_since_the_build() {
    let p = tiny();
    assert_eq!(run(&["build"], p.path()).code, 0);
    let main = p.path().join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("port = 8080", "port = 8081")).unwrap();
    let r = run(&["check"], p.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("HLC503") && r.stderr.contains("configs/main.ncl"),
        "{}",
        r.stderr
    );
}

#[test]
fn editing_a_hostname_changes_only_what_derives_from_it() {
    let p = tiny();
    assert_eq!(run(&["build"], p.path()).code, 0);
    let before = snapshot(p.path());
    let main = p.path().join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        text.replace("hostname = \"whoami\"", "hostname = \"who\""),
    )
    .unwrap();
    assert_eq!(run(&["build"], p.path()).code, 0);
    let after = snapshot(p.path());
    let lock: serde_json::Value = serde_json::from_slice(&after["hlc.lock"].0).unwrap();
    for (path, (bytes, _, _)) in &after {
        if before[path].0 == *bytes {
            continue;
        }
        if path == "hlc.lock" {
            continue;
        }
        // A changed artifact must say it derives from the services.
        let entry = lock["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == path.as_str())
            .unwrap();
        let sources: Vec<&str> = entry["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(
            sources.iter().any(|s| s.starts_with("services")),
            "{path} changed but derives from {sources:?}"
        );
        let new = String::from_utf8_lossy(bytes);
        assert!(
            new.contains("who.tiny.example.org") && !new.contains("whoami.tiny.example.org"),
            "{path}"
        );
    }
    assert_ne!(before["hlc.lock"].0, after["hlc.lock"].0);
}

#[test]
fn eval_prints_json_data_on_stdout_only() {
    let p = tiny();
    let r = run(&["eval", "services.whoami"], p.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["exposure"], "public");
    assert_eq!(v["scheme"], "http", "library default applied");
    assert!(r.stderr.is_empty());
    assert_eq!(run(&["eval", "services.nope"], p.path()).code, 2);
}

#[test]
fn acceptance_errors_are_all_reported_in_one_run() {
    let p = tiny();
    let main = p.path().join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap()
        // an unknown reference
        .replace("depends_on = [\"echo\"]", "depends_on = [\"ecko\"]")
        // an over-committed host (4 cores / 8 threads)
        .replace("cpu = 4,", "cpu = 12,")
        // an admin service made public, with a typo'd field name
        .replace("hostname = \"whoami\",", "hostname = \"whoami\", admin = true, descripton = \"x\",")
        // a duplicate IP, an OCI budget overrun, a /etc/passwd import and a `..` import
        .replace(
            "  services.echo = {",
            "  sites.oci = { kind = 'oci, free_tier = true },\n  networks.vcn = { site = \"oci\", kind = 'vcn, cidr = \"10.0.0.0/16\" },\n  machines.big = { kind = 'cloud, site = \"oci\", cpu = 4, memory = \"24GiB\", disk = \"50GiB\", os = 'ubuntu, network = \"vcn\", address = \"10.0.0.10\" },\n  machines.twin = { kind = 'vm, host = \"pve\", vmid = 101, cpu = 1, memory = \"1GiB\", disk = \"8GiB\", os = 'debian, network = \"lan\", address = \"192.168.10.20\" },\n  hosts.pve.description = import \"/etc/passwd\" as 'Text,\n  sites.home.description = import \"../../outside.txt\" as 'Text,\n  services.echo = {",
        );
    std::fs::write(&main, &text).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1;
    let r = run(&["check", "--format", "json"], p.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let found: Vec<(String, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expect = [
        ("HLC201", line_of("\"ecko\"")),
        ("HLC303", line_of("threads = 8")),
        ("HLC401", line_of("exposure = 'public")),
        ("HLC114", line_of("descripton")),
        ("HLC205", line_of("machines.twin")),
        ("HLC304", line_of("machines.big")),
        ("HLC010", line_of("/etc/passwd")),
        ("HLC011", line_of("outside.txt")),
    ];
    for (code, line) in expect {
        assert!(
            found.iter().any(|(c, l)| c == code && *l == line),
            "{code} at line {line} missing from {found:?}"
        );
    }
}

#[test]
fn no_color_and_json_formats() {
    let p = tiny();
    let main = p.path().join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("192.168.10.20", "192.168.11.20")).unwrap();
    let r = run(&["check"], p.path());
    assert_eq!(r.code, 1);
    assert!(
        !r.stderr.contains('\u{1b}'),
        "NO_COLOR output has escape codes"
    );
    assert!(
        r.stderr.contains("error[HLC301]")
            && r.stderr.contains(&format!(
                "configs/main.ncl:{}:",
                text.lines()
                    .position(|l| l.contains("192.168.10.20"))
                    .unwrap()
                    + 1
            )),
        "{}",
        r.stderr
    );
    let j = run(&["check", "--format", "json"], p.path());
    let doc: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let d = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "HLC301")
        .unwrap();
    assert_eq!(d["location"]["file"], "configs/main.ncl");
    assert_eq!(d["path"], "machines.k8s.address");
    assert!(d["help"].as_str().is_some());
}

#[test]
fn explain_rules_and_graph() {
    let r = hlc().args(["explain", "HLC304"]).output().unwrap();
    assert_eq!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stdout).contains("oci-free-tier"));
    let r = hlc().arg("rules").output().unwrap();
    let text = String::from_utf8_lossy(&r.stdout).into_owned();
    for code in ["HLC201", "HLC202", "HLC303", "HLC304", "HLC401"] {
        assert!(text.contains(code), "{code} missing from hlc rules");
    }
    let p = tiny();
    let dot = run(&["graph", "--format", "dot"], p.path());
    assert_eq!(dot.code, 0);
    assert!(dot.stdout.starts_with("digraph"), "{}", dot.stdout);
    let json = run(&["graph", "--format", "json"], p.path());
    let g: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(g["services"]["waves"]["whoami"], 1);
    assert_eq!(run(&["build"], p.path()).code, 0);
    let e = run(&["explain", "out/inventory.json"], p.path());
    assert_eq!(e.code, 0);
    assert!(e.stdout.contains("target: inventory"), "{}", e.stdout);
}

#[test]
fn check_on_the_reference_lab_needs_no_key() {
    // `hlc()` removes SOPS_AGE_KEY and SOPS_AGE_KEY_FILE; point HOME at an empty directory so no
    // user key file can be found either.
    let home = tempfile::tempdir().unwrap();
    let out = hlc()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .args(["check", "--root"])
        .arg(repo())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error["), "{stderr}");
}

// ---- no-op rebuild fast path (compiler/cli/src/fastpath.rs) and --timings (issue 9)

/// `hlc build --timings` in `root` with its own stamp directory; returns the phases it timed.
fn timed_build(root: &Path, cache: &Path) -> (i32, String, Vec<String>) {
    let out = hlc()
        .env("HLC_CACHE_DIR", cache)
        .args(["build", "--timings", "--root"])
        .arg(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let phases = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("timing "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    (out.status.code().unwrap_or(-1), stderr, phases)
}

#[test]
fn noop_rebuild_skips_evaluation_until_an_input_or_out_changes() {
    let dir = tiny();
    let cache = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (code, err, phases) = timed_build(root, cache.path());
    assert_eq!(code, 0, "{err}");
    for p in [
        "load", "eval", "decode", "check", "render", "write", "total",
    ] {
        assert!(phases.contains(&p.to_string()), "no `{p}` in {phases:?}");
    }
    // Nothing changed: the lock, the inputs and out/ are those of the last build.
    let (code, err, phases) = timed_build(root, cache.path());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("up to date"), "{err}");
    assert_eq!(phases, ["fast-path", "total"], "{err}");
    // A new file under configs/ (an import could reach it, or shadow a library file): full build.
    std::fs::write(root.join("configs/new.ncl"), "{}\n").unwrap();
    let (_, err, phases) = timed_build(root, cache.path());
    assert!(phases.contains(&"render".to_string()), "{err}");
    // That build saw it: the same files again are a no-op.
    let (_, err, phases) = timed_build(root, cache.path());
    assert_eq!(phases, ["fast-path", "total"], "unlisted file: {err}");
    // Gone again: the inputs are exactly those of the lock (it never was one): up to date.
    std::fs::remove_file(root.join("configs/new.ncl")).unwrap();
    for _ in 0..2 {
        let (_, err, phases) = timed_build(root, cache.path());
        assert_eq!(phases, ["fast-path", "total"], "removed file: {err}");
    }
    // Touched but unchanged files (new times, same bytes): still up to date, by content.
    let now = std::time::SystemTime::now();
    for f in ["configs/main.ncl", "out/inventory.json"] {
        let file = std::fs::File::options()
            .append(true)
            .open(root.join(f))
            .unwrap();
        file.set_modified(now).unwrap();
    }
    for _ in 0..2 {
        let (_, err, phases) = timed_build(root, cache.path());
        assert_eq!(phases, ["fast-path", "total"], "touched: {err}");
    }
    // A same-size edit in out/ whose modification time is put back: the change time still
    // differs, so the content decides: full build, which restores it.
    let inv = root.join("out/inventory.json");
    let good = std::fs::read(&inv).unwrap();
    let mtime = std::fs::metadata(&inv).unwrap().modified().unwrap();
    let mut bad = good.clone();
    let i = bad.iter().position(|b| b.is_ascii_lowercase()).unwrap();
    bad[i] = bad[i].to_ascii_uppercase();
    std::fs::write(&inv, &bad).unwrap();
    std::fs::File::options()
        .append(true)
        .open(&inv)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let (code, err, phases) = timed_build(root, cache.path());
    assert_eq!(code, 0, "{err}");
    assert!(
        phases.contains(&"render".to_string()),
        "same-size edit: {err}"
    );
    assert_eq!(std::fs::read(&inv).unwrap(), good);
    // An edited config source: full build.
    let main = root.join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{text}\n# edited\n")).unwrap();
    let (_, err, phases) = timed_build(root, cache.path());
    assert!(phases.contains(&"eval".to_string()), "edited: {err}");
    // A hand-edited file in out/: full build, which restores it.
    let inv = root.join("out/inventory.json");
    let good = std::fs::read(&inv).unwrap();
    std::fs::write(&inv, b"{}\n").unwrap();
    let (code, err, phases) = timed_build(root, cache.path());
    assert_eq!(code, 0, "{err}");
    assert!(phases.contains(&"render".to_string()), "hand edit: {err}");
    assert_eq!(std::fs::read(&inv).unwrap(), good);
    // Without a stamp (another cache dir): full build.
    let other = tempfile::tempdir().unwrap();
    let (_, _, phases) = timed_build(root, other.path());
    assert!(phases.contains(&"eval".to_string()));
}

/// `hlc check --timings` with its own cache directory (and `extra` environment): exit code,
/// stdout, stderr without the timing lines, and the phases timed.
fn timed_check(
    root: &Path,
    cache: &Path,
    extra: &[(&str, &str)],
) -> (i32, String, String, Vec<String>) {
    let out = hlc()
        .env("HLC_CACHE_DIR", cache)
        .envs(extra.iter().copied())
        .args(["check", "--timings", "--root"])
        .arg(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (timings, rest): (Vec<&str>, Vec<&str>) =
        stderr.lines().partition(|l| l.starts_with("timing "));
    let phases = timings
        .iter()
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        rest.join("\n"),
        phases,
    )
}

fn has(phases: &[String], p: &str) -> bool {
    phases.iter().any(|x| x == p)
}

#[test]
fn unchanged_sources_are_not_evaluated_again() {
    let dir = tiny();
    let cache = tempfile::tempdir().unwrap();
    let root = dir.path();
    // out/ first, built with another cache directory.
    let other = tempfile::tempdir().unwrap();
    assert_eq!(timed_build(root, other.path()).0, 0);
    let (code, out1, err1, phases) = timed_check(root, cache.path(), &[]);
    assert_eq!(code, 0, "{err1}");
    assert!(
        has(&phases, "eval") && !has(&phases, "eval-cached"),
        "{phases:?}"
    );
    let entries: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("eval-"))
        .collect();
    assert_eq!(entries.len(), 1);
    let entry = entries[0].path();
    // Same sources: the stored tree, and the same findings and output as an evaluation.
    let (code, out2, err2, phases) = timed_check(root, cache.path(), &[]);
    assert_eq!(code, 0, "{err2}");
    assert!(
        has(&phases, "eval-cached") && !has(&phases, "eval"),
        "{phases:?}"
    );
    assert!(has(&phases, "decode") && has(&phases, "check") && has(&phases, "verify"));
    assert_eq!((&out1, &err1), (&out2, &err2));
    // Turned off: evaluated.
    let (_, _, _, phases) = timed_check(root, cache.path(), &[("HLC_EVAL_CACHE", "off")]);
    assert!(
        has(&phases, "eval") && !has(&phases, "eval-cached"),
        "{phases:?}"
    );
    // A damaged entry is ignored and replaced.
    let mut bytes = std::fs::read(&entry).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 3);
    std::fs::write(&entry, &bytes).unwrap();
    let (code, out3, err3, phases) = timed_check(root, cache.path(), &[]);
    assert_eq!(code, 0, "{err3}");
    assert!(has(&phases, "eval"), "{phases:?}");
    assert_eq!((&out1, &err1), (&out3, &err3));
    assert_eq!(std::fs::read(&entry).unwrap().len(), n);
    // An edited source is evaluated, and its new value is what the build renders.
    let main = root.join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap();
    let edited = text.replacen("name = \"", "name = \"x", 1);
    assert_ne!(edited, text, "tiny's main.ncl names its lab");
    std::fs::write(&main, &edited).unwrap();
    let (_, _, phases) = timed_build(root, cache.path());
    assert!(
        has(&phases, "eval") && !has(&phases, "eval-cached"),
        "{phases:?}"
    );
    let inventory = std::fs::read_to_string(root.join("out/inventory.json")).unwrap();
    assert!(inventory.contains("\"xtiny\""), "{inventory}");
    let (code, _, err, phases) = timed_check(root, cache.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(has(&phases, "eval-cached"), "{phases:?}");
    // Broken, then fixed: the error is reported each time (never stored), the fix evaluated.
    std::fs::write(&main, format!("{edited}\n{{")).unwrap();
    for _ in 0..2 {
        let (code, _, err, phases) = timed_check(root, cache.path(), &[]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("HLC020"), "{err}");
        assert!(has(&phases, "eval"), "{phases:?}");
    }
    std::fs::write(&main, &text).unwrap();
    let (_, _, phases) = timed_build(root, cache.path());
    assert!(has(&phases, "eval"), "{phases:?}");
    let (code, out4, err4, phases) = timed_check(root, cache.path(), &[]);
    assert_eq!(code, 0, "{err4}");
    assert!(has(&phases, "eval-cached"), "{phases:?}");
    assert_eq!((&out1, &err1), (&out4, &err4));
}

#[test]
fn timings_go_to_stderr_and_check_times_its_phases() {
    let dir = tiny();
    let cache = tempfile::tempdir().unwrap();
    assert_eq!(timed_build(dir.path(), cache.path()).0, 0);
    let out = hlc()
        .args(["check", "--timings", "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("timing"));
    for p in ["load", "eval", "check", "verify", "total"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("timing {p} "))),
            "no `{p}` in {stderr}"
        );
    }
}
