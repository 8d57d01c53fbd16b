//! YAML reading and writing: the only module that touches the YAML parser.
//!
//! Parsing uses `saphyr-parser` (the event layer of the maintained saphyr
//! project): unlike serde-based YAML crates it reports each scalar's style
//! (so `"0123"` stays a string while plain `0123` is go-yaml's int 83), tags,
//! anchors, and source spans, which is how comments are recovered (sops
//! encrypts comments). It is pure Rust, `no_std`, and returns errors instead
//! of panicking on malformed input.
//!
//! Writing is our own deterministic emitter, in the layout real sops
//! (go-yaml v3, indent 4) uses: keys in document order, 4-space indentation,
//! sequences under a key indented by 4, `[]`/`{}` for empty collections,
//! strings quoted whenever any YAML 1.1 or 1.2 reader could read them as
//! another type, `|`/`|-` literal blocks for multi-line strings, and lines
//! never wrapped (helm-secrets greps for the `mac` line).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::error::{Error, Result};
use crate::scalar;
use crate::tree::{Entry, Map, Value};
use crate::Format;

const MAX_DEPTH: usize = 256;
const MAX_ALIAS_NODES: usize = 1_000_000;

fn parse_err(message: impl Into<String>) -> Error {
    Error::Parse {
        format: Format::Yaml,
        message: message.into(),
    }
}

struct Comment {
    pos: usize,
    col: usize,
    trailing: bool,
    text: String,
}

enum Frame {
    Map {
        map: Map,
        key: Option<String>,
        /// The keys seen so far: a key given twice is refused (YAML requires unique keys, and
        /// readers disagree on which value wins).
        keys: std::collections::HashSet<String>,
        anchor: usize,
        col: usize,
        pending: Vec<String>,
    },
    Seq {
        items: Vec<Value>,
        anchor: usize,
        col: usize,
        pending: Vec<String>,
    },
}

/// The longest map key accepted, in characters. YAML caps an implicit key at 1024 characters as
/// written, escapes included (`\uFEFF` is six); 128 is where go-yaml, and so sops, stops writing
/// keys implicitly. No SOPS file needs longer keys.
const MAX_KEY: usize = 128;

/// Parses a (multi-document) YAML stream into one map per document.
pub(crate) fn parse(src: &str) -> Result<Vec<Map>> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut events: Vec<(Event<'_>, Span)> = Vec::new();
    let mut parser = Parser::new_from_str(src);
    while let Some(ev) = parser.next_event() {
        match ev {
            Ok(e) => events.push(e),
            Err(e) => {
                return Err(parse_err(format!(
                    "{} at line {} column {}",
                    e.info(),
                    e.marker().line(),
                    e.marker().col() + 1
                )))
            }
        }
    }
    let scalar_spans: Vec<(usize, usize)> = events
        .iter()
        .filter(|(e, _)| matches!(e, Event::Scalar(..)))
        .map(|(_, s)| (s.start.index(), s.end.index()))
        .collect();
    let comments = find_comments(src, &scalar_spans);
    Builder::default().run(events, comments)
}

