//! hlc-written files read by the real consumers: the real `sops` 3.11
//! (through `../shared/tools/sops-verify`), the `age` CLI on the data-key
//! stanza, PyYAML (a YAML 1.1 reader) on emitted plaintext, and the
//! detection rules of Flux's kustomize-controller and helm-secrets.
//!
//! The tools are installed by `scripts/install-test-deps.sh`; these tests
//! install nothing. A missing tool fails the test when `CI` is set and
//! is reported loudly (and the test returns early) otherwise.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{identity, key_file, read, recipient, rng, shared_dir, vectors};
use hlc_sops::{
    decrypt, encrypt, has_flux_marker, Document, EncryptOptions, Format, LastModified, Map, Rules,
    Selector, Value,
};
use hlc_sops::{inspect, reencrypt_if_changed, sops_config_yaml, CreationRule, Error, Outcome};

fn tool_available(tool: &str, available: bool) -> bool {
    if available {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} is missing: run scripts/install-test-deps.sh (CI is set, so this is a failure)"
    );
    eprintln!("\n********************************************************************");
    eprintln!("* SKIPPED: {tool} is missing; run scripts/install-test-deps.sh");
    eprintln!("********************************************************************\n");
    false
}

fn on_path(bin: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {bin}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The sops binary sops-verify would use.
fn find_sops() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SOPS_VERIFY_SOPS") {
        return Some(PathBuf::from(p));
    }
    if on_path("sops") {
        return Some(PathBuf::from("sops"));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(cache.join("hlc-sops/venv/bin/sops")).filter(|p| p.exists())
}

fn sops_available() -> bool {
    find_sops().is_some()
}

fn pyyaml_available() -> bool {
    Command::new("python3")
        .args(["-c", "import yaml"])
        .status()
        .is_ok_and(|s| s.success())
}

/// A fresh scratch directory under the target dir.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hlc-sops-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

fn lm() -> LastModified {
    LastModified::from_unix_seconds(1_767_323_045)
}

