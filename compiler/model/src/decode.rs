//! The decoding machinery: walks a [`Node`] tree, collects every error (not only the first) as a
//! diagnostic pointing at the `.ncl` span of the offending value, and tracks the config path.

use crate::types::TypeError;
use hlc_diag::{Diagnostic, Diagnostics, Node, Number, Span, Value};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

/// A decoded value and the span of the expression that set it.
#[derive(Clone, Debug)]
pub struct Sp<T> {
    pub value: T,
    pub span: Option<Span>,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Option<Span>) -> Self {
        Sp { value, span }
    }
}

impl<T> Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

/// Collects decode diagnostics.
#[derive(Default)]
pub struct Decoder {
    pub diags: Diagnostics,
    /// Config paths of named entities that failed to decode (`machines.dup`).
    pub broken: BTreeSet<String>,
}

pub fn join(path: &str, field: &str) -> String {
    let simple = !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let f = if simple {
        field.to_string()
    } else {
        format!("{field:?}")
    };
    if path.is_empty() {
        f
    } else {
        format!("{path}.{f}")
    }
}

/// A record being decoded; reports missing and unknown fields.
pub struct Rec<'n> {
    pub fields: &'n BTreeMap<String, Node>,
    pub span: Option<Span>,
    pub path: String,
    known: BTreeSet<&'static str>,
}

impl Decoder {
    pub fn error(
        &mut self,
        code: &str,
        msg: String,
        node_span: Option<Span>,
        path: &str,
        help: &str,
    ) {
        self.diags.push(
            Diagnostic::error(code, msg)
                .with_span(node_span)
                .with_path(path)
                .with_help(help),
        );
    }

    fn type_error(&mut self, e: TypeError, node: &Node, path: &str) {
        self.diags.push(
            Diagnostic::error(e.code, e.message)
                .with_span(node.span)
                .with_path(path)
                .with_help(e.help),
        );
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        self.error(
            "HLC101",
            format!("expected {expected}, found {}", node.kind()),
            node.span,
            path,
            &format!("change this value to {expected}"),
        );
    }