/// Finds `#` comments outside scalar spans (spans are in characters).
fn find_comments(src: &str, spans: &[(usize, usize)]) -> Vec<Comment> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut span_i = 0;
    let mut line_start = 0;
    let mut i = 0;
    while i < chars.len() {
        while span_i < spans.len() && spans[span_i].1 <= i {
            span_i += 1;
        }
        if span_i < spans.len() && spans[span_i].0 <= i {
            // Inside a scalar: jump to its end, keeping track of lines.
            let end = spans[span_i].1.min(chars.len());
            while i < end {
                if chars[i] == '\n' {
                    line_start = i + 1;
                }
                i += 1;
            }
            continue;
        }
        let c = chars[i];
        if c == '\n' {
            line_start = i + 1;
        } else if c == '#' && (i == 0 || matches!(chars[i - 1], ' ' | '\t' | '\n' | '\r')) {
            let mut end = i + 1;
            while end < chars.len() && chars[end] != '\n' {
                end += 1;
            }
            let text: String = chars[i + 1..end].iter().collect();
            let prefix: String = chars[line_start..i].iter().collect();
            out.push(Comment {
                pos: i,
                col: i - line_start,
                trailing: !prefix
                    .trim_matches(|c| c == ' ' || c == '\t' || c == '-')
                    .is_empty(),
                text: text.trim_end_matches('\r').to_string(),
            });
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Map>,
    anchors: HashMap<usize, (Value, usize)>,
    alias_nodes: usize,
    /// Comments seen before the next node, not yet placed.
    pending: Vec<(usize, String)>,
}

fn node_count(v: &Value) -> usize {
    match v {
        Value::Map(m) => {
            1 + m
                .0
                .iter()
                .map(|e| match e {
                    Entry::Pair(_, v) => node_count(v),
                    Entry::Comment(_) => 1,
                })
                .sum::<usize>()
        }
        Value::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        _ => 1,
    }
}

impl Builder {
    fn run(mut self, events: Vec<(Event<'_>, Span)>, comments: Vec<Comment>) -> Result<Vec<Map>> {
        let mut comments = comments.into_iter().peekable();
        for (ev, span) in events {
            while let Some(c) = comments.next_if(|c| c.pos < span.start.index()) {
                self.comment(c);
            }
            self.event(ev, span)?;
        }
        for c in comments {
            self.comment(c);
        }
        self.flush_to_last_doc();
        Ok(self.docs)
    }

    fn flush_to_last_doc(&mut self) {
        if let Some(doc) = self.docs.last_mut() {
            for (_, text) in self.pending.drain(..) {
                doc.0.push(Entry::Comment(text));
            }
        }
    }

    fn comment(&mut self, c: Comment) {
        if !c.trailing {
            self.pending.push((c.col, c.text));
            return;
        }
        match self.stack.last_mut() {
            Some(Frame::Map { map, key, .. }) => {
                if key.is_some() {
                    map.0.push(Entry::Comment(c.text));
                } else {
                    let at = map
                        .0
                        .iter()
                        .rposition(|e| matches!(e, Entry::Pair(..)))
                        .unwrap_or(map.0.len());
                    map.0.insert(at, Entry::Comment(c.text));
                }
            }
            Some(Frame::Seq { items, .. }) => {
                let at = items
                    .iter()
                    .rposition(|v| !matches!(v, Value::Comment(_)))
                    .unwrap_or(items.len());
                items.insert(at, Value::Comment(c.text));
            }
            None => match self.docs.last_mut() {
                Some(doc) => doc.0.push(Entry::Comment(c.text)),
                None => self.pending.push((c.col, c.text)),
            },
        }
    }

    /// Places pending comments into the top frame, before the node about to come.
    fn place_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        match self.stack.last_mut() {
            Some(Frame::Map { map, .. }) => {
                for (_, t) in self.pending.drain(..) {
                    map.0.push(Entry::Comment(t));
                }
            }
            Some(Frame::Seq { items, .. }) => {
                for (_, t) in self.pending.drain(..) {
                    items.push(Value::Comment(t));
                }
            }
            None => {}
        }
    }

    fn event(&mut self, ev: Event<'_>, span: Span) -> Result<()> {
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) => {}
            Event::DocumentEnd => self.flush_to_last_doc(),
            Event::Alias(id) => {
                self.place_pending();
                let (v, n) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| parse_err("alias to an unknown anchor"))?;
                self.alias_nodes = self.alias_nodes.saturating_add(n);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(parse_err("too many nodes through aliases"));
                }
                self.node(v, 0, None)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.place_pending();
                let raw = text.to_string();
                let value = if let Some(tag) = tag {
                    tagged(&tag.handle, &tag.suffix, &raw, style)?
                } else if style == ScalarStyle::Plain {
                    scalar::resolve_plain(&raw)
                } else {
                    Value::Str(raw.clone())
                };
                self.node(value, anchor, Some(raw))?;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(parse_err("document nested too deeply"));
                }
                if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
                    return Err(parse_err("complex (non-scalar) map keys are not supported"));
                }
                let pending = self.pending.drain(..).map(|(_, t)| t).collect();
                let col = span.start.col();
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        keys: std::collections::HashSet::new(),
                        anchor,
                        col,
                        pending,
                    }
                } else {
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                        col,
                        pending,
                    }
                });
                // Comments carried in from before the collection go first.
                match self.stack.last_mut() {
                    Some(Frame::Map { map, pending, .. }) => {
                        map.0.extend(pending.drain(..).map(Entry::Comment))
                    }
                    Some(Frame::Seq { items, pending, .. }) => {
                        items.extend(pending.drain(..).map(Value::Comment))
                    }
                    None => {}
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self
                    .stack
                    .pop()
                    .ok_or_else(|| parse_err("unbalanced collection end"))?;
                let (value, anchor, col) = match frame {
                    Frame::Map {
                        map,
                        key,
                        anchor,
                        col,
                        ..
                    } => {
                        if key.is_some() {
                            return Err(parse_err("map key without value"));
                        }
                        (Value::Map(map), anchor, col)
                    }
                    Frame::Seq {
                        items, anchor, col, ..
                    } => (Value::Seq(items), anchor, col),
                };
                let (inner, outer): (Vec<_>, Vec<_>) =
                    self.pending.drain(..).partition(|(c, _)| *c >= col);
                self.pending = outer;
                let value = match value {
                    Value::Map(mut m) => {
                        m.0.extend(inner.into_iter().map(|(_, t)| Entry::Comment(t)));
                        Value::Map(m)
                    }
                    Value::Seq(mut s) => {
                        s.extend(inner.into_iter().map(|(_, t)| Value::Comment(t)));
                        Value::Seq(s)
                    }
                    v => v,
                };
                self.node(value, anchor, None)?;
            }
        }
        Ok(())
    }

    /// A complete node: a key, a map value, a sequence item or a document root.
    fn node(&mut self, value: Value, anchor: usize, raw: Option<String>) -> Result<()> {
        if anchor != 0 {
            let n = node_count(&value);
            self.anchors.insert(anchor, (value.clone(), n));
        }
        match self.stack.last_mut() {
            Some(Frame::Map { map, key, keys, .. }) => match key.take() {
                Some(k) => {
                    if !keys.insert(k.clone()) {
                        return Err(parse_err(format!("duplicate map key `{k}`")));
                    }
                    map.0.push(Entry::Pair(k, value))
                }
                None => {
                    let k = match (raw, value) {
                        (Some(r), _) => r,
                        (None, Value::Str(s)) | (None, Value::Time(s)) => s,
                        (None, Value::Int(i)) => i.to_string(),
                        (None, Value::Bool(b)) => b.to_string(),
                        (None, Value::Float(f)) => scalar::yaml_float(f),
                        (None, Value::Null) => "null".to_string(),
                        _ => {
                            return Err(parse_err(
                                "complex (non-scalar) map keys are not supported",
                            ))
                        }
                    };
                    // A longer key (accepted in flow style) could not be written back as an
                    // implicit key.
                    if k.chars().count() > MAX_KEY {
                        return Err(parse_err(format!(
                            "a map key is longer than {MAX_KEY} characters"
                        )));
                    }
                    *key = Some(k)
                }
            },
            Some(Frame::Seq { items, .. }) => items.push(value),
            None => match value {
                Value::Map(m) => self.docs.push(m),
                _ => return Err(Error::RootNotMap),
            },
        }
        Ok(())
    }
}

