//! [`plan`]: compare the artifacts of a build with `out/` and its previous lock, without
//! writing anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::{Conflict, ConflictReason, OutError};
use crate::fs::{self as hfs, BuildLock, Node, Walk};
use crate::lock::{sha256_hex, Input, Journal, JournalEntry, Lock, LockEntry, LockParseError};
use crate::path::{ArtifactPath, JOURNAL_FILE, LOCK_FILE};

/// One rendered file, handed to the writer by `hlc build`.
///
/// Its `Debug` output shows the size and digest of `contents`, never the bytes, so an artifact
/// that holds a secret cannot leak it through a log or a panic message.
#[derive(Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Where it goes, relative to `out/`.
    pub path: ArtifactPath,
    /// Its exact bytes.
    pub contents: Vec<u8>,
    /// The renderer that produced it: `inventory`, `docs`, `talos`, …
    pub target: String,
    /// The config paths it came from: `services.grafana.hostname`, …
    pub sources: Vec<String>,
}

impl std::fmt::Debug for Artifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Artifact")
            .field("path", &self.path)
            .field("contents", &Redacted(&self.contents))
            .field("target", &self.target)
            .field("sources", &self.sources)
            .finish()
    }
}

/// Shows `<N bytes, sha256 …>` instead of the bytes.
struct Redacted<'a>(&'a [u8]);

impl std::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes, sha256 {}>", self.0.len(), sha256_hex(self.0))
    }
}

impl Artifact {
    /// Convenience constructor that validates `path`.
    pub fn new(
        path: &str,
        contents: impl Into<Vec<u8>>,
        target: impl Into<String>,
        sources: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self, OutError> {
        Ok(Artifact {
            path: ArtifactPath::new(path)?,
            contents: contents.into(),
            target: target.into(),
            sources: sources.into_iter().map(Into::into).collect(),
        })
    }
}

/// What a build would do to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// The file does not exist yet.
    Create,
    /// The file exists (owned by hlc) with other bytes.
    Update,
    /// The file is owned by the previous lock (or by an interrupted build) and no longer produced.
    Remove,
}

/// One change of a plan, with the bytes before and after (for `hlc diff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change<'a> {
    /// Relative to `out/` (`hlc.lock` for the lock itself).
    pub path: &'a str,
    /// Create, update or remove.
    pub kind: ChangeKind,
    /// Bytes on disk now (`None` when created).
    pub old: Option<&'a [u8]>,
    /// Bytes after the build (`None` when removed).
    pub new: Option<&'a [u8]>,
}

pub(crate) enum Status {
    Create,
    Update { old: Vec<u8> },
    Unchanged,
    Conflict,
}

pub(crate) struct Removal {
    pub path: ArtifactPath,
    pub old: Vec<u8>,
    /// Owned only through the journal of an interrupted build (keep it in the next journal).
    pub via_journal: Option<String>,
}

/// What `apply` would do; computed by [`plan`]. Holds the exclusive build lock on `out/` (when
/// `out/` exists) until it is applied or dropped. Its `Debug` output lists paths only.
pub struct Plan {
    pub(crate) out_dir: PathBuf,
    pub(crate) guard: Option<BuildLock>,
    pub(crate) compiler: String,
    pub(crate) inputs: Vec<Input>,
    /// Sorted by path, unique.
    pub(crate) artifacts: Vec<Artifact>,
    /// Parallel to `artifacts`.
    pub(crate) status: Vec<Status>,
    pub(crate) removals: Vec<Removal>,
    pub(crate) conflicts: Vec<Conflict>,
    pub(crate) lock: Lock,
    pub(crate) lock_bytes: Vec<u8>,
    pub(crate) old_lock_bytes: Option<Vec<u8>>,
    pub(crate) journal_present: bool,
}

/// Computes what writing `artifacts` to `out_dir` would do, reading the previous `hlc.lock`, the
/// journal of an interrupted build (if any) and the files on disk. Writes nothing.
///
/// Takes the exclusive advisory build lock on `out_dir` (blocking until a concurrent build
/// finishes) and keeps it in the returned [`Plan`], so plan + apply never interleave with
/// another build. If `out_dir` does not exist yet, no lock is taken here; [`crate::apply`]
/// creates the directory, locks it and plans again.
///
/// Errors: invalid or duplicate paths, a path that is both a file and a directory, a duplicated
/// input, an unreadable or future-format lock, `out_dir` being a link or a file, I/O errors.
/// Conflicts (foreign files, links inside `out/`) are not errors here: they are recorded in the
/// plan, reported by [`crate::check`], and make [`crate::apply`] fail before writing anything.
pub fn plan(
    out_dir: &Path,
    artifacts: Vec<Artifact>,
    inputs: Vec<Input>,
    compiler_version: &str,
) -> Result<Plan, OutError> {
    let out_dir = out_dir.to_path_buf();
    let guard = match hfs::node(&out_dir)? {
        Node::Missing => None,
        Node::Dir => Some(hfs::lock_out_dir(&out_dir, true)?),
        _ => return Err(OutError::OutDirNotADirectory { path: out_dir }),
    };
    compute(
        out_dir,
        guard,
        artifacts,
        inputs,
        compiler_version.to_string(),
    )
}

