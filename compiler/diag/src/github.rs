//! `--format github`: diagnostics as GitHub Actions workflow commands, one line each:
//!
//! ```text
//! ::error file=configs/services.ncl,line=221,col=16,endLine=221,endColumn=25,title=HLC106::`Grafana` is not a valid hostname…
//! ```
//!
//! GitHub shows them as annotations on the pull request's diff. Property values escape `%`, CR,
//! LF, `:` and `,`; the message escapes `%`, CR and LF (the workflow-command rules), so a message
//! spans one line and its help follows after an escaped newline. Findings without a config file
//! name the file they concern (`out/…`) or none.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;

fn esc_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn esc_prop(s: &str) -> String {
    esc_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command per diagnostic, each ending in a newline.
pub fn github(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let cmd = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props: Vec<String> = Vec::new();
        match d.span.and_then(|s| sources.locate(s)) {
            Some(l) if !l.file.contains('<') => {
                props.push(format!("file={}", esc_prop(&l.file)));
                props.push(format!("line={}", l.line));
                props.push(format!("col={}", l.column));
                props.push(format!("endLine={}", l.end_line.max(l.line)));
                if l.end_line == l.line {
                    props.push(format!("endColumn={}", l.end_column.max(l.column)));
                }
            }
            _ => {
                if let Some(f) = d.file.as_ref().filter(|f| !f.contains('<')) {
                    props.push(format!("file={}", esc_prop(f)));
                }
            }
        }
        props.push(format!("title={}", esc_prop(&d.code)));
        let mut msg = d.message.clone();
        if let Some(p) = &d.path {
            msg.push_str(&format!(" (at `{p}`)"));
        }
        if let Some(h) = &d.help {
            msg.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "::{cmd} {}::{}\n",
            props.join(","),
            esc_data(&msg)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, Span};

    #[test]
    fn annotations_carry_position_and_escape() {
        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new("configs/a,b.ncl", "ab\ncd = 1\n"));
        let d = Diagnostic::error("HLC1", "50% bad\nvalue")
            .with_span(Some(Span {
                file: f,
                start: 3,
                end: 5,
            }))
            .with_help("fix: it");
        let w = Diagnostic::warning("HLC502", "edited").with_file("out/x.json");
        let s = github(&[d, w], &sources);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "::error file=configs/a%2Cb.ncl,line=2,col=1,endLine=2,endColumn=3,title=HLC1::50%25 bad%0Avalue%0Ahelp: fix: it"
        );
        assert_eq!(lines[1], "::warning file=out/x.json,title=HLC502::edited");
    }
}
