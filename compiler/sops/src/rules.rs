//! Which leaves get encrypted: the one rule stored in a file's metadata.
//!
//! A rule is checked against every component of a leaf's path (map keys
//! only, list indices are not part of paths). No rule at all means
//! `unencrypted_suffix: _unencrypted`, as in sops.

use regex::Regex;

use crate::error::{Error, Result};

/// The selector that decides which leaves are encrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Leave a leaf in clear if any path component ends with this suffix
    /// (sops's default, with `_unencrypted`).
    UnencryptedSuffix(String),
    /// Encrypt a leaf only if some path component ends with this suffix.
    EncryptedSuffix(String),
    /// Leave a leaf in clear if any path component matches this (RE2) regex.
    UnencryptedRegex(String),
    /// Encrypt a leaf only if some path component matches this (RE2) regex,
    /// e.g. `^(data|stringData)$` for Kubernetes Secrets.
    EncryptedRegex(String),
}

/// Encryption rules of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Which leaves are encrypted.
    pub selector: Selector,
    /// When true the MAC covers only the encrypted leaves (and starts with
    /// `SHA-256("sops")`), so cleartext values may be edited freely.
    pub mac_only_encrypted: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            selector: Selector::UnencryptedSuffix("_unencrypted".to_string()),
            mac_only_encrypted: false,
        }
    }
}

impl Rules {
    /// `encrypted_regex: re`, the usual rule for Kubernetes Secrets and Talos configs.
    pub fn encrypted_regex(re: impl Into<String>) -> Rules {
        Rules {
            selector: Selector::EncryptedRegex(re.into()),
            mac_only_encrypted: false,
        }
    }

    /// The metadata key and value of the selector (`encrypted_regex`, `^data$`).
    pub fn metadata_field(&self) -> (&'static str, &str) {
        match &self.selector {
            Selector::UnencryptedSuffix(s) => ("unencrypted_suffix", s),
            Selector::EncryptedSuffix(s) => ("encrypted_suffix", s),
            Selector::UnencryptedRegex(s) => ("unencrypted_regex", s),
            Selector::EncryptedRegex(s) => ("encrypted_regex", s),
        }
    }

    pub(crate) fn compile(&self) -> Result<CompiledRules> {
        let regex = |s: &str| {
            Regex::new(s).map_err(|e| Error::InvalidRule(format!("bad regex {s:?}: {e}")))
        };
        let kind = match &self.selector {
            Selector::UnencryptedSuffix(s) => Kind::UnencSuffix(s.clone()),
            Selector::EncryptedSuffix(s) => Kind::EncSuffix(s.clone()),
            Selector::UnencryptedRegex(s) => Kind::UnencRegex(regex(s)?),
            Selector::EncryptedRegex(s) => Kind::EncRegex(regex(s)?),
        };
        Ok(CompiledRules { kind })
    }
}

enum Kind {
    UnencSuffix(String),
    EncSuffix(String),
    UnencRegex(Regex),
    EncRegex(Regex),
}

pub(crate) struct CompiledRules {
    kind: Kind,
}

impl CompiledRules {
    /// Whether a leaf (or a comment in a map) at this path is encrypted.
    pub(crate) fn encrypts(&self, path: &[String]) -> bool {
        match &self.kind {
            Kind::UnencSuffix(s) => !path.iter().any(|c| c.ends_with(s.as_str())),
            Kind::EncSuffix(s) => path.iter().any(|c| c.ends_with(s.as_str())),
            Kind::UnencRegex(r) => !path.iter().any(|c| r.is_match(c)),
            Kind::EncRegex(r) => path.iter().any(|c| r.is_match(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_path_component_counts() {
        let d = Rules::default().compile().expect("compiles");
        assert!(d.encrypts(&p(&["settings", "host"])));
        assert!(!d.encrypts(&p(&["settings_unencrypted", "host"])));
        let e = Rules {
            selector: Selector::EncryptedSuffix("_secret".into()),
            mac_only_encrypted: false,
        }
        .compile()
        .expect("compiles");
        assert!(e.encrypts(&p(&["settings_unencrypted", "token_secret"])));
        assert!(!e.encrypts(&p(&["settings", "host"])));
        let r = Rules::encrypted_regex("^(data|stringData)$")
            .compile()
            .expect("compiles");
        assert!(r.encrypts(&p(&["stringData", "password"])));
        assert!(!r.encrypts(&p(&["metadata", "name"])));
        assert!(!r.encrypts(&p(&[])));
        assert!(Rules::encrypted_regex("(").compile().is_err());
    }
}
