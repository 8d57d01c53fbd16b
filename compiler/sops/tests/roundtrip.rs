//! hlc-sops writing its own files: round trips under every rule,
//! determinism, and the zero-churn contract of `reencrypt_if_changed`.

mod common;

use common::{identity, read, recipient, rng};
use hlc_sops::{
    decrypt, encrypt, inspect, reencrypt_if_changed, Document, EncryptOptions, Error, Format,
    LastModified, Map, Outcome, Recipient, Rules, Selector, Value,
};

fn t0() -> LastModified {
    LastModified::parse("2026-01-02T03:04:05Z").expect("valid")
}

fn opts<'a>(
    format: Format,
    recipients: &'a [Recipient],
    rules: &'a Rules,
    lm: &'a LastModified,
) -> EncryptOptions<'a> {
    EncryptOptions {
        format,
        recipients,
        rules,
        lastmodified: lm,
    }
}

fn plain(rel: &str) -> (Document, Format) {
    let format = Format::from_path(rel);
    (format.parse(&read(rel)).expect("parses"), format)
}

fn all_rules() -> Vec<Rules> {
    vec![
        Rules::default(),
        Rules::encrypted_regex("^(data|stringData|password|token|key|secret)$"),
        Rules {
            selector: Selector::EncryptedSuffix("_secret".into()),
            mac_only_encrypted: false,
        },
        Rules {
            selector: Selector::UnencryptedRegex("^(kind|apiVersion|name)$".into()),
            mac_only_encrypted: false,
        },
        Rules {
            selector: Selector::EncryptedRegex("^(data|stringData)$".into()),
            mac_only_encrypted: true,
        },
    ]
}

const PLAINS: [&str; 13] = [
    "plain/app.env",
    "plain/blob.bin",
    "plain/flat.yaml",
    "plain/k8s-secret.yaml",
    "plain/k8s-secret.json",
    "plain/lists.yaml",
    "plain/multidoc.yaml",
    "plain/nested.yaml",
    "plain/suffixes.yaml",
    "plain/talos.yaml",
    "plain/types.json",
    "plain/types.yaml",
    "plain/yaml-edge-scalars.yaml",
];

#[test]
fn every_plaintext_roundtrips_under_every_rule() {
    let recipients = [recipient(1), recipient(2)];
    let lm = t0();
    for rel in PLAINS {
        let (doc, format) = plain(rel);
        for rules in all_rules() {
            let bytes = match encrypt(&doc, &opts(format, &recipients, &rules, &lm), &mut rng(1)) {
                Ok(b) => b,
                // A binary body that is not UTF-8 cannot stay in cleartext in JSON: only
                // rules that leave `data` in clear refuse it.
                Err(Error::Emit { .. }) if rel.ends_with(".bin") => {
                    assert!(
                        !matches!(&rules.selector, Selector::UnencryptedSuffix(_)),
                        "{rules:?}"
                    );
                    continue;
                }
                Err(e) => panic!("{rel} {rules:?}: {e}"),
            };
            for id in [identity(1), identity(2)] {
                let dec = decrypt(&bytes, format, &[id])
                    .unwrap_or_else(|e| panic!("{rel} {rules:?}: {e}"));
                assert!(dec.document.same_as(&doc), "{rel} {rules:?}");
                assert_eq!(dec.metadata.rules, rules);
            }
            let meta = inspect(&bytes, format).expect("metadata");
            assert_eq!(meta.lastmodified, lm);
            assert_eq!(meta.version, "3.11.0");
            assert_eq!(meta.age.len(), 2);
        }
    }
}

