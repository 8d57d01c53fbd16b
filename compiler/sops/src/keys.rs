//! age recipients and identities, identity discovery the way sops does it,
//! and the armored age stanza that carries a file's data key.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::armor::{ArmoredReader, ArmoredWriter, Format as ArmorFormat};
use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::SecretString;

/// An age X25519 recipient (`age1…`), the public half of a key.
#[derive(Clone)]
pub struct Recipient {
    inner: age::x25519::Recipient,
    text: String,
}

impl Recipient {
    /// The `age1…` string.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Recipient {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        let inner = age::x25519::Recipient::from_str(s)
            .map_err(|_| Error::InvalidKey("not an age X25519 recipient (age1…)".into()))?;
        Ok(Recipient {
            text: inner.to_string(),
            inner,
        })
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.text)
    }
}

impl PartialEq for Recipient {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for Recipient {}

/// An age X25519 identity (`AGE-SECRET-KEY-1…`). Debug never shows it.
#[derive(Clone)]
pub struct Identity {
    inner: age::x25519::Identity,
}

impl Identity {
    /// The matching recipient.
    pub fn to_public(&self) -> Recipient {
        let inner = self.inner.to_public();
        Recipient {
            text: inner.to_string(),
            inner,
        }
    }

    /// A new random identity (for `hlc secrets init`-style generators).
    pub fn generate() -> Identity {
        Identity {
            inner: age::x25519::Identity::generate(),
        }
    }

    /// The `AGE-SECRET-KEY-1…` string, to be written to a key file.
    pub fn to_secret_string(&self) -> SecretString {
        SecretString::new(self.inner.to_string().expose_secret().to_string())
    }
}

impl FromStr for Identity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        age::x25519::Identity::from_str(s.trim())
            .map(|inner| Identity { inner })
            .map_err(|_| Error::InvalidKey("not an age X25519 identity (AGE-SECRET-KEY-1…)".into()))
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity(<redacted>, public {})", self.to_public())
    }
}

/// Parses an age identity file: one `AGE-SECRET-KEY-1…` per line; empty
/// lines and `#` comment lines are skipped (as age and sops do). Any other
/// line is an error that names the line number, never its content.
pub fn parse_identities(text: &str) -> Result<Vec<Identity>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(Identity::from_str(line).map_err(|_| {
            Error::InvalidKey(format!(
                "line {} of the identity file is not an AGE-SECRET-KEY-1… line",
                n + 1
            ))
        })?);
    }
    Ok(out)
}

/// Where an identity comes from, in the order sops looks.
#[derive(Debug, Clone)]
pub enum IdentitySource {
    /// The content of `SOPS_AGE_KEY`.
    Inline(SecretString),
    /// A key file: `SOPS_AGE_KEY_FILE` (must exist) or the user's sops age
    /// keys file (skipped when missing).
    File {
        /// The path.
        path: PathBuf,
        /// Whether a missing file is an error (`SOPS_AGE_KEY_FILE`) or not
        /// (the default location).
        required: bool,
    },
}

/// The identity sources sops 3.x would use, given an environment lookup and
/// the home directory (nothing is read here):
/// `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, then
/// `$XDG_CONFIG_HOME/sops/age/keys.txt`, else `~/.config/sops/age/keys.txt`
/// (`~/Library/Application Support/sops/age/keys.txt` on macOS).
/// `SOPS_AGE_KEY_CMD` and SSH keys are not supported.
pub fn identity_sources(
    env: impl Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Vec<IdentitySource> {
    let mut out = Vec::new();
    if let Some(k) = env("SOPS_AGE_KEY").filter(|k| !k.trim().is_empty()) {
        out.push(IdentitySource::Inline(SecretString::new(k)));
    }
    if let Some(f) = env("SOPS_AGE_KEY_FILE").filter(|f| !f.is_empty()) {
        out.push(IdentitySource::File {
            path: PathBuf::from(f),
            required: true,
        });
    }
    let config_dir = match env("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        Some(x) => Some(PathBuf::from(x)),
        None if cfg!(target_os = "macos") => home.map(|h| h.join("Library/Application Support")),
        None => home.map(|h| h.join(".config")),
    };
    if let Some(dir) = config_dir {
        out.push(IdentitySource::File {
            path: dir.join("sops").join("age").join("keys.txt"),
            required: false,
        });
    }
    out
}

/// Loads every identity from [`identity_sources`], reading the key files.
/// An empty result means "no identity available".
pub fn discover_identities(
    env: impl Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Vec<Identity>> {
    let mut out = Vec::new();
    for source in identity_sources(env, home) {
        match source {
            IdentitySource::Inline(text) => out.extend(parse_identities(text.expose())?),
            IdentitySource::File { path, required } => match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let text = Zeroizing::new(text);
                    out.extend(parse_identities(&text)?)
                }
                Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::InvalidKey(format!(
                        "cannot read age key file {}: {e}",
                        path.display()
                    )))
                }
            },
        }
    }
    Ok(out)
}

