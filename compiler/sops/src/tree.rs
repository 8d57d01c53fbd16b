//! The document tree: an ordered, typed representation of a YAML or JSON
//! document as SOPS sees it.
//!
//! Keys keep their file order (nothing is ever sorted), scalars keep the type
//! that decides the `type:` field of an encrypted value, and comments are
//! entries of their own so they can be encrypted and written back.

/// One node of a document.
#[derive(Clone, Debug)]
pub enum Value {
    /// `null` (also YAML `~` and an empty value). Never encrypted, not in the MAC.
    Null,
    /// A boolean; encrypted as `True` / `False` with `type:bool`.
    Bool(bool),
    /// An integer; encrypted as its decimal form with `type:int`.
    Int(i64),
    /// A float; encrypted in Go `FormatFloat(f, 'f', -1, 64)` form with `type:float`.
    /// Every JSON number is a float, as in sops.
    Float(f64),
    /// A string; encrypted as its UTF-8 bytes with `type:str`. Empty strings
    /// are never encrypted.
    Str(String),
    /// A YAML timestamp, held as RFC 3339 text (`2024-01-01T00:00:00Z`);
    /// encrypted with `type:time`.
    Time(String),
    /// A mapping, in file order.
    Map(Map),
    /// A sequence. Inside a sequence a [`Value::Comment`] is a comment line.
    Seq(Vec<Value>),
    /// The body of a binary file that is not UTF-8, byte for byte; encrypted with
    /// `type:str` like a string (only binary files hold one).
    Bytes(Vec<u8>),
    /// A comment inside a sequence (the text after `#`, with its leading
    /// space). In maps, comments are [`Entry::Comment`]. Not in the MAC.
    Comment(String),
}

/// One entry of a [`Map`].
#[derive(Clone, Debug)]
pub enum Entry {
    /// `key: value`.
    Pair(String, Value),
    /// A comment line (the text after `#`, with its leading space).
    Comment(String),
}

/// An ordered mapping. Duplicate keys are kept as they are.
#[derive(Clone, Debug, Default)]
pub struct Map(pub Vec<Entry>);

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Map(Vec::new())
    }

    /// Appends `key: value`.
    pub fn push(&mut self, key: impl Into<String>, value: Value) {
        self.0.push(Entry::Pair(key.into(), value));
    }

    /// Builder form of [`Map::push`].
    pub fn with(mut self, key: impl Into<String>, value: Value) -> Self {
        self.push(key, value);
        self
    }

    /// The first value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.pairs().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Mutable access to the first value stored under `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.iter_mut().find_map(|e| match e {
            Entry::Pair(k, v) if k == key => Some(v),
            _ => None,
        })
    }

    /// Removes every pair with this key and returns the first value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let mut found = None;
        let mut kept = Vec::with_capacity(self.0.len());
        for e in std::mem::take(&mut self.0) {
            match e {
                Entry::Pair(k, v) if k == key => {
                    if found.is_none() {
                        found = Some(v);
                    }
                }
                other => kept.push(other),
            }
        }
        self.0 = kept;
        found
    }

    /// The `key: value` pairs, in order (comments skipped).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().filter_map(|e| match e {
            Entry::Pair(k, v) => Some((k.as_str(), v)),
            Entry::Comment(_) => None,
        })
    }

    /// Number of entries, comments included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a [`Value::Bytes`] occurs anywhere in the map.
    pub fn has_bytes(&self) -> bool {
        fn value(v: &Value) -> bool {
            match v {
                Value::Bytes(_) => true,
                Value::Map(m) => m.has_bytes(),
                Value::Seq(items) => items.iter().any(value),
                _ => false,
            }
        }
        self.pairs().any(|(_, v)| value(v))
    }

    /// A copy without any comments, recursively.
    pub fn without_comments(&self) -> Map {
        Map(self
            .0
            .iter()
            .filter_map(|e| match e {
                Entry::Pair(k, v) => Some(Entry::Pair(k.clone(), v.without_comments())),
                Entry::Comment(_) => None,
            })
            .collect())
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// A copy without any comments, recursively.
    pub fn without_comments(&self) -> Value {
        match self {
            Value::Map(m) => Value::Map(m.without_comments()),
            Value::Seq(items) => Value::Seq(
                items
                    .iter()
                    .filter(|v| !matches!(v, Value::Comment(_)))
                    .map(Value::without_comments)
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Structural equality where floats compare bit for bit (so `NaN == NaN`),
    /// types matter (`Int(1) != Float(1.0)`), and comments count.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Time(a), Value::Time(b)) => a == b,
            (Value::Comment(a), Value::Comment(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a.same_as(b),
            (Value::Seq(a), Value::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
            }
            _ => false,
        }
    }
}

impl Map {
    /// See [`Value::same_as`].
    pub fn same_as(&self, other: &Map) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| match (a, b) {
                (Entry::Pair(ka, va), Entry::Pair(kb, vb)) => ka == kb && va.same_as(vb),
                (Entry::Comment(a), Entry::Comment(b)) => a == b,
                _ => false,
            })
    }
}

/// A whole file: one map per YAML document (JSON files have exactly one).
#[derive(Clone, Debug, Default)]
pub struct Document {
    /// The documents, in order. Each root is a map, as sops requires.
    pub docs: Vec<Map>,
}

impl Document {
    /// A file with one document.
    pub fn single(map: Map) -> Self {
        Document { docs: vec![map] }
    }

    /// See [`Value::same_as`].
    pub fn same_as(&self, other: &Document) -> bool {
        self.docs.len() == other.docs.len()
            && self.docs.iter().zip(&other.docs).all(|(a, b)| a.same_as(b))
    }
}
