//! The `sops:` metadata block, and the `lastmodified` timestamp.

use std::fmt;

use crate::error::{Error, Result};
use crate::rules::{Rules, Selector};
use crate::scalar;
use crate::tree::{Map, Value};

/// The version written into new files. It must parse as semver and be at
/// least 3.3.0 for sops to read the file the modern way.
pub const SOPS_VERSION: &str = "3.11.0";

/// A `lastmodified` timestamp in the form sops uses as the MAC's AAD:
/// RFC 3339 with whole seconds (`2026-11-25T12:00:06Z`). The library never
/// reads the clock: callers pass it in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LastModified(String);

impl LastModified {
    /// Parses RFC 3339 and normalises as sops does (fractional seconds are
    /// dropped, an offset is kept, a zero offset becomes `Z`).
    pub fn parse(s: &str) -> Result<LastModified> {
        let bad = || Error::InvalidMetadata("lastmodified is not an RFC 3339 timestamp".into());
        if !s.contains(['T', 't']) {
            return Err(bad());
        }
        let t = scalar::parse_timestamp(s.trim()).ok_or_else(bad)?;
        // t is YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM); drop the fraction.
        let (head, zone) = (t.get(..19).ok_or_else(bad)?, t.get(19..).ok_or_else(bad)?);
        let zone = match zone.find(['Z', '+', '-']) {
            Some(i) => &zone[i..],
            None => return Err(bad()),
        };
        Ok(LastModified(format!("{head}{zone}")))
    }

    /// The UTC time `secs` seconds after the Unix epoch (for example from
    /// `SOURCE_DATE_EPOCH` or a commit time).
    pub fn from_unix_seconds(secs: i64) -> LastModified {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        LastModified(format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        ))
    }

    /// The text, used verbatim as the MAC's AAD.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LastModified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One age stanza of the metadata: the data key encrypted to `recipient`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgeStanza {
    /// The `age1…` recipient label (sops does not use it to pick identities).
    pub recipient: String,
    /// The ASCII-armored age file holding the 32-byte data key.
    pub enc: String,
}

/// The parsed `sops` metadata of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// One stanza per recipient.
    pub age: Vec<AgeStanza>,
    /// The timestamp, normalised (it is the MAC's AAD).
    pub lastmodified: LastModified,
    /// The encrypted MAC (`ENC[...,type:str]`), possibly empty.
    pub mac: String,
    /// The encryption rule in force.
    pub rules: Rules,
    /// The sops version that wrote the file.
    pub version: String,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) | Value::Time(s) => Some(s.clone()),
        Value::Float(f) => Some(scalar::go_format_float_f(*f)),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Str(s) => !s.is_empty(),
        Value::Seq(s) => !s.is_empty(),
        Value::Map(m) => !m.is_empty(),
        _ => true,
    }
}

