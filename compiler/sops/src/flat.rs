//! The two stores whose files are not trees: dotenv and binary.
//!
//! * **dotenv** (`.env`): one `KEY=value` per line, `#` comment lines, blank lines dropped. A
//!   value is the text after the first `=`, verbatim, except that a literal `\n` stands for a
//!   newline (on reading) and a newline is written as `\n` (on writing), as sops does. Every
//!   value is a string. In an encrypted file the `sops` metadata follows the data, flattened
//!   into `sops_*` keys sorted by name (`sops_age__list_0__map_enc`, `sops_lastmodified`, …).
//! * **binary** (any other file name): the whole body is one value, the string `data`. The
//!   encrypted file is JSON (`{"data": "ENC[…]", "sops": {…}}`, tab-indented). A body that is
//!   not UTF-8 is kept byte for byte as [`Value::Bytes`].

use crate::error::{Error, Result};
use crate::json;
use crate::tree::{Entry, Map, Value};
use crate::Format;

/// The metadata key prefix of dotenv files.
const PREFIX: &str = "sops_";

fn parse_error(message: String) -> Error {
    Error::Parse {
        format: Format::Dotenv,
        message,
    }
}

/// Parses a plaintext dotenv file.
pub(crate) fn parse_dotenv(src: &str) -> Result<Map> {
    let mut map = Map::new();
    for (i, raw) in src.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            map.0.push(Entry::Comment(comment.to_string()));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(parse_error(format!(
                "line {}: expected KEY=value or a # comment",
                i + 1
            )));
        };
        if key.is_empty() || key.chars().any(char::is_whitespace) {
            return Err(parse_error(format!(
                "line {}: a key must be non-empty and contain no white space",
                i + 1
            )));
        }
        map.push(key, Value::Str(value.replace("\\n", "\n")));
    }
    Ok(map)
}

/// Writes a plaintext (or, after [`flatten_metadata`], an encrypted) dotenv map.
pub(crate) fn emit_dotenv(map: &Map) -> Result<String> {
    let mut out = String::new();
    for e in &map.0 {
        match e {
            Entry::Comment(c) => {
                out.push('#');
                out.push_str(&c.replace('\n', "\\n"));
            }
            Entry::Pair(k, v) => {
                let text = match v {
                    Value::Str(s) | Value::Time(s) => s.clone(),
                    Value::Null => String::new(),
                    Value::Bool(b) => b.to_string(),
                    Value::Int(i) => i.to_string(),
                    Value::Float(f) => crate::scalar::go_format_float_f(*f),
                    Value::Map(_) | Value::Seq(_) | Value::Comment(_) | Value::Bytes(_) => {
                        return Err(Error::Emit {
                            format: Format::Dotenv,
                            message: format!("the value of `{k}` is not a string"),
                        })
                    }
                };
                out.push_str(k);
                out.push('=');
                out.push_str(&text.replace('\n', "\\n"));
            }
        }
        out.push('\n');
    }
    Ok(out)
}

/// Moves the `sops_*` keys of a dotenv file into one nested `sops` map (the inverse of
/// [`flatten_metadata`]).
pub(crate) fn unflatten_metadata(mut map: Map) -> Result<Map> {
    let mut meta = Map::new();
    let mut data = Vec::with_capacity(map.0.len());
    for e in std::mem::take(&mut map.0) {
        match e {
            Entry::Pair(k, v) if k.starts_with(PREFIX) => {
                let path = split_flat_key(&k[PREFIX.len()..])?;
                insert_path(&mut meta, &path, v)?;
            }
            other => data.push(other),
        }
    }
    let mut out = Map(data);
    if !meta.is_empty() {
        out.push("sops", Value::Map(meta));
    }
    Ok(out)
}

/// One step of a flattened key.
enum Step {
    Key(String),
    Index(usize),
}

fn split_flat_key(key: &str) -> Result<Vec<Step>> {
    let bad = || Error::InvalidMetadata(format!("malformed flattened key `{PREFIX}{key}`"));
    let mut parts = key.split("__");
    let first = parts.next().filter(|p| !p.is_empty()).ok_or_else(bad)?;
    let mut steps = vec![Step::Key(first.to_string())];
    for p in parts {
        if let Some(k) = p.strip_prefix("map_") {
            steps.push(Step::Key(k.to_string()));
        } else if let Some(i) = p.strip_prefix("list_") {
            steps.push(Step::Index(i.parse().map_err(|_| bad())?));
        } else {
            return Err(bad());
        }
    }
    Ok(steps)
}

fn insert_path(map: &mut Map, path: &[Step], v: Value) -> Result<()> {
    let bad = || Error::InvalidMetadata("inconsistent flattened metadata keys".into());
    let (Step::Key(k), rest) = path.split_first().ok_or_else(bad)? else {
        return Err(bad());
    };
    if rest.is_empty() {
        map.push(k.clone(), v);
        return Ok(());
    }
    if map.get(k).is_none() {
        let empty = match rest[0] {
            Step::Key(_) => Value::Map(Map::new()),
            Step::Index(_) => Value::Seq(Vec::new()),
        };
        map.push(k.clone(), empty);
    }
    insert_value(map.get_mut(k).ok_or_else(bad)?, rest, v)
}