fn sops_verify(enc: &Path, key: &Path, expected: &Path) -> (bool, String) {
    let out = Command::new(shared_dir().join("tools/sops-verify"))
        .arg(enc)
        .arg(key)
        .arg(expected)
        .output()
        .expect("run sops-verify");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn rules_set() -> Vec<(&'static str, Rules)> {
    vec![
        ("default", Rules::default()),
        (
            "regex",
            Rules::encrypted_regex("^(data|stringData|password|token|key|secret|id)$"),
        ),
        (
            "suffix",
            Rules {
                selector: Selector::EncryptedSuffix("_secret".into()),
                mac_only_encrypted: false,
            },
        ),
        (
            "unenc-regex",
            Rules {
                selector: Selector::UnencryptedRegex("^(kind|apiVersion|metadata)$".into()),
                mac_only_encrypted: false,
            },
        ),
        (
            "mac-only",
            Rules {
                selector: Selector::EncryptedRegex("^(data|stringData)$".into()),
                mac_only_encrypted: true,
            },
        ),
    ]
}

const PLAINS: [&str; 13] = [
    "app.env",
    "blob.bin",
    "flat.yaml",
    "k8s-secret.yaml",
    "k8s-secret.json",
    "lists.yaml",
    "multidoc.yaml",
    "nested.yaml",
    "suffixes.yaml",
    "talos.yaml",
    "types.json",
    "types.yaml",
    "yaml-edge-scalars.yaml",
];

#[test]
fn real_sops_decrypts_hlc_written_files() {
    if !tool_available("sops (for sops-verify)", sops_available())
        || !tool_available("python3 + PyYAML", pyyaml_available())
    {
        return;
    }
    let dir = scratch("sops");
    let recipients = [recipient(1), recipient(2)];
    let lm = lm();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut skipped = 0;
    for name in PLAINS {
        let format = Format::from_path(name);
        let doc = format
            .parse(&read(&format!("plain/{name}")))
            .expect("parses");
        // The expected plaintext is what hlc itself writes for the document:
        // this also checks that PyYAML (YAML 1.1) reads hlc's YAML as sops
        // (go-yaml v3) reads it.
        let expected = write(
            &dir,
            &format!("expected-{name}"),
            &format.emit(&doc).expect("emits"),
        );
        for (rule_name, rules) in rules_set() {
            let opts = EncryptOptions {
                format,
                recipients: &recipients,
                rules: &rules,
                lastmodified: &lm,
            };
            let bytes = match encrypt(&doc, &opts, &mut rng(11)) {
                Ok(b) => b,
                // A binary body that is not UTF-8 cannot stay in cleartext in JSON.
                Err(Error::Emit { .. }) if name == "blob.bin" => {
                    skipped += 1;
                    continue;
                }
                Err(e) => panic!("{rule_name}/{name}: {e}"),
            };
            let enc = write(&dir, &format!("{rule_name}-{name}"), &bytes);
            // demo-1 opens every file; demo-2 (the second stanza) is checked
            // with the default rule only, to keep the run short.
            let keys: &[u8] = if rule_name == "default" {
                &[1, 2]
            } else {
                &[1]
            };
            for &key in keys {
                let (ok, out) = sops_verify(&enc, &key_file(key), &expected);
                if !ok {
                    failures.push(format!("{rule_name}/{name} with demo-{key}: {out}"));
                }
                checked += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked + skipped, PLAINS.len() * 6);
    assert!(skipped <= 3, "{skipped}");
}

#[test]
fn real_sops_refuses_a_tampered_hlc_file() {
    if !tool_available("sops (for sops-verify)", sops_available())
        || !tool_available("python3 + PyYAML", pyyaml_available())
    {
        return;
    }
    let dir = scratch("tamper");
    let doc = Format::Yaml
        .parse(&read("plain/flat.yaml"))
        .expect("parses");
    let rules = Rules::default();
    let lm = lm();
    let recipients = [recipient(1)];
    let opts = EncryptOptions {
        format: Format::Yaml,
        recipients: &recipients,
        rules: &rules,
        lastmodified: &lm,
    };
    let text = String::from_utf8(encrypt(&doc, &opts, &mut rng(12)).expect("ok")).expect("utf8");
    // Swap the username and password lines: each value still decrypts...
    let lines: Vec<&str> = text.lines().collect();
    let mut swapped = vec![lines[1], lines[0]];
    swapped.extend(&lines[2..]);
    let swapped = swapped.join("\n") + "\n";
    let enc = write(&dir, "swapped.yaml", swapped.as_bytes());
    let expected = vectors().join("plain/flat.yaml");
    let (ok, out) = sops_verify(&enc, &key_file(1), &expected);
    assert!(!ok, "real sops must refuse: {out}");
    assert!(out.contains("MAC mismatch"), "{out}");
    // ... and hlc refuses it for the same reason.
    assert!(matches!(
        decrypt(swapped.as_bytes(), Format::Yaml, &[identity(1)]),
        Err(hlc_sops::Error::MacMismatch) | Err(hlc_sops::Error::Authentication { .. })
    ));
}

#[test]
fn age_cli_opens_the_data_key_stanza() {
    if !tool_available("age", on_path("age")) {
        return;
    }
    let dir = scratch("age");
    let doc = Format::Json
        .parse(&read("plain/types.json"))
        .expect("parses");
    let rules = Rules::default();
    let lm = lm();
    let recipients = [recipient(1), recipient(2)];
    let opts = EncryptOptions {
        format: Format::Json,
        recipients: &recipients,
        rules: &rules,
        lastmodified: &lm,
    };
    let bytes = encrypt(&doc, &opts, &mut rng(13)).expect("ok");
    let dec = decrypt(&bytes, Format::Json, &[identity(1)]).expect("ok");
    assert_eq!(dec.metadata.age.len(), 2);
    for (i, stanza) in dec.metadata.age.iter().enumerate() {
        let f = write(&dir, &format!("stanza-{i}.age"), stanza.enc.as_bytes());
        // Each stanza is an age file for its own recipient only.
        assert_eq!(stanza.recipient, recipients[i].as_str());
        for key in [1u8, 2] {
            let out = Command::new("age")
                .arg("-d")
                .arg("-i")
                .arg(key_file(key))
                .arg(&f)
                .output()
                .expect("run age");
            if usize::from(key) == i + 1 {
                assert!(
                    out.status.success(),
                    "age -d: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert_eq!(
                    out.stdout.as_slice(),
                    dec.data_key(),
                    "stanza {i}, demo-{key}"
                );
            } else {
                assert!(
                    !out.status.success(),
                    "stanza {i} must not open with demo-{key}"
                );
            }
        }
    }
}

fn grep(args: &[&str], file: &Path) -> bool {
    Command::new("grep")
        .args(args)
        .arg(file)
        .status()
        .expect("run grep")
        .success()
}

#[test]
fn flux_and_helm_secrets_detect_hlc_files_as_encrypted() {
    let dir = scratch("detect");
    let recipients = [recipient(1)];
    let lm = lm();
    for name in [
        "k8s-secret.yaml",
        "k8s-secret.json",
        "multidoc.yaml",
        "talos.yaml",
        "types.json",
    ] {
        let format = Format::from_path(name);
        let doc = format
            .parse(&read(&format!("plain/{name}")))
            .expect("parses");
        for (rule_name, rules) in rules_set() {
            let opts = EncryptOptions {
                format,
                recipients: &recipients,
                rules: &rules,
                lastmodified: &lm,
            };
            let bytes = encrypt(&doc, &opts, &mut rng(14)).expect("ok");
            let f = write(&dir, &format!("{rule_name}-{name}"), &bytes);
            let what = format!("{rule_name}/{name}");
            // Flux kustomize-controller: the format's byte marker ...
            assert!(has_flux_marker(&bytes, format), "{what}: Flux marker");
            let marker = if format == Format::Yaml {
                "mac: ENC["
            } else {
                "\"mac\": \"ENC["
            };
            assert!(grep(&["-qF", marker], &f), "{what}: marker via grep");
            // ... and isSOPSEncryptedResource: a non-empty top-level `sops`
            // with a non-empty `mac`, on the document as JSON.
            let reparsed = format.parse(&bytes).expect("reparses");
            for d in &reparsed.docs {
                let Some(Value::Map(sops)) = d.get("sops") else {
                    panic!("{what}: no sops map")
                };
                assert!(
                    matches!(sops.get("mac"), Some(Value::Str(m)) if !m.is_empty()),
                    "{what}: mac"
                );
            }
            let as_json: Vec<u8> = Format::Json
                .emit(&Document::single(reparsed.docs[0].clone()))
                .expect("as json");
            let v: serde_json::Value = serde_json::from_slice(&as_json).expect("json");
            assert!(
                v["sops"].is_object() && v["sops"]["mac"].as_str().is_some_and(|m| !m.is_empty())
            );
            // helm-secrets: "is encrypted" and the type detection greps.
            assert!(
                grep(&["-q", "mac.*,type:str]"], &f),
                "{what}: helm-secrets is-encrypted grep"
            );
            let yaml_line = grep(&["-xq", "sops:\\s*"], &f);
            assert_eq!(
                yaml_line,
                format == Format::Yaml,
                "{what}: helm-secrets yaml detection"
            );
            if format == Format::Json {
                assert!(
                    !grep(&["-q", "\"data\": \"ENC"], &f),
                    "{what}: not taken for binary"
                );
            }
        }
    }
    // dotenv and binary files (Flux's secretGenerator inputs): the format's marker, and
    // helm-secrets' greps (a binary file is JSON with `"data": "ENC`).
    for (name, marker) in [
        ("app.env", "sops_mac=ENC["),
        ("blob.bin", "\"mac\": \"ENC["),
    ] {
        let format = Format::from_path(name);
        let doc = format
            .parse(&read(&format!("plain/{name}")))
            .expect("parses");
        let opts = EncryptOptions {
            format,
            recipients: &recipients,
            rules: &Rules::default(),
            lastmodified: &lm,
        };
        let bytes = encrypt(&doc, &opts, &mut rng(15)).expect("ok");
        let f = write(&dir, name, &bytes);
        assert!(has_flux_marker(&bytes, format), "{name}: Flux marker");
        assert!(grep(&["-qF", marker], &f), "{name}: marker via grep");
        assert!(grep(&["-q", "mac.*,type:str]"], &f), "{name}: helm-secrets");
        assert_eq!(
            grep(&["-q", "\"data\": \"ENC"], &f),
            format == Format::Binary,
            "{name}: helm-secrets binary detection"
        );
    }
    // A plaintext file is not detected.
    let plain = write(&dir, "plain.yaml", &read("plain/flat.yaml"));
    assert!(!grep(&["-q", "mac.*,type:str]"], &plain));
    assert!(!has_flux_marker(&read("plain/flat.yaml"), Format::Yaml));
}

#[test]
fn pyyaml_reads_every_tricky_string_as_a_string() {
    if !tool_available("python3 + PyYAML", pyyaml_available()) {
        return;
    }
    let tricky = [
        "on",
        "off",
        "On",
        "OFF",
        "yes",
        "no",
        "Yes",
        "NO",
        "y",
        "n",
        "Y",
        "N",
        "true",
        "False",
        "TRUE",
        "null",
        "Null",
        "~",
        "",
        "0755",
        "0o17",
        "0x1F",
        "1e3",
        "1E3",
        "1.5",
        "-1",
        "+1",
        ".5",
        "1_000",
        "1:20",
        "12:30:45",
        "2024-01-01",
        "2024-01-01 10:00:00",
        "2001-12-14t21:59:43.10-05:00",
        ".inf",
        "-.inf",
        ".nan",
        "=",
        "<<",
        "3.11.0",
        "10.0.0.10",
        "- dash",
        "key: value",
        "#hash",
        "a #b",
        "trailing ",
        " leading",
        "@at",
        "`tick",
        "!bang",
        "&amp",
        "*star",
        "%pct",
        "|pipe",
        ">gt",
        "'single'",
        "\"double\"",
        "{brace}",
        "[bracket]",
        "a, b",
        "tab\there",
        "uni ü 世 🌍",
        "line1\nline2\n",
        "line1\nline2",
        "ctrl\u{1}x",
        "back\\slash",
        "ends with colon:",
        "?q",
    ];
    let mut m = Map::new();
    for (i, s) in tricky.iter().enumerate() {
        m.push(format!("k{i}"), Value::str(*s));
        m.push(*s, Value::str("as key"));
    }
    let yaml = Format::Yaml.emit(&Document::single(m)).expect("emits");
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import sys, json, yaml\nd = yaml.safe_load(sys.stdin.buffer.read().decode())\n\
             print(json.dumps([[str(type(k).__name__), k, type(v).__name__, v] for k, v in d.items()]))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&yaml)
            .expect("write");
    }
    let out = child.wait_with_output().expect("python3 output");
    assert!(
        out.status.success(),
        "PyYAML failed on:\n{}",
        String::from_utf8_lossy(&yaml)
    );
    let rows: Vec<(String, String, String, String)> =
        serde_json::from_slice::<Vec<Vec<serde_json::Value>>>(&out.stdout)
            .expect("json")
            .into_iter()
            .map(|r| {
                let s = |i: usize| {
                    r[i].as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("<{}>", r[i]))
                };
                (s(0), s(1), s(2), s(3))
            })
            .collect();
    assert_eq!(
        rows.len(),
        tricky.len() * 2,
        "{}",
        String::from_utf8_lossy(&yaml)
    );
    for (i, s) in tricky.iter().enumerate() {
        let (kt, k, vt, v) = &rows[2 * i];
        assert_eq!(
            (kt.as_str(), k.as_str(), vt.as_str(), v.as_str()),
            ("str", format!("k{i}").as_str(), "str", *s),
            "value {s:?}"
        );
        let (kt, k, _, _) = &rows[2 * i + 1];
        assert_eq!((kt.as_str(), k.as_str()), ("str", *s), "key {s:?}");
    }
}