impl Metadata {
    /// Reads the metadata from the value of a document's `sops` key.
    pub fn from_value(v: &Value) -> Result<Metadata> {
        let bad = |m: &str| Error::InvalidMetadata(m.to_string());
        let Value::Map(m) = v else {
            return Err(Error::MetadataNotFound);
        };
        if m.pairs().next().is_none() {
            return Err(Error::MetadataNotFound);
        }
        let mut age = Vec::new();
        match m.get("age") {
            None | Some(Value::Null) => {}
            Some(Value::Seq(items)) => {
                for item in items {
                    let Value::Map(s) = item else {
                        return Err(bad("age entries must be maps"));
                    };
                    let recipient = s.get("recipient").and_then(text).unwrap_or_default();
                    let enc = s
                        .get("enc")
                        .and_then(text)
                        .ok_or_else(|| bad("age entry without enc"))?;
                    age.push(AgeStanza { recipient, enc });
                }
            }
            Some(_) => return Err(bad("age must be a list")),
        }
        if age.is_empty() && m.get("key_groups").is_some_and(non_empty) {
            return Err(bad("key_groups / shamir_threshold are not supported"));
        }
        for unsupported in ["encrypted_comment_regex", "unencrypted_comment_regex"] {
            if m.get(unsupported).is_some_and(non_empty) {
                return Err(Error::InvalidRule(format!(
                    "{unsupported} is not supported"
                )));
            }
        }
        let lastmodified = m
            .get("lastmodified")
            .and_then(text)
            .ok_or_else(|| bad("lastmodified missing"))?;
        let lastmodified = LastModified::parse(&lastmodified)?;
        let mac = match m.get("mac") {
            None | Some(Value::Null) => String::new(),
            Some(v) => text(v).ok_or_else(|| bad("mac must be a string"))?,
        };
        let mut selectors = Vec::new();
        for (key, make) in [
            (
                "unencrypted_suffix",
                Selector::UnencryptedSuffix as fn(String) -> Selector,
            ),
            ("encrypted_suffix", Selector::EncryptedSuffix),
            ("unencrypted_regex", Selector::UnencryptedRegex),
            ("encrypted_regex", Selector::EncryptedRegex),
        ] {
            if let Some(s) = m.get(key).and_then(text).filter(|s| !s.is_empty()) {
                selectors.push(make(s));
            }
        }
        if selectors.len() > 1 {
            return Err(Error::InvalidRule(
                "more than one of the suffix/regex rules is set".into(),
            ));
        }
        // A dotenv file holds every metadata value as text.
        let mac_only_encrypted = match m.get("mac_only_encrypted") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Str(s)) => s == "true",
            _ => false,
        };
        let rules = Rules {
            selector: selectors.pop().unwrap_or_else(|| Rules::default().selector),
            mac_only_encrypted,
        };
        let version = m.get("version").and_then(text).unwrap_or_default();
        Ok(Metadata {
            age,
            lastmodified,
            mac,
            rules,
            version,
        })
    }

    /// The metadata as a map, with fields in the order sops writes them.
    pub fn to_map(&self) -> Map {
        let mut m = Map::new();
        let age = self
            .age
            .iter()
            .map(|s| {
                Value::Map(
                    Map::new()
                        .with("recipient", Value::str(&s.recipient))
                        .with("enc", Value::str(&s.enc)),
                )
            })
            .collect();
        m.push("age", Value::Seq(age));
        m.push("lastmodified", Value::str(self.lastmodified.as_str()));
        m.push("mac", Value::str(&self.mac));
        let (k, v) = self.rules.metadata_field();
        m.push(k, Value::str(v));
        if self.rules.mac_only_encrypted {
            m.push("mac_only_encrypted", Value::Bool(true));
        }
        m.push("version", Value::str(&self.version));
        m
    }

    /// The recipients, sorted and deduplicated (for set comparison).
    pub fn recipient_set(&self) -> Vec<String> {
        let mut r: Vec<String> = self.age.iter().map(|s| s.recipient.clone()).collect();
        r.sort();
        r.dedup();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lastmodified_forms() {
        assert_eq!(
            LastModified::parse("2026-11-25T12:00:06Z")
                .expect("ok")
                .as_str(),
            "2026-11-25T12:00:06Z"
        );
        assert_eq!(
            LastModified::parse("2026-11-25T12:00:15.5Z")
                .expect("ok")
                .as_str(),
            "2026-11-25T12:00:15Z"
        );
        assert_eq!(
            LastModified::parse("2026-11-25T13:00:06+01:00")
                .expect("ok")
                .as_str(),
            "2026-11-25T13:00:06+01:00"
        );
        assert!(LastModified::parse("2026-11-25").is_err());
        assert!(LastModified::parse("yesterday").is_err());
        assert_eq!(
            LastModified::from_unix_seconds(0).as_str(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            LastModified::from_unix_seconds(1_795_608_006).as_str(),
            "2026-11-25T12:00:06Z"
        );
        assert_eq!(
            LastModified::from_unix_seconds(951_782_400).as_str(),
            "2000-02-29T00:00:00Z"
        );
    }
}
