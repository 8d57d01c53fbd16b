//! [`check`] (`hlc build --check`) and [`verify`] (`hlc check`): report drift without writing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::error::{ConflictReason, OutError};
use crate::fs::{self as hfs, Node, Walk};
use crate::lock::{inputs_digest, sha256_hex, Input, LockEntry};
use crate::path::{JOURNAL_FILE, LOCK_FILE};
use crate::plan::{read_lock, ChangeKind, Plan};

/// One difference between what is and what should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Relative to `out/` for files (`hlc.lock` for the lock), project-relative for inputs.
    pub path: String,
    /// What differs.
    pub kind: DriftKind,
}

/// What kind of difference a [`Drift`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftKind {
    // --- `check` (a build would change out/) ---
    /// The build would create this file.
    WouldCreate,
    /// The build would rewrite this file with other bytes.
    WouldModify,
    /// The build would remove this file (owned, no longer produced).
    WouldRemove,
    /// Something the build may not touch is in the way (the build would fail).
    Conflict(ConflictReason),

    // --- `verify` (out/ against hlc.lock) ---
    /// `out/hlc.lock` does not exist: `out/` was never built.
    LockMissing,
    /// The journal of an interrupted build is present: `out/` may be half-written.
    Interrupted,
    /// A file the lock lists is missing.
    FileMissing,
    /// A file the lock lists has other bytes (hand-edited).
    FileModified {
        /// sha256 recorded in the lock.
        expected: String,
        /// sha256 on disk.
        actual: String,
    },
    /// A file the lock lists is a directory, a link, or lies under a link.
    FileNotRegular,
    /// An input's bytes differ from the build's (configs changed since: run `hlc build`).
    InputChanged {
        /// sha256 recorded in the lock.
        expected: String,
        /// sha256 now.
        actual: String,
    },
    /// An input exists now that the build did not read.
    InputAdded,
    /// An input of the build is not an input any more.
    InputRemoved,
    /// The lock's `inputs_digest` does not match its own `inputs` (the lock was edited).
    LockInconsistent,
}

impl Drift {
    /// Whether running `hlc build` is the fix (as opposed to a hand edit or a foreign file that
    /// a build would overwrite or refuse to touch). Informational only.
    pub fn is_input_drift(&self) -> bool {
        matches!(
            self.kind,
            DriftKind::InputChanged { .. } | DriftKind::InputAdded | DriftKind::InputRemoved
        )
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.path;
        match &self.kind {
            DriftKind::WouldCreate => write!(f, "{p}: would be created"),
            DriftKind::WouldModify => write!(f, "{p}: would be modified"),
            DriftKind::WouldRemove => write!(f, "{p}: would be removed"),
            DriftKind::Conflict(reason) => write!(
                f,
                "{}",
                crate::error::Conflict {
                    path: p.clone(),
                    reason: reason.clone()
                }
            ),
            DriftKind::LockMissing => write!(f, "{p}: missing (out/ was never built): run `hlc build`"),
            DriftKind::Interrupted => write!(
                f,
                "{p}: a build was interrupted; out/ may be incomplete: run `hlc build`"
            ),
            DriftKind::FileMissing => {
                write!(f, "{p}: listed in hlc.lock but missing: run `hlc build`")
            }
            DriftKind::FileModified { .. } => write!(
                f,
                "{p}: modified since it was built (hand edit?); change configs/ instead and run `hlc build`"
            ),
            DriftKind::FileNotRegular => write!(
                f,
                "{p}: listed in hlc.lock but is not a regular file (directory or symbolic link)"
            ),
            DriftKind::InputChanged { .. } => {
                write!(f, "{p}: changed since the last build: run `hlc build`")
            }
            DriftKind::InputAdded => write!(f, "{p}: new since the last build: run `hlc build`"),
            DriftKind::InputRemoved => {
                write!(f, "{p}: was an input of the last build and is gone: run `hlc build`")
            }
            DriftKind::LockInconsistent => write!(
                f,
                "{p}: inputs_digest does not match the inputs listed (the lock was edited): run `hlc build`"
            ),
        }
    }
}

/// `hlc build --check`: what applying `plan` would change, sorted by path, conflicts included.
/// Writes nothing. Empty means `out/` is exactly what the build produces (lock included).
pub fn check(plan: &Plan) -> Vec<Drift> {
    let mut v: Vec<Drift> = plan
        .changes()
        .into_iter()
        .map(|c| Drift {
            path: c.path.to_string(),
            kind: match c.kind {
                ChangeKind::Create => DriftKind::WouldCreate,
                ChangeKind::Update => DriftKind::WouldModify,
                ChangeKind::Remove => DriftKind::WouldRemove,
            },
        })
        .chain(plan.conflicts().iter().map(|c| Drift {
            path: c.path.clone(),
            kind: DriftKind::Conflict(c.reason.clone()),
        }))
        .collect();
    v.sort_by(|a, b| a.path.cmp(&b.path));
    v
}

