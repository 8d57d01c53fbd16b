//! [`OutError`]: everything that can go wrong while planning, applying or verifying, each with
//! the path concerned. No variant carries file contents, so no secret can leak through an error.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::path::InvalidPath;

/// Why an artifact cannot be written where it should go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The artifact (or, for removals, the owned file) path, relative to `out/`.
    pub path: String,
    /// What is in the way.
    pub reason: ConflictReason,
}

/// What is in the way of an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictReason {
    /// A regular file exists that the previous `hlc.lock` does not own: hlc never wrote it.
    ForeignFile,
    /// A directory (or another non-regular file) exists where the artifact would go.
    NotAFile,
    /// A component of the path inside `out/`, or the path itself, is a symbolic link.
    Symlink {
        /// The component that is a link, relative to `out/`.
        at: String,
    },
    /// An ancestor of the path is an existing non-directory that hlc may not remove.
    ParentNotADirectory {
        /// The ancestor, relative to `out/`.
        at: String,
    },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.path;
        match &self.reason {
            ConflictReason::ForeignFile => write!(
                f,
                "`{p}` exists but hlc.lock does not own it (hlc never wrote it); \
                 hlc will not overwrite it: move it away or delete it, then build again"
            ),
            ConflictReason::NotAFile => write!(
                f,
                "`{p}` is a directory or special file where hlc must write a file; \
                 move it away, then build again"
            ),
            ConflictReason::Symlink { at } => write!(
                f,
                "`{at}` is a symbolic link; hlc never follows links inside out/ \
                 (needed for `{p}`): replace it with a real directory or file"
            ),
            ConflictReason::ParentNotADirectory { at } => write!(
                f,
                "`{at}` is not a directory, but `{p}` must be written inside it; \
                 move it away, then build again"
            ),
        }
    }
}

/// An error of the output writer.
#[derive(Debug, thiserror::Error)]
pub enum OutError {
    /// An artifact path failed validation.
    #[error("{0}")]
    InvalidPath(#[from] InvalidPath),

    /// Two artifacts of one build have the same path (a renderer bug).
    #[error("two artifacts have the path `{path}` (targets `{first}` and `{second}`)")]
    DuplicateArtifact {
        /// The shared path.
        path: String,
        /// Target of the first.
        first: String,
        /// Target of the second.
        second: String,
    },

    /// One artifact's path is a directory of another's.
    #[error("artifact `{file}` would be a file, but artifact `{nested}` needs it as a directory")]
    FileDirectoryClash {
        /// The shorter path.
        file: String,
        /// The path inside it.
        nested: String,
    },

    /// The same input path is listed twice with different digests or kinds.
    #[error("input `{path}` is listed twice")]
    DuplicateInput {
        /// The input path.
        path: String,
    },

    /// Files are in the way; nothing was written. Every conflict of the build is listed.
    #[error("{}", render_conflicts(out_dir, conflicts))]
    Conflicts {
        /// The output directory.
        out_dir: PathBuf,
        /// All conflicts, sorted by path.
        conflicts: Vec<Conflict>,
    },

    /// `out/` itself is a symbolic link or not a directory.
    #[error("{path} is not a directory (hlc refuses symbolic links and files as out/)")]
    OutDirNotADirectory {
        /// The output directory.
        path: PathBuf,
    },

    /// `hlc.lock` exists but cannot be used.
    #[error("{path}: cannot read the lock: {message}; restore it from git or delete it and the files it listed")]
    LockInvalid {
        /// The lock file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// `hlc.lock` has a format version this hlc does not read.
    #[error("{path}: unsupported lock format version {found} (this hlc reads version {supported}); use the hlc that wrote it")]
    UnsupportedLockFormat {
        /// The lock file.
        path: PathBuf,
        /// Version found.
        found: u64,
        /// Version supported.
        supported: u32,
    },

    /// A filesystem operation failed (read-only directory, disk full, permissions…).
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done (`writing`, `renaming`, …).
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

fn render_conflicts(out_dir: &std::path::Path, conflicts: &[Conflict]) -> String {
    let mut s = format!(
        "{} conflict(s) in {}; nothing was written:",
        conflicts.len(),
        out_dir.display()
    );
    for c in conflicts {
        s.push_str("\n  ");
        s.push_str(&c.to_string());
    }
    s
}

impl OutError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        OutError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
