//! Leak-guard building blocks: a redacted, zeroizing secret string, and a
//! scan of output artifacts for plaintext secret values.

use std::fmt;

use aho_corasick::AhoCorasick;
use zeroize::Zeroize;

/// A secret value. Debug and Display print `<redacted>`; the memory is
/// zeroized on drop. Use [`SecretString::expose`] where the value is needed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }

    /// The value itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString(s)
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Secrets shorter than this are not searched for (too many false hits).
pub const MIN_LEAK_LEN: usize = 6;

/// Paths of the artifacts whose bytes contain any secret value of at least
/// [`MIN_LEAK_LEN`] characters, in artifact order, each path once. The
/// values themselves are never returned. Pass only the artifacts that are
/// NOT encrypted.
pub fn find_plaintext_leaks<'a>(
    secrets: &[SecretString],
    artifacts: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Vec<String> {
    let needles: Vec<&[u8]> = secrets
        .iter()
        .filter(|s| s.0.chars().count() >= MIN_LEAK_LEN)
        .map(|s| s.0.as_bytes())
        .collect();
    if needles.is_empty() {
        return Vec::new();
    }
    let Ok(ac) = AhoCorasick::new(&needles) else {
        // Building only fails past internal size limits; fall back to a
        // direct search.
        return artifacts
            .filter(|(_, bytes)| {
                needles
                    .iter()
                    .any(|n| bytes.windows(n.len()).any(|w| w == *n))
            })
            .map(|(p, _)| p.to_string())
            .collect();
    };
    let mut out: Vec<String> = Vec::new();
    for (path, bytes) in artifacts {
        if ac.is_match(bytes) && !out.iter().any(|p| p == path) {
            out.push(path.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_everywhere() {
        let s = SecretString::new("hunter22");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", vec![s.clone()]), "[<redacted>]");
        assert_eq!(s.expose(), "hunter22");
    }

    #[test]
    fn leaks_are_found_by_path_only() {
        let secrets = [
            SecretString::new("canary-1234"),
            SecretString::new("short"),
            SecretString::new("s3cr3t"),
        ];
        let arts: Vec<(&str, &[u8])> = vec![
            ("a.yaml", b"password: canary-1234\n"),
            ("b.yaml", b"short short short"),
            ("c.json", b"{\"x\": \"xx s3cr3t xx\"}"),
            ("d.txt", b"nothing here"),
            ("a.yaml", b"canary-1234 again"),
        ];
        assert_eq!(
            find_plaintext_leaks(&secrets, arts.into_iter()),
            vec!["a.yaml", "c.json"]
        );
        assert!(find_plaintext_leaks(&[], std::iter::once(("x", &b"y"[..]))).is_empty());
    }
}
