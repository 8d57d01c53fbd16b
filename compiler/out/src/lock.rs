//! The manifest `out/hlc.lock` ([`Lock`]), the inputs it records ([`Input`]), the digest
//! helpers, and the write-ahead journal that makes an interrupted build recoverable.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::path::ArtifactPath;

/// The lock format version this crate writes and reads.
pub const LOCK_FORMAT: u32 = 1;

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What kind of file an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// A configuration source under `configs/` (`.ncl`).
    Config,
    /// A file of the Nickel library (`lib/`, embedded in the binary).
    Library,
    /// An encrypted secret file under `configs/secrets/` (hashed as stored, i.e. ciphertext).
    Secret,
}

impl InputKind {
    /// The name used in `hlc.lock` and in [`inputs_digest`]: `config`, `library` or `secret`.
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Config => "config",
            InputKind::Library => "library",
            InputKind::Secret => "secret",
        }
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One input of a build: a file the build read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Project-relative, `/`-separated: `configs/main.ncl`, `lib/hlc.ncl`,
    /// `configs/secrets/prod.sops.yaml`.
    pub path: String,
    /// What kind of input it is.
    pub kind: InputKind,
    /// [`sha256_hex`] of its bytes.
    pub sha256: String,
}

impl Input {
    /// An input with the digest of `bytes`.
    pub fn from_bytes(path: impl Into<String>, kind: InputKind, bytes: &[u8]) -> Self {
        Input {
            path: path.into(),
            kind,
            sha256: sha256_hex(bytes),
        }
    }
}

/// The digest of a set of inputs, recorded as `inputs_digest` in `hlc.lock`.
///
/// Exact encoding: sort the inputs by `(path, kind)` (byte order of the path, then
/// `config < library < secret`), then feed sha256, for each input in order, the UTF-8 bytes of
/// `path`, a NUL byte, the kind name (`config` | `library` | `secret`), a NUL byte, the
/// lower-case hex `sha256`, and a `\n` byte. The result is the lower-case hex digest.
/// (Paths cannot contain NUL, so the encoding is unambiguous.) The order of the slice given does
/// not matter.
pub fn inputs_digest(inputs: &[Input]) -> String {
    let mut sorted: Vec<&Input> = inputs.iter().collect();
    sorted.sort_by(|a, b| (&a.path, a.kind).cmp(&(&b.path, b.kind)));
    let mut h = Sha256::new();
    for i in sorted {
        h.update(i.path.as_bytes());
        h.update([0u8]);
        h.update(i.kind.as_str().as_bytes());
        h.update([0u8]);
        h.update(i.sha256.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// One artifact recorded in `hlc.lock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// Relative to `out/`.
    pub path: ArtifactPath,
    /// [`sha256_hex`] of the file's bytes.
    pub sha256: String,
    /// The renderer that produced it (`inventory`, `docs`, `talos`, …).
    pub target: String,
    /// Config paths it was derived from (`services.grafana.hostname`), sorted, deduplicated.
    pub sources: Vec<String>,
}

/// The manifest `out/hlc.lock`. See the crate docs for the format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// Always [`LOCK_FORMAT`] when written by this crate.
    pub format: u32,
    /// Version of the hlc that wrote it.
    pub compiler: String,
    /// [`inputs_digest`] of `inputs`.
    pub inputs_digest: String,
    /// Sorted by `(path, kind)`.
    pub inputs: Vec<Input>,
    /// Sorted by path; paths are unique.
    pub artifacts: Vec<LockEntry>,
}

/// Why bytes are not a lock this crate can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockParseError {
    /// Not JSON, wrong shape, an invalid path, duplicate or unsorted entries…
    Invalid(String),
    /// A `format` this crate does not know.
    UnsupportedFormat(u64),
}

impl fmt::Display for LockParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockParseError::Invalid(m) => f.write_str(m),
            LockParseError::UnsupportedFormat(v) => write!(
                f,
                "unsupported lock format version {v} (this hlc reads version {LOCK_FORMAT})"
            ),
        }
    }
}

impl Lock {
    /// A lock for `inputs` and `artifacts`, normalised: inputs sorted, artifacts sorted by path,
    /// sources sorted and deduplicated, `inputs_digest` computed.
    pub fn new(compiler: impl Into<String>, inputs: Vec<Input>, artifacts: Vec<LockEntry>) -> Self {
        let mut inputs = inputs;
        inputs.sort_by(|a, b| (&a.path, a.kind).cmp(&(&b.path, b.kind)));
        inputs.dedup();
        let mut artifacts = artifacts;
        for a in &mut artifacts {
            a.sources.sort();
            a.sources.dedup();
        }
        artifacts.sort_by(|a, b| a.path.cmp(&b.path));
        Lock {
            format: LOCK_FORMAT,
            compiler: compiler.into(),
            inputs_digest: inputs_digest(&inputs),
            inputs,
            artifacts,
        }
    }

