//! [`apply`]: carry out a [`Plan`] — journal, removals, atomic writes, the lock last.

use std::collections::{BTreeSet, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Conflict, ConflictReason, OutError};
use crate::fs::{self as hfs, FaultFs, Fs, Node, RealFs, Walk};
use crate::path::{ArtifactPath, JOURNAL_FILE, LOCK_FILE};
use crate::plan::{compute, Plan, Status};

/// What [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Files written that did not exist.
    pub created: Vec<ArtifactPath>,
    /// Owned files rewritten with new bytes.
    pub updated: Vec<ArtifactPath>,
    /// Owned files removed (no longer produced).
    pub removed: Vec<ArtifactPath>,
    /// Artifacts already identical on disk, not touched.
    pub unchanged: usize,
    /// Whether `hlc.lock` was written.
    pub lock_written: bool,
    /// Leftover temp files of an interrupted run that were deleted.
    pub stale_temps_removed: Vec<PathBuf>,
}

/// Writes the plan to disk.
///
/// Order: refuse if the plan has conflicts (nothing written); delete stale temp files; if
/// nothing changes, stop (no file and not the lock is rewritten); write the journal; remove
/// owned files no longer produced (and directories left empty by that); write each created or
/// updated file atomically (temp file in the same directory, fsync, rename), creating parent
/// directories; fsync the directories; write `hlc.lock` atomically if its bytes changed; delete
/// the journal. Every path is inspected again before it is touched, refusing links: each
/// directory on the way once per apply (not once per file below it), each file itself.
///
/// On an I/O error the error is returned at once; `hlc.lock` then still describes the previous
/// build and the journal marks the build as interrupted (see the crate docs), and the next run
/// recovers.
pub fn apply(plan: Plan) -> Result<Report, OutError> {
    apply_with(plan, &RealFs)
}

/// Test hook: [`apply`] on a filesystem that fails every mutating operation after the first
/// `fail_after_ops` succeeded (a write that fails leaves a truncated temp file), simulating a
/// process killed at that point. Not for production use.
#[doc(hidden)]
pub fn apply_with_fault(plan: Plan, fail_after_ops: usize) -> Result<Report, OutError> {
    apply_with(plan, &FaultFs::new(fail_after_ops))
}

fn apply_with(plan: Plan, fs_: &dyn Fs) -> Result<Report, OutError> {
    let plan = if plan.guard.is_none() {
        // out/ did not exist when planned: create it, lock it, and plan again under the lock.
        let out = plan.out_dir.clone();
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| OutError::io("creating", parent, e))?;
        }
        let created = match fs_.create_dir(&out) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
            Err(e) => return Err(OutError::io("creating", out, e)),
        };
        if hfs::node(&out)? != Node::Dir {
            return Err(OutError::OutDirNotADirectory { path: out });
        }
        let guard = hfs::lock_out_dir(&out, true)?;
        if created && dir_is_empty(&out)? {
            // Still exactly the empty directory this run created, now locked: planning again
            // would find what planning against a missing out/ found (no lock, no journal, every
            // artifact created), so the plan stands.
            return apply_planned(
                Plan {
                    guard: Some(guard),
                    ..plan
                },
                fs_,
            );
        }
        let Plan {
            artifacts,
            inputs,
            compiler,
            ..
        } = plan;
        compute(out, Some(guard), artifacts, inputs, compiler)?
    } else {
        plan
    };
    apply_planned(plan, fs_)
}

