//! Scalar typing and formatting rules shared by the YAML and JSON modules
//! and by the value encryption: how a plain YAML scalar resolves (go-yaml v3
//! rules, which real sops uses), how numbers, booleans and timestamps turn
//! into the plaintext bytes that get encrypted, and which strings must be
//! quoted so that no YAML 1.1 or 1.2 reader takes them for another type.

use crate::tree::Value;

/// Resolves an untagged plain YAML scalar the way go-yaml v3 does.
pub(crate) fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Value::Str(s.to_string());
    }
    if let Some(t) = parse_timestamp(s) {
        return Value::Time(t);
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = parse_go_int(&plain) {
        return Value::Int(i);
    }
    if is_yaml_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Value::Float(f);
        }
    }
    // Unsigned values beyond i64 and 0o/0b forms outside i64: go-yaml keeps
    // them as numbers; we fall back to a float, which is what they become in
    // JSON and in most consumers anyway.
    if let Some(f) = parse_go_uint_as_float(&plain) {
        return Value::Float(f);
    }
    Value::Str(s.to_string())
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b` prefixes,
/// and a leading `0` meaning octal.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = split_radix(body)?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else {
        i64::try_from(mag).ok()
    }
}

fn split_radix(body: &str) -> Option<(u32, &str)> {
    let lower = body.get(..2).map(|p| p.to_ascii_lowercase());
    Some(match lower.as_deref() {
        Some("0x") => (16, &body[2..]),
        Some("0o") => (8, &body[2..]),
        Some("0b") => (2, &body[2..]),
        _ if body.len() > 1 && body.starts_with('0') => (8, &body[1..]),
        _ => (10, body),
    })
}

fn parse_go_uint_as_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix('+').unwrap_or(s);
    let (radix, digits) = split_radix(body)?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok().map(|u| u as f64)
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Parses the timestamp forms go-yaml v3 accepts (`2006-1-2`,
/// `2006-1-2T15:4:5.999999999Z07:00`, with `t` or one space instead of `T`)
/// and returns Go's `time.MarshalText` form (RFC 3339 with nanoseconds only
/// when present).
pub(crate) fn parse_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let mut p = Cursor { b, i: 5 };
    let year = std::str::from_utf8(&b[..4]).ok()?;
    let month = p.num(1, 2)?;
    p.expect(b'-')?;
    let day = p.num(1, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year.parse().ok()?, month) {
        return None;
    }
    if p.i == b.len() {
        return Some(format!("{year}-{month:02}-{day:02}T00:00:00Z"));
    }
    let sep = b[p.i];
    let with_zone = sep == b'T' || sep == b't';
    if !with_zone && sep != b' ' {
        return None;
    }
    p.i += 1;
    let hour = p.num(1, 2)?;
    p.expect(b':')?;
    let min = p.num(1, 2)?;
    p.expect(b':')?;
    let sec = p.num(1, 2)?;
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let mut frac = String::new();
    if p.i < b.len() && b[p.i] == b'.' {
        p.i += 1;
        let start = p.i;
        while p.i < b.len() && b[p.i].is_ascii_digit() && p.i - start < 9 {
            p.i += 1;
        }
        if p.i == start {
            return None;
        }
        frac = std::str::from_utf8(&b[start..p.i])
            .ok()?
            .trim_end_matches('0')
            .to_string();
    }
    let zone = if with_zone {
        match b.get(p.i) {
            Some(b'Z') => {
                p.i += 1;
                "Z".to_string()
            }
            Some(&c @ (b'+' | b'-')) => {
                p.i += 1;
                let zh = p.num(2, 2)?;
                p.expect(b':')?;
                let zm = p.num(2, 2)?;
                if zh > 23 || zm > 59 {
                    return None;
                }
                if zh == 0 && zm == 0 {
                    "Z".to_string()
                } else {
                    format!("{}{zh:02}:{zm:02}", c as char)
                }
            }
            _ => return None,
        }
    } else {
        "Z".to_string()
    };
    if p.i != b.len() {
        return None;
    }
    let frac = if frac.is_empty() {
        frac
    } else {
        format!(".{frac}")
    };
    Some(format!(
        "{year}-{month:02}-{day:02}T{hour:02}:{min:02}:{sec:02}{frac}{zone}"
    ))
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn num(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() && self.i - start < max {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()?
            .parse()
            .ok()
    }
    fn expect(&mut self, c: u8) -> Option<()> {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`: the plaintext of a
/// `type:float` value.
pub(crate) fn go_format_float_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        // Rust's Display is the shortest round-trip form without exponent.
        format!("{f}")
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for what sops writes and common input.
pub(crate) fn go_parse_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" | "+Infinity" | "Infinity" => Some(f64::INFINITY),
        "-Inf" | "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ => {
            let t: String = s.chars().filter(|&c| c != '_').collect();
            if t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
                t.parse().ok()
            } else {
                None
            }
        }
    }
}

