//! YAML safety (issue 10): every YAML artifact hlc writes is read identically by a YAML 1.2
//! reader (`serde_norway`, libyaml-based, 1.2 core schema) and by PyYAML (YAML 1.1, which reads
//! `on`/`no`/`y` as booleans, `0755` as octal, `1:20` as sexagesimal and `2026-01-01` as a date).
//!
//! - `committed_yaml_artifacts_read_the_same_in_yaml_1_1_and_1_2`: all YAML files of the
//!   committed `out/` trees (reference lab and examples; SOPS files included, their `ENC[…]`
//!   values are plain strings to both readers).
//! - `emitter_round_trips_tricky_strings_through_both_readers`: a property test of
//!   `hlc_render::yaml::to_yaml` — tricky atoms, their combinations and seeded random strings
//!   over a hostile alphabet, as values, list items and keys, must read back as the exact
//!   original string in both readers.
//!
//! PyYAML comes from `scripts/install-test-deps.sh`; the helper is `tests/tools/yaml11_to_json.py`
//! and its normalisation (tags, non-string keys, timestamps) mirrors [`normalise`].

mod common;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Reads `files` with PyYAML; `None` when python3/PyYAML is missing outside CI.
fn read_yaml11(files: &[PathBuf]) -> Option<BTreeMap<String, Value>> {
    let helper = common::repo().join("tests/tools/yaml11_to_json.py");
    let mut out = BTreeMap::new();
    // Chunks keep the command line short.
    for chunk in files.chunks(500) {
        let res = Command::new("python3").arg(&helper).args(chunk).output();
        let res = match res {
            Ok(r) if r.status.success() => r,
            other => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "python3 with PyYAML is needed: run scripts/install-test-deps.sh ({other:?})"
                );
                eprintln!("skipped: python3/PyYAML not usable ({other:?})");
                return None;
            }
        };
        let map: BTreeMap<String, Value> =
            serde_json::from_slice(&res.stdout).expect("helper prints JSON");
        out.extend(map);
    }
    Some(out)
}

/// A YAML 1.2 reading of `text`, all documents, normalised like the Python helper.
fn read_yaml12(text: &str) -> Result<Value, String> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for de in serde_norway::Deserializer::from_str(text) {
        let v = serde_norway::Value::deserialize(de).map_err(|e| e.to_string())?;
        docs.push(normalise(&v));
    }
    Ok(Value::Array(docs))
}

/// The same normalisation as `norm` in tests/tools/yaml11_to_json.py.
fn normalise(v: &serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.is_nan() {
                    json!({"$float": "nan"})
                } else if f.is_infinite() {
                    json!({"$float": if f > 0.0 { "inf" } else { "-inf" }})
                } else {
                    json!(f)
                }
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::Array(items.iter().map(normalise).collect()),
        Y::Mapping(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    other => format!("$key:{}", normalise(other)),
                };
                out.insert(key, normalise(x));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let mut out = serde_json::Map::new();
            out.insert(t.tag.to_string(), normalise(&t.value));
            Value::Object(out)
        }
    }
}

/// Sorts object keys recursively (the Python side prints sorted keys; the map type of the test
/// may keep insertion order).
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, Value> =
                m.iter().map(|(k, x)| (k, canonical(x))).collect();
            Value::Object(sorted.into_iter().map(|(k, x)| (k.clone(), x)).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // talosconfig is YAML (a SOPS file) without an extension.
            if name.ends_with(".yaml") || name.ends_with(".yml") || name == "talosconfig" {
                out.push(p);
            }
        }
    }
}

#[test]
fn committed_yaml_artifacts_read_the_same_in_yaml_1_1_and_1_2() {
    let repo = common::repo();
    let mut roots = vec![repo.join("out")];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo.join("examples"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("out"))
        .filter(|p| p.is_dir())
        .collect();
    examples.sort();
    roots.extend(examples);
    let mut files = Vec::new();
    for r in &roots {
        yaml_files(r, &mut files);
    }
    assert!(
        files.len() >= 50,
        "expected the committed out/ trees to hold YAML artifacts, found {}",
        files.len()
    );
    let Some(py) = read_yaml11(&files) else {
        return;
    };
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let key = f.to_string_lossy().into_owned();
        let v12 = match read_yaml12(&text) {
            Ok(v) => canonical(&v),
            Err(e) => {
                failures.push(format!("{key}: YAML 1.2 reader: {e}"));
                continue;
            }
        };
        let v11 = canonical(&py[&key]);
        if v11 != v12 {
            failures.push(format!(
                "{key}: readers disagree\n  YAML 1.1: {}\n  YAML 1.2: {}",
                first_difference(&v11, &v12).0,
                first_difference(&v11, &v12).1
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} YAML artifacts are read differently:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} YAML artifacts read identically by YAML 1.1 and 1.2",
        files.len()
    );
}

