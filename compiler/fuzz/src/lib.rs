//! The bodies of hlc's fuzz targets.
//!
//! `fuzz/` (a cargo-fuzz project, its own workspace, built with nightly) calls these functions
//! from its targets; `tests/replay.rs` runs every file of the kept corpus `fuzz/corpus/<target>/`
//! through the same functions on stable, so `cargo test --workspace` replays the corpus and every
//! crash that was found and fixed stays fixed.
//!
//! Each function takes arbitrary bytes and panics only when hlc misbehaves:
//!
//! * [`model`]: bytes → JSON → [`hlc_diag::Node`] → [`hlc_model::decode`]; a lab that decodes is
//!   checked (`hlc-check`), and one without errors is rendered (`hlc-render`), as the build does.
//!   Any panic, or a renderer failing on a checked lab, is a bug.
//! * [`sops`]: bytes → [`hlc_sops::Format::parse`], `inspect` and `decrypt` (YAML and JSON) with
//!   a fixed test identity. A document that parses must emit and parse back to the same document;
//!   a file that decrypts must have a valid MAC (so it is re-encrypted and decrypted again).
//! * [`yaml`]: bytes → an arbitrary JSON value → [`hlc_render::yaml::to_yaml`] → the YAML 1.2
//!   reader → the same value.

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Map, Value};

/// Model decoding, checking and rendering of an arbitrary JSON document.
pub fn model(data: &[u8]) {
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let node = hlc_diag::Node::from_json(&json);
    let (lab, diags) = hlc_model::decode(&node);
    for d in &diags.0 {
        assert!(
            d.code.starts_with("HLC") && !d.message.is_empty(),
            "a decode diagnostic without code or message: {} {}",
            d.code,
            d.message
        );
    }
    let Some(lab) = lab else {
        assert!(diags.has_errors(), "decode returned no lab and no error");
        return;
    };
    let (analysis, check_diags) = hlc_check::check(&lab);
    if diags.has_errors() || check_diags.has_errors() {
        return;
    }
    let ctx = hlc_render::RenderContext {
        waves: analysis.waves.clone(),
        order: analysis.order.clone(),
        ..Default::default()
    };
    if let Err(e) = hlc_render::render(&lab, &ctx) {
        panic!("a checked lab does not render: {e}");
    }
    if let Err(e) = hlc_render::render_secret(&lab, &ctx) {
        panic!("a checked lab's secret artifacts do not render: {e}");
    }
}

/// The age identity the SOPS target decrypts with: the TEST ONLY demo key of the reference lab,
/// so that the seed corpus (its encrypted secret inputs) decrypts.
pub const TEST_IDENTITY: &str = include_str!("../../../configs/secrets/demo.agekey");