/// [`apply`] once `out/` exists and the plan was computed under its lock.
fn apply_planned(plan: Plan, fs_: &dyn Fs) -> Result<Report, OutError> {
    let out = plan.out_dir.as_path();

    if !plan.conflicts.is_empty() {
        return Err(OutError::Conflicts {
            out_dir: out.to_path_buf(),
            conflicts: plan.conflicts.clone(),
        });
    }

    let mut report = Report {
        stale_temps_removed: hfs::clean_temps(fs_, out)?,
        ..Report::default()
    };
    report.unchanged = plan
        .status
        .iter()
        .filter(|s| matches!(s, Status::Unchanged))
        .count();
    if plan.is_up_to_date() && !plan.journal_present {
        return Ok(report);
    }

    // 1. Journal: from here until it is deleted, an interruption is detectable and recoverable.
    hfs::write_atomic(fs_, out, JOURNAL_FILE, &plan.journal().to_json())?;
    sync(fs_, out)?;

    let mut dirs_to_sync: BTreeSet<PathBuf> = BTreeSet::new();

    // 2. Removals, then directories they leave empty (never out/ itself).
    for r in &plan.removals {
        let path = r.path.to_fs_path(out);
        match hfs::walk(out, r.path.as_str())? {
            Walk::Reached(Node::File) => {}
            Walk::Symlink(at) => return Err(race(out, &r.path, ConflictReason::Symlink { at })),
            _ => continue,
        }
        match fs_.remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(OutError::io("removing", path, e)),
        }
        report.removed.push(r.path.clone());
        let mut pruned_to = parent_of(&path, out);
        for anc in r.path.ancestors().into_iter().rev() {
            let dir = out.join(anc);
            if hfs::node(&dir)? != Node::Dir || !dir_is_empty(&dir)? {
                break;
            }
            match fs_.remove_dir(&dir) {
                Ok(()) => pruned_to = parent_of(&dir, out),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(OutError::io("removing empty directory", dir, e)),
            }
        }
        dirs_to_sync.insert(pruned_to);
    }
    // A pruned directory may have been a sync target; keep only those that still exist.

    // 3. Created and updated files: every temp file first, one sync of the filesystem, then
    //    the renames (a rename never exposes data that is not yet durable).
    let mut known_dirs = KnownDirs::default();
    let mut pending = Vec::new();
    for (a, st) in plan.artifacts.iter().zip(&plan.status) {
        let created = match st {
            Status::Create => true,
            Status::Update { .. } => false,
            Status::Unchanged | Status::Conflict => continue,
        };
        // Every ancestor is now a real directory (checked once in this apply); only the file's
        // own node is left to inspect.
        let parent = ensure_parents(fs_, out, &a.path, &mut dirs_to_sync, &mut known_dirs)?;
        match hfs::node(&parent.join(a.path.file_name()))? {
            Node::Missing if created => {}
            Node::File if !created => {}
            Node::Symlink => {
                let at = a.path.to_string();
                return Err(race(out, &a.path, ConflictReason::Symlink { at }));
            }
            Node::File => return Err(race(out, &a.path, ConflictReason::ForeignFile)),
            Node::Missing => {} // an owned file vanished: write it anew
            Node::Dir | Node::Other => return Err(race(out, &a.path, ConflictReason::NotAFile)),
        }
        let tmp = hfs::write_temp(fs_, &parent, a.path.file_name(), &a.contents)?;
        pending.push((tmp, parent, &a.path, created));
    }
    if !pending.is_empty() {
        fs_.sync_filesystem(out)
            .map_err(|e| OutError::io("syncing", out, e))?;
    }
    for (tmp, parent, path, created) in pending {
        let target = parent.join(path.file_name());
        if let Err(e) = fs_.rename(&tmp, &target) {
            let _ = fs_.remove_file(&tmp);
            return Err(OutError::io("renaming into place", target, e));
        }
        dirs_to_sync.insert(parent);
        if created {
            report.created.push(path.clone());
        } else {
            report.updated.push(path.clone());
        }
    }

    // 4. Make the renames and removals durable before the lock says they happened.
    for d in dirs_to_sync.iter().rev() {
        if hfs::node(d)? == Node::Dir {
            sync(fs_, d)?;
        }
    }

    // 5. The lock, last.
    if plan.lock_changes() {
        hfs::write_atomic(fs_, out, LOCK_FILE, &plan.lock_bytes)?;
        report.lock_written = true;
    }

    // 6. Done: drop the journal.
    let journal = out.join(JOURNAL_FILE);
    match fs_.remove_file(&journal) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(OutError::io("removing", journal, e)),
    }
    sync(fs_, out)?;
    Ok(report)
}

fn sync(fs_: &dyn Fs, dir: &Path) -> Result<(), OutError> {
    fs_.sync_dir(dir)
        .map_err(|e| OutError::io("syncing directory", dir, e))
}

fn parent_of(path: &Path, out: &Path) -> PathBuf {
    path.parent().unwrap_or(out).to_path_buf()
}

fn dir_is_empty(dir: &Path) -> Result<bool, OutError> {
    let mut rd = std::fs::read_dir(dir).map_err(|e| OutError::io("listing", dir, e))?;
    Ok(rd.next().is_none())
}

/// Directories of `out/` (relative paths) that this apply has already checked, component by
/// component from `out/`, to be real directories — found as directories, never as links — or
/// has created itself. Each path component is inspected at most once per apply instead of once
/// per file below it. Builds hold the exclusive lock, so only another program could change a
/// directory after it was checked, and such a race is not detected reliably by re-inspecting a
/// path either (it can change right after).
#[derive(Default)]
struct KnownDirs<'p> {
    dirs: HashSet<&'p str>,
}