#[test]
fn real_sops_follows_a_generated_sops_yaml() {
    let Some(sops) = find_sops() else {
        tool_available("sops", false);
        return;
    };
    let dir = scratch("sopsyaml");
    let secret_rules = Rules::encrypted_regex("^(data|stringData)$");
    let config = sops_config_yaml(
        &["TEST ONLY: demo keys"],
        &[
            CreationRule {
                path_regex: Some(r"(^|/)k8s-secret\.yaml$".into()),
                recipients: vec![recipient(1), recipient(2)],
                rules: secret_rules.clone(),
            },
            CreationRule {
                path_regex: None,
                recipients: vec![recipient(1)],
                rules: Rules::default(),
            },
        ],
    );
    write(&dir, ".sops.yaml", config.as_bytes());
    std::fs::create_dir_all(dir.join("home")).expect("home");
    for (name, rules, n_recipients) in [
        ("k8s-secret.yaml", &secret_rules, 2),
        ("flat.yaml", &Rules::default(), 1),
    ] {
        let plain_bytes = read(&format!("plain/{name}"));
        let f = write(&dir, name, &plain_bytes);
        let out = Command::new(&sops)
            .current_dir(&dir)
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_AGE_KEY_FILE")
            .env("HOME", dir.join("home"))
            .env("XDG_CONFIG_HOME", dir.join("home"))
            .args(["encrypt", "--in-place", name])
            .output()
            .expect("run sops");
        assert!(
            out.status.success(),
            "sops encrypt {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&f).expect("read back");
        let meta = inspect(&bytes, Format::Yaml).expect("metadata");
        assert_eq!(&meta.rules, rules, "{name}");
        assert_eq!(meta.age.len(), n_recipients, "{name}");
        // hlc keeps the sops-written file as it is when nothing changed.
        let doc = Format::Yaml.parse(&plain_bytes).expect("parses");
        let recipients: Vec<_> = [recipient(1), recipient(2)]
            .into_iter()
            .take(n_recipients)
            .collect();
        let lm = lm();
        let opts = EncryptOptions {
            format: Format::Yaml,
            recipients: &recipients,
            rules,
            lastmodified: &lm,
        };
        let r = reencrypt_if_changed(Some(&bytes), &doc, &opts, &[identity(1)], &mut rng(15))
            .expect("ok");
        assert_eq!(r.outcome, Outcome::Kept, "{name}");
        assert_eq!(r.bytes, bytes);
    }
}