/// Parse, inspect and decrypt arbitrary bytes as a SOPS file, in both formats.
pub fn sops(data: &[u8]) {
    use hlc_sops::Format;
    let ids = hlc_sops::parse_identities(TEST_IDENTITY).expect("the demo key parses");
    for format in [Format::Yaml, Format::Json] {
        if let Ok(doc) = format.parse(data) {
            // What parses emits, and reads back as the same document.
            let bytes = format
                .emit(&doc)
                .unwrap_or_else(|e| panic!("a parsed {format:?} document does not emit: {e}"));
            let again = format.parse(&bytes).unwrap_or_else(|e| {
                panic!(
                    "an emitted {format:?} document does not parse: {e}\n{}",
                    String::from_utf8_lossy(&bytes)
                )
            });
            assert!(
                again.same_as(&doc),
                "{format:?} document changes through emit and parse:\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let _ = hlc_sops::inspect(data, format);
        if let Ok(plain) = hlc_sops::decrypt(data, format, &ids) {
            // A file that decrypts round-trips through encryption with the same identity.
            let recipients = [ids[0].to_public()];
            let rules = hlc_sops::Rules::default();
            let lastmodified =
                hlc_sops::LastModified::parse("2026-01-01T00:00:00Z").expect("a valid date");
            let opts = hlc_sops::EncryptOptions {
                format,
                recipients: &recipients,
                rules: &rules,
                lastmodified: &lastmodified,
            };
            let mut rng = Counter(0);
            let Ok(file) = hlc_sops::encrypt(&plain.document, &opts, &mut rng) else {
                continue;
            };
            let back = hlc_sops::decrypt(&file, format, &ids)
                .unwrap_or_else(|e| panic!("a file hlc-sops encrypted does not decrypt: {e}"));
            assert!(
                back.document.same_as(&plain.document),
                "{format:?} plaintext changes through encryption"
            );
        }
    }
}

/// A deterministic byte source for the data keys and IVs of the SOPS target (age adds its own
/// ephemeral keys from the OS).
struct Counter(u64);

impl hlc_sops::rand_core::RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), hlc_sops::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl hlc_sops::rand_core::CryptoRng for Counter {}

/// Emit an arbitrary value as YAML and read it back with a YAML 1.2 reader.
pub fn yaml(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(v) = arbitrary_value(&mut u, 0) else {
        return;
    };
    let text = hlc_render::yaml::to_yaml(&v);
    let back: Value = match serde_norway::from_str::<serde_norway::Value>(&text) {
        Ok(y) => normalise(&y),
        Err(e) => panic!("the emitter wrote YAML the 1.2 reader rejects: {e}\n{text}"),
    };
    assert!(
        back == v,
        "the emitter's YAML reads back differently\nwrote: {v}\nread:  {back}\n{text}"
    );
}

/// Strings the YAML target mixes into its values: the scalars YAML 1.1 and 1.2 readers retype,
/// and the characters that break plain and block scalars.
const TRICKY: &[&str] = &[
    "",
    " ",
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "~",
    "null",
    "true",
    "False",
    "0755",
    "0o17",
    "0x1F",
    "1e3",
    "1_000",
    ".inf",
    "-.inf",
    ".nan",
    "1:20",
    "2026-01-01",
    "2026-01-01T00:00:00Z",
    "<<",
    "=",
    "- x",
    "? x",
    ": x",
    "a: b",
    "a #b",
    "#",
    "&a",
    "*a",
    "!tag",
    "|",
    ">",
    "'",
    "\"",
    "%YAML",
    "@",
    "`",
    "---",
    "...",
    "\n",
    "\r",
    "\t",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "\u{0}",
    "\u{7f}",
    "x\n",
    "\nx",
    " x\ny",
    "x\n\n",
    "-",
    "[",
    "{",
    "}",
    ",",
];

fn arbitrary_string(u: &mut Unstructured) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => TRICKY[u.choose_index(TRICKY.len())?].to_string(),
        1 => {
            // Concatenations of tricky pieces and plain text.
            let n = u.int_in_range(1u8..=4)?;
            let mut s = String::new();
            for _ in 0..n {
                if u.arbitrary()? {
                    s.push_str(TRICKY[u.choose_index(TRICKY.len())?]);
                } else {
                    s.push_str(&String::arbitrary(u)?);
                }
            }
            s
        }
        _ => String::arbitrary(u)?,
    })
}

fn arbitrary_value(u: &mut Unstructured, depth: u32) -> arbitrary::Result<Value> {
    let kinds = if depth >= 8 { 4 } else { 6 };
    Ok(match u.int_in_range(0u8..=kinds - 1)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => match u.int_in_range(0u8..=2)? {
            0 => Value::from(i64::arbitrary(u)?),
            1 => Value::from(u64::arbitrary(u)?),
            _ => {
                let f = f64::arbitrary(u)?;
                // JSON has no NaN or infinity: the renderers never produce them.
                serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
            }
        },
        3 => Value::String(arbitrary_string(u)?),
        4 => {
            let n = u.int_in_range(0u8..=4)?;
            let mut a = Vec::new();
            for _ in 0..n {
                a.push(arbitrary_value(u, depth + 1)?);
            }
            Value::Array(a)
        }
        _ => {
            let n = u.int_in_range(0u8..=4)?;
            let mut m = Map::new();
            for _ in 0..n {
                let k = arbitrary_string(u)?;
                // The emitter's tagged-node marker: keys starting with NUL are reserved.
                if k.starts_with('\u{0}') {
                    continue;
                }
                m.insert(k, arbitrary_value(u, depth + 1)?);
            }
            Value::Object(m)
        }
    })
}

/// The YAML reader's value as JSON, for comparison with what was emitted.
fn normalise(v: &serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map_or_else(|| Value::String(format!("<float {f}>")), Value::Number)
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::Array(items.iter().map(normalise).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    other => format!("<key {}>", normalise(other)),
                };
                out.insert(key, normalise(x));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let mut out = Map::new();
            out.insert(format!("<tag {}>", t.tag), normalise(&t.value));
            Value::Object(out)
        }
    }
}