/// Go's `strconv.ParseBool`.
pub(crate) fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A float as a YAML scalar that every reader reads back as a float:
/// always a `.` in the mantissa and a signed exponent (YAML 1.1 requires both).
pub(crate) fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let e = format!("{f:e}");
        let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let mant = if mant.contains('.') {
            mant.to_string()
        } else {
            format!("{mant}.0")
        };
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mant}e{sign}{digits}");
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// A float as Go's `encoding/json` writes it.
pub(crate) fn json_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let e = format!("{f:e}");
        let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return Some(format!("{mant}e{sign}{digits}"));
    }
    Some(format!("{f}"))
}

/// Whether a string, written as a plain YAML scalar, could be read as
/// something other than that string by a YAML 1.2 (go-yaml v3) or YAML 1.1
/// (PyYAML, go-yaml v2) reader. Such strings are double-quoted.
pub(crate) fn ambiguous_in_yaml(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    if !matches!(resolve_plain(s), Value::Str(_)) {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~" | "=" | "<<"
    ) {
        return true;
    }
    // Anything number-, date- or sexagesimal-like (1e3, 0o17, 1:20, 0755,
    // 1_000, .5, 2024-01-01 10:00:00, 10.0.0.1, ...): quoting is harmless.
    let first = s.as_bytes()[0];
    if (first.is_ascii_digit() || matches!(first, b'.' | b'+' | b'-'))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '+' | '-' | ' '))
    {
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> String {
        match resolve_plain(s) {
            Value::Null => "null".into(),
            Value::Bool(b) => format!("bool {b}"),
            Value::Int(i) => format!("int {i}"),
            Value::Float(f) => format!("float {}", go_format_float_f(f)),
            Value::Str(s) => format!("str {s}"),
            Value::Time(t) => format!("time {t}"),
            _ => "other".into(),
        }
    }

    #[test]
    fn go_yaml_v3_resolution() {
        assert_eq!(kind("yes"), "str yes");
        assert_eq!(kind("on"), "str on");
        assert_eq!(kind("0123"), "int 83");
        assert_eq!(kind("0o17"), "int 15");
        assert_eq!(kind("0x1F"), "int 31");
        assert_eq!(kind("1_000"), "int 1000");
        assert_eq!(kind("-7"), "int -7");
        assert_eq!(kind("1.0e+3"), "float 1000");
        assert_eq!(kind("3.14159"), "float 3.14159");
        assert_eq!(kind(".inf"), "float +Inf");
        assert_eq!(kind(".nan"), "float NaN");
        assert_eq!(kind("09"), "float 9");
        assert_eq!(
            kind("123456789012345678901234567890"),
            "float 123456789012345680000000000000"
        );
        assert_eq!(kind("2024-01-01"), "time 2024-01-01T00:00:00Z");
        assert_eq!(kind("2024-01-01T10:00:00Z"), "time 2024-01-01T10:00:00Z");
        assert_eq!(kind("2024-1-2 3:04:05.50"), "time 2024-01-02T03:04:05.5Z");
        assert_eq!(
            kind("2024-01-01T10:00:00+01:00"),
            "time 2024-01-01T10:00:00+01:00"
        );
        assert_eq!(kind("2024-13-01"), "str 2024-13-01");
        assert_eq!(kind("~"), "null");
        assert_eq!(kind("True"), "bool true");
        assert_eq!(kind("10.0.0.10"), "str 10.0.0.10");
        assert_eq!(kind("-"), "str -");
    }

    #[test]
    fn yaml_1_1_ambiguity() {
        for s in [
            "on",
            "OFF",
            "Yes",
            "n",
            "Y",
            "~",
            "null",
            "NULL",
            "true",
            "0755",
            "0o17",
            "1e3",
            "1:20",
            "2024-01-01",
            ".inf",
            "1_000",
            "",
            "12:30:45",
            "+1",
            ".5",
            "3.11.0",
        ] {
            assert!(ambiguous_in_yaml(s), "{s:?} must be quoted");
        }
        for s in [
            "hello",
            "a<b & c>d",
            "v1.30.0",
            "admin",
            "ENC[AES256_GCM,data:x]",
            "onion",
        ] {
            assert!(!ambiguous_in_yaml(s), "{s:?} needs no quotes");
        }
    }

    #[test]
    fn float_forms() {
        assert_eq!(yaml_float(1000.0), "1000.0");
        assert_eq!(yaml_float(1.5), "1.5");
        assert_eq!(yaml_float(1.2345678901234568e29), "1.2345678901234568e+29");
        assert_eq!(yaml_float(1e-7), "1.0e-7");
        assert_eq!(json_float(12.0).as_deref(), Some("12"));
        assert_eq!(json_float(1e21).as_deref(), Some("1e+21"));
        assert_eq!(go_format_float_f(f64::NEG_INFINITY), "-Inf");
        assert_eq!(go_parse_bool("True"), Some(true));
        assert_eq!(go_parse_float("+Inf"), Some(f64::INFINITY));
    }
}
