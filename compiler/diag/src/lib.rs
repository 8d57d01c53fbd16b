//! Foundation types shared by every phase of hlc.
//!
//! * [`source`]: the files a run loaded ([`SourceMap`]) and byte [`Span`]s into them, with
//!   line/column lookup. Every position a user sees is computed here.
//! * [`value`]: the evaluated configuration as a tree of [`Node`]s, each carrying the span of the
//!   `.ncl` expression that produced it. `hlc-eval` builds it from Nickel; `hlc-model` decodes it.
//!   It lives here (not in the eval crate) so that decoding, tests and fuzzers can build trees
//!   without Nickel.
//! * [`diagnostic`]: [`Diagnostic`] — stable code, severity, message, primary and related spans,
//!   config path, help — and its renderings: human and json ([`render`]), SARIF 2.1.0
//!   ([`sarif`]) and GitHub workflow annotations ([`github`]). Phases return
//!   their value plus a [`Diagnostics`] list so that a run reports every finding, not the first.

pub mod codec;
pub mod diagnostic;
pub mod github;
pub mod render;
pub mod sarif;
pub mod source;
pub mod value;

pub use diagnostic::{Diagnostic, Diagnostics, Label, Severity};
pub use source::{FileId, SourceFile, SourceMap, Span};
pub use value::{Node, Number, Value};