#[test]
fn what_is_encrypted_follows_the_rules() {
    let (doc, format) = plain("plain/k8s-secret.yaml");
    let rules = Rules::encrypted_regex("^(data|stringData)$");
    let lm = t0();
    let bytes = encrypt(
        &doc,
        &opts(format, &[recipient(1)], &rules, &lm),
        &mut rng(2),
    )
    .expect("encrypts");
    let text = String::from_utf8(bytes).expect("utf8");
    assert!(text.contains("\nkind: Secret\n"), "{text}");
    assert!(text.contains("    name: app-credentials\n"));
    assert!(text.contains("        example.invalid/yes-word: \"yes\"\n"));
    assert!(
        text.contains("        # values that stay in cleartext"),
        "clear comment in clear part"
    );
    assert!(text.contains("    password: ENC[AES256_GCM,data:"));
    assert!(!text.contains("hunter2"));
    assert!(text.contains("    encrypted_regex: ^(data|stringData)$\n"));
    // Default rule: everything, comments included, is encrypted.
    let (doc, format) = plain("plain/types.yaml");
    let bytes = encrypt(
        &doc,
        &opts(format, &[recipient(1)], &Rules::default(), &lm),
        &mut rng(2),
    )
    .expect("ok");
    let text = String::from_utf8(bytes).expect("utf8");
    assert!(text.starts_with("#ENC[AES256_GCM,data:"), "{text}");
    assert!(text.contains(",type:comment]\n"));
    assert!(text.contains("int: ENC[AES256_GCM,") && text.contains(",type:int]"));
    assert!(text.contains(",type:bool]") && text.contains(",type:float]"));
    assert!(text.contains("null_value: null\n") && text.contains("empty_string: \"\"\n"));
    assert!(
        text.contains("list:\n    - ENC[AES256_GCM,")
            && text.contains(",type:comment]\n    - ENC[")
    );
    assert!(!text.contains("hello") && !text.contains("comment on a list item"));
}