fn insert_value(slot: &mut Value, path: &[Step], v: Value) -> Result<()> {
    let bad = || Error::InvalidMetadata("inconsistent flattened metadata keys".into());
    match (slot, &path[0]) {
        (Value::Map(m), Step::Key(_)) => insert_path(m, path, v),
        (Value::Seq(items), Step::Index(i)) => {
            let rest = &path[1..];
            if *i > items.len() || *i > 1024 {
                return Err(bad());
            }
            if *i == items.len() {
                items.push(match rest.first() {
                    None => Value::Null,
                    Some(Step::Key(_)) => Value::Map(Map::new()),
                    Some(Step::Index(_)) => Value::Seq(Vec::new()),
                });
            }
            if rest.is_empty() {
                items[*i] = v;
                Ok(())
            } else {
                insert_value(&mut items[*i], rest, v)
            }
        }
        _ => Err(bad()),
    }
}

/// Replaces the `sops` map of an encrypted dotenv document by `sops_*` keys after the data,
/// sorted by name as sops writes them.
pub(crate) fn flatten_metadata(map: &Map) -> Map {
    let mut out = Map::new();
    let mut flat: Vec<(String, Value)> = Vec::new();
    for e in &map.0 {
        match e {
            Entry::Pair(k, Value::Map(m)) if k == "sops" => {
                for (mk, mv) in m.pairs() {
                    flatten_into(&mut flat, format!("{PREFIX}{mk}"), mv);
                }
            }
            other => out.0.push(other.clone()),
        }
    }
    flat.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in flat {
        out.push(k, v);
    }
    out
}

fn flatten_into(out: &mut Vec<(String, Value)>, prefix: String, v: &Value) {
    match v {
        Value::Map(m) => {
            for (k, x) in m.pairs() {
                flatten_into(out, format!("{prefix}__map_{k}"), x);
            }
        }
        Value::Seq(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten_into(out, format!("{prefix}__list_{i}"), x);
            }
        }
        other => out.push((prefix, other.clone())),
    }
}

/// The plaintext document of a binary file: `{data: <body>}`.
pub(crate) fn parse_binary(bytes: &[u8]) -> Map {
    let body = match std::str::from_utf8(bytes) {
        Ok(s) => Value::Str(s.to_string()),
        Err(_) => Value::Bytes(bytes.to_vec()),
    };
    Map::new().with("data", body)
}

/// The body of a plaintext binary document.
pub(crate) fn emit_binary(map: &Map) -> Result<Vec<u8>> {
    let bad = |message: &str| Error::Emit {
        format: Format::Binary,
        message: message.to_string(),
    };
    if map.pairs().count() != 1 {
        return Err(bad("a binary document holds exactly one value, `data`"));
    }
    match map.get("data") {
        Some(Value::Str(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Bytes(b)) => Ok(b.clone()),
        Some(_) => Err(bad("`data` must be a string")),
        None => Err(bad("a binary document holds exactly one value, `data`")),
    }
}

/// Parses an encrypted binary file (JSON).
pub(crate) fn parse_binary_file(src: &str) -> Result<Map> {
    json::parse(src).map_err(|e| match e {
        Error::Parse { message, .. } => Error::Parse {
            format: Format::Binary,
            message,
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_round_trip_keeps_comments_order_and_newlines() {
        let src = "# top\nB=2\nA=x=y\nMULTI=line1\\nline2\nEMPTY=\n";
        let m = parse_dotenv(src).unwrap();
        assert!(matches!(m.get("MULTI"), Some(Value::Str(s)) if s == "line1\nline2"));
        assert!(matches!(m.get("A"), Some(Value::Str(s)) if s == "x=y"));
        assert_eq!(emit_dotenv(&m).unwrap(), src);
    }

    #[test]
    fn dotenv_rejects_lines_without_equals() {
        let e = parse_dotenv("A=1\nnot a pair\n").unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn metadata_flattens_and_back() {
        let meta = Map::new()
            .with(
                "age",
                Value::Seq(vec![Value::Map(
                    Map::new()
                        .with("recipient", Value::str("age1x"))
                        .with("enc", Value::str("A\nB\n")),
                )]),
            )
            .with("version", Value::str("3.11.0"));
        let doc = Map::new()
            .with("K", Value::str("v"))
            .with("sops", Value::Map(meta.clone()));
        let flat = flatten_metadata(&doc);
        let text = emit_dotenv(&flat).unwrap();
        assert_eq!(
            text,
            "K=v\nsops_age__list_0__map_enc=A\\nB\\n\nsops_age__list_0__map_recipient=age1x\nsops_version=3.11.0\n"
        );
        let back = unflatten_metadata(parse_dotenv(&text).unwrap()).unwrap();
        let Some(Value::Map(m)) = back.get("sops") else {
            panic!("no sops map")
        };
        let Some(Value::Seq(age)) = m.get("age") else {
            panic!("no age list")
        };
        let Value::Map(stanza) = &age[0] else {
            panic!("stanza")
        };
        assert!(matches!(stanza.get("enc"), Some(Value::Str(s)) if s == "A\nB\n"));
        assert!(matches!(stanza.get("recipient"), Some(Value::Str(s)) if s == "age1x"));
    }

    #[test]
    fn malformed_flat_keys_are_errors_not_panics() {
        for bad in [
            "sops_=x",
            "sops_age__list_x=1",
            "sops_age__list_5__map_enc=1",
            "sops_age__bogus=1",
            "sops_a=1\nsops_a__map_b=2",
        ] {
            let m = parse_dotenv(bad).unwrap();
            assert!(unflatten_metadata(m).is_err(), "{bad}");
        }
    }

    #[test]
    fn binary_keeps_non_utf8_bodies() {
        let body = b"BIN\x00\x01\xff\xfe text\n";
        let m = parse_binary(body);
        assert!(matches!(m.get("data"), Some(Value::Bytes(_))));
        assert_eq!(emit_binary(&m).unwrap(), body);
        let m = parse_binary(b"plain text");
        assert!(matches!(m.get("data"), Some(Value::Str(_))));
    }
}