/// `hlc check`: compares `out/` with `out/hlc.lock`, and `current_inputs` with the inputs the
/// lock records, without needing the artifacts (no evaluation, no key). Writes nothing.
///
/// Reports, in this order: a missing lock (then nothing else), an interrupted build, the lock's
/// own inconsistency, input drift (sorted by path), then file drift (sorted by path). Takes a
/// shared advisory lock on `out/`, so it waits for a running build to finish.
///
/// Errors: an unreadable or future-format lock, `out/` not a directory, I/O errors.
pub fn verify(out_dir: &Path, current_inputs: &[Input]) -> Result<Vec<Drift>, OutError> {
    let lock_drift = || {
        vec![Drift {
            path: LOCK_FILE.to_string(),
            kind: DriftKind::LockMissing,
        }]
    };
    match hfs::node(out_dir)? {
        Node::Missing => return Ok(lock_drift()),
        Node::Dir => {}
        _ => {
            return Err(OutError::OutDirNotADirectory {
                path: out_dir.to_path_buf(),
            })
        }
    }
    let _guard = hfs::lock_out_dir(out_dir, false)?;
    let Some(lock) = read_lock(out_dir)?.0 else {
        return Ok(lock_drift());
    };
    let mut drift = Vec::new();
    if hfs::node(&out_dir.join(JOURNAL_FILE))? != Node::Missing {
        drift.push(Drift {
            path: JOURNAL_FILE.to_string(),
            kind: DriftKind::Interrupted,
        });
    }
    if inputs_digest(&lock.inputs) != lock.inputs_digest {
        drift.push(Drift {
            path: LOCK_FILE.to_string(),
            kind: DriftKind::LockInconsistent,
        });
    }

    // Inputs.
    let then: BTreeMap<&str, &Input> = lock.inputs.iter().map(|i| (i.path.as_str(), i)).collect();
    let now: BTreeMap<&str, &Input> = current_inputs
        .iter()
        .map(|i| (i.path.as_str(), i))
        .collect();
    let mut input_drift = Vec::new();
    for (p, i) in &now {
        match then.get(p) {
            None => input_drift.push(Drift {
                path: p.to_string(),
                kind: DriftKind::InputAdded,
            }),
            Some(old) if old.sha256 != i.sha256 || old.kind != i.kind => input_drift.push(Drift {
                path: p.to_string(),
                kind: DriftKind::InputChanged {
                    expected: old.sha256.clone(),
                    actual: i.sha256.clone(),
                },
            }),
            Some(_) => {}
        }
    }
    for p in then.keys().filter(|p| !now.contains_key(*p)) {
        input_drift.push(Drift {
            path: p.to_string(),
            kind: DriftKind::InputRemoved,
        });
    }
    input_drift.sort_by(|a, b| a.path.cmp(&b.path));
    drift.extend(input_drift);

    // Files: read and hashed on every core (tens of MB at 10,000 services), reported in lock
    // order.
    let parts = crate::parallel::map_chunks(&lock.artifacts, 512, |part| file_drift(out_dir, part));
    for part in parts {
        let part = part.ok_or_else(|| {
            OutError::io(
                "verifying",
                out_dir,
                std::io::Error::other("a verifying thread stopped"),
            )
        })?;
        drift.extend(part?);
    }
    Ok(drift)
}

/// The drift of each of `entries` against the files in `out_dir`.
fn file_drift(out_dir: &Path, entries: &[LockEntry]) -> Result<Vec<Drift>, OutError> {
    let mut drift = Vec::new();
    for e in entries {
        let kind = match hfs::walk(out_dir, e.path.as_str())? {
            Walk::Reached(Node::Missing) | Walk::NotADirectory(..) => Some(DriftKind::FileMissing),
            Walk::Reached(Node::File) => {
                let actual = sha256_hex(&hfs::read_file(&e.path.to_fs_path(out_dir))?);
                (actual != e.sha256).then(|| DriftKind::FileModified {
                    expected: e.sha256.clone(),
                    actual,
                })
            }
            Walk::Symlink(_) | Walk::Reached(_) => Some(DriftKind::FileNotRegular),
        };
        if let Some(kind) = kind {
            drift.push(Drift {
                path: e.path.to_string(),
                kind,
            });
        }
    }
    Ok(drift)
}
