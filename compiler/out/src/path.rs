//! [`ArtifactPath`]: a path relative to `out/` that cannot escape it.
//!
//! Parse, don't validate: every path that reaches the writer, including every path read back from
//! a previous `hlc.lock`, went through [`ArtifactPath::new`]. A hand-edited lock that names
//! `../../etc/passwd` is therefore a parse error, never a file hlc removes.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// File name of the manifest, directly under `out/`.
pub const LOCK_FILE: &str = "hlc.lock";
/// File name of the write-ahead journal, directly under `out/`, present only while a build is
/// being applied (or after one was interrupted). See the crate docs.
pub const JOURNAL_FILE: &str = ".hlc.lock.journal";
/// File name of the advisory build lock on platforms that cannot lock a directory (non-unix).
pub const BUILD_LOCK_FILE: &str = ".hlc-build.lock";
/// Marker inside temporary file names: `.<name>.hlc-tmp-<16 hex digits>`.
pub const TEMP_MARKER: &str = ".hlc-tmp-";

/// Longest accepted artifact path, in bytes (well below `PATH_MAX` once joined to a project root).
pub const MAX_PATH_LEN: usize = 1024;

/// A validated path of an artifact, relative to `out/`, `/`-separated.
///
/// Accepted: non-empty components separated by single `/`, none of them `.` or `..`, no leading
/// or trailing `/`, no `\`, no control characters (including NUL), no `:` (a Windows drive or
/// stream separator), no component containing `.hlc-tmp-` (hlc's temporary files), and not one
/// of the names hlc reserves directly under `out/` (`hlc.lock`, `.hlc.lock.journal`,
/// `.hlc-build.lock`). Ordered by bytes, which is the order used in `hlc.lock`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArtifactPath(String);

/// Why a string is not an [`ArtifactPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPath {
    /// The rejected path, as given.
    pub path: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for InvalidPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid artifact path {:?}: {}", self.path, self.reason)
    }
}

impl std::error::Error for InvalidPath {}

impl ArtifactPath {
    /// Validates `path` (see the type docs).
    pub fn new(path: impl Into<String>) -> Result<Self, InvalidPath> {
        let path = path.into();
        match validate(&path) {
            Ok(()) => Ok(ArtifactPath(path)),
            Err(reason) => Err(InvalidPath { path, reason }),
        }
    }

    /// The path as written in `hlc.lock`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `/`-separated components.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last component.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The path under `out_dir`, built component by component (never from a string that could
    /// hold a separator of another platform).
    pub fn to_fs_path(&self, out_dir: &Path) -> PathBuf {
        let mut p = out_dir.to_path_buf();
        for c in self.components() {
            p.push(c);
        }
        p
    }

    /// Every proper ancestor inside `out/`, shortest first: `a/b/c` gives `a`, `a/b`.
    pub fn ancestors(&self) -> Vec<&str> {
        self.0
            .match_indices('/')
            .map(|(i, _)| &self.0[..i])
            .collect()
    }
}

fn validate(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("empty path");
    }
    if path.len() > MAX_PATH_LEN {
        return Err("longer than 1024 bytes");
    }
    if path.starts_with('/') {
        return Err("absolute path (must be relative to out/)");
    }
    if path.contains('\\') {
        return Err("contains a backslash (use '/')");
    }
    if path.contains(':') {
        return Err("contains ':'");
    }
    if path.chars().any(|c| c.is_control()) {
        return Err("contains a control character");
    }
    for c in path.split('/') {
        match c {
            "" => return Err("empty component ('//' or a leading/trailing '/')"),
            "." => return Err("'.' component"),
            ".." => return Err("'..' component (would escape out/)"),
            _ if c.contains(TEMP_MARKER) => {
                return Err("component contains '.hlc-tmp-', reserved for hlc's temporary files")
            }
            _ => {}
        }
    }
    if path == LOCK_FILE || path == JOURNAL_FILE || path == BUILD_LOCK_FILE {
        return Err("reserved for hlc's own files in out/");
    }
    Ok(())
}

impl fmt::Display for ArtifactPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ArtifactPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl AsRef<str> for ArtifactPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for ArtifactPath {
    type Error = InvalidPath;
    fn try_from(s: &str) -> Result<Self, InvalidPath> {
        ArtifactPath::new(s)
    }
}

impl TryFrom<String> for ArtifactPath {
    type Error = InvalidPath;
    fn try_from(s: String) -> Result<Self, InvalidPath> {
        ArtifactPath::new(s)
    }
}

impl Serialize for ArtifactPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ArtifactPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ArtifactPath::new(s).map_err(serde::de::Error::custom)
    }
}

/// Whether `name` is one of hlc's temporary file names: `.<name>.hlc-tmp-<16 lowercase hex>`.
/// Only such files are removed by the stale-temp clean-up; anything else is left alone.
pub fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some(idx) = rest.rfind(TEMP_MARKER) else {
        return false;
    };
    let suffix = &rest[idx + TEMP_MARKER.len()..];
    idx > 0
        && suffix.len() == 16
        && suffix
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_normal_paths() {
        for p in [
            "inventory.json",
            "docs/architecture.md",
            "talos/prod/cp-1.yaml",
            ".sops.yaml",
            "a/.hidden/b",
        ] {
            assert!(ArtifactPath::new(p).is_ok(), "{p}");
        }
    }

    #[test]
    fn rejects_bad_paths() {
        for p in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/",
            "./a",
            "a\\b",
            "C:x",
            "a\0b",
            "a\nb",
            "hlc.lock",
            ".hlc.lock.journal",
            ".hlc-build.lock",
            "docs/.x.hlc-tmp-0123456789abcdef",
            "x.hlc-tmp-y",
        ] {
            assert!(ArtifactPath::new(p).is_err(), "{p:?} should be rejected");
        }
        assert!(ArtifactPath::new("x".repeat(2000)).is_err());
        // hlc.lock is only reserved at the top level.
        assert!(ArtifactPath::new("docs/hlc.lock").is_ok());
    }

    #[test]
    fn ancestors_and_fs_path() {
        let p = ArtifactPath::new("a/b/c.yaml").unwrap();
        assert_eq!(p.ancestors(), vec!["a", "a/b"]);
        assert_eq!(p.file_name(), "c.yaml");
        assert_eq!(
            p.to_fs_path(Path::new("/o")),
            PathBuf::from("/o").join("a").join("b").join("c.yaml")
        );
    }

    #[test]
    fn temp_names() {
        assert!(is_temp_name(".inventory.json.hlc-tmp-0123456789abcdef"));
        assert!(!is_temp_name(".inventory.json.hlc-tmp-0123456789ABCDEF"));
        assert!(!is_temp_name(".inventory.json.hlc-tmp-xyz"));
        assert!(!is_temp_name("inventory.json.hlc-tmp-0123456789abcdef"));
        assert!(!is_temp_name("..hlc-tmp-0123456789abcdef"));
    }
}