pub(crate) fn compute(
    out_dir: PathBuf,
    guard: Option<BuildLock>,
    mut artifacts: Vec<Artifact>,
    inputs: Vec<Input>,
    compiler: String,
) -> Result<Plan, OutError> {
    // Artifacts: unique paths, no file that is another's directory.
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    for w in artifacts.windows(2) {
        if w[0].path == w[1].path {
            return Err(OutError::DuplicateArtifact {
                path: w[0].path.to_string(),
                first: w[0].target.clone(),
                second: w[1].target.clone(),
            });
        }
    }
    let produced: BTreeSet<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
    for a in &artifacts {
        if let Some(anc) = a
            .path
            .ancestors()
            .into_iter()
            .find(|p| produced.contains(p))
        {
            return Err(OutError::FileDirectoryClash {
                file: anc.to_string(),
                nested: a.path.to_string(),
            });
        }
    }

    // Inputs: one entry per path.
    let mut inputs = inputs;
    inputs.sort();
    inputs.dedup();
    for w in inputs.windows(2) {
        if w[0].path == w[1].path {
            return Err(OutError::DuplicateInput {
                path: w[0].path.clone(),
            });
        }
    }

    let out_exists = guard.is_some() || hfs::node(&out_dir)? == Node::Dir;

    // Previous lock and journal.
    let (old_lock, old_lock_bytes) = if out_exists {
        read_lock(&out_dir)?
    } else {
        (None, None)
    };
    let journal = if out_exists {
        read_journal(&out_dir)?
    } else {
        None
    };
    let journal_present = journal.is_some()
        || (out_exists && hfs::node(&out_dir.join(JOURNAL_FILE))? != Node::Missing);

    // Who owns what: the old lock owns its paths whatever their bytes; the journal owns a path
    // only with the exact bytes it recorded.
    let mut lock_owned: BTreeSet<ArtifactPath> = BTreeSet::new();
    if let Some(l) = &old_lock {
        lock_owned.extend(l.artifacts.iter().map(|e| e.path.clone()));
    }
    let mut journal_owned: BTreeMap<ArtifactPath, String> = BTreeMap::new();
    if let Some(j) = journal {
        for e in j.owned {
            journal_owned.insert(e.path, e.sha256);
        }
    }

    let mut conflicts = Vec::new();
    // Directories already found to be real directories by a walk below: each is inspected once
    // per plan (planning only reads, and the build lock keeps other builds out).
    let mut known_dirs = std::collections::HashSet::new();

    // Removal candidates: owned, not produced.
    let mut removals = Vec::new();
    let candidates: BTreeSet<&ArtifactPath> = lock_owned
        .iter()
        .chain(journal_owned.keys())
        .filter(|p| !produced.contains(p.as_str()))
        .collect();
    for p in &candidates {
        match hfs::walk_known(&out_dir, p.as_str(), &mut known_dirs)? {
            Walk::Symlink(at) => conflicts.push(Conflict {
                path: p.to_string(),
                reason: ConflictReason::Symlink { at },
            }),
            Walk::Reached(Node::File) => {
                let old = hfs::read_file(&p.to_fs_path(&out_dir))?;
                if lock_owned.contains(*p) {
                    removals.push(Removal {
                        path: (*p).clone(),
                        old,
                        via_journal: None,
                    });
                } else if journal_owned.get(*p) == Some(&sha256_hex(&old)) {
                    removals.push(Removal {
                        path: (*p).clone(),
                        via_journal: Some(sha256_hex(&old)),
                        old,
                    });
                }
                // else: bytes hlc did not write; the file is not ours, leave it.
            }
            // Gone already, or replaced by something that is not ours: leave it alone.
            Walk::Reached(_) | Walk::NotADirectory(..) => {}
        }
    }
    let removed_set: BTreeSet<&str> = removals.iter().map(|r| r.path.as_str()).collect();

    // Each artifact.
    let mut status = Vec::with_capacity(artifacts.len());
    for a in &artifacts {
        let p = a.path.as_str();
        let st = match hfs::walk_known(&out_dir, p, &mut known_dirs)? {
            Walk::Symlink(at) => {
                conflicts.push(Conflict {
                    path: p.to_string(),
                    reason: ConflictReason::Symlink { at },
                });
                Status::Conflict
            }
            Walk::NotADirectory(at, node) => {
                if node == Node::File && removed_set.contains(at.as_str()) {
                    Status::Create
                } else {
                    conflicts.push(Conflict {
                        path: p.to_string(),
                        reason: ConflictReason::ParentNotADirectory { at },
                    });
                    Status::Conflict
                }
            }
            Walk::Reached(Node::Missing) => Status::Create,
            Walk::Reached(Node::File) => {
                let old = hfs::read_file(&a.path.to_fs_path(&out_dir))?;
                let owned = lock_owned.contains(&a.path)
                    || journal_owned.get(&a.path) == Some(&sha256_hex(&old));
                if !owned {
                    conflicts.push(Conflict {
                        path: p.to_string(),
                        reason: ConflictReason::ForeignFile,
                    });
                    Status::Conflict
                } else if old == a.contents {
                    Status::Unchanged
                } else {
                    Status::Update { old }
                }
            }
            Walk::Reached(_) => {
                conflicts.push(Conflict {
                    path: p.to_string(),
                    reason: ConflictReason::NotAFile,
                });
                Status::Conflict
            }
        };
        status.push(st);
    }
    conflicts.sort_by(|a, b| a.path.cmp(&b.path));

    let entries = artifacts
        .iter()
        .map(|a| LockEntry {
            path: a.path.clone(),
            sha256: sha256_hex(&a.contents),
            target: a.target.clone(),
            sources: a.sources.clone(),
        })
        .collect();
    let lock = Lock::new(compiler.clone(), inputs.clone(), entries);
    let lock_bytes = lock.to_json();

    Ok(Plan {
        out_dir,
        guard,
        compiler,
        inputs,
        artifacts,
        status,
        removals,
        conflicts,
        lock,
        lock_bytes,
        old_lock_bytes,
        journal_present,
    })
}

