//! The diagnostic type every phase reports with.

use crate::source::Span;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Printed, does not fail the run.
    Warning,
    /// Fails the run (exit 1).
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A secondary span with its own message ("first defined here").
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding. `code` is stable across releases (`HLC301`); `path` is the config path the
/// finding concerns (`machines.oci-node-1.address`); `span` points at the `.ncl` expression that
/// set it. A diagnostic about a file that is not a config source (an `out/` file, a missing
/// `configs/main.ncl`) names it in `file` instead of a span.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub path: Option<String>,
    pub span: Option<Span>,
    pub file: Option<String>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// The source at `span` may hold a secret (e.g. a private key pasted where a public one
    /// belongs): renderings give its location but never quote its text.
    pub hide_source: bool,
}

impl Diagnostic {
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.into(),
            severity: Severity::Error,
            message: message.into(),
            path: None,
            span: None,
            file: None,
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
            hide_source: false,
        }
    }

    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn with_span(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn with_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_label(mut self, span: Option<Span>, message: impl Into<String>) -> Self {
        if let Some(span) = span {
            self.labels.push(Label {
                span,
                message: message.into(),
            });
        }
        self
    }

    pub fn hiding_source(mut self) -> Self {
        self.hide_source = true;
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The findings of a run, in the order they were found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Sort for output: by file, position, then code. Stable, so that golden files do not
    /// depend on the order in which rules ran.
    pub fn sort(&mut self, key: impl Fn(&Diagnostic) -> (String, u32, u32)) {
        self.0
            .sort_by_cached_key(|d| (key(d), d.code.clone(), d.message.clone()));
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Longest text (in characters) a diagnostic's message, label, note or help line is shown with:
/// a configuration value quoted in a message may be megabytes long.
pub const MAX_TEXT: usize = 400;

/// `text` shortened to about [`MAX_TEXT`] characters: its head, the number of characters left
/// out, and its tail.
pub fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    let n = text.chars().count();
    if n <= MAX_TEXT {
        return std::borrow::Cow::Borrowed(text);
    }
    let head: String = text.chars().take(MAX_TEXT - 100).collect();
    let tail: String = text.chars().skip(n - 60).collect();
    std::borrow::Cow::Owned(format!(
        "{head}…[{} characters not shown]…{tail}",
        n - (MAX_TEXT - 100) - 60
    ))
}

impl Diagnostic {
    /// The diagnostic with every text shortened by [`clip`], for rendering.
    pub fn clipped(&self) -> Diagnostic {
        let mut d = self.clone();
        d.message = clip(&d.message).into_owned();
        d.help = d.help.as_deref().map(|h| clip(h).into_owned());
        d.notes = d.notes.iter().map(|t| clip(t).into_owned()).collect();
        for l in &mut d.labels {
            l.message = clip(&l.message).into_owned();
        }
        d
    }
}

#[cfg(test)]
mod clip_tests {
    use super::*;

    #[test]
    fn long_texts_are_clipped_short_ones_kept() {
        assert_eq!(clip("short"), "short");
        let long = format!("`{}` is not a valid hostname", "a".repeat(1_000_000));
        let c = clip(&long);
        assert!(c.chars().count() < MAX_TEXT + 40, "{}", c.len());
        assert!(c.starts_with("`aaa") && c.ends_with("is not a valid hostname"));
        assert!(c.contains("characters not shown"));
    }
}
