//! The evaluated configuration: a JSON-like tree whose nodes remember where they were written.

use crate::source::Span;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// A number as Nickel evaluated it. Nickel numbers are arbitrary-precision rationals; integers
/// that fit in an `i64` stay exact, other values are carried as `f64`, and integers too large for
/// either keep their decimal text so a diagnostic can show them.
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    Big(String),
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Big(s) => f.write_str(s),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    /// A Nickel enum tag without argument (`'public`).
    Enum(String),
    Array(Vec<Node>),
    /// Fields sorted by name, as Nickel exports them.
    Record(BTreeMap<String, Node>),
}

/// One value of the evaluated configuration and the span of the expression that produced it,
/// when Nickel kept one.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Option<Span>,
}

impl Node {
    pub fn new(value: Value, span: Option<Span>) -> Self {
        Node { value, span }
    }

    /// A short name of the node's kind, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Enum(_) => "an enum tag",
            Value::Array(_) => "an array",
            Value::Record(_) => "a record",
        }
    }

    pub fn as_record(&self) -> Option<&BTreeMap<String, Node>> {
        match &self.value {
            Value::Record(r) => Some(r),
            _ => None,
        }
    }

    /// Build a tree from JSON (no spans): used by tests and fuzzers.
    pub fn from_json(v: &serde_json::Value) -> Node {
        let value = match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(match n.as_i64() {
                Some(i) => Number::Int(i),
                None => match n.as_f64() {
                    Some(f) => Number::Float(f),
                    None => Number::Big(n.to_string()),
                },
            }),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Node::from_json).collect()),
            serde_json::Value::Object(o) => Value::Record(
                o.iter()
                    .map(|(k, v)| (k.clone(), Node::from_json(v)))
                    .collect(),
            ),
        };
        Node { value, span: None }
    }
}

/// Serialises the value only (enum tags as strings), like `nickel export`.
impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.value {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(Number::Int(i)) => s.serialize_i64(*i),
            Value::Number(Number::Float(f)) => s.serialize_f64(*f),
            Value::Number(Number::Big(t)) => s.serialize_str(t),
            Value::String(t) | Value::Enum(t) => s.serialize_str(t),
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for e in a {
                    seq.serialize_element(e)?;
                }
                seq.end()
            }
            Value::Record(r) => {
                let mut map = s.serialize_map(Some(r.len()))?;
                for (k, v) in r {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}