/// Reads and parses `out/hlc.lock`: `Ok(None)` when there is none.
pub fn read_lock_file(out_dir: &Path) -> Result<Option<Lock>, OutError> {
    Ok(read_lock(out_dir)?.0)
}

pub(crate) fn read_lock(out_dir: &Path) -> Result<(Option<Lock>, Option<Vec<u8>>), OutError> {
    let path = out_dir.join(LOCK_FILE);
    match hfs::walk(out_dir, LOCK_FILE)? {
        Walk::Reached(Node::Missing) => Ok((None, None)),
        Walk::Reached(Node::File) => {
            let bytes = hfs::read_file(&path)?;
            match Lock::from_json(&bytes) {
                Ok(l) => Ok((Some(l), Some(bytes))),
                Err(LockParseError::UnsupportedFormat(found)) => {
                    Err(OutError::UnsupportedLockFormat {
                        path,
                        found,
                        supported: crate::lock::LOCK_FORMAT,
                    })
                }
                Err(LockParseError::Invalid(message)) => {
                    Err(OutError::LockInvalid { path, message })
                }
            }
        }
        _ => Err(OutError::LockInvalid {
            path,
            message: "not a regular file (hlc never follows symbolic links)".into(),
        }),
    }
}

fn read_journal(out_dir: &Path) -> Result<Option<Journal>, OutError> {
    match hfs::walk(out_dir, JOURNAL_FILE)? {
        Walk::Reached(Node::File) => {
            let bytes = hfs::read_file(&out_dir.join(JOURNAL_FILE))?;
            Ok(Journal::from_json(&bytes))
        }
        _ => Ok(None),
    }
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("out_dir", &self.out_dir)
            .field("locked", &self.guard.is_some())
            .field("created", &self.created())
            .field("updated", &self.updated())
            .field("unchanged", &self.unchanged().len())
            .field("removed", &self.removed())
            .field("conflicts", &self.conflicts)
            .field("lock_changes", &self.lock_changes())
            .field("journal_present", &self.journal_present)
            .finish()
    }
}

impl Plan {
    /// The output directory.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// The lock this build will write.
    pub fn lock(&self) -> &Lock {
        &self.lock
    }

    /// Paths of artifacts that do not exist yet.
    pub fn created(&self) -> Vec<&ArtifactPath> {
        self.with_status(|s| matches!(s, Status::Create))
    }

