//! Files written by the real sops 3.11.0 (`../shared/vectors/sops`): every
//! encrypted vector decrypts to its plaintext, the data keys match
//! DATAKEYS.txt, and every tampered file is refused with the right error.

mod common;

use common::{identity, read, vectors};
use hlc_sops::{decrypt, decrypt_with, inspect, DecryptOptions, Document, Error, Format, Selector};

/// Every `enc/<variant>/<file>` (relative path), sorted.
fn enc_files() -> Vec<String> {
    let mut out = Vec::new();
    let root = vectors().join("enc");
    let variants = std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    for v in variants {
        let v = v.expect("dir entry").path();
        for f in std::fs::read_dir(&v).expect("variant dir") {
            let f = f.expect("dir entry").path();
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .expect("name")
                .to_string();
            if name.starts_with('.') {
                continue;
            }
            let variant = v.file_name().and_then(|n| n.to_str()).expect("variant");
            out.push(format!("enc/{variant}/{name}"));
        }
    }
    out.sort();
    out
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

fn parse_plain(rel: &str, format: Format) -> Document {
    format
        .parse(&read(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn every_vector_decrypts_to_its_plaintext() {
    let files = enc_files();
    let mut checked = 0;
    for rel in &files {
        let name = file_name(rel);
        let format = Format::from_path(name);
        let ids = [identity(1)];
        let dec = decrypt(&read(rel), format, &ids).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let plain = parse_plain(&format!("plain/{name}"), format);
        assert!(
            dec.document.same_as(&plain),
            "{rel} does not decrypt to plain/{name}:\n{}\n---- expected\n{}",
            String::from_utf8_lossy(&format.emit(&dec.document).expect("emit")),
            String::from_utf8_lossy(&format.emit(&plain).expect("emit"))
        );
        assert_eq!(dec.metadata.version, "3.11.0");
        checked += 1;
    }
    assert_eq!(checked, files.len());
    assert!(checked >= 24, "only {checked} vectors found");
}

#[test]
fn decrypted_output_of_sops_matches_for_type_changing_inputs() {
    for name in ["types.yaml", "yaml-edge-scalars.yaml"] {
        let dec = decrypt(
            &read(&format!("enc/default/{name}")),
            Format::Yaml,
            &[identity(1)],
        )
        .expect("decrypts");
        let sops_out = parse_plain(&format!("decrypted/{name}"), Format::Yaml);
        // sops prints the float 1000 as `1000`, which reads back as an int.
        assert!(
            numbers_as_floats(&dec.document).same_as(&numbers_as_floats(&sops_out)),
            "{name}"
        );
    }
}

fn numbers_as_floats(d: &Document) -> Document {
    use hlc_sops::{Entry, Map, Value};
    fn v(x: &Value) -> Value {
        match x {
            Value::Int(i) => Value::Float(*i as f64),
            Value::Map(m) => Value::Map(map(m)),
            Value::Seq(s) => Value::Seq(s.iter().map(v).collect()),
            other => other.clone(),
        }
    }
    fn map(m: &Map) -> Map {
        Map(m
            .0
            .iter()
            .map(|e| match e {
                Entry::Pair(k, x) => Entry::Pair(k.clone(), v(x)),
                c => c.clone(),
            })
            .collect())
    }
    Document {
        docs: d.docs.iter().map(map).collect(),
    }
}

#[test]
fn typed_values_come_back_typed() {
    use hlc_sops::Value;
    let dec = decrypt(
        &read("enc/default/yaml-edge-scalars.yaml"),
        Format::Yaml,
        &[identity(1)],
    )
    .expect("ok");
    let m = &dec.document.docs[0];
    assert!(matches!(m.get("yes_plain"), Some(Value::Str(s)) if s == "yes"));
    assert!(matches!(m.get("octal_like"), Some(Value::Int(83))));
    assert!(matches!(m.get("hex"), Some(Value::Int(31))));
    assert!(matches!(m.get("inf"), Some(Value::Float(f)) if f.is_infinite()));
    assert!(matches!(m.get("nan"), Some(Value::Float(f)) if f.is_nan()));
    assert!(matches!(m.get("date"), Some(Value::Time(t)) if t == "2024-01-01T00:00:00Z"));
    assert!(matches!(m.get("tagged_str"), Some(Value::Str(s)) if s == "42"));
    let dec = decrypt(
        &read("enc/default/types.json"),
        Format::Json,
        &[identity(1)],
    )
    .expect("ok");
    assert!(matches!(dec.document.docs[0].get("int"), Some(Value::Float(f)) if *f == 42.0));
    // Comments: encrypted in the file, clear after decryption.
    let dec = decrypt(
        &read("enc/default/types.yaml"),
        Format::Yaml,
        &[identity(1)],
    )
    .expect("ok");
    let out = String::from_utf8(Format::Yaml.emit(&dec.document).expect("emit")).expect("utf8");
    assert!(
        out.starts_with("# top-level comment before the first key\n"),
        "{out}"
    );
    assert!(
        out.contains("    # trailing comment on a value\n    key: value\n"),
        "{out}"
    );
    assert!(
        out.contains("list:\n    # comment on a list item\n    - a\n"),
        "{out}"
    );
}

#[test]
fn second_recipient_decrypts_two_recipient_files() {
    for name in ["flat.yaml", "k8s-secret.yaml", "types.json"] {
        let rel = format!("enc/two-recipients/{name}");
        let format = Format::from_path(name);
        let a = decrypt(&read(&rel), format, &[identity(2)]).expect("demo-2 decrypts");
        let b = decrypt(&read(&rel), format, &[identity(1)]).expect("demo-1 decrypts");
        assert_eq!(a.data_key(), b.data_key());
        assert_eq!(a.metadata.age.len(), 2);
    }
    // demo-2 is not a recipient of the default files.
    let err =
        decrypt(&read("enc/default/flat.yaml"), Format::Yaml, &[identity(2)]).expect_err("no key");
    assert!(
        matches!(err, Error::NoMatchingIdentity { stanzas: 1 }),
        "{err}"
    );
}

#[test]
fn data_keys_match_datakeys_txt() {
    let text = String::from_utf8(read("DATAKEYS.txt")).expect("utf8");
    let mut checked = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (rel, hex) = line.split_once(' ').expect("two fields");
        let format = Format::from_path(rel);
        let dec =
            decrypt(&read(rel), format, &[identity(1)]).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let got: String = dec.data_key().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, hex.trim(), "{rel}");
        checked += 1;
    }
    assert!(checked >= 24, "{checked}");
}

#[test]
fn rules_are_read_from_metadata() {
    let cases = [
        (
            "enc/default/flat.yaml",
            Selector::UnencryptedSuffix("_unencrypted".into()),
            false,
        ),
        (
            "enc/encrypted-regex/k8s-secret.yaml",
            Selector::EncryptedRegex("^(data|stringData)$".into()),
            false,
        ),
        (
            "enc/encrypted-suffix/suffixes.yaml",
            Selector::EncryptedSuffix("_secret".into()),
            false,
        ),
        (
            "enc/mac-only-encrypted/k8s-secret.yaml",
            Selector::EncryptedRegex("^(data|stringData)$".into()),
            true,
        ),
        (
            "enc/sops-yaml/talos.yaml",
            Selector::EncryptedRegex("^(token|key|secret|id|secretboxEncryptionSecret)$".into()),
            false,
        ),
    ];
    for (rel, selector, mac_only) in cases {
        let meta = inspect(&read(rel), Format::Yaml).expect("metadata");
        assert_eq!(meta.rules.selector, selector, "{rel}");
        assert_eq!(meta.rules.mac_only_encrypted, mac_only, "{rel}");
        assert_eq!(meta.lastmodified.as_str().len(), 20);
    }
}

/// The class of error real sops gives (bad/EXPECTED.txt) → our error.
fn expected_class(exit: &str, gist: &str) -> &'static str {
    match exit {
        "exit 0" => "ok",
        "exit 1" => "metadata",
        "exit 128" => "identity",
        "exit 25" if gist.contains("does not match sops' data format") => "not-encrypted",
        "exit 25" => "auth",
        "exit 51" if gist.contains("Cannot decrypt MAC") => "mac-decrypt",
        "exit 51" if gist.contains("no MAC") => "mac-missing",
        "exit 51" => "mac-mismatch",
        other => panic!("unknown expectation {other}"),
    }
}

fn actual_class(r: &Result<hlc_sops::Decrypted, Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(Error::MetadataNotFound) => "metadata",
        Err(Error::NoMatchingIdentity { .. }) => "identity",
        Err(Error::NotEncrypted { .. }) => "not-encrypted",
        Err(Error::Authentication { .. }) => "auth",
        Err(Error::MacDecrypt) => "mac-decrypt",
        Err(Error::MacMissing) => "mac-missing",
        Err(Error::MacMismatch) => "mac-mismatch",
        Err(_) => "other",
    }
}

