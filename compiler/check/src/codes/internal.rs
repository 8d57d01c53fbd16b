//! `HLC900`: internal errors.

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[CodeDoc {
    code: "HLC900",
    summary: "an internal error in hlc",
    doc: r#"# HLC900 internal error

**What.** hlc failed in a way that is not about your configuration: a panic, or the evaluator
stopping without a result. The message never quotes configuration values (they may be secret).

**Fix.** This is a bug: report it with the command you ran and, if you can share it, a
configuration that reproduces it. Exit code 2.
"#,
}];
