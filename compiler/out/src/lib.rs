//! `hlc-out`: the only code that writes `out/`.
//!
//! `hlc build` renders its artifacts in memory ([`Artifact`]) and hands them here with the
//! digests of its inputs ([`Input`]). This crate compares them with the previous build
//! ([`plan`]), reports drift ([`check`], [`verify`], [`Plan::diff`]) and writes the tree and its
//! manifest `out/hlc.lock` ([`apply`]). Everything else in hlc is pure.
//!
//! ```no_run
//! # fn main() -> Result<(), hlc_out::OutError> {
//! use hlc_out::{apply, plan, Artifact, Input, InputKind};
//! let artifacts = vec![Artifact::new("inventory.json", "{}\n", "inventory", ["hosts"])?];
//! let inputs = vec![Input::from_bytes("configs/main.ncl", InputKind::Config, b"{}")];
//! let p = plan("out".as_ref(), artifacts, inputs, env!("CARGO_PKG_VERSION"))?;
//! if !hlc_out::check(&p).is_empty() {
//!     let report = apply(p)?; // releases the build lock when done
//!     eprintln!("{} created, {} updated", report.created.len(), report.updated.len());
//! }
//! # Ok(()) }
//! ```
//!
//! # The lock: `out/hlc.lock`, format 1
//!
//! Pretty JSON (two-space indent, keys in the order below), with a trailing newline; `inputs`
//! sorted by `(path, kind)`, `artifacts` sorted by path (byte order), each artifact's `sources`
//! sorted and deduplicated. The same build gives the same bytes on any machine.
//!
//! ```json
//! {
//!   "format": 1,
//!   "compiler": "0.1.0",
//!   "inputs_digest": "5d41402abc4b2a76b9719d911017c592…",
//!   "inputs": [
//!     {
//!       "path": "configs/main.ncl",
//!       "kind": "config",
//!       "sha256": "2c26b46b68ffc68ff99b453c1d304134…"
//!     },
//!     {
//!       "path": "lib/hlc.ncl",
//!       "kind": "library",
//!       "sha256": "fcde2b2edba56bf408601fb721fe9b5c…"
//!     }
//!   ],
//!   "artifacts": [
//!     {
//!       "path": "docs/architecture.md",
//!       "sha256": "b5bb9d8014a0f9b1d61e21e796d78dcc…",
//!       "target": "docs",
//!       "sources": [
//!         "clusters",
//!         "services.grafana.hostname"
//!       ]
//!     }
//!   ]
//! }
//! ```
//!
//! (digests shortened here; they are 64 lower-case hex digits.)
//!
//! * `format`: [`LOCK_FORMAT`]. A lock with another `format` is refused with
//!   [`OutError::UnsupportedLockFormat`], never guessed at. Unknown fields are errors.
//! * `compiler`: the version of hlc that wrote it.
//! * `inputs`: every file the build read — `config` (`configs/**/*.ncl`), `library` (the embedded
//!   `lib/`), `secret` (encrypted files, hashed as stored) — with the sha256 of its bytes.
//! * `inputs_digest`: [`inputs_digest`] of `inputs`; the exact encoding is documented there
//!   (`path NUL kind NUL sha256 LF` per input, sorted, then sha256).
//! * `artifacts`: every file of `out/` that hlc owns: path (relative to `out/`, validated as an
//!   [`ArtifactPath`]), sha256, renderer target, config paths it was derived from.
//!
//! # Ownership
//!
//! hlc owns exactly the files the current `hlc.lock` lists (plus, during recovery, the files an
//! interrupted build provably wrote, see below). It overwrites or removes only those. A file in
//! `out/` that it does not own is never touched: if a build wants to write there, that is a
//! [`Conflict`] and the whole build writes nothing. Files hlc never wrote may live anywhere in
//! `out/`, including in directories hlc creates; such a directory is then not removed when hlc's
//! last file in it goes. hlc removes a directory only when removing one of its own files left it
//! empty, and never removes `out/` itself.
//!
//! Nothing is written outside `out/`: paths are [`ArtifactPath`]s (no `..`, no absolute path,
//! no empty component, no backslash) — including paths read back from an old lock — and symbolic
//! links inside `out/` are never followed: if `out/` itself, any directory on the way to a file,
//! or the file itself is a link, the path is a conflict.
//!
//! # Atomicity and crash safety
//!
//! Each file is written to a temp file in its own directory (`.<name>.hlc-tmp-<16 hex>`),
//! fsynced and renamed over the target, so a reader sees the old or the new bytes, never a mix.
//! A file whose bytes are already right is not rewritten (its mtime and inode stay), and neither
//! is the lock: a second identical build writes nothing at all.
//!
//! [`apply`] runs in this order:
//! 1. delete stale temp files of an interrupted run (only names matching the pattern above);
//! 2. write the journal `out/.hlc.lock.journal` (atomically): every path this build will write,
//!    with the sha256 it will have;
//! 3. remove the owned files that are no longer produced (and directories this leaves empty);
//! 4. write created and updated files, creating parent directories; fsync the directories;
//! 5. write `out/hlc.lock` (atomically) — the commit point;
//! 6. delete the journal.
//!
//! A crash (or an I/O error: read-only directory, full disk) at any point leaves either the old
//! lock, plus the journal, with some files already new or removed — [`verify`] then reports
//! [`DriftKind::Interrupted`] and each file that differs from the old lock — or the new lock with
//! all its files present. The next build recovers: a file the old lock does not own but that
//! holds exactly the bytes the journal recorded for it was written by the interrupted build, so
//! it is adopted (or removed if no longer produced) instead of being a conflict. Anything else
//! not in the old lock stays foreign. A damaged journal is ignored (it only ever widens what
//! hlc may touch).
//!
//! # Concurrency
//!
//! [`plan`] takes an exclusive advisory lock on `out/` — on unix a `flock` on the `out/`
//! directory itself (no lock file is left in the committed tree), elsewhere on
//! `out/.hlc-build.lock` — and the [`Plan`] holds it until it is applied or dropped, so two
//! builds never interleave: the second waits, then plans against the first one's result.
//! [`verify`] takes a shared lock and so waits for a running build. The lock is advisory: it
//! orders hlc processes, not editors.

mod apply;
mod diff;
mod error;
mod fs;
mod lock;
pub mod parallel;
mod path;
mod plan;
mod verify;

pub use apply::{apply, apply_with_fault, Report};
pub use diff::unified_diff;
pub use error::{Conflict, ConflictReason, OutError};
pub use lock::{
    inputs_digest, sha256_hex, Input, InputKind, Lock, LockEntry, LockParseError, LOCK_FORMAT,
};
pub use path::{is_temp_name, ArtifactPath, InvalidPath, BUILD_LOCK_FILE, JOURNAL_FILE, LOCK_FILE};
pub use plan::{plan, read_lock_file, Artifact, Change, ChangeKind, Plan};
pub use verify::{check, verify, Drift, DriftKind};
