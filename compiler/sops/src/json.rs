//! JSON reading and writing.
//!
//! Reading goes through `serde_json` with `preserve_order` (file order is
//! kept); every number becomes a float, as in sops. Writing follows what
//! sops writes: Go `json.Indent` with one tab per level, Go string escaping
//! (`<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026`), a final newline, and
//! `"key": value` with exactly one space (Flux looks for `"mac": "ENC[`).
//! JSON has no comments: comment entries are dropped on output.

use crate::error::{Error, Result};
use crate::scalar;
use crate::tree::{Entry, Map, Value};
use crate::Format;

/// Parses one JSON object.
pub(crate) fn parse(src: &str) -> Result<Map> {
    let v: serde_json::Value = serde_json::from_str(src).map_err(|e| Error::Parse {
        format: Format::Json,
        message: format!(
            "{} at line {} column {}",
            classify(&e),
            e.line(),
            e.column()
        ),
    })?;
    match from_json(v) {
        Value::Map(m) => Ok(m),
        _ => Err(Error::RootNotMap),
    }
}

fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "invalid data",
        serde_json::error::Category::Eof => "unexpected end of input",
    }
}

fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(a) => Value::Seq(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Map(Map(o
            .into_iter()
            .map(|(k, v)| Entry::Pair(k, from_json(v)))
            .collect())),
    }
}

/// Writes one object, tab-indented, with a final newline.
pub(crate) fn emit(map: &Map) -> Result<String> {
    let mut out = String::new();
    emit_map(&mut out, map, 0)?;
    out.push('\n');
    Ok(out)
}

fn tabs(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n('\t', n));
}

fn emit_map(out: &mut String, map: &Map, level: usize) -> Result<()> {
    let pairs: Vec<_> = map.pairs().collect();
    if pairs.is_empty() {
        out.push_str("{}");
        return Ok(());
    }
    out.push_str("{\n");
    for (i, (k, v)) in pairs.iter().enumerate() {
        tabs(out, level + 1);
        string(out, k);
        out.push_str(": ");
        emit_value(out, v, level + 1)?;
        if i + 1 < pairs.len() {
            out.push(',');
        }
        out.push('\n');
    }
    tabs(out, level);
    out.push('}');
    Ok(())
}

fn emit_value(out: &mut String, v: &Value, level: usize) -> Result<()> {
    match v {
        Value::Null | Value::Comment(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&scalar::json_float(*f).ok_or_else(|| Error::Emit {
            format: Format::Json,
            message: "NaN and infinities cannot be written as JSON numbers".into(),
        })?),
        Value::Str(s) | Value::Time(s) => string(out, s),
        Value::Bytes(_) => {
            return Err(Error::Emit {
                format: Format::Json,
                message: "a value is not UTF-8 text".into(),
            })
        }
        Value::Map(m) => emit_map(out, m, level)?,
        Value::Seq(items) => {
            let items: Vec<_> = items
                .iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                tabs(out, level + 1);
                emit_value(out, item, level + 1)?;
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            tabs(out, level);
            out.push(']');
        }
    }
    Ok(())
}

/// A JSON string with Go `encoding/json` escaping.
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_output() {
        let m = parse(
            r#"{"b": "a<b & c>d", "a": [1, {"x": null}], "e": {}, "l": [], "f": 1.5, "t": true}"#,
        )
        .expect("parses");
        assert_eq!(
            emit(&m).expect("emits"),
            "{\n\t\"b\": \"a\\u003cb \\u0026 c\\u003ed\",\n\t\"a\": [\n\t\t1,\n\t\t{\n\t\t\t\"x\": null\n\t\t}\n\t],\n\t\"e\": {},\n\t\"l\": [],\n\t\"f\": 1.5,\n\t\"t\": true\n}\n"
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(parse("[1]"), Err(Error::RootNotMap)));
        assert!(matches!(parse("{"), Err(Error::Parse { .. })));
        let nan = Map::new().with("x", Value::Float(f64::NAN));
        assert!(matches!(emit(&nan), Err(Error::Emit { .. })));
    }
}