#[test]
fn sops_block_is_last_and_in_sops_field_order() {
    let (doc, format) = plain("plain/flat.yaml");
    let lm = t0();
    let bytes = encrypt(
        &doc,
        &opts(format, &[recipient(1)], &Rules::default(), &lm),
        &mut rng(3),
    )
    .expect("ok");
    let text = String::from_utf8(bytes).expect("utf8");
    let sops = &text[text.find("\nsops:\n").expect("sops block") + 1..];
    let keys: Vec<&str> = sops
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .map(|l| l.trim().split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(
        keys,
        [
            "age",
            "lastmodified",
            "mac",
            "unencrypted_suffix",
            "version"
        ]
    );
    assert!(sops.contains("        - recipient: age1"));
    assert!(sops.contains("          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n"));
    assert!(sops.contains("    lastmodified: \"2026-01-02T03:04:05Z\"\n"));
    let mac_line = sops
        .lines()
        .find(|l| l.starts_with("    mac: "))
        .expect("mac line");
    assert!(
        mac_line.starts_with("    mac: ENC[AES256_GCM,data:") && mac_line.ends_with(",type:str]")
    );
}

#[test]
fn same_inputs_same_bytes_except_age_stanzas() {
    let (doc, format) = plain("plain/talos.yaml");
    let lm = t0();
    let rules = Rules::default();
    let recipients = [recipient(1)];
    let o = opts(format, &recipients, &rules, &lm);
    let a = String::from_utf8(encrypt(&doc, &o, &mut rng(9)).expect("ok")).expect("utf8");
    let b = String::from_utf8(encrypt(&doc, &o, &mut rng(9)).expect("ok")).expect("utf8");
    let strip = |s: &str| -> String {
        let start = s.find("-----BEGIN").expect("begin");
        let end = s.find("-----END").expect("end");
        format!("{}{}", &s[..start], &s[end..])
    };
    assert_ne!(a, b, "age stanzas use fresh ephemeral keys");
    assert_eq!(strip(&a), strip(&b));
    let c = String::from_utf8(encrypt(&doc, &o, &mut rng(10)).expect("ok")).expect("utf8");
    assert_ne!(
        strip(&a),
        strip(&c),
        "another seed gives another key and IVs"
    );
}

fn changed_lines(a: &[u8], b: &[u8]) -> Vec<String> {
    let a = String::from_utf8_lossy(a);
    let b = String::from_utf8_lossy(b);
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(la.len(), lb.len(), "same structure");
    la.iter()
        .zip(&lb)
        .filter(|(x, y)| x != y)
        .map(|(_, y)| y.split(':').next().unwrap_or("").trim().to_string())
        .collect()
}

#[test]
fn reencrypt_keeps_unchanged_files_byte_for_byte() {
    let (doc, format) = plain("plain/nested.yaml");
    let recipients = [recipient(1), recipient(2)];
    let rules = Rules::default();
    let lm1 = t0();
    let first = reencrypt_if_changed(
        None,
        &doc,
        &opts(format, &recipients, &rules, &lm1),
        &[],
        &mut rng(4),
    )
    .expect("ok");
    assert_eq!(first.outcome, Outcome::Fresh);

    // Same plaintext, later build time, other RNG state: the old bytes.
    let lm2 = LastModified::parse("2026-06-01T00:00:00Z").expect("valid");
    let again = reencrypt_if_changed(
        Some(&first.bytes),
        &doc,
        &opts(format, &recipients, &rules, &lm2),
        &[identity(2)],
        &mut rng(5),
    )
    .expect("ok");
    assert_eq!(again.outcome, Outcome::Kept);
    assert_eq!(again.bytes, first.bytes);

    // Recipient order does not matter (it is a set).
    let swapped = [recipient(2), recipient(1)];
    let again = reencrypt_if_changed(
        Some(&first.bytes),
        &doc,
        &opts(format, &swapped, &rules, &lm2),
        &[identity(1)],
        &mut rng(5),
    )
    .expect("ok");
    assert_eq!(again.outcome, Outcome::Kept);

    // Also for files written by the real sops.
    let sops_file = read("enc/default/nested.yaml");
    let (plain_nested, _) = plain("plain/nested.yaml");
    let kept = reencrypt_if_changed(
        Some(&sops_file),
        &plain_nested,
        &opts(format, &[recipient(1)], &rules, &lm2),
        &[identity(1)],
        &mut rng(6),
    )
    .expect("ok");
    assert_eq!(kept.outcome, Outcome::Kept);
    assert_eq!(kept.bytes, sops_file);
}

#[test]
fn reencrypt_changes_only_the_changed_value() {
    let (doc, format) = plain("plain/nested.yaml");
    let recipients = [recipient(1)];
    let rules = Rules::default();
    let lm1 = t0();
    let first = encrypt(&doc, &opts(format, &recipients, &rules, &lm1), &mut rng(4)).expect("ok");

    let mut changed = doc.clone();
    let Some(Value::Map(db)) = changed.docs[0].get_mut("database") else {
        panic!("database")
    };
    let Some(Value::Map(primary)) = db.get_mut("primary") else {
        panic!("primary")
    };
    let Some(Value::Map(creds)) = primary.get_mut("credentials") else {
        panic!("credentials")
    };
    let Some(pw) = creds.get_mut("password") else {
        panic!("password")
    };
    *pw = Value::str("n3w-s3cr3t");

    let lm2 = LastModified::parse("2026-06-01T00:00:00Z").expect("valid");
    let next = reencrypt_if_changed(
        Some(&first),
        &changed,
        &opts(format, &recipients, &rules, &lm2),
        &[identity(1)],
        &mut rng(8),
    )
    .expect("ok");
    assert_eq!(next.outcome, Outcome::Updated);
    assert_eq!(
        changed_lines(&first, &next.bytes),
        ["password", "lastmodified", "mac"]
    );
    let dec = decrypt(&next.bytes, format, &[identity(1)]).expect("decrypts");
    assert!(dec.document.same_as(&changed));
    let old = decrypt(&first, format, &[identity(1)]).expect("decrypts");
    assert_eq!(old.data_key(), dec.data_key(), "data key kept");

    // A changed rule keeps the key but re-encrypts by the new rule.
    let regex = Rules::encrypted_regex("^password$");
    let next = reencrypt_if_changed(
        Some(&first),
        &doc,
        &opts(format, &recipients, &regex, &lm2),
        &[identity(1)],
        &mut rng(8),
    )
    .expect("ok");
    assert_eq!(next.outcome, Outcome::Updated);
    let text = String::from_utf8(next.bytes).expect("utf8");
    assert!(text.contains("host: db1.example.invalid"), "{text}");
}

#[test]
fn recipient_change_rotates_the_data_key_without_needing_an_identity() {
    let (doc, format) = plain("plain/flat.yaml");
    let rules = Rules::default();
    let lm = t0();
    let first = encrypt(
        &doc,
        &opts(format, &[recipient(1), recipient(2)], &rules, &lm),
        &mut rng(4),
    )
    .expect("ok");
    let next = reencrypt_if_changed(
        Some(&first),
        &doc,
        &opts(format, &[recipient(1)], &rules, &lm),
        &[],
        &mut rng(5),
    )
    .expect("ok");
    assert_eq!(next.outcome, Outcome::Fresh);
    let a = decrypt(&first, format, &[identity(1)]).expect("ok");
    let b = decrypt(&next.bytes, format, &[identity(1)]).expect("ok");
    assert_ne!(a.data_key(), b.data_key());
    assert!(matches!(
        decrypt(&next.bytes, format, &[identity(2)]),
        Err(Error::NoMatchingIdentity { .. })
    ));
}

#[test]
fn without_identity_unchanged_looking_files_need_one() {
    let (doc, format) = plain("plain/flat.yaml");
    let rules = Rules::default();
    let lm = t0();
    let recipients = [recipient(1)];
    let first = encrypt(&doc, &opts(format, &recipients, &rules, &lm), &mut rng(4)).expect("ok");
    // Same plaintext, no identity: cannot tell, must not guess.
    let err = reencrypt_if_changed(
        Some(&first),
        &doc,
        &opts(format, &recipients, &rules, &lm),
        &[],
        &mut rng(5),
    )
    .expect_err("needs identity");
    assert!(matches!(err, Error::NeedIdentity));
    // The wrong identity is the same as none.
    let err = reencrypt_if_changed(
        Some(&first),
        &doc,
        &opts(format, &recipients, &rules, &lm),
        &[identity(2)],
        &mut rng(5),
    )
    .expect_err("needs identity");
    assert!(matches!(err, Error::NeedIdentity));
    // A same-length change is invisible without the key, too.
    let mut same_len = doc.clone();
    *same_len.docs[0].get_mut("password").expect("password") = Value::str("hunter3");
    assert!(matches!(
        reencrypt_if_changed(
            Some(&first),
            &same_len,
            &opts(format, &recipients, &rules, &lm),
            &[],
            &mut rng(5)
        ),
        Err(Error::NeedIdentity)
    ));
    // A visible change (new key) means the file changes anyway: no key needed.
    let mut added = doc.clone();
    added.docs[0].push("extra", Value::str("x"));
    let next = reencrypt_if_changed(
        Some(&first),
        &added,
        &opts(format, &recipients, &rules, &lm),
        &[],
        &mut rng(5),
    )
    .expect("fresh");
    assert_eq!(next.outcome, Outcome::Fresh);
    // So does a longer password.
    let mut longer = doc.clone();
    *longer.docs[0].get_mut("password").expect("password") = Value::str("hunter2-longer");
    let next = reencrypt_if_changed(
        Some(&first),
        &longer,
        &opts(format, &recipients, &rules, &lm),
        &[],
        &mut rng(5),
    )
    .expect("fresh");
    assert_eq!(next.outcome, Outcome::Fresh);
    // Garbage where the previous file was: a new file.
    let next = reencrypt_if_changed(
        Some(b"not: [sops"),
        &doc,
        &opts(format, &recipients, &rules, &lm),
        &[],
        &mut rng(5),
    )
    .expect("fresh");
    assert_eq!(next.outcome, Outcome::Fresh);
}

#[test]
fn refusals() {
    let lm = t0();
    let rules = Rules::default();
    let doc = Document::single(Map::new().with("sops", Value::str("x")));
    assert!(matches!(
        encrypt(
            &doc,
            &opts(Format::Yaml, &[recipient(1)], &rules, &lm),
            &mut rng(1)
        ),
        Err(Error::PlaintextHasSopsKey)
    ));
    let doc = Document::single(Map::new().with("a", Value::str("x")));
    assert!(matches!(
        encrypt(&doc, &opts(Format::Yaml, &[], &rules, &lm), &mut rng(1)),
        Err(Error::NoRecipients)
    ));
    let bad = Rules::encrypted_regex("([");
    assert!(matches!(
        encrypt(
            &doc,
            &opts(Format::Yaml, &[recipient(1)], &bad, &lm),
            &mut rng(1)
        ),
        Err(Error::InvalidRule(_))
    ));
    // An empty map encrypts to just the metadata.
    let empty = Document::single(Map::new());
    let bytes = encrypt(
        &empty,
        &opts(Format::Yaml, &[recipient(1)], &rules, &lm),
        &mut rng(1),
    )
    .expect("ok");
    assert!(bytes.starts_with(b"sops:\n"));
    decrypt(&bytes, Format::Yaml, &[identity(1)]).expect("decrypts");
}