/// The innermost differing pair, printed as JSON, for a readable failure.
fn first_difference(a: &Value, b: &Value) -> (String, String) {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (p, q) in x.iter().zip(y) {
                if p != q {
                    return first_difference(p, q);
                }
            }
        }
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
            for ((k1, p), (k2, q)) in x.iter().zip(y) {
                if k1 != k2 {
                    return (format!("key {k1:?}"), format!("key {k2:?}"));
                }
                if p != q {
                    return first_difference(p, q);
                }
            }
        }
        _ => {}
    }
    (a.to_string(), b.to_string())
}

/// Strings any YAML reader might retype or misparse.
const ATOMS: &[&str] = &[
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
    "~",
    "null",
    "Null",
    "NULL",
    "0755",
    "0o17",
    "0x1F",
    "0b101",
    "1e3",
    "1E3",
    "1.0e+3",
    "1_000",
    "1:20",
    "1:20:30.5",
    "-1:20",
    "2026-01-01",
    "2026-1-1",
    "2026-01-01T10:00:00Z",
    "2026-01-01 10:00:00",
    ".inf",
    "-.Inf",
    ".NaN",
    "nan",
    "+1",
    "-0",
    "0",
    "00",
    "1.",
    ".5",
    "1.2.3",
    "192.168.1.1",
    "10.0.0.0/8",
    " x",
    "x ",
    " ",
    "",
    "a: b",
    "a #b",
    "a#b",
    "a:b",
    "x:",
    "-",
    "- x",
    "-x",
    "?",
    "? x",
    ":x",
    "*a",
    "&a",
    "!tag",
    "!!str",
    "%YAML",
    "@x",
    "`x",
    "|",
    ">",
    "'q'",
    "\"q\"",
    "[a]",
    "{a: 1}",
    ",",
    "#",
    "#x",
    "=",
    "<<",
    "...",
    "---",
    "--- x",
    "é",
    "日本語",
    "ß",
    "😀",
    "\u{200b}",
    "\u{feff}x",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{7f}",
    "\u{80}",
    "\u{9f}",
    "\u{fffe}",
    "\u{ffff}",
    "\u{e000}",
    "\t",
    "a\tb",
    "\r",
    "a\r\nb",
    "\n",
    "a\n",
    "a\nb",
    "a\n\n",
    "\na",
    " a\nb",
    "a\n  - b\n",
    "\n\n  b",
    "a\n\n  b\n",
    "a \nb",
    "\u{0}",
    "\u{1}",
    "\u{1b}[0m",
    "\u{8}",
    "\\",
    "\\n",
    "http://x.y:80/z",
    "ghcr.io/a/b:1.0",
];

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn tricky_strings() -> Vec<String> {
    let mut out: Vec<String> = ATOMS.iter().map(|s| s.to_string()).collect();
    // Pairs of atoms and atoms inside ordinary text.
    for a in ATOMS.iter().step_by(3) {
        for b in ATOMS.iter().step_by(7) {
            out.push(format!("{a}{b}"));
        }
        out.push(format!("x {a}"));
        out.push(format!("{a} x"));
    }
    // Random strings over a hostile alphabet.
    let alphabet: Vec<char> = " \t\n\r:#-?,[]{}&*!|>'\"%@`~.+_0123456789eEoxbnyNY/\\\u{0}\u{7}\u{1b}\u{7f}\u{85}\u{a0}\u{feff}\u{2028}é😀"
        .chars()
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let len = rng.below(9);
        out.push(
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect(),
        );
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn emitter_round_trips_tricky_strings_through_both_readers() {
    let strings = tricky_strings();
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut docs = Vec::new();
    for (i, s) in strings.iter().enumerate() {
        // The string as a value, as a list item, as a key, and as a multi-line-capable value
        // nested in a list of maps (the emitter's other code paths).
        let mut keyed = serde_json::Map::new();
        keyed.insert(s.clone(), json!(s));
        let doc = json!({"value": s, "list": [s, {"k": s}], "keyed": keyed});
        let text = hlc_render::yaml::to_yaml(&doc);
        let path = tmp.path().join(format!("{i:05}.yaml"));
        std::fs::write(&path, &text).unwrap();
        files.push(path);
        docs.push((doc, text));
    }
    let mut failures = Vec::new();
    // YAML 1.2: every document reads back as exactly what was emitted.
    for (i, (doc, text)) in docs.iter().enumerate() {
        match read_yaml12(text) {
            Ok(v) if canonical(&v) == canonical(&json!([doc])) => {}
            Ok(v) => failures.push(format!(
                "YAML 1.2 reads {:?} back as {v}\n{text}",
                strings[i]
            )),
            Err(e) => failures.push(format!("YAML 1.2 rejects {:?}: {e}\n{text}", strings[i])),
        }
    }
    // YAML 1.1 (PyYAML): the same.
    if let Some(py) = read_yaml11(&files) {
        for (i, (doc, text)) in docs.iter().enumerate() {
            let got = &py[&files[i].to_string_lossy().into_owned()];
            if canonical(got) != canonical(&json!([doc])) {
                failures.push(format!(
                    "YAML 1.1 reads {:?} back as {got}\n{text}",
                    strings[i]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} strings do not round-trip:\n{}",
        failures.len(),
        strings.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!(
        "{} tricky strings round-trip through YAML 1.1 and 1.2",
        strings.len()
    );
}
