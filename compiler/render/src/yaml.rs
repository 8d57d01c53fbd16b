//! The one YAML emitter of the renderers.
//!
//! Renderers build documents as `serde_json::Value` (insertion-ordered: the workspace enables
//! `preserve_order`) and turn them into YAML here, so that every YAML artifact has the same
//! style: two-space indentation, block style, sequences indented under their key, `---` between
//! documents, a final newline, and no line folding.
//!
//! Every scalar string that any common reader could take for another type is quoted. YAML 1.1
//! readers (PyYAML, go-yaml v2 — still used by much of the Kubernetes tooling) read `on`, `off`,
//! `yes`, `no`, `y`, `n`, `~`, `0755`, `1e3`, `1:20`, `2026-01-01` as booleans, null, octal,
//! floats, sexagesimal numbers and timestamps; YAML 1.2 readers read `true`, `null`, `0x1F`,
//! `.inf`. Quoting whatever *looks* like a number, a boolean, a null or a date — in either
//! version — makes every reader agree that it is a string. Strings that YAML would misparse for
//! syntactic reasons (leading indicators, `: `, ` #`, surrounding spaces, control characters,
//! empty) are quoted too. Quoting is double-quoted JSON-style escaping, which is valid YAML.

use serde_json::Value;

/// One YAML document (no `---` marker), with a final newline.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => emit_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => emit_seq(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

/// Several documents, each introduced by `---`.
pub fn to_yaml_docs(docs: &[Value]) -> String {
    let mut out = String::new();
    for d in docs {
        out.push_str("---\n");
        out.push_str(&to_yaml(d));
    }
    out
}

/// Key prefix marking a tagged node built by [`tagged`]: a NUL never occurs in a real key.
const TAG_PREFIX: char = '\u{0}';

/// A node carrying an application-specific YAML tag (`!Find`, `!KeyOf`, `!Env`, as Authentik
/// blueprints use), emitted as `!Tag value` in block style. `tag` must be `!` followed by ASCII
/// letters; anything else is emitted as an ordinary (quoted) map key.
pub fn tagged(tag: &str, v: Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(format!("{TAG_PREFIX}{tag}"), v);
    Value::Object(m)
}

/// The tag and value of a node built by [`tagged`].
fn as_tagged(v: &Value) -> Option<(&str, &Value)> {
    let Value::Object(m) = v else { return None };
    if m.len() != 1 {
        return None;
    }
    let (k, inner) = m.iter().next()?;
    let tag = k.strip_prefix(TAG_PREFIX)?;
    let name = tag.strip_prefix('!')?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic())).then_some((tag, inner))
}

/// Emits ` !Tag value` after a key or a dash, children at `level + 2`.
fn emit_tagged(out: &mut String, tag: &str, v: &Value, level: usize) {
    out.push(' ');
    out.push_str(tag);
    match v {
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            emit_seq(out, a, level + 2);
        }
        Value::Object(m) if !m.is_empty() && as_tagged(v).is_none() => {
            out.push('\n');
            emit_map(out, m, level + 2);
        }
        other => match as_tagged(other) {
            Some((t, inner)) => emit_tagged(out, t, inner, level),
            None => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        },
    }
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn emit_map(out: &mut String, m: &serde_json::Map<String, Value>, level: usize) {
    for (k, v) in m {
        indent(out, level);
        emit_key(out, k, level);
        emit_value_after_key(out, v, level);
    }
}

/// Longest key (as written) emitted as an implicit `key:`. YAML readers refuse implicit keys
/// longer than 1024 characters (found by the fuzz target); longer ones are written as explicit
/// keys, `? key` and `:` on the next line at the key's column.
const MAX_IMPLICIT_KEY: usize = 512;

/// Writes `key:` (the cursor is at the key's column `col`).
fn emit_key(out: &mut String, k: &str, col: usize) {
    let written = key(k);
    if written.chars().count() > MAX_IMPLICIT_KEY {
        out.push_str("? ");
        out.push_str(&written);
        out.push('\n');
        indent(out, col);
    } else {
        out.push_str(&written);
    }
    out.push(':');
}

