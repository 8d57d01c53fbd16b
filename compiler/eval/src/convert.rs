//! Nickel value → [`hlc_diag::Node`], keeping the position of every value.

use crate::nickel::FileResolver;
use hlc_diag::{Diagnostic, Node, Number, Span, Value};
use nickel_lang_core::eval::value::{Container, NickelValue, ValueContentRef};
use nickel_lang_core::position::{PosIdx, PosTable};
use std::collections::BTreeMap;

/// Values nested deeper than this are refused (no configuration needs it; an adversarial one
/// must not exhaust the stack).
pub const MAX_DEPTH: usize = 256;

/// The config path of the value being converted, spelled out only for a diagnostic (building
/// the string for every value cost more than the rest of the conversion).
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

pub(crate) struct Converter<'a> {
    pub pos_table: &'a PosTable,
    pub file_map: &'a FileResolver,
}

impl Converter<'_> {
    pub fn span(&self, idx: PosIdx) -> Option<Span> {
        let raw = self.pos_table.get(idx).into_opt()?;
        let file = self.file_map.get(raw.src_id)?;
        Some(Span {
            file,
            start: raw.start.0,
            end: raw.end.0,
        })
    }

    pub fn convert(
        &self,
        v: &NickelValue,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Node, Box<Diagnostic>> {
        let span = self.span(v.pos_idx());
        if depth > MAX_DEPTH {
            return Err(Box::new(
                Diagnostic::error(
                    "HLC026",
                    format!("the configuration nests values deeper than {MAX_DEPTH} levels"),
                )
                .with_span(span)
                .with_path(short_path(&path.to_string()))
                .with_help("flatten this structure; hlc models are a few levels deep"),
            ));
        }
        let value = match v.content_ref() {
            ValueContentRef::Null => Value::Null,
            ValueContentRef::Bool(b) => Value::Bool(b),
            ValueContentRef::Number(_) => Value::Number(number(v)),
            ValueContentRef::String(s) => Value::String(s.to_string()),
            ValueContentRef::EnumVariant(e) if e.arg.is_none() => Value::Enum(e.tag.label().to_string()),
            ValueContentRef::Array(Container::Empty) => Value::Array(Vec::new()),
            ValueContentRef::Array(Container::Alloc(a)) => {
                let mut out = Vec::with_capacity(a.array.len());
                for (i, e) in a.array.iter().enumerate() {
                    out.push(self.convert(e, &Path::Index(path, i), depth + 1)?);
                }
                Value::Array(out)
            }
            ValueContentRef::Record(Container::Empty) => Value::Record(BTreeMap::new()),
            ValueContentRef::Record(Container::Alloc(r)) => {
                let mut out = BTreeMap::new();
                for (id, field) in r.fields.iter() {
                    if field.metadata.not_exported() {
                        continue;
                    }
                    let label = id.label();
                    let fpath = Path::Field(path, label);
                    let name = label.to_string();
                    match &field.value {
                        Some(fv) => {
                            let mut node = self.convert(fv, &fpath, depth + 1)?;
                            if node.span.is_none() {
                                node.span = id.pos.into_opt().and_then(|raw| {
                                    Some(Span {
                                        file: self.file_map.get(raw.src_id)?,
                                        start: raw.start.0,
                                        end: raw.end.0,
                                    })
                                });
                            }
                            out.insert(name, node);
                        }
                        None if field.metadata.opt() => {}
                        None => {
                            let fspan = id.pos.into_opt().and_then(|raw| {
                                Some(Span {
                                    file: self.file_map.get(raw.src_id)?,
                                    start: raw.start.0,
                                    end: raw.end.0,
                                })
                            });
                            return Err(Box::new(Diagnostic::error(
                                "HLC102",
                                format!("missing field `{name}`"),
                            )
                            .with_span(fspan.or(span))
                            .with_path(fpath.to_string())
                            .with_help(format!("give `{name}` a value"))));
                        }
                    }
                }
                Value::Record(out)
            }
            _ => {
                return Err(Box::new(Diagnostic::error(
                    "HLC027",
                    format!(
                        "this value cannot be part of the model: it is {}",
                        v.type_of().unwrap_or("not plain data")
                    ),
                )
                .with_span(span)
                .with_path(path.to_string())
                .with_help("the configuration must evaluate to plain data: records, arrays, strings, numbers, booleans and enum tags")))
            }
        };
        Ok(Node { value, span })
    }
}

fn number(v: &NickelValue) -> Number {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Number::Int(i)
            } else if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() >= 9.2e18 {
                    Number::Big(big_integer_text(v).unwrap_or_else(|| format!("{f:e}")))
                } else {
                    Number::Float(f)
                }
            } else {
                Number::Big(n.to_string())
            }
        }
        _ => Number::Big(
            v.to_nickel_string()
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ),
    }
}

/// The exact decimal text of an integer too large for an `i64` (as the user wrote it, not its
/// rounded `f64`), when it is short enough to show in a diagnostic.
fn big_integer_text(v: &NickelValue) -> Option<String> {
    use nickel_lang_core::term::IsInteger;
    let n = v.as_number()?;
    if !n.is_integer() {
        return None;
    }
    let text = n.to_string();
    (text.len() <= 40).then_some(text)
}

/// A config path at most about 80 characters long: its head, `…`, and its last step, so that a
/// path hundreds of levels deep stays readable in a diagnostic.
fn short_path(path: &str) -> String {
    if path.chars().count() <= 80 {
        return path.to_string();
    }
    let head: String = path.chars().take(60).collect();
    let cut = head
        .rfind(['.', '['])
        .filter(|i| *i > 0)
        .unwrap_or(head.len());
    let tail_start = path.rfind(['.', '[']).unwrap_or(0);
    format!("{}…{}", &head[..cut], &path[tail_start..])
}