fn tagged(handle: &str, suffix: &str, raw: &str, style: ScalarStyle) -> Result<Value> {
    if handle != "tag:yaml.org,2002:" && handle != "!!" {
        // Local or foreign tags: go-yaml hands the text through as a string.
        return Ok(Value::Str(raw.to_string()));
    }
    let resolved = if style == ScalarStyle::Plain {
        scalar::resolve_plain(raw)
    } else {
        Value::Str(raw.to_string())
    };
    let bad = || parse_err(format!("value does not match its !!{suffix} tag"));
    Ok(match suffix {
        "str" | "binary" => Value::Str(raw.to_string()),
        "null" => Value::Null,
        "bool" => match scalar::resolve_plain(raw) {
            v @ Value::Bool(_) => v,
            _ => return Err(bad()),
        },
        "int" => match scalar::resolve_plain(raw) {
            v @ Value::Int(_) => v,
            _ => return Err(bad()),
        },
        "float" => match scalar::resolve_plain(raw) {
            Value::Int(i) => Value::Float(i as f64),
            v @ Value::Float(_) => v,
            _ => return Err(bad()),
        },
        "timestamp" => Value::Time(scalar::parse_timestamp(raw).ok_or_else(bad)?),
        _ => resolved,
    })
}

// ---------------------------------------------------------------- emitting