    /// The entry for `path`, if the lock owns it (`hlc explain OUT_PATH`).
    pub fn entry(&self, path: &str) -> Option<&LockEntry> {
        self.artifacts
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.artifacts[i])
    }

    /// Deterministic pretty JSON (two-space indent, fields in declaration order, entries in the
    /// order held — sorted when built with [`Lock::new`]), with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_else(|_| {
            // Serialising plain strings and integers cannot fail; keep the writer panic-free.
            b"{}".to_vec()
        });
        v.push(b'\n');
        v
    }

    /// Parses a lock, checking the format version first (so a future format gives
    /// [`LockParseError::UnsupportedFormat`], not a shape error), then the shape, then that
    /// artifact paths are sorted and unique.
    pub fn from_json(bytes: &[u8]) -> Result<Lock, LockParseError> {
        #[derive(Deserialize)]
        struct Probe {
            format: serde_json::Value,
        }
        let probe: Probe =
            serde_json::from_slice(bytes).map_err(|e| LockParseError::Invalid(e.to_string()))?;
        match probe.format.as_u64() {
            Some(v) if v == u64::from(LOCK_FORMAT) => {}
            Some(v) => return Err(LockParseError::UnsupportedFormat(v)),
            None => {
                return Err(LockParseError::Invalid(
                    "`format` is not a non-negative integer".into(),
                ))
            }
        }
        let lock: Lock =
            serde_json::from_slice(bytes).map_err(|e| LockParseError::Invalid(e.to_string()))?;
        for w in lock.artifacts.windows(2) {
            if w[0].path >= w[1].path {
                return Err(LockParseError::Invalid(format!(
                    "artifacts are not sorted and unique at `{}`",
                    w[1].path
                )));
            }
        }
        Ok(lock)
    }
}

/// The write-ahead journal `out/.hlc.lock.journal`, written (atomically) before a build touches
/// any file and removed after the new lock is in place. It lists every file the build in
/// progress may create, with the sha256 of the bytes it will write. On the next run a file that
/// is not in `hlc.lock` but is in the journal *with exactly the journalled bytes* is known to be
/// hlc's (written by the interrupted build) and is adopted or removed instead of being reported
/// as a conflict. Anything else stays foreign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Journal {
    pub format: u32,
    pub owned: Vec<JournalEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JournalEntry {
    pub path: ArtifactPath,
    pub sha256: String,
}

impl Journal {
    pub fn new(entries: impl IntoIterator<Item = JournalEntry>) -> Self {
        let owned: BTreeSet<JournalEntry> = entries.into_iter().collect();
        Journal {
            format: LOCK_FORMAT,
            owned: owned.into_iter().collect(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_else(|_| b"{}".to_vec());
        v.push(b'\n');
        v
    }

    /// `None` when unreadable: the journal only ever widens what hlc may touch, so ignoring a
    /// damaged one is the safe direction (at worst a file is reported as a conflict).
    pub fn from_json(bytes: &[u8]) -> Option<Journal> {
        let j: Journal = serde_json::from_slice(bytes).ok()?;
        (j.format == LOCK_FORMAT).then_some(j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_order_independent_and_documented() {
        let a = Input::from_bytes("configs/main.ncl", InputKind::Config, b"x");
        let b = Input::from_bytes("lib/hlc.ncl", InputKind::Library, b"y");
        assert_eq!(
            inputs_digest(&[a.clone(), b.clone()]),
            inputs_digest(&[b.clone(), a.clone()])
        );
        let manual = format!(
            "configs/main.ncl\0config\0{}\nlib/hlc.ncl\0library\0{}\n",
            sha256_hex(b"x"),
            sha256_hex(b"y")
        );
        assert_eq!(inputs_digest(&[b, a]), sha256_hex(manual.as_bytes()));
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn unknown_format_is_typed() {
        assert_eq!(
            Lock::from_json(br#"{"format": 2, "whatever": true}"#),
            Err(LockParseError::UnsupportedFormat(2))
        );
        assert!(matches!(
            Lock::from_json(b"not json"),
            Err(LockParseError::Invalid(_))
        ));
    }

    #[test]
    fn lock_with_escaping_path_is_rejected() {
        let json = br#"{"format":1,"compiler":"0","inputs_digest":"","inputs":[],
            "artifacts":[{"path":"../../etc/passwd","sha256":"","target":"x","sources":[]}]}"#;
        assert!(matches!(
            Lock::from_json(json),
            Err(LockParseError::Invalid(_))
        ));
    }
}
