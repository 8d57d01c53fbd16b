//! Renderings of diagnostics: `human` (codespan-style, optionally coloured) and `json`
//! (a stable, documented array of objects).

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{Location, SourceMap};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::WriteColor};
use serde::Serialize;

/// Writes diagnostics for people. `writer` decides about colour (a `termcolor` writer made
/// with `ColorChoice::Never` when `NO_COLOR` is set or stderr is not a terminal).
pub fn human(
    diags: &[Diagnostic],
    sources: &SourceMap,
    writer: &mut dyn WriteColor,
) -> std::io::Result<()> {
    let mut files = SimpleFiles::new();
    for (_, f) in sources.files() {
        files.add(f.name.clone(), f.text.clone());
    }
    let config = term::Config::default();
    for d in diags {
        let mut labels = Vec::new();
        // A source line of megabytes (a huge string literal) is not printed.
        let huge = d
            .span
            .into_iter()
            .chain(d.labels.iter().map(|l| l.span))
            .any(|s| line_len(sources, s) > MAX_LINE);
        if d.hide_source || huge {
            // Location only: the text there may be a secret, or too long to show.
        } else if let Some(span) = d.span {
            labels.push(cs::Label::primary(
                span.file.0 as usize,
                span.start as usize..span.end as usize,
            ));
        }
        for l in d.labels.iter().filter(|_| !d.hide_source && !huge) {
            labels.push(
                cs::Label::secondary(
                    l.span.file.0 as usize,
                    l.span.start as usize..l.span.end as usize,
                )
                .with_message(l.message.clone()),
            );
        }
        let mut notes = Vec::new();
        if d.hide_source {
            if let Some(l) = d.span.and_then(|s| sources.locate(s)) {
                notes.push(format!(
                    "at {}:{}:{} (source not shown: it may hold a secret)",
                    l.file, l.line, l.column
                ));
            }
        }
        if huge && !d.hide_source {
            if let Some(l) = d.span.and_then(|s| sources.locate(s)) {
                notes.push(format!(
                    "at {}:{}:{} (source line too long to show)",
                    l.file, l.line, l.column
                ));
            }
        }
        if d.span.is_none() {
            if let Some(file) = &d.file {
                notes.push(format!("in {file}"));
            }
        }
        if let Some(p) = &d.path {
            notes.push(format!("at config path `{p}`"));
        }
        notes.extend(d.notes.iter().cloned());
        if let Some(h) = &d.help {
            notes.push(format!("help: {h}"));
        }
        let diag = match d.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        }
        .with_code(d.code.clone())
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes);
        if term::emit_to_write_style(writer, &config, &files, &diag).is_err() {
            // A span that does not fit its file: print without the snippet rather than fail.
            writeln!(writer, "{}[{}]: {}", d.severity.as_str(), d.code, d.message)?;
        }
    }
    Ok(())
}

/// Longest source line (in bytes) shown in a snippet.
const MAX_LINE: usize = 2000;

/// The length in bytes of the source line where `span` starts (0 for an unknown file).
fn line_len(sources: &SourceMap, span: crate::source::Span) -> usize {
    let Some(f) = sources.get(span.file) else {
        return 0;
    };
    let b = f.text.as_bytes();
    let at = (span.start as usize).min(b.len());
    let start = b[..at]
        .iter()
        .rposition(|c| *c == b'\n')
        .map_or(0, |i| i + 1);
    let end = b[at..]
        .iter()
        .position(|c| *c == b'\n')
        .map_or(b.len(), |i| at + i);
    end - start
}

/// Summary line printed after human diagnostics.
pub fn summary(diags: &[Diagnostic]) -> Option<String> {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if diags.is_empty() {
        return None;
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    Some(match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    })
}

/// One diagnostic in `--format json` (format version 1). Fields are always present; absent
/// values are `null`.
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    pub code: &'a str,
    pub severity: Severity,
    pub message: &'a str,
    pub path: Option<&'a str>,
    pub location: Option<Location>,
    pub file: Option<&'a str>,
    pub related: Vec<JsonRelated<'a>>,
    pub help: Option<&'a str>,
    pub notes: &'a [String],
}

#[derive(Serialize)]
pub struct JsonRelated<'a> {
    pub message: &'a str,
    pub location: Option<Location>,
}

pub fn to_json<'a>(d: &'a Diagnostic, sources: &SourceMap) -> JsonDiagnostic<'a> {
    let location = d.span.and_then(|s| sources.locate(s));
    JsonDiagnostic {
        code: &d.code,
        severity: d.severity,
        message: &d.message,
        path: d.path.as_deref(),
        file: d.file.as_deref(),
        location,
        related: d
            .labels
            .iter()
            .map(|l| JsonRelated {
                message: &l.message,
                location: sources.locate(l.span),
            })
            .collect(),
        help: d.help.as_deref(),
        notes: &d.notes,
    }
}

/// `{"version":1,"diagnostics":[…],"errors":N,"warnings":N}` followed by a newline.
pub fn json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        version: u32,
        diagnostics: Vec<JsonDiagnostic<'a>>,
        errors: usize,
        warnings: usize,
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let doc = Doc {
        version: 1,
        diagnostics: diags.iter().map(|d| to_json(d, sources)).collect(),
        errors,
        warnings: diags.len() - errors,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