/// Encrypts the data key to one recipient as an ASCII-armored age file.
pub(crate) fn wrap_data_key(key: &[u8; 32], recipient: &Recipient) -> Result<String> {
    let age_err = |e: &dyn fmt::Display| Error::Age(e.to_string());
    let enc =
        age::Encryptor::with_recipients(std::iter::once(&recipient.inner as &dyn age::Recipient))
            .map_err(|e| age_err(&e))?;
    let mut out = Vec::new();
    let armor =
        ArmoredWriter::wrap_output(&mut out, ArmorFormat::AsciiArmor).map_err(|e| age_err(&e))?;
    let mut w = enc.wrap_output(armor).map_err(|e| age_err(&e))?;
    w.write_all(key).map_err(|e| age_err(&e))?;
    w.finish()
        .and_then(|armor| armor.finish())
        .map_err(|e| age_err(&e))?;
    String::from_utf8(out).map_err(|e| age_err(&e))
}

/// Tries to open one armored stanza with the identities: `Ok(None)` when
/// none matches (or the stanza is not a well-formed armored age file).
pub(crate) fn unwrap_data_key(
    armored: &str,
    identities: &[Identity],
) -> Option<Zeroizing<[u8; 32]>> {
    if identities.is_empty()
        || !armored
            .trim_start()
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    {
        return None;
    }
    let dec = age::Decryptor::new(ArmoredReader::new(armored.as_bytes())).ok()?;
    let mut r = dec
        .decrypt(identities.iter().map(|i| &i.inner as &dyn age::Identity))
        .ok()?;
    let mut buf = Zeroizing::new(Vec::new());
    r.read_to_end(&mut buf).ok()?;
    let key: [u8; 32] = buf.as_slice().try_into().ok()?;
    Some(Zeroizing::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn identity_file_with_comments() {
        let id = Identity::generate();
        let text = format!(
            "# created: now\n# public key: {}\n\n{}\n",
            id.to_public(),
            id.to_secret_string().expose()
        );
        let ids = parse_identities(&text).expect("parses");
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].to_public(), id.to_public());
        let err = parse_identities("# ok\nnot-a-key\n").expect_err("bad line");
        assert!(err.to_string().contains("line 2"));
        assert!(!err.to_string().contains("not-a-key"));
        assert!(!format!("{:?}", ids[0]).contains("AGE-SECRET-KEY"));
    }

    #[test]
    fn sources_follow_sops_order() {
        let env: HashMap<&str, &str> = [
            ("SOPS_AGE_KEY", "AGE-SECRET-KEY-1X"),
            ("SOPS_AGE_KEY_FILE", "/k.txt"),
        ]
        .into();
        let s = identity_sources(
            |k| env.get(k).map(|v| v.to_string()),
            Some(Path::new("/home/u")),
        );
        assert!(matches!(&s[0], IdentitySource::Inline(t) if t.expose() == "AGE-SECRET-KEY-1X"));
        assert!(
            matches!(&s[1], IdentitySource::File { path, required: true } if path == Path::new("/k.txt"))
        );
        if !cfg!(target_os = "macos") {
            assert!(
                matches!(&s[2], IdentitySource::File { path, required: false } if path == Path::new("/home/u/.config/sops/age/keys.txt"))
            );
        }
        let xdg: HashMap<&str, &str> = [("XDG_CONFIG_HOME", "/x")].into();
        let s = identity_sources(
            |k| xdg.get(k).map(|v| v.to_string()),
            Some(Path::new("/home/u")),
        );
        assert_eq!(s.len(), 1);
        assert!(
            matches!(&s[0], IdentitySource::File { path, .. } if path == Path::new("/x/sops/age/keys.txt"))
        );
    }

    #[test]
    fn stanza_roundtrip_and_wrong_identity() {
        let id = Identity::generate();
        let key = [42u8; 32];
        let armored = wrap_data_key(&key, &id.to_public()).expect("wraps");
        assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
        assert!(armored.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
        assert!(armored.lines().all(|l| l.len() <= 64));
        assert_eq!(
            unwrap_data_key(&armored, std::slice::from_ref(&id)).as_deref(),
            Some(&key)
        );
        assert!(unwrap_data_key(&armored, &[Identity::generate()]).is_none());
        assert!(unwrap_data_key("garbage", std::slice::from_ref(&id)).is_none());
    }
}
