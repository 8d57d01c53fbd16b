//! Writing diagnostics and messages to stderr.

use crate::DiagFormat;
use codespan_reporting::term::termcolor::{BufferedStandardStream, ColorChoice};
use hlc_diag::{Diagnostic, SourceMap};
use std::io::{IsTerminal, Write};

pub fn color_choice() -> ColorChoice {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if no_color || !std::io::stderr().is_terminal() {
        ColorChoice::Never
    } else {
        ColorChoice::Auto
    }
}

/// Prints diagnostics in the chosen format: human to stderr (with a summary line); json, sarif
/// and github to stdout (they are the command's data).
pub fn diagnostics(diags: &[Diagnostic], sources: &SourceMap, format: DiagFormat) {
    // Texts quoting a huge configuration value are shortened in every format.
    let clipped: Vec<Diagnostic> = diags.iter().map(Diagnostic::clipped).collect();
    let diags = &clipped[..];
    match format {
        DiagFormat::Human => {
            // Buffered: a large lab's warnings in a few writes, not one per fragment.
            let mut err = BufferedStandardStream::stderr(color_choice());
            let _ = hlc_diag::render::human(diags, sources, &mut err);
            if let Some(s) = hlc_diag::render::summary(diags) {
                let _ = writeln!(err, "{s}");
            }
            let _ = err.flush();
        }
        DiagFormat::Json => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(hlc_diag::render::json(diags, sources).as_bytes());
        }
        DiagFormat::Sarif => {
            let rules = crate::gate::sarif_rules();
            let text = hlc_diag::sarif::sarif(diags, sources, &rules, env!("CARGO_PKG_VERSION"));
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
        DiagFormat::Github => {
            let text = hlc_diag::github::github(diags, sources);
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
}

/// A one-line message for failures that are not about the configuration (exit 2).
pub fn fatal(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    2
}

/// A panic is a bug: report it without its payload (which could quote configuration values)
/// and exit 2.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let loc = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error[HLC900]: internal error in hlc{loc}\n  = help: this is a bug; please report it with the command you ran"
        );
    }));
}