/// Creates the missing ancestors of `path` one by one, refusing links; returns the parent.
/// Ancestors already in `known` are not inspected again; the others are added once checked or
/// created.
fn ensure_parents<'p>(
    fs_: &dyn Fs,
    out: &Path,
    path: &'p ArtifactPath,
    dirs_to_sync: &mut BTreeSet<PathBuf>,
    known: &mut KnownDirs<'p>,
) -> Result<PathBuf, OutError> {
    let ancestors = path.ancestors();
    // Ancestors are shortest first and a directory is only known once all of its own
    // ancestors are, so everything before the first unknown one is known.
    let first_unknown = ancestors
        .iter()
        .position(|anc| !known.dirs.contains(anc))
        .unwrap_or(ancestors.len());
    let mut dir = match first_unknown.checked_sub(1) {
        Some(i) => out.join(ancestors[i]),
        None => out.to_path_buf(),
    };
    for &anc in &ancestors[first_unknown..] {
        let next = out.join(anc);
        match hfs::node(&next)? {
            Node::Dir => {}
            Node::Missing => {
                fs_.create_dir(&next)
                    .map_err(|e| OutError::io("creating directory", &next, e))?;
                dirs_to_sync.insert(dir.clone());
            }
            Node::Symlink => {
                return Err(race(
                    out,
                    path,
                    ConflictReason::Symlink {
                        at: anc.to_string(),
                    },
                ))
            }
            Node::File | Node::Other => {
                return Err(race(
                    out,
                    path,
                    ConflictReason::ParentNotADirectory {
                        at: anc.to_string(),
                    },
                ))
            }
        }
        known.dirs.insert(anc);
        dir = next;
    }
    Ok(dir)
}

/// Something changed under our feet between plan and apply (another program, not another
/// build: builds hold the lock).
fn race(out: &Path, path: &ArtifactPath, reason: ConflictReason) -> OutError {
    OutError::Conflicts {
        out_dir: out.to_path_buf(),
        conflicts: vec![Conflict {
            path: path.to_string(),
            reason,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir_all(out.join("a/b")).unwrap();
        (tmp, outside, out)
    }

    #[test]
    fn ensure_parents_checks_unknown_directories_and_remembers_them() {
        let (_tmp, outside, out) = setup();
        let path = ArtifactPath::new("a/b/c/d/f.txt").unwrap();
        let mut known = KnownDirs::default();
        let mut sync = BTreeSet::new();
        let parent = ensure_parents(&RealFs, &out, &path, &mut sync, &mut known).unwrap();
        assert_eq!(parent, out.join("a/b/c/d"));
        assert!(out.join("a/b/c/d").is_dir());
        let mut dirs: Vec<&str> = known.dirs.iter().copied().collect();
        dirs.sort();
        assert_eq!(dirs, ["a", "a/b", "a/b/c", "a/b/c/d"]);
        // The parents of the two directories created.
        assert_eq!(
            sync.into_iter().collect::<Vec<_>>(),
            [out.join("a/b"), out.join("a/b/c")]
        );

        // A sibling below a link: `a/b` is known, `a/b/l` is not and is inspected.
        std::os::unix::fs::symlink(outside.path(), out.join("a/b/l")).unwrap();
        let linked = ArtifactPath::new("a/b/l/g.txt").unwrap();
        let err =
            ensure_parents(&RealFs, &out, &linked, &mut BTreeSet::new(), &mut known).unwrap_err();
        match err {
            OutError::Conflicts { conflicts, .. } => assert_eq!(
                conflicts[0].reason,
                ConflictReason::Symlink { at: "a/b/l".into() }
            ),
            e => panic!("{e}"),
        }
        assert!(!known.dirs.contains("a/b/l"));
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn ensure_parents_inspects_a_known_directory_no_more() {
        // Within one apply a checked directory is taken as checked: replacing it afterwards is
        // not noticed (builds hold the lock; only another program could do this), while a fresh
        // apply (a fresh set) refuses it.
        let (_tmp, outside, out) = setup();
        let path = ArtifactPath::new("a/b/f.txt").unwrap();
        let mut known = KnownDirs::default();
        ensure_parents(&RealFs, &out, &path, &mut BTreeSet::new(), &mut known).unwrap();
        std::fs::remove_dir(out.join("a/b")).unwrap();
        std::os::unix::fs::symlink(outside.path(), out.join("a/b")).unwrap();
        let again = ensure_parents(&RealFs, &out, &path, &mut BTreeSet::new(), &mut known);
        assert_eq!(again.unwrap(), out.join("a/b"));
        let fresh = ensure_parents(
            &RealFs,
            &out,
            &path,
            &mut BTreeSet::new(),
            &mut KnownDirs::default(),
        );
        assert!(matches!(fresh, Err(OutError::Conflicts { .. })));
    }
}
