//! Issue 4, the wiring: secrets in the build and `hlc secrets`, run through the real binary.
//!
//! * every SOPS file committed under `configs/secrets/` and `out/` (reference lab and examples)
//!   decrypts with the real sops 3.11 (`../shared/tools/sops-verify`, installed by
//!   `scripts/install-test-deps.sh`) and the demo key, to what hlc decrypts;
//! * `hlc check` needs no key; a build that must decrypt without a matching key stops with HLC604
//!   and writes nothing;
//! * `hlc secrets set/get/edit/rotate` round trips; changing one value changes exactly the file
//!   that holds it; two builds in a row leave every file byte-identical;
//! * a planted canary secret that reaches a plaintext artifact fails the build (HLC605) without
//!   the canary being printed.
//!
//! The stage itself (encryption of `SecretArtifact`s, zero churn, scopes, `.sops.yaml`) is unit
//! tested in `compiler/cli/src/secrets_stage.rs`: no production renderer returns secret
//! artifacts of the test's choosing.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEMO_KEY: &str = "configs/secrets/demo.agekey";

fn shared() -> PathBuf {
    std::env::var_os("HLC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
}

/// Every regular file under `dir`, relative, sorted.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.map(Result::unwrap) {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                walk(base, &e.path(), out);
            } else if t.is_file() {
                let rel = e
                    .path()
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The format of a SOPS file in out/ or configs/secrets/: by extension, YAML otherwise
/// (`talosconfig`).
fn sops_format(path: &str) -> hlc_sops::Format {
    if path.ends_with("talosconfig") {
        hlc_sops::Format::Yaml
    } else {
        hlc_sops::Format::from_path(path)
    }
}

fn is_sops(path: &str, bytes: &[u8]) -> bool {
    hlc_sops::inspect(bytes, sops_format(path)).is_ok()
}

/// Runs the real sops on `file` with `key`, comparing with hlc's own decryption.
fn sops_verify(
    file: &Path,
    rel: &str,
    key: &Path,
    ids: &[hlc_sops::Identity],
) -> Result<(), String> {
    let bytes = std::fs::read(file).unwrap();
    let format = sops_format(rel);
    let plain = hlc_sops::decrypt(&bytes, format, ids)
        .map_err(|e| format!("{rel}: hlc cannot decrypt it: {e}"))?;
    let dir = tempfile::tempdir().unwrap();
    let expected = dir.path().join(match format {
        hlc_sops::Format::Json => "expected.json",
        hlc_sops::Format::Yaml => "expected.yaml",
        hlc_sops::Format::Dotenv => "expected.env",
        hlc_sops::Format::Binary => "expected.bin",
    });
    std::fs::write(&expected, format.emit(&plain.document).unwrap()).unwrap();
    let mut cmd = Command::new(shared().join("tools/sops-verify"));
    if rel.ends_with("talosconfig") {
        cmd.env("SOPS_VERIFY_TYPE", "yaml");
    }
    let out = cmd
        .arg(file)
        .arg(key)
        .arg(&expected)
        .output()
        .map_err(|e| format!("cannot run sops-verify (run scripts/install-test-deps.sh): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{rel}: real sops disagrees: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

#[test]
fn every_committed_sops_file_decrypts_with_real_sops_and_the_demo_key() {
    let mut checked = 0;
    let mut errors = Vec::new();
    let mut projects = vec![repo()];
    projects.extend(
        std::fs::read_dir(repo().join("examples"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("configs/main.ncl").is_file()),
    );
    for project in projects {
        let key = project.join(DEMO_KEY);
        if !key.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&key).unwrap();
        assert!(
            text.contains("TEST ONLY"),
            "{} must say TEST ONLY",
            key.display()
        );
        let ids = hlc_sops::parse_identities(&text).unwrap();
        for dir in ["configs/secrets", "out"] {
            for (rel, bytes) in files(&project.join(dir)) {
                if rel.ends_with(".agekey") || !is_sops(&rel, &bytes) {
                    continue;
                }
                checked += 1;
                if let Err(e) = sops_verify(&project.join(dir).join(&rel), &rel, &key, &ids) {
                    errors.push(format!("{}/{dir}: {e}", project.display()));
                }
            }
        }
        // configs/secrets/ holds no plaintext YAML/JSON at all.
        for (rel, bytes) in files(&project.join("configs/secrets")) {
            if hlc_sops::Format::from_path(&rel).has_keys() {
                assert!(
                    is_sops(&rel, &bytes),
                    "{}: configs/secrets/{rel} is not SOPS-encrypted",
                    project.display()
                );
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(
        checked >= 7,
        "expected the reference lab's secret files, checked {checked}"
    );
}

/// A copy of the multi-site example (its out/ built) in a temporary directory.
fn multi_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &repo().join("examples/multi-site/configs"),
        &dir.path().join("configs"),
    );
    let r = run_env(&["build"], dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

/// Runs hlc with a private HOME (no personal sops keys) and extra environment.
fn run_env(args: &[&str], root: &Path, env: &[(&str, &str)]) -> Run {
    run_stdin(args, root, env, None)
}

fn run_stdin(args: &[&str], root: &Path, env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    use std::io::Write;
    let home = tempfile::tempdir().unwrap();
    let mut c = hlc();
    c.args(args)
        .arg("--root")
        .arg(root)
        .env("HOME", home.path())
        // Stamps and evaluation cache too in the private HOME: every run here starts afresh.
        .env_remove("HLC_CACHE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    {
        let mut si = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            si.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn check_on_the_reference_lab_needs_no_key() {
    // An unreadable key source would fail anything that looks for a key (HLC607).
    let r = run_env(
        &["check"],
        &repo(),
        &[
            ("SOPS_AGE_KEY_FILE", "/nonexistent/keys.txt"),
            ("SOPS_AGE_KEY", ""),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("HLC60"), "{}", r.stderr);
}

#[test]
fn check_is_keyless_and_a_build_without_a_matching_key_writes_nothing() {
    let lab = multi_site();
    // `hlc check` never looks for a key: an unreadable SOPS_AGE_KEY_FILE does not matter to it…
    let bogus = [("SOPS_AGE_KEY_FILE", "/nonexistent/keys.txt")];
    let c = run_env(&["check"], lab.path(), &bogus);
    assert_eq!(c.code, 0, "{}", c.stderr);
    // …while the build, which decrypts, says what is wrong.
    let b = run_env(&["build"], lab.path(), &bogus);
    assert_eq!(b.code, 1, "{}", b.stderr);
    assert!(b.stderr.contains("HLC607"), "{}", b.stderr);

    // Without the demo key and with an unrelated key: HLC604 naming the file, nothing written.
    std::fs::remove_file(lab.path().join(DEMO_KEY)).unwrap();
    let other = tempfile::tempdir().unwrap();
    let key = other.path().join("keys.txt");
    let id = hlc_sops::Identity::generate();
    std::fs::write(&key, format!("{}\n", id.to_secret_string().expose())).unwrap();
    let before = files(&lab.path().join("out"));
    let b = run_env(
        &["build"],
        lab.path(),
        &[("SOPS_AGE_KEY_FILE", key.to_str().unwrap())],
    );
    assert_eq!(b.code, 1, "{}", b.stderr);
    assert!(
        b.stderr
            .contains("error[HLC604]: cannot decrypt configs/secrets/"),
        "{}",
        b.stderr
    );
    assert!(
        b.stderr.contains("help: set SOPS_AGE_KEY_FILE"),
        "{}",
        b.stderr
    );
    assert_eq!(files(&lab.path().join("out")), before, "out/ was touched");
    // The secrets stage's findings come in the format asked for, in the one document.
    let env = [("SOPS_AGE_KEY_FILE", key.to_str().unwrap())];
    for args in [
        &["build", "--format", "json"][..],
        &["build", "--check", "--format", "json"][..],
    ] {
        let j = run_env(args, lab.path(), &env);
        assert_eq!(j.code, 1, "{args:?}: {}", j.stderr);
        assert!(
            !j.stderr.contains("HLC604"),
            "{args:?}: human output: {}",
            j.stderr
        );
        let doc: serde_json::Value = serde_json::from_str(&j.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not one JSON document ({e}): {}", j.stdout));
        let codes: Vec<&str> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert!(codes.contains(&"HLC604"), "{args:?}: {codes:?}");
    }
    assert_eq!(files(&lab.path().join("out")), before, "out/ was touched");
    // `secrets get` with no key at all.
    let g = run_env(&["secrets", "get", "authentik-secret-key"], lab.path(), &[]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    assert!(g.stderr.contains("HLC604"), "{}", g.stderr);
    assert!(g.stdout.is_empty());
}

#[test]
fn set_get_edit_rotate_and_exactly_the_changed_file_changes() {
    let lab = multi_site();
    let root = lab.path();
    let secrets = root.join("configs/secrets");
    let out_before = files(&root.join("out"));
    // A rebuild leaves every file of out/ byte-identical (encrypted ones included).
    let b = run_env(&["build"], root, &[]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert_eq!(files(&root.join("out")), out_before);

    let inputs_before = files(&secrets);
    let value = "n3w-refresh-token-0123456789";
    let s = run_stdin(
        &["secrets", "set", "twingate-refresh-token"],
        root,
        &[],
        Some(&format!("{value}\n")),
    );
    assert_eq!(s.code, 0, "{}", s.stderr);
    assert!(!s.stderr.contains(value) && !s.stdout.contains(value));
    let inputs_after = files(&secrets);
    let changed: Vec<&String> = inputs_after
        .iter()
        .filter(|(k, v)| inputs_before.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(changed, ["twingate.yaml"]);
    assert!(!String::from_utf8_lossy(&inputs_after["twingate.yaml"]).contains(value));
    let g = run_env(&["secrets", "get", "twingate-refresh-token"], root, &[]);
    assert_eq!((g.code, g.stdout.as_str()), (0, value), "{}", g.stderr);
    // The other value of the same file kept its ciphertext (same data key, same IV).
    let line = |f: &[u8], k: &str| {
        String::from_utf8_lossy(f)
            .lines()
            .find(|l| l.starts_with(k))
            .map(String::from)
    };
    assert_eq!(
        line(&inputs_before["twingate.yaml"], "access_token:"),
        line(&inputs_after["twingate.yaml"], "access_token:")
    );
    // Today no renderer copies an input value into out/: only the lock (input digests) changes.
    let b = run_env(&["build"], root, &[]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    let out_after = files(&root.join("out"));
    let out_changed: Vec<&String> = out_after
        .iter()
        .filter(|(k, v)| out_before.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(out_changed, ["hlc.lock"]);

    // edit: unchanged is refused; a change is re-encrypted.
    let file = "configs/secrets/twingate.yaml";
    let e = run_env(
        &["secrets", "edit", file],
        root,
        &[("EDITOR", "true"), ("VISUAL", "")],
    );
    assert_eq!(e.code, 1, "{}", e.stderr);
    assert!(e.stderr.contains("no changes"), "{}", e.stderr);
    assert_eq!(
        std::fs::read(secrets.join("twingate.yaml")).unwrap(),
        inputs_after["twingate.yaml"]
    );
    let e = run_env(
        &["secrets", "edit", file],
        root,
        &[
            ("EDITOR", "sed -i s/n3w-refresh/edited-refresh/"),
            ("VISUAL", ""),
        ],
    );
    assert_eq!(e.code, 0, "{}", e.stderr);
    let g = run_env(&["secrets", "get", "twingate-refresh-token"], root, &[]);
    assert_eq!(g.stdout, "edited-refresh-token-0123456789");

    // rotate: a second recipient; every file is re-encrypted for both, and opens with either.
    let new_id = hlc_sops::Identity::generate();
    let main = root.join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap();
    let demo = "\"age152np02ef0q7jyg63wh6nuhqmj5xd6zpymlzr6wdwyn2t6w9py49s7mt965\"";
    assert!(text.contains(demo));
    std::fs::write(
        &main,
        text.replace(demo, &format!("{demo}, \"{}\"", new_id.to_public())),
    )
    .unwrap();
    let r = run_env(&["secrets", "rotate"], root, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let key = root.join("new.txt");
    std::fs::write(&key, format!("{}\n", new_id.to_secret_string().expose())).unwrap();
    for (rel, bytes) in files(&secrets) {
        if rel.ends_with(".agekey") {
            continue;
        }
        let meta = hlc_sops::inspect(&bytes, sops_format(&rel)).unwrap();
        assert_eq!(meta.age.len(), 2, "{rel}");
        sops_verify(
            &secrets.join(&rel),
            &rel,
            &key,
            std::slice::from_ref(&new_id),
        )
        .unwrap();
    }
    let c = run_env(&["check"], root, &[]);
    assert_eq!(c.code, 0, "rotate builds: {}", c.stderr);
}

#[test]
fn a_canary_secret_in_a_plaintext_artifact_fails_the_build_without_being_printed() {
    let lab = multi_site();
    let root = lab.path();
    let canary = "canary-5f1e9d3c7b";
    let s = run_stdin(
        &["secrets", "set", "authentik-secret-key"],
        root,
        &[],
        Some(canary),
    );
    assert_eq!(s.code, 0, "{}", s.stderr);
    // Route the value into a plaintext artifact: the site's description reaches inventory.json.
    let sites = root.join("configs/sites.ncl");
    let text = std::fs::read_to_string(&sites).unwrap();
    assert!(text.contains("Rack in the basement"));
    std::fs::write(&sites, text.replace("Rack in the basement", canary)).unwrap();
    let before = files(&root.join("out"));
    for args in [&["build"][..], &["build", "--check"][..], &["diff"][..]] {
        let b = run_env(args, root, &[]);
        assert_eq!(b.code, 1, "{args:?}: {}", b.stderr);
        assert!(
            b.stderr.contains(
                "error[HLC605]: out/inventory.json would contain the plaintext value of a secret"
            ),
            "{}",
            b.stderr
        );
        assert!(
            !b.stderr.contains(canary) && !b.stdout.contains(canary),
            "{args:?} printed the canary"
        );
    }
    assert_eq!(files(&root.join("out")), before, "out/ was touched");
}

#[test]
fn secrets_in_dotenv_and_binary_files_are_set_read_and_opened_by_real_sops() {
    let lab = multi_site();
    let root = lab.path();
    let defs = root.join("configs/secrets.ncl");
    let text = std::fs::read_to_string(&defs).unwrap();
    std::fs::write(
        &defs,
        text.trim_end().trim_end_matches('}').to_string()
            + "  db-password = { file = \"app.env\", key = \"DB_PASSWORD\" },\n  \
               db-user = { file = \"app.env\", key = \"DB_USER\" },\n  \
               ca-bundle = { file = \"ca.pem\", key = \"data\" },\n  \
               wrong-key = { file = \"ca.pem\", key = \"body\" },\n}\n",
    )
    .unwrap();
    // A binary file has one value, `data`: another key is refused before anything is written.
    let s = run_stdin(&["secrets", "set", "wrong-key"], root, &[], Some("x\n"));
    assert_eq!(s.code, 1, "{}", s.stderr);
    assert!(s.stderr.contains("`data`"), "{}", s.stderr);
    let values = [
        ("db-password", "pa55word-with=equals"),
        ("db-user", "app"),
        (
            "ca-bundle",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        ),
    ];
    for (name, value) in values {
        let s = run_stdin(
            &["secrets", "set", name],
            root,
            &[],
            Some(&format!("{value}\n")),
        );
        assert_eq!(s.code, 0, "{name}: {}", s.stderr);
        let g = run_env(&["secrets", "get", name], root, &[]);
        assert_eq!((g.code, g.stdout.as_str()), (0, value), "{}", g.stderr);
    }
    let secrets = root.join("configs/secrets");
    let env = std::fs::read_to_string(secrets.join("app.env")).unwrap();
    assert!(env.contains("DB_PASSWORD=ENC[AES256_GCM,data:"), "{env}");
    assert!(
        env.contains("\nsops_mac=ENC[") && env.contains("\nsops_version="),
        "{env}"
    );
    assert!(!env.contains("pa55word"), "{env}");
    let pem = std::fs::read_to_string(secrets.join("ca.pem")).unwrap();
    assert!(
        pem.starts_with("{\n\t\"data\": \"ENC[AES256_GCM,data:"),
        "{pem}"
    );
    assert!(!pem.contains("BEGIN CERTIFICATE"));
    // The real sops opens both (by their extensions: dotenv, binary).
    let key = secrets.join("demo.agekey");
    let ids = hlc_sops::parse_identities(&std::fs::read_to_string(&key).unwrap()).unwrap();
    for rel in ["app.env", "ca.pem"] {
        sops_verify(&secrets.join(rel), rel, &key, &ids).unwrap();
    }
    // Setting one value again keeps the other value's ciphertext (zero churn).
    let line = |t: &str, k: &str| t.lines().find(|l| l.starts_with(k)).map(String::from);
    let s = run_stdin(
        &["secrets", "set", "db-password"],
        root,
        &[],
        Some("changed\n"),
    );
    assert_eq!(s.code, 0, "{}", s.stderr);
    let env2 = std::fs::read_to_string(secrets.join("app.env")).unwrap();
    assert_eq!(line(&env, "DB_USER="), line(&env2, "DB_USER="));
    assert_ne!(line(&env, "DB_PASSWORD="), line(&env2, "DB_PASSWORD="));
    // The misnamed key is a configuration error of `hlc check`, at its line.
    let c = run_env(&["check"], root, &[]);
    assert_eq!(c.code, 1, "{}", c.stderr);
    assert!(
        c.stderr.contains("HLC602") && c.stderr.contains("binary file"),
        "{}",
        c.stderr
    );
}