fn emit_value_after_key(out: &mut String, v: &Value, level: usize) {
    if let Some((tag, inner)) = as_tagged(v) {
        emit_tagged(out, tag, inner, level);
        return;
    }
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            emit_map(out, m, level + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            emit_seq(out, a, level + 2);
        }
        Value::String(s) if s.contains('\n') && literal_ok(s) => {
            out.push_str(" |");
            if !s.ends_with('\n') {
                out.push('-');
            } else if s.ends_with("\n\n") {
                out.push('+');
            }
            out.push('\n');
            for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                if !line.is_empty() {
                    indent(out, level + 2);
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn emit_seq(out: &mut String, a: &[Value], level: usize) {
    for v in a {
        indent(out, level);
        out.push('-');
        if let Some((tag, inner)) = as_tagged(v) {
            emit_tagged(out, tag, inner, level);
            continue;
        }
        match v {
            Value::Object(m) if !m.is_empty() => {
                // First pair on the dash line, the rest aligned under it.
                let mut first = true;
                for (k, val) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 2);
                    }
                    emit_key(out, k, level + 2);
                    emit_value_after_key(out, val, level + 2);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                emit_seq(out, inner, level + 2);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

/// A literal block keeps the text verbatim: only when no line has leading/trailing spaces that a
/// reader could strip or misread, and no control characters.
fn literal_ok(s: &str) -> bool {
    // The first non-empty line fixes the block's indentation: it must not start with a blank
    // (also after leading empty lines, or its spaces would be lost); no line ends with a blank;
    // some non-blank text (a block of only line breaks reads back as ""); nothing YAML reads as
    // a line break or rejects (NEL, LS, PS, BOM, C0/C1 controls, non-characters).
    let first_text = s.split('\n').find(|l| !l.is_empty()).unwrap_or("");
    !s.trim().is_empty()
        && !first_text.starts_with([' ', '\t'])
        && s.lines().all(|l| l.trim_end() == l)
        && !s
            .chars()
            .any(|c| (c.is_control() && c != '\n') || needs_escape(c))
}

fn key(k: &str) -> String {
    if needs_quotes(k) {
        quote(k)
    } else {
        k.to_string()
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if needs_quotes(s) {
                quote(s)
            } else {
                s.clone()
            }
        }
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn quote(s: &str) -> String {
    // JSON string escaping is a subset of YAML double-quoted escaping. JSON leaves DEL, the C1
    // controls (NEL among them), LS/PS, the BOM and U+FFFE/U+FFFF raw, which YAML readers take
    // for line breaks or reject as non-printable: those become `\uXXXX` escapes (valid in
    // YAML 1.1 and 1.2).
    let json = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    if !json.chars().any(needs_escape) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters JSON string escaping leaves raw but YAML must see escaped (issue 10: found by the
/// emitter property test in tests/yaml_safety.rs).
fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
    )
}

/// Whether a plain (unquoted) scalar would be read as something other than this string by a
/// YAML 1.1 or 1.2 reader, or would not parse.
pub fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan", ".nan", ".inf",
        "-.inf", "+.inf", "inf", "-inf", "+inf",
        // YAML 1.1's merge key and value key types: PyYAML rejects them as plain scalars.
        "<<", "=",
    ];
    if WORDS.contains(&lower.as_str()) {
        return true;
    }
    // `---` and `...` at the start of a line are document markers (found by the fuzz target:
    // a root scalar `...` ended the stream).
    if s.starts_with("---") || s.starts_with("...") {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-x` and `:x` are plain in YAML 1.2 but not worth the ambiguity; `-1` is a number.
        return true;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t') {
        return true;
    }
    if s.chars().any(|c| {
        c.is_control()
            || c == '\u{feff}'
            || c == '\u{85}'
            || c == '\u{2028}'
            || c == '\u{2029}'
            || needs_escape(c)
    }) {
        return true;
    }
    looks_numeric_or_date(s)
}

/// Numbers in any YAML version's syntax (decimal, octal `0o17`/`017`, hex, binary, floats with
/// exponents, underscores, sexagesimal `1:20`), and dates/timestamps.
fn looks_numeric_or_date(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    if t.is_empty() {
        return false;
    }
    let b = t.as_bytes();
    // Dates and timestamps: 2026-01-01, 2026-1-1T…
    if b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        return true;
    }
    if t.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        let body: String = t.chars().filter(|c| *c != '_').collect();
        let lower = body.to_ascii_lowercase();
        if let Some(rest) = lower
            .strip_prefix("0x")
            .or(lower.strip_prefix("0o"))
            .or(lower.strip_prefix("0b"))
        {
            return !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit());
        }
        // sexagesimal 1:20 / 1:20:30.5
        if body.contains(':') {
            return body
                .split(':')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit() || c == '.'));
        }
        if body.parse::<f64>().is_ok() {
            return true;
        }
        // 1e3 without a dot is a float in 1.2; 1.0e+3 in 1.1 — covered by parse above.
        return false;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_what_any_reader_would_retype() {
        for s in [
            "on",
            "Off",
            "YES",
            "n",
            "~",
            "null",
            "true",
            "0755",
            "0o17",
            "0x1F",
            "1e3",
            "1_000",
            "1:20",
            "2026-01-01",
            "-1",
            ".5",
            "+1",
            ".inf",
            "",
            " x",
            "a: b",
            "a #b",
            "-x",
            "*a",
            "!tag",
            "x:",
            "...",
            "---",
            "... x",
        ] {
            assert!(needs_quotes(s), "{s:?} must be quoted");
        }
        for s in [
            "grafana",
            "1.2.3",
            "v1.35.0",
            "10.0.1.0/24",
            "a-b",
            "http://x.y:80/z",
            "4GiB",
            "ghcr.io/a/b:1.0",
        ] {
            assert!(!needs_quotes(s), "{s:?} needs no quotes");
        }
        // "1.2.3" is not a number in any YAML version; an IPv4 address neither.
        assert!(!needs_quotes("192.168.1.1"));
    }

    #[test]
    fn tagged_nodes() {
        let v = json!({
            "flow": tagged("!Find", json!(["authentik_flows.flow", ["slug", "x"]])),
            "secret": tagged("!Env", json!("MY_VAR")),
            "list": [tagged("!KeyOf", json!("provider"))],
            "fake": {"!Find": 1},
        });
        assert_eq!(
            to_yaml(&v),
            "flow: !Find\n  - authentik_flows.flow\n  -\n    - slug\n    - x\nsecret: !Env MY_VAR\nlist:\n  - !KeyOf provider\nfake:\n  \"!Find\": 1\n"
        );
    }

    #[test]
    fn long_keys_are_explicit() {
        let long = "k".repeat(MAX_IMPLICIT_KEY + 1);
        let mut m = serde_json::Map::new();
        m.insert(long.clone(), json!({"a": 1}));
        m.insert("b".into(), json!(2));
        let v = Value::Object(m);
        assert_eq!(to_yaml(&v), format!("? {long}\n:\n  a: 1\nb: 2\n"));
        assert_eq!(
            to_yaml(&json!([v])),
            format!("- ? {long}\n  :\n    a: 1\n  b: 2\n")
        );
    }

    #[test]
    fn block_layout() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {"a": "on"}},
            "data": {"script": "line 1\nline 2\n", "empty": {}, "list": []},
            "items": [{"name": "a", "port": 80}, "plain", ["nested"]],
        });
        let y = to_yaml(&v);
        assert_eq!(
            y,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    a: \"on\"\ndata:\n  script: |\n    line 1\n    line 2\n  empty: {}\n  list: []\nitems:\n  - name: a\n    port: 80\n  - plain\n  -\n    - nested\n"
        );
        assert_eq!(
            to_yaml_docs(&[json!({"a": 1}), json!({"b": 2})]),
            "---\na: 1\n---\nb: 2\n"
        );
    }
}
