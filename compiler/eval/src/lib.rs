//! Loading and evaluation: `configs/main.ncl` → [`hlc_diag::Node`] tree with spans.
//!
//! This is the only crate that uses `nickel-lang-core` (pinned exactly: its API changes with
//! every minor release). Everything Nickel-specific stays behind [`evaluate`].
//!
//! # The sandbox
//!
//! Nickel resolves imports itself and would read any file: absolute paths, `..`, symlinks,
//! raw-text imports. hlc never lets it touch the disk. [`load`] first walks the import graph
//! itself (reading each Nickel file with Nickel's own lexer, and its parser wherever an import
//! has an unusual shape, so no import can hide from it),
//! resolves every import the way Nickel will, and refuses any that leaves the project root or the
//! embedded library. The files that pass are read once, hashed, and handed to Nickel as
//! in-memory sources under virtual paths (`/@project/…`, `/@hlc/…`), so evaluation reads only
//! what the sandbox admitted — a refused file is never read into output or a diagnostic.
//!
//! The library (`lib/` of this repository) is embedded into the binary; a project imports it as
//! `import "hlc.ncl"` (library files are on the import path). `configs/main.ncl` is checked
//! against the library's `Lab` contract automatically.
//!
//! # Evaluation
//!
//! Nickel evaluation runs on its own thread with a large stack; deep recursion that still
//! overflows is caught by a depth guard where hlc recurses itself, and a wall-clock budget ends an
//! evaluation that does not terminate with a diagnostic (see [`EvalOptions`]).

mod convert;
mod library;
mod nickel;
mod sandbox;
mod unclosed;

pub use library::{library_digest, library_files};
pub use nickel::{evaluate, reuse, EvalOptions, Evaluated};
pub use sandbox::{load, LoadError, Loaded, SourceKind, SourceRecord, STAND_IN_PREFIX};