/// Writes documents separated by `---`. Deterministic: the same tree always
/// gives the same bytes.
pub(crate) fn emit(docs: &[Map]) -> String {
    let mut out = String::new();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        if doc.is_empty() {
            out.push_str("{}\n");
        } else {
            emit_map(&mut out, doc, 0, 4, false);
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn is_empty_collection(v: &Value) -> Option<&'static str> {
    match v {
        Value::Map(m) if m.pairs().next().is_none() => Some("{}"),
        Value::Seq(s) if s.iter().all(|v| matches!(v, Value::Comment(_))) => Some("[]"),
        _ => None,
    }
}

/// Starts a collection that follows `- `: if its first entry is a comment
/// it cannot share the dash line, so break the line there.
fn start_inline(out: &mut String, first_is_comment: bool, inline: bool) -> bool {
    if inline && first_is_comment {
        if out.ends_with(' ') {
            out.pop();
        }
        out.push('\n');
        return false;
    }
    inline
}

fn emit_map(out: &mut String, map: &Map, key_col: usize, child_col: usize, inline: bool) {
    let mut inline = start_inline(
        out,
        matches!(map.0.first(), Some(Entry::Comment(_))),
        inline,
    );
    for e in &map.0 {
        if !inline {
            indent(out, key_col);
        }
        inline = false;
        match e {
            Entry::Comment(t) => {
                out.push('#');
                out.push_str(t);
                out.push('\n');
            }
            Entry::Pair(k, v) => {
                out.push_str(&inline_str(k));
                out.push(':');
                emit_value_after(out, v, child_col);
            }
        }
    }
}

/// Writes a value after `key:` (or `-`), then the line end.
fn emit_value_after(out: &mut String, v: &Value, child_col: usize) {
    if let Some(empty) = is_empty_collection(v) {
        out.push(' ');
        out.push_str(empty);
        out.push('\n');
        return;
    }
    match v {
        Value::Map(m) => {
            out.push('\n');
            emit_map(out, m, child_col, child_col + 4, false);
        }
        Value::Seq(items) => {
            out.push('\n');
            emit_seq(out, items, child_col, false);
        }
        scalar => {
            out.push(' ');
            emit_scalar(out, scalar, child_col);
        }
    }
}

fn emit_seq(out: &mut String, items: &[Value], dash_col: usize, inline: bool) {
    let mut inline = start_inline(
        out,
        matches!(items.first(), Some(Value::Comment(_))),
        inline,
    );
    for item in items {
        if !inline {
            indent(out, dash_col);
        }
        inline = false;
        if let Value::Comment(t) = item {
            out.push('#');
            out.push_str(t);
            out.push('\n');
            continue;
        }
        out.push_str("- ");
        if let Some(empty) = is_empty_collection(item) {
            out.push_str(empty);
            out.push('\n');
            continue;
        }
        match item {
            Value::Map(m) => emit_map(out, m, dash_col + 2, dash_col + 4, true),
            Value::Seq(s) => emit_seq(out, s, dash_col + 2, true),
            scalar => emit_scalar(out, scalar, dash_col + 4),
        }
    }
}

fn emit_scalar(out: &mut String, v: &Value, block_col: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&scalar::yaml_float(*f)),
        // Only binary files hold bytes; YAML can show them only approximately.
        Value::Bytes(b) => out.push_str(&double_quoted(&String::from_utf8_lossy(b))),
        Value::Time(t) => {
            if matches!(scalar::resolve_plain(t), Value::Time(_)) {
                out.push_str(t)
            } else {
                out.push_str(&double_quoted(t))
            }
        }
        Value::Str(s) if literal_ok(s) => {
            out.push_str(if s.ends_with('\n') { "|" } else { "|-" });
            out.push('\n');
            for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                if !line.is_empty() {
                    indent(out, block_col);
                    out.push_str(line);
                }
                out.push('\n');
            }
            return;
        }
        Value::Str(s) => out.push_str(&inline_str(s)),
        // Comments, maps and sequences are handled by the callers.
        Value::Comment(_) | Value::Map(_) | Value::Seq(_) => out.push_str("null"),
    }
    out.push('\n');
}