    pub fn record<'n>(&mut self, node: &'n Node, path: &str) -> Option<Rec<'n>> {
        match &node.value {
            Value::Record(fields) => Some(Rec {
                fields,
                span: node.span,
                path: path.to_string(),
                known: BTreeSet::new(),
            }),
            _ => {
                self.wrong_type(node, path, "a record");
                None
            }
        }
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<Sp<String>> {
        match &node.value {
            Value::String(s) => Some(Sp::new(s.clone(), node.span)),
            _ => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    pub fn parse<T>(
        &mut self,
        node: &Node,
        path: &str,
        f: impl Fn(&str) -> Result<T, TypeError>,
    ) -> Option<Sp<T>> {
        let s = self.string(node, path)?;
        match f(&s) {
            Ok(v) => Some(Sp::new(v, node.span)),
            Err(e) => {
                self.type_error(e, node, path);
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node, path: &str) -> Option<Sp<bool>> {
        match &node.value {
            Value::Bool(b) => Some(Sp::new(*b, node.span)),
            _ => {
                self.wrong_type(node, path, "a boolean");
                None
            }
        }
    }

    pub fn number(&mut self, node: &Node, path: &str) -> Option<Sp<f64>> {
        match &node.value {
            Value::Number(Number::Int(i)) => Some(Sp::new(*i as f64, node.span)),
            Value::Number(Number::Float(f)) => Some(Sp::new(*f, node.span)),
            Value::Number(Number::Big(t)) => {
                self.error(
                    "HLC113",
                    format!("number {t} is out of range"),
                    node.span,
                    path,
                    "use a smaller number",
                );
                None
            }
            _ => {
                self.wrong_type(node, path, "a number");
                None
            }
        }
    }

    /// An integer in `lo..=hi`.
    pub fn int(
        &mut self,
        node: &Node,
        path: &str,
        lo: i64,
        hi: i64,
        what: &str,
    ) -> Option<Sp<i64>> {
        let out_of_range = |d: &mut Self, shown: String| {
            d.error(
                "HLC113",
                format!("{what} {shown} is out of range {lo}..={hi}"),
                node.span,
                path,
                &format!("a {what} is a whole number from {lo} to {hi}"),
            )
        };
        match &node.value {
            Value::Number(Number::Int(i)) if (lo..=hi).contains(i) => Some(Sp::new(*i, node.span)),
            Value::Number(Number::Int(i)) => {
                out_of_range(self, i.to_string());
                None
            }
            Value::Number(Number::Big(t)) => {
                out_of_range(self, t.clone());
                None
            }
            Value::Number(Number::Float(f)) => {
                self.error(
                    "HLC113",
                    format!("{what} {f} is not a whole number"),
                    node.span,
                    path,
                    &format!("a {what} is a whole number from {lo} to {hi}"),
                );
                None
            }
            _ => {
                self.wrong_type(node, path, "a whole number");
                None
            }
        }
    }

    /// An enum tag (`'public`) or string among `allowed`.
    pub fn tag(
        &mut self,
        node: &Node,
        path: &str,
        allowed: &[&'static str],
    ) -> Option<Sp<&'static str>> {
        let t = match &node.value {
            Value::Enum(t) | Value::String(t) => t,
            _ => {
                self.wrong_type(node, path, "an enum tag");
                return None;
            }
        };
        match allowed.iter().find(|a| **a == t) {
            Some(a) => Some(Sp::new(*a, node.span)),
            None => {
                let list = allowed
                    .iter()
                    .map(|a| format!("'{a}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(
                    "HLC110",
                    format!("'{t} is not one of {list}"),
                    node.span,
                    path,
                    &suggest(t, allowed.iter().copied())
                        .map(|s| format!("did you mean '{s}?"))
                        .unwrap_or_else(|| format!("use one of {list}")),
                );
                None
            }
        }
    }

    pub fn list<T>(
        &mut self,
        node: &Node,
        path: &str,
        mut f: impl FnMut(&mut Self, &Node, &str) -> Option<T>,
    ) -> Vec<T> {
        match &node.value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, n)| f(self, n, &format!("{path}[{i}]")))
                .collect(),
            _ => {
                self.wrong_type(node, path, "an array");
                Vec::new()
            }
        }
    }

    /// A record of named entries (`machines = { talos-dev = {…}, … }`). Names must be valid
    /// hostname labels when `dns_names` is set.
    pub fn map<T>(
        &mut self,
        node: &Node,
        path: &str,
        mut f: impl FnMut(&mut Self, &str, &Node, &str) -> Option<T>,
    ) -> BTreeMap<String, T> {
        let mut out = BTreeMap::new();
        match &node.value {
            Value::Record(fields) => {
                for (k, v) in fields {
                    let p = join(path, k);
                    if let Some(t) = f(self, k, v, &p) {
                        out.insert(k.clone(), t);
                    }
                }
            }
            _ => self.wrong_type(node, path, "a record"),
        }
        out
    }
}

/// The closest candidate by edit distance, if close enough to be a plausible typo.
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len().max(word.len()))
        .min()
        .map(|(_, c)| c)
}

impl<'n> Rec<'n> {
    fn field(&mut self, name: &'static str) -> Option<&'n Node> {
        self.known.insert(name);
        self.fields.get(name)
    }

    pub fn path_of(&self, name: &str) -> String {
        join(&self.path, name)
    }

    /// A required field; reports HLC102 when absent.
    pub fn req(&mut self, d: &mut Decoder, name: &'static str) -> Option<(&'n Node, String)> {
        match self.field(name) {
            Some(n) => Some((n, self.path_of(name))),
            None => {
                d.error(
                    "HLC102",
                    format!("missing field `{name}`"),
                    self.span,
                    &self.path,
                    &format!("add `{name} = …` to this record"),
                );
                None
            }
        }
    }

    /// An optional field; `null` counts as absent.
    pub fn opt(&mut self, name: &'static str) -> Option<(&'n Node, String)> {
        match self.field(name) {
            Some(n) if n.value == Value::Null => None,
            Some(n) => Some((n, self.path_of(name))),
            None => None,
        }
    }

    /// Reports fields nobody asked for (a typo the Nickel contract did not catch, or JSON input).
    pub fn finish(self, d: &mut Decoder) {
        for (k, v) in self.fields {
            if !self.known.contains(k.as_str()) {
                let help = suggest(k, self.known.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        let list: Vec<_> = self.known.iter().copied().collect();
                        format!("known fields: {}", list.join(", "))
                    });
                d.error(
                    "HLC114",
                    format!("unknown field `{k}`"),
                    v.span.or(self.span),
                    &join(&self.path, k),
                    &help,
                );
            }
        }
    }
}
