//! Safe building blocks for mermaid diagrams: node ids and labels that any model name can go
//! through without breaking the diagram or injecting syntax.
//!
//! * [`id`]: `prefix_` + the name with every byte outside `[A-Za-z0-9]` written as `_` and two
//!   lower-case hex digits (`a-b.c` → `svc_a_2db_2ec`, `a_b` → `svc_a_5fb`). The encoding is
//!   injective, so two names never share an id, and the result never is a mermaid keyword
//!   (`end`, `subgraph`…) because it always carries a prefix.
//! * [`label`]: a double-quoted label with `"`, `<`, `>`, `&`, `#`, `` ` ``, `|` and line breaks
//!   written as mermaid entity codes (`#quot;`, `#lt;`…), so a label is always plain text;
//!   [`label_lines`] joins escaped lines with `<br/>`.

use std::fmt::Write;

/// A mermaid node id for `name` in the namespace `prefix` (`[A-Za-z0-9_]` only).
pub fn id(prefix: &str, name: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1 + name.len());
    out.push_str(prefix);
    out.push('_');
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "_{b:02x}");
        }
    }
    out
}

/// Escapes text for use inside a double-quoted mermaid label.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '#' => out.push_str("#35;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A quoted label for one line of text: `"…"`.
pub fn label(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

/// A quoted label of several lines, each escaped, joined with `<br/>`.
pub fn label_lines<S: AsRef<str>>(lines: &[S]) -> String {
    let parts: Vec<String> = lines.iter().map(|l| escape(l.as_ref())).collect();
    format!("\"{}\"", parts.join("<br/>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sanitised_and_injective() {
        assert_eq!(id("svc", "a-b.c"), "svc_a_2db_2ec");
        assert_eq!(id("svc", "a_b"), "svc_a_5fb");
        assert_ne!(id("svc", "a-b"), id("svc", "a_b"));
        assert_eq!(id("svc", "é"), "svc__c3_a9");
        for n in ["a-b.c", "end", "x\"y", "sp ace", "🙂", ""] {
            let i = id("svc", n);
            assert!(
                i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{i}"
            );
        }
    }

    #[test]
    fn labels_are_plain_text() {
        assert_eq!(label("a \"b\" <c>"), "\"a #quot;b#quot; #lt;c#gt;\"");
        assert_eq!(label_lines(&["x|y", "z#"]), "\"x#124;y<br/>z#35;\"");
    }
}