#[test]
fn tampered_files_are_refused_with_the_error_class_sops_gives() {
    let text = String::from_utf8(read("bad/EXPECTED.txt")).expect("utf8");
    let mut checked = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split(" | ").collect();
        let (rel, exit, gist) = (fields[0], fields[1], fields[2]);
        let format = Format::from_path(rel);
        let result = decrypt(&read(rel), format, &[identity(1)]);
        let want = expected_class(exit, gist);
        assert_eq!(
            actual_class(&result),
            want,
            "{rel}: {:?}",
            result.as_ref().err()
        );
        if let Err(e) = &result {
            let code = exit
                .trim_start_matches("exit ")
                .parse::<i32>()
                .expect("code");
            assert_eq!(e.sops_exit_code(), code, "{rel}: {e}");
            // Errors never carry values or MACs.
            let msg = e.to_string();
            assert!(
                !msg.contains("hunter2") && !msg.contains("evil"),
                "{rel}: {msg}"
            );
            assert!(
                !msg.chars().filter(|c| c.is_ascii_hexdigit()).count() > 60,
                "{rel}: {msg}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 15);
}

#[test]
fn flux_skips_the_mac_check() {
    // Flux decrypts without checking the MAC: reordered keys still decrypt.
    let opts = DecryptOptions { verify_mac: false };
    for rel in [
        "bad/reordered-keys.yaml",
        "bad/swapped-list-items.yaml",
        "bad/lowercase-mac.yaml",
    ] {
        decrypt_with(&read(rel), Format::Yaml, &[identity(1)], &opts)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
    }
    // ... but every value must still authenticate.
    let err = decrypt_with(
        &read("bad/moved-value.yaml"),
        Format::Yaml,
        &[identity(1)],
        &opts,
    )
    .expect_err("moved");
    assert!(
        matches!(err, Error::Authentication { ref path } if path == "password" || path == "username"),
        "{err}"
    );
}

#[test]
fn garbage_and_mutations_never_panic() {
    use rand_chacha::rand_core::RngCore;
    let mut rng = common::rng(7);
    let ids = [identity(1)];
    let seeds = [
        read("enc/default/types.yaml"),
        read("enc/default/lists.yaml"),
        read("enc/default/k8s-secret.json"),
        read("enc/default/multidoc.yaml"),
    ];
    let mut errors = 0;
    // HLC_SOPS_FUZZ_ROUNDS=20000 for a longer run.
    let rounds: usize = std::env::var("HLC_SOPS_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(400);
    for round in 0..rounds {
        let seed = &seeds[round % seeds.len()];
        let mut b = seed.clone();
        let flips = 1 + (rng.next_u32() % 4) as usize;
        for _ in 0..flips {
            let i = rng.next_u32() as usize % b.len();
            match rng.next_u32() % 3 {
                0 => b[i] ^= 1 << (rng.next_u32() % 8),
                1 => b.truncate(i),
                _ => b.insert(i, b" :-[{#&*!|>'\"\n\t"[rng.next_u32() as usize % 15]),
            }
            if b.is_empty() {
                break;
            }
        }
        for format in [Format::Yaml, Format::Json] {
            if decrypt(&b, format, &ids).is_err() {
                errors += 1;
            }
        }
    }
    assert!(errors > rounds, "mutations should mostly fail: {errors}");
    for junk in [
        &b""[..],
        b"\xff\xfe",
        b"sops: 1",
        b"{\"sops\": []}",
        b"a: b\nsops:\n  age: 3\n",
        b"---\n---\n",
    ] {
        assert!(decrypt(junk, Format::Yaml, &ids).is_err());
        assert!(decrypt(junk, Format::Json, &ids).is_err());
    }
}