fn is_unprintable(c: char) -> bool {
    (c < ' ' && c != '\n')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// Whether a multi-line string can be written as a `|`/`|-` literal block
/// and read back identically.
fn literal_ok(s: &str) -> bool {
    if !s.contains('\n') || s.starts_with([' ', '\n']) || s.ends_with("\n\n") {
        return false;
    }
    if s.chars().any(|c| is_unprintable(c) || c == '\t') {
        return false;
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    body.split('\n')
        .all(|l| l.is_empty() || !l.trim().is_empty())
        && !body.split('\n').any(|l| l.ends_with(' '))
}

fn plain_ok(s: &str) -> bool {
    !s.starts_with([
        ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
        '@', '`',
    ]) && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains(['\n', '\t', '\r'])
}

/// A string as a single-line YAML scalar: plain, single- or double-quoted.
fn inline_str(s: &str) -> String {
    if scalar::ambiguous_in_yaml(s)
        || s.chars()
            .any(|c| is_unprintable(c) || c == '\n' || c == '\t')
    {
        double_quoted(s)
    } else if plain_ok(s) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) < 0x100 && is_unprintable(c) => {
                out.push_str(&format!("\\x{:02X}", c as u32))
            }
            c if is_unprintable(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(src: &str) -> String {
        emit(&parse(src).expect("parses"))
    }

    #[test]
    fn comments_are_kept_where_sops_puts_them() {
        let src = "# top\na: 1 # tr\nnested:\n  # inside\n  key: value # trailing\nlist:\n  - a # item\n  - b\n";
        let out = roundtrip(src);
        assert_eq!(
            out,
            "# top\n# tr\na: 1\nnested:\n    # inside\n    # trailing\n    key: value\nlist:\n    # item\n    - a\n    - b\n"
        );
    }

    #[test]
    fn hash_inside_scalars_is_not_a_comment() {
        let src = "a: \"x #y\"\nb: 'q # r'\nc: |\n  not # a comment\nd: p#q\n";
        let docs = parse(src).expect("parses");
        let m = &docs[0];
        assert_eq!(m.len(), 4, "no comment entries: {m:?}");
        assert!(matches!(m.get("c"), Some(Value::Str(s)) if s == "not # a comment\n"));
        assert!(matches!(m.get("d"), Some(Value::Str(s)) if s == "p#q"));
    }

    #[test]
    fn layout_matches_go_yaml_indent_4() {
        let src = "servers:\n  - alpha\nusers:\n  - name: alice\n    roles:\n      - admin\n    extra:\n      k: v\n  - name: bob\n    roles: []\nmatrix:\n  - - 1\n    - 2\nempty_map: {}\n";
        assert_eq!(
            roundtrip(src),
            "servers:\n    - alpha\nusers:\n    - name: alice\n      roles:\n        - admin\n      extra:\n        k: v\n    - name: bob\n      roles: []\nmatrix:\n    - - 1\n      - 2\nempty_map: {}\n"
        );
    }

    #[test]
    fn strings_are_quoted_when_ambiguous() {
        let mut m = Map::new();
        for s in [
            "yes",
            "0123",
            "key: value",
            "#hash",
            "a<b & c>d",
            "",
            "2024-01-01",
            "it's",
            "trailing ",
            "@at",
            "tab\there",
            "on",
        ] {
            m.push(s, Value::str(s));
        }
        m.push("multi", Value::str("first\nsecond\n"));
        m.push("multi_nonl", Value::str("first\nsecond"));
        let out = emit(&[m.clone()]);
        assert_eq!(
            out,
            "\"yes\": \"yes\"\n\"0123\": \"0123\"\n'key: value': 'key: value'\n'#hash': '#hash'\na<b & c>d: a<b & c>d\n\"\": \"\"\n\"2024-01-01\": \"2024-01-01\"\nit's: it's\n'trailing ': 'trailing '\n'@at': '@at'\n\"tab\\there\": \"tab\\there\"\n\"on\": \"on\"\nmulti: |\n    first\n    second\nmulti_nonl: |-\n    first\n    second\n"
        );
        let back = parse(&out).expect("parses");
        assert!(back[0].same_as(&m), "{back:?}");
    }

    #[test]
    fn anchors_tags_multidoc() {
        let docs = parse("a: &x\n  k: 1\nb: *x\nc: !!str 42\n---\nd: 2\n").expect("parses");
        assert_eq!(docs.len(), 2);
        assert!(
            matches!(docs[0].get("b"), Some(Value::Map(m)) if matches!(m.get("k"), Some(Value::Int(1))))
        );
        assert!(matches!(docs[0].get("c"), Some(Value::Str(s)) if s == "42"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for src in [
            "[",
            "a: [1, 2",
            "- a\n- b\n",
            "42",
            "a: *nope\n",
            "{a: 1}}",
            "\"unterminated",
            "a:\n\t- b",
            "? [a]\n: b\n",
        ] {
            let _ = parse(src);
        }
        assert!(matches!(parse("- a\n"), Err(Error::RootNotMap)));
        assert!(parse("a: *nope\n").is_err());
    }

    #[test]
    fn keys_too_long_to_write_back_are_refused() {
        // Found by fuzzing: a long quoted key in flow style parsed, but its block-style emission
        // did not (YAML caps implicit keys at 1024 characters as written).
        let long = "k".repeat(MAX_KEY + 1);
        assert!(parse(&format!("{{\"{long}\": 1}}\n")).is_err());
        assert!(parse(&format!("{long}: 1\n")).is_err());
        for ok in ["k".repeat(MAX_KEY), "\u{feff}".repeat(MAX_KEY)] {
            let doc = parse(&format!("{{{}: 1}}\n", serde_json::to_string(&ok).unwrap())).unwrap();
            let back = parse(&emit(&doc)).unwrap();
            assert!(back[0].same_as(&doc[0]));
        }
    }

    #[test]
    fn duplicate_keys_are_refused() {
        for src in [
            "a: 1\na: 2\n",
            "x:\n  b: 1\n  c: 2\n  b: 1\n",
            "- k: 1\n  k: 1\n",
            "a: 1\n\"a\": 2\n",
        ] {
            let doc = format!("root:\n  {}", src.replace('\n', "\n  "));
            for text in [src.to_string(), doc] {
                match parse(&text) {
                    Err(Error::Parse { message, .. }) => {
                        assert!(message.contains("duplicate map key"), "{text:?}: {message}")
                    }
                    other => panic!("{text:?} parses: {other:?}"),
                }
            }
        }
        // The same key in different maps is fine.
        assert!(parse("a:\n  k: 1\nb:\n  k: 1\n").is_ok());
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            src.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        assert!(parse(&src).is_err());
    }
}
