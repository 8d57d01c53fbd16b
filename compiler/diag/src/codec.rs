//! A compact binary form of an evaluated tree ([`Node`]), spans included, for hlc's evaluation
//! cache. Private to one hlc executable (the cache is keyed by it), so it has no compatibility
//! promise beyond [`FORMAT`]; decoding never panics and answers `None` on anything malformed.

use crate::source::{FileId, Span};
use crate::value::{Node, Number, Value};
use std::collections::BTreeMap;

/// Leading bytes of every encoded tree; bump on any change of the layout.
pub const FORMAT: &[u8; 8] = b"hlcnode1";

/// The deepest tree [`decode`] accepts (evaluation refuses deeper ones long before).
const MAX_DEPTH: usize = 1024;

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const FLOAT: u8 = 4;
const BIG: u8 = 5;
const STRING: u8 = 6;
const ENUM: u8 = 7;
const ARRAY: u8 = 8;
const RECORD: u8 = 9;
/// Added to the tag when a span follows it.
const SPANNED: u8 = 0x80;

/// Encodes `node` after [`FORMAT`].
pub fn encode(node: &Node) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(FORMAT);
    put_node(&mut out, node);
    out
}

/// Decodes what [`encode`] wrote; `None` when `bytes` is anything else.
pub fn decode(bytes: &[u8]) -> Option<Node> {
    let mut r = Reader {
        bytes: bytes.strip_prefix(FORMAT.as_slice())?,
    };
    let node = r.node(0)?;
    r.bytes.is_empty().then_some(node)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_node(out: &mut Vec<u8>, node: &Node) {
    let (tag, v) = (
        match &node.value {
            Value::Null => NULL,
            Value::Bool(false) => FALSE,
            Value::Bool(true) => TRUE,
            Value::Number(Number::Int(_)) => INT,
            Value::Number(Number::Float(_)) => FLOAT,
            Value::Number(Number::Big(_)) => BIG,
            Value::String(_) => STRING,
            Value::Enum(_) => ENUM,
            Value::Array(_) => ARRAY,
            Value::Record(_) => RECORD,
        },
        &node.value,
    );
    match node.span {
        Some(s) => {
            out.push(tag | SPANNED);
            put_varint(out, u64::from(s.file.0));
            put_varint(out, u64::from(s.start));
            put_varint(out, u64::from(s.end));
        }
        None => out.push(tag),
    }
    match v {
        Value::Null | Value::Bool(_) => {}
        // Zigzag, so that small negative numbers stay short.
        Value::Number(Number::Int(i)) => put_varint(out, ((i << 1) ^ (i >> 63)) as u64),
        Value::Number(Number::Float(f)) => out.extend_from_slice(&f.to_bits().to_le_bytes()),
        Value::Number(Number::Big(s)) | Value::String(s) | Value::Enum(s) => put_str(out, s),
        Value::Array(items) => {
            put_varint(out, items.len() as u64);
            for item in items {
                put_node(out, item);
            }
        }
        Value::Record(fields) => {
            put_varint(out, fields.len() as u64);
            for (k, item) in fields {
                put_str(out, k);
                put_node(out, item);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.varint()?).ok()
    }

    fn len(&mut self) -> Option<usize> {
        // A length can't exceed the bytes left (every element takes at least one).
        usize::try_from(self.varint()?)
            .ok()
            .filter(|&n| n <= self.bytes.len())
    }

    fn str(&mut self) -> Option<String> {
        let n = self.len()?;
        let (s, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        String::from_utf8(s.to_vec()).ok()
    }

    fn node(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let tag = self.byte()?;
        let span = if tag & SPANNED != 0 {
            Some(Span {
                file: FileId(self.u32()?),
                start: self.u32()?,
                end: self.u32()?,
            })
        } else {
            None
        };
        let value = match tag & !SPANNED {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            INT => {
                let z = self.varint()?;
                Value::Number(Number::Int(((z >> 1) as i64) ^ -((z & 1) as i64)))
            }
            FLOAT => {
                let (b, rest) = self.bytes.split_first_chunk::<8>()?;
                self.bytes = rest;
                Value::Number(Number::Float(f64::from_bits(u64::from_le_bytes(*b))))
            }
            BIG => Value::Number(Number::Big(self.str()?)),
            STRING => Value::String(self.str()?),
            ENUM => Value::Enum(self.str()?),
            ARRAY => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.node(depth + 1)?);
                }
                Value::Array(items)
            }
            RECORD => {
                let n = self.len()?;
                let mut fields = BTreeMap::new();
                for _ in 0..n {
                    let k = self.str()?;
                    let v = self.node(depth + 1)?;
                    fields.insert(k, v);
                }
                // Encoded from a map: keys are unique.
                if fields.len() != n {
                    return None;
                }
                Value::Record(fields)
            }
            _ => return None,
        };
        Some(Node { value, span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(file: u32, start: u32, end: u32) -> Option<Span> {
        Some(Span {
            file: FileId(file),
            start,
            end,
        })
    }

    fn sample() -> Node {
        let leaf = |v, s| Node::new(v, s);
        let mut fields = BTreeMap::new();
        fields.insert("null".into(), leaf(Value::Null, None));
        fields.insert("t".into(), leaf(Value::Bool(true), sp(0, 1, 2)));
        fields.insert("f".into(), leaf(Value::Bool(false), None));
        for (i, n) in [0i64, -1, 1, i64::MIN, i64::MAX, 300, -300]
            .into_iter()
            .enumerate()
        {
            fields.insert(format!("i{i}"), leaf(Value::Number(Number::Int(n)), None));
        }
        fields.insert("x".into(), leaf(Value::Number(Number::Float(-0.5)), None));
        fields.insert(
            "big".into(),
            leaf(
                Value::Number(Number::Big("1e400".into())),
                sp(7, 0, u32::MAX),
            ),
        );
        fields.insert("s".into(), leaf(Value::String("héllo\n".into()), None));
        fields.insert("e".into(), leaf(Value::Enum("public".into()), sp(2, 9, 15)));
        fields.insert(
            "a".into(),
            leaf(
                Value::Array(vec![
                    leaf(Value::Null, None),
                    leaf(Value::Array(vec![]), sp(1, 3, 4)),
                ]),
                None,
            ),
        );
        fields.insert(String::new(), leaf(Value::Record(BTreeMap::new()), None));
        leaf(Value::Record(fields), sp(u32::MAX, 5, 6))
    }

    #[test]
    fn round_trips_every_kind_of_value_and_span() {
        let n = sample();
        assert_eq!(decode(&encode(&n)), Some(n));
    }

    #[test]
    fn refuses_anything_else_without_panicking() {
        let bytes = encode(&sample());
        assert_eq!(decode(&bytes[..8]), None);
        assert_eq!(decode(b"hlcnode0\x00"), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        // Every truncation and every single-byte change either fails or decodes to some tree.
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "truncated at {cut}");
        }
        for i in FORMAT.len()..bytes.len() {
            for b in [0x00, 0x7f, 0x80, 0xff] {
                let mut m = bytes.clone();
                m[i] = b;
                let _ = decode(&m);
            }
        }
        // A length far beyond the input, a tree deeper than the limit.
        let mut huge = FORMAT.to_vec();
        huge.extend_from_slice(&[ARRAY, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(decode(&huge), None);
        let mut deep = FORMAT.to_vec();
        deep.extend(std::iter::repeat_n([ARRAY, 1], MAX_DEPTH + 2).flatten());
        deep.push(NULL);
        assert_eq!(decode(&deep), None);
    }
}