    /// Paths of owned artifacts whose bytes will change.
    pub fn updated(&self) -> Vec<&ArtifactPath> {
        self.with_status(|s| matches!(s, Status::Update { .. }))
    }

    /// Paths of artifacts already identical on disk (not rewritten).
    pub fn unchanged(&self) -> Vec<&ArtifactPath> {
        self.with_status(|s| matches!(s, Status::Unchanged))
    }

    /// Owned files no longer produced, which `apply` removes.
    pub fn removed(&self) -> Vec<&ArtifactPath> {
        self.removals.iter().map(|r| &r.path).collect()
    }

    /// Everything in the way; `apply` refuses to run while this is not empty.
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// Whether `hlc.lock` will be (re)written.
    pub fn lock_changes(&self) -> bool {
        self.old_lock_bytes.as_deref() != Some(self.lock_bytes.as_slice())
    }

    /// Whether `apply` would change nothing at all (no file, not the lock) and nothing is in the
    /// way.
    pub fn is_up_to_date(&self) -> bool {
        self.conflicts.is_empty()
            && self.removals.is_empty()
            && self.status.iter().all(|s| matches!(s, Status::Unchanged))
            && !self.lock_changes()
    }

    /// Every change, sorted by path, with old and new bytes; includes `hlc.lock` when it changes.
    /// Conflicting paths are not changes (see [`Plan::conflicts`]).
    pub fn changes(&self) -> Vec<Change<'_>> {
        let mut v = Vec::new();
        for (a, s) in self.artifacts.iter().zip(&self.status) {
            match s {
                Status::Create => v.push(Change {
                    path: a.path.as_str(),
                    kind: ChangeKind::Create,
                    old: None,
                    new: Some(&a.contents),
                }),
                Status::Update { old } => v.push(Change {
                    path: a.path.as_str(),
                    kind: ChangeKind::Update,
                    old: Some(old),
                    new: Some(&a.contents),
                }),
                Status::Unchanged | Status::Conflict => {}
            }
        }
        for r in &self.removals {
            v.push(Change {
                path: r.path.as_str(),
                kind: ChangeKind::Remove,
                old: Some(&r.old),
                new: None,
            });
        }
        if self.lock_changes() {
            v.push(Change {
                path: LOCK_FILE,
                kind: if self.old_lock_bytes.is_some() {
                    ChangeKind::Update
                } else {
                    ChangeKind::Create
                },
                old: self.old_lock_bytes.as_deref(),
                new: Some(&self.lock_bytes),
            });
        }
        v.sort_by(|a, b| a.path.cmp(b.path));
        v
    }

    /// `hlc diff`: a unified diff of every change (see [`crate::unified_diff`]).
    pub fn diff(&self) -> String {
        self.changes()
            .iter()
            .map(|c| crate::diff::unified_diff(c.path, c.old, c.new))
            .collect()
    }

    pub(crate) fn journal(&self) -> Journal {
        // The lock lists every artifact with the digest of its bytes: no need to hash again.
        let new = self.lock.artifacts.iter().map(|e| JournalEntry {
            path: e.path.clone(),
            sha256: e.sha256.clone(),
        });
        let pending = self.removals.iter().filter_map(|r| {
            r.via_journal.as_ref().map(|sha| JournalEntry {
                path: r.path.clone(),
                sha256: sha.clone(),
            })
        });
        Journal::new(new.chain(pending))
    }

    fn with_status(&self, f: impl Fn(&Status) -> bool) -> Vec<&ArtifactPath> {
        self.artifacts
            .iter()
            .zip(&self.status)
            .filter(|(_, s)| f(s))
            .map(|(a, _)| &a.path)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_records_the_digest_of_every_artifact() {
        let tmp = tempfile::tempdir().unwrap();
        let arts = vec![
            Artifact::new("b/two.txt", "two\n", "docs", ["x"]).unwrap(),
            Artifact::new("a.txt", "one\n", "docs", ["y"]).unwrap(),
        ];
        let p = plan(&tmp.path().join("out"), arts.clone(), vec![], "t").unwrap();
        let j = p.journal();
        let got: Vec<(String, String)> = j
            .owned
            .iter()
            .map(|e| (e.path.to_string(), e.sha256.clone()))
            .collect();
        let mut want: Vec<(String, String)> = arts
            .iter()
            .map(|a| (a.path.to_string(), sha256_hex(&a.contents)))
            .collect();
        want.sort();
        assert_eq!(got, want);
    }
}
