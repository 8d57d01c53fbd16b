//! # hlc-sops: a native SOPS implementation (age + AES-256-GCM)
//!
//! Reads and writes [SOPS](https://github.com/getsops/sops) files (YAML, JSON, dotenv and binary)
//! with age recipients, byte-compatible in structure
//! with sops 3.11 and accepted by `sops`, Flux's kustomize-controller and
//! helm-secrets. It never shells out, never reads the clock, and takes its
//! randomness from the caller, so a build can be deterministic.
//!
//! ## The format in one screen
//!
//! * One random 32-byte **data key** per file, encrypted to every age
//!   recipient as an ASCII-armored age file: `sops.age[].{recipient,enc}`.
//! * Every selected leaf becomes
//!   `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<str|int|float|bool|time|comment>]`:
//!   AES-256-GCM with a 32-byte IV and, as authenticated data, the map keys
//!   of its path joined by `:` plus a trailing `:` (list indices are not
//!   part of the path). `null` and `""` are never encrypted. Booleans are
//!   encrypted as `True`/`False`, floats in Go's shortest form, every JSON
//!   number is a float.
//! * YAML comments are encrypted too (`#ENC[...,type:comment]` in maps, an
//!   extra `- ENC[...]` item in lists) and are not part of the MAC.
//! * The **MAC** is SHA-512 over the plaintext bytes of all leaves in
//!   document order (cleartext ones included, unless `mac_only_encrypted`),
//!   written as upper-case hex and encrypted like a string with the data key
//!   and `lastmodified` as authenticated data.
//! * The [`Rules`] pick the leaves: `unencrypted_suffix` (default
//!   `_unencrypted`), `encrypted_suffix`, `unencrypted_regex` or
//!   `encrypted_regex`, checked against every key of the leaf's path.
//!
//! ## API
//!
//! * [`Format::parse`] / [`Format::emit`] turn bytes into a [`Document`]
//!   (ordered, typed tree; see [`Value`]) and back, deterministically.
//! * [`encrypt`] writes a new file; [`decrypt`] reads one (checks every
//!   value and the MAC and returns typed [`Error`]s); [`inspect`] reads the
//!   metadata without a key.
//! * [`reencrypt_if_changed`] is the zero-churn entry point for builds: it
//!   returns the previous file byte for byte when its plaintext, recipients
//!   and rules are unchanged, keeps the data key and the IVs of unchanged
//!   values when only some values changed, and says [`Error::NeedIdentity`]
//!   when it cannot tell without a key.
//! * [`parse_identities`], [`identity_sources`], [`discover_identities`]
//!   find age identities the way sops does; [`Recipient`] and [`Identity`]
//!   wrap age X25519 keys.
//! * [`sops_config_yaml`] writes a `.sops.yaml` whose creation rules match
//!   what hlc encrypts, so `sops edit` works on hlc's files.
//! * [`SecretString`] and [`find_plaintext_leaks`] are the leak-guard
//!   building blocks.
//!
//! ## Example
//!
//! ```
//! use hlc_sops::{decrypt, encrypt, reencrypt_if_changed, EncryptOptions, Format};
//! use hlc_sops::{Identity, LastModified, Outcome, Rules};
//! use hlc_sops::rand_core::OsRng;
//!
//! let identity = Identity::generate(); // normally from discover_identities()
//! let recipients = [identity.to_public()];
//! let plain = Format::Yaml.parse(b"user: admin\npassword: hunter2\n")?;
//! let lastmodified = LastModified::parse("2026-01-01T00:00:00Z")?; // never the clock
//! let rules = Rules::default();
//! let opts = EncryptOptions { format: Format::Yaml, recipients: &recipients, rules: &rules, lastmodified: &lastmodified };
//!
//! let file = encrypt(&plain, &opts, &mut OsRng)?;
//! assert!(!String::from_utf8_lossy(&file).contains("hunter2"));
//! let back = decrypt(&file, Format::Yaml, std::slice::from_ref(&identity))?;
//! assert!(back.document.same_as(&plain));
//!
//! // The next build: same plaintext, so the same bytes.
//! let again = reencrypt_if_changed(Some(&file), &plain, &opts, &[identity], &mut OsRng)?;
//! assert_eq!(again.outcome, Outcome::Kept);
//! assert_eq!(again.bytes, file);
//! # Ok::<(), hlc_sops::Error>(())
//! ```
//!
//! ## Byte-stable output
//!
//! Given the same plaintext, recipients, rules, `lastmodified` and RNG
//! state, [`encrypt`] gives the same bytes except for the age stanzas: age
//! always uses a fresh ephemeral key (from the OS) for each stanza. For
//! stable output across builds use [`reencrypt_if_changed`] with the file
//! already on disk; it then never re-encrypts an unchanged file. Pass a
//! fixed `lastmodified` (for instance the source's commit time or
//! `SOURCE_DATE_EPOCH`) and any [`rand_core::CryptoRng`] (`OsRng` in
//! production, a seeded ChaCha in tests).
//!
//! ## YAML
//!
//! Parsing uses `saphyr-parser` behind the private `yaml` module (it gives
//! scalar styles, tags, anchors and spans, which comment recovery and
//! go-yaml-compatible typing need); the emitter is our own, in the
//! 4-space layout sops uses, quoting every string that a YAML 1.1 or 1.2
//! reader could take for another type (`yes`, `on`, `0755`, `1e3`, `1:20`,
//! dates, ...). Plain scalars are typed as go-yaml v3 (what sops uses) types
//! them: `0123` is the int 83, `yes` is a string, `2024-01-01` a timestamp.
//!
//! ## Not supported
//!
//! The INI store; PGP/KMS/Vault key sources, key groups and
//! Shamir; `encrypted_comment_regex`/`unencrypted_comment_regex`;
//! `SOPS_AGE_KEY_CMD` and SSH identities.

#![deny(missing_docs)]

mod cipher;
mod config;
mod engine;
mod error;
mod flat;
mod json;
mod keys;
mod metadata;
mod rules;
mod scalar;
mod secret;
mod tree;
mod yaml;

use std::collections::HashMap;
use std::fmt;

use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

pub use config::{sops_config_yaml, CreationRule};
pub use error::{Error, Result};
pub use keys::{
    discover_identities, identity_sources, parse_identities, Identity, IdentitySource, Recipient,
};
pub use metadata::{AgeStanza, LastModified, Metadata, SOPS_VERSION};
pub use rand_core;
pub use rules::{Rules, Selector};
pub use secret::{find_plaintext_leaks, SecretString, MIN_LEAK_LEN};
pub use tree::{Document, Entry, Map, Value};

/// A document format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// YAML, possibly several documents.
    Yaml,
    /// JSON, one object.
    Json,
    /// dotenv (`KEY=value` lines); every value is a string.
    Dotenv,
    /// Any other file: the whole body is the one value `data`; encrypted as JSON.
    Binary,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Yaml => "YAML",
            Format::Json => "JSON",
            Format::Dotenv => "dotenv",
            Format::Binary => "binary",
        })
    }
}

impl Format {
    /// The format sops picks from a file name: `.yaml`/`.yml`, `.json`, `.env`, else binary.
    pub fn from_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else if lower.ends_with(".json") {
            Format::Json
        } else if lower.ends_with(".env") {
            Format::Dotenv
        } else {
            Format::Binary
        }
    }

    /// Whether values are addressed by key paths inside the file (YAML, JSON, dotenv), as
    /// opposed to a binary file whose whole body is one value.
    pub fn has_keys(self) -> bool {
        self != Format::Binary
    }

    /// Parses a plaintext document. Never panics on malformed input. A binary file becomes
    /// `{data: <body>}`.
    pub fn parse(self, bytes: &[u8]) -> Result<Document> {
        if self == Format::Binary {
            return Ok(Document::single(flat::parse_binary(bytes)));
        }
        let text = self.utf8(bytes)?;
        let docs = match self {
            Format::Yaml => yaml::parse(text)?,
            Format::Json => vec![json::parse(text)?],
            Format::Dotenv => vec![flat::parse_dotenv(text)?],
            Format::Binary => unreachable!("handled above"),
        };
        if docs.is_empty() {
            return Err(Error::Parse {
                format: self,
                message: "empty document".into(),
            });
        }
        Ok(Document { docs })
    }

    fn utf8(self, bytes: &[u8]) -> Result<&str> {
        std::str::from_utf8(bytes).map_err(|e| Error::Parse {
            format: self,
            message: format!("not UTF-8 (byte {})", e.valid_up_to()),
        })
    }

    /// Parses an encrypted file of this format (metadata under a `sops` key of each document).
    fn parse_file(self, bytes: &[u8]) -> Result<Document> {
        match self {
            Format::Yaml | Format::Json => self.parse(bytes),
            Format::Dotenv => Ok(Document::single(flat::unflatten_metadata(
                flat::parse_dotenv(self.utf8(bytes)?)?,
            )?)),
            Format::Binary => Ok(Document::single(flat::parse_binary_file(
                self.utf8(bytes)?,
            )?)),
        }
    }

    /// Writes a plaintext document deterministically: same tree, same bytes. A binary
    /// document is written as its body.
    pub fn emit(self, doc: &Document) -> Result<Vec<u8>> {
        match self {
            Format::Yaml => Ok(yaml::emit(&doc.docs).into_bytes()),
            Format::Json | Format::Dotenv | Format::Binary => match doc.docs.as_slice() {
                [one] => match self {
                    Format::Dotenv => Ok(flat::emit_dotenv(one)?.into_bytes()),
                    Format::Binary => flat::emit_binary(one),
                    _ => Ok(json::emit(one)?.into_bytes()),
                },
                _ => Err(Error::Emit {
                    format: self,
                    message: format!("a {self} file holds exactly one document"),
                }),
            },
        }
    }

    /// Writes an encrypted document (each document carries its `sops` map).
    fn emit_file(self, doc: &Document) -> Result<Vec<u8>> {
        match (self, doc.docs.as_slice()) {
            (Format::Dotenv, [one]) => {
                Ok(flat::emit_dotenv(&flat::flatten_metadata(one))?.into_bytes())
            }
            (Format::Binary, [one]) => Ok(json::emit(one)?.into_bytes()),
            _ => self.emit(doc),
        }
    }
}

/// What to encrypt to, and how.
#[derive(Clone, Copy, Debug)]
pub struct EncryptOptions<'a> {
    /// Output format.
    pub format: Format,
    /// age recipients; each gets a stanza, in this order (duplicates dropped).
    pub recipients: &'a [Recipient],
    /// Which leaves to encrypt.
    pub rules: &'a Rules,
    /// The `lastmodified` to write (also the MAC's authenticated data).
    pub lastmodified: &'a LastModified,
}

/// Options for [`decrypt_with`].
#[derive(Clone, Copy, Debug)]
pub struct DecryptOptions {
    /// Check the MAC (sops does; Flux does not). Default true.
    pub verify_mac: bool,
}

impl Default for DecryptOptions {
    fn default() -> Self {
        DecryptOptions { verify_mac: true }
    }
}

/// A decrypted file.
pub struct Decrypted {
    /// The plaintext, comments decrypted, `sops` metadata removed.
    pub document: Document,
    /// The file's metadata.
    pub metadata: Metadata,
    data_key: Zeroizing<[u8; 32]>,
}

impl Decrypted {
    /// The file's data key (for tests and tooling; never log it).
    pub fn data_key(&self) -> &[u8; 32] {
        &self.data_key
    }
}

impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted")
            .field("document", &"<redacted>")
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

/// What [`reencrypt_if_changed`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The previous bytes are returned unchanged.
    Kept,
    /// Same data key and age stanzas; values whose (plaintext, path) did not
    /// change keep their IV (and ciphertext); new `lastmodified` and MAC.
    Updated,
    /// A new file (new data key, stanzas and IVs): no previous file, the
    /// recipients changed, or the previous file was unreadable or differed
    /// visibly without an identity at hand.
    Fresh,
}

/// The result of [`reencrypt_if_changed`].
#[derive(Debug)]
pub struct Reencrypted {
    /// The file to write.
    pub bytes: Vec<u8>,
    /// How it was obtained.
    pub outcome: Outcome,
}

fn dedup_recipients(r: &[Recipient]) -> Vec<&Recipient> {
    let mut out: Vec<&Recipient> = Vec::new();
    for x in r {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

fn prepare_plaintext(plain: &Document, format: Format) -> Result<Document> {
    if plain.docs.is_empty() {
        return Err(Error::Emit {
            format,
            message: "no document".into(),
        });
    }
    if plain.docs.iter().any(|d| d.get("sops").is_some()) {
        return Err(Error::PlaintextHasSopsKey);
    }
    if format != Format::Yaml && plain.docs.len() != 1 {
        return Err(Error::Emit {
            format,
            message: format!("a {format} file holds exactly one document"),
        });
    }
    match format {
        Format::Json => Ok(Document {
            docs: plain.docs.iter().map(Map::without_comments).collect(),
        }),
        Format::Binary => {
            // Checks the shape (`{data}` only).
            flat::emit_binary(&plain.docs[0])?;
            Ok(plain.clone())
        }
        Format::Dotenv => {
            flat::emit_dotenv(&plain.docs[0])?;
            Ok(plain.clone())
        }
        Format::Yaml => {
            if plain.docs.iter().any(|d| d.has_bytes()) {
                return Err(Error::Emit {
                    format,
                    message: "a value is not UTF-8 text".into(),
                });
            }
            Ok(plain.clone())
        }
    }
}

/// IVs of a previous file, by (aad, type, plaintext): reused only for the
/// identical (plaintext, path) under the same key, which gives the identical
/// ciphertext and so leaks nothing.
type IvReuse = HashMap<[u8; 32], [u8; cipher::IV_LEN]>;

/// The lookup key of [`IvReuse`]: a hash, so that no plaintext copy is kept.
fn reuse_key(aad: &str, typ: &str, pt: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [aad.as_bytes(), typ.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(pt);
    h.finalize().into()
}

/// Encrypts with a given data key and stanzas; the core of [`encrypt`] and
/// [`reencrypt_if_changed`]. Value IVs come from `reuse` when the same
/// (path, type, plaintext) was there before, else from `rng`; the MAC IV
/// always comes from `rng`.
fn seal(
    plain: &Document,
    opts: &EncryptOptions<'_>,
    key: &[u8; 32],
    age: Vec<AgeStanza>,
    rng: &mut dyn RngCore,
    reuse: &IvReuse,
) -> Result<Vec<u8>> {
    let plain = prepare_plaintext(plain, opts.format)?;
    let compiled = opts.rules.compile()?;
    let mut walker = engine::Walker::new(key, &compiled, opts.rules.mac_only_encrypted);
    let mut ivs = |aad: &str, typ: &str, pt: &[u8]| match reuse.get(&reuse_key(aad, typ, pt)) {
        Some(iv) => *iv,
        None => random_iv(rng),
    };
    let mut docs: Vec<Map> = plain
        .docs
        .iter()
        .map(|d| walker.encrypt_map(d, &mut ivs))
        .collect();
    let mac_hex = walker.mac_hex();
    let mac_iv = random_iv(rng);
    let mac = cipher::encrypt(
        key,
        &mac_iv,
        opts.lastmodified.as_str().as_bytes(),
        mac_hex.as_bytes(),
        "str",
    );
    let meta = Metadata {
        age,
        lastmodified: opts.lastmodified.clone(),
        mac,
        rules: opts.rules.clone(),
        version: SOPS_VERSION.to_string(),
    };
    let meta_map = meta.to_map();
    for d in &mut docs {
        d.push("sops", Value::Map(meta_map.clone()));
    }
    opts.format.emit_file(&Document { docs })
}

fn random_iv(rng: &mut dyn RngCore) -> [u8; cipher::IV_LEN] {
    let mut iv = [0u8; cipher::IV_LEN];
    rng.fill_bytes(&mut iv);
    iv
}

fn new_data_key_file<R: CryptoRng + RngCore>(
    plain: &Document,
    opts: &EncryptOptions<'_>,
    rng: &mut R,
) -> Result<Vec<u8>> {
    let recipients = dedup_recipients(opts.recipients);
    if recipients.is_empty() {
        return Err(Error::NoRecipients);
    }
    prepare_plaintext(plain, opts.format)?;
    opts.rules.compile()?;
    let mut key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(key.as_mut());
    let age = recipients
        .iter()
        .map(|r| {
            Ok(AgeStanza {
                recipient: r.as_str().to_string(),
                enc: keys::wrap_data_key(&key, r)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    seal(plain, opts, &key, age, rng, &IvReuse::new())
}

/// Encrypts a plaintext document to the recipients: a new data key and new
/// IVs (both drawn from `rng`) and one age stanza per recipient.
///
/// Errors: [`Error::NoRecipients`], [`Error::PlaintextHasSopsKey`],
/// [`Error::InvalidRule`], [`Error::Emit`], [`Error::Age`].
pub fn encrypt<R: CryptoRng + RngCore>(
    plain: &Document,
    opts: &EncryptOptions<'_>,
    rng: &mut R,
) -> Result<Vec<u8>> {
    new_data_key_file(plain, opts, rng)
}

/// Parses a file and splits off its metadata (from the first document).
fn open_file(file: &[u8], format: Format) -> Result<(Document, Metadata)> {
    let mut doc = format.parse_file(file)?;
    let mut meta = None;
    for (i, d) in doc.docs.iter_mut().enumerate() {
        let m = d.remove("sops");
        if i == 0 {
            meta = m;
        }
    }
    let meta = Metadata::from_value(&meta.ok_or(Error::MetadataNotFound)?)?;
    Ok((doc, meta))
}

/// Reads a file's metadata (recipients, rules, lastmodified) without a key.
pub fn inspect(file: &[u8], format: Format) -> Result<Metadata> {
    open_file(file, format).map(|(_, m)| m)
}

fn data_key(meta: &Metadata, identities: &[Identity]) -> Result<Zeroizing<[u8; 32]>> {
    meta.age
        .iter()
        .find_map(|s| keys::unwrap_data_key(&s.enc, identities))
        .ok_or(Error::NoMatchingIdentity {
            stanzas: meta.age.len(),
        })
}

fn decrypt_parsed(
    doc: Document,
    metadata: Metadata,
    key: Zeroizing<[u8; 32]>,
    opts: &DecryptOptions,
    sink: &mut engine::IvSink<'_>,
) -> Result<Decrypted> {
    let compiled = metadata.rules.compile()?;
    let mut walker = engine::Walker::new(&key, &compiled, metadata.rules.mac_only_encrypted);
    let docs = doc
        .docs
        .iter()
        .map(|d| walker.decrypt_map(d, sink))
        .collect::<Result<Vec<_>>>()?;
    let computed = walker.mac_hex();
    if opts.verify_mac {
        if metadata.mac.is_empty() {
            return Err(Error::MacMissing);
        }
        let v = cipher::parse(&metadata.mac).map_err(|_| Error::MacDecrypt)?;
        let stored = cipher::decrypt(&key, &v, metadata.lastmodified.as_str().as_bytes())
            .ok_or(Error::MacDecrypt)?;
        if stored != computed.as_bytes() {
            return Err(Error::MacMismatch);
        }
    }
    Ok(Decrypted {
        document: Document { docs },
        metadata,
        data_key: key,
    })
}

/// Decrypts a file with the given identities and checks its MAC.
///
/// Errors, with the sops exit code of the same case
/// ([`Error::sops_exit_code`]): [`Error::Parse`]/[`Error::RootNotMap`] (1),
/// [`Error::MetadataNotFound`] (1), [`Error::NoMatchingIdentity`] (128),
/// [`Error::Authentication`], [`Error::NotEncrypted`],
/// [`Error::MalformedValue`] (25), [`Error::MacDecrypt`],
/// [`Error::MacMissing`], [`Error::MacMismatch`] (51).
pub fn decrypt(file: &[u8], format: Format, identities: &[Identity]) -> Result<Decrypted> {
    decrypt_with(file, format, identities, &DecryptOptions::default())
}

/// [`decrypt`] with options (for example without the MAC check, as Flux does).
pub fn decrypt_with(
    file: &[u8],
    format: Format,
    identities: &[Identity],
    opts: &DecryptOptions,
) -> Result<Decrypted> {
    let (doc, metadata) = open_file(file, format)?;
    let key = data_key(&metadata, identities)?;
    decrypt_parsed(doc, metadata, key, opts, &mut |_, _, _, _| {})
}

/// Zero-churn encryption for builds.
///
/// * No previous file: a new file ([`Outcome::Fresh`]).
/// * Previous file with a different recipient set: a new file with a new
///   data key (a removed recipient must not keep access); no identity needed.
/// * Previous file that is not a readable SOPS file of this format: a new file.
/// * An identity opens the previous file:
///   - same plaintext (values, types, order, comments), same recipient set,
///     same rules: the previous bytes, unchanged ([`Outcome::Kept`]), even
///     if `opts.lastmodified` differs;
///   - otherwise: same data key and stanzas, IVs kept for every value whose
///     (plaintext, path) is unchanged, new `lastmodified` and MAC
///     ([`Outcome::Updated`]), as `sops set`/`sops edit` do.
///   - the previous file fails its checks (tampered): a new file.
/// * No identity opens it (or none is given): without the key the
///   plaintext cannot be compared. If what is visible already differs (key
///   paths, order, cleartext values, types or lengths of encrypted values,
///   rules), the file must change anyway and a new one is written.
///   Otherwise the result is [`Error::NeedIdentity`]: the caller must stop
///   (and not write anything) or supply an identity.
pub fn reencrypt_if_changed<R: CryptoRng + RngCore>(
    previous: Option<&[u8]>,
    plain: &Document,
    opts: &EncryptOptions<'_>,
    identities: &[Identity],
    rng: &mut R,
) -> Result<Reencrypted> {
    let fresh = |rng: &mut R| {
        new_data_key_file(plain, opts, rng).map(|bytes| Reencrypted {
            bytes,
            outcome: Outcome::Fresh,
        })
    };
    let Some(previous) = previous else {
        return fresh(rng);
    };
    let Ok((prev_doc, prev_meta)) = open_file(previous, opts.format) else {
        return fresh(rng);
    };
    let wanted: Vec<&Recipient> = dedup_recipients(opts.recipients);
    let mut wanted_set: Vec<String> = wanted.iter().map(|r| r.as_str().to_string()).collect();
    wanted_set.sort();
    if wanted_set != prev_meta.recipient_set() || wanted.is_empty() {
        return fresh(rng);
    }
    let new_plain = prepare_plaintext(plain, opts.format)?;
    let same_rules = prev_meta.rules == *opts.rules;
    let Ok(key) = data_key(&prev_meta, identities) else {
        let compiled = opts.rules.compile()?;
        let visible_same = same_rules
            && prev_doc.docs.len() == new_plain.docs.len()
            && prev_doc
                .docs
                .iter()
                .zip(&new_plain.docs)
                .all(|(e, p)| engine::shape_matches(e, p, &compiled, &mut Vec::new()));
        return if visible_same {
            Err(Error::NeedIdentity)
        } else {
            fresh(rng)
        };
    };
    let mut reuse = IvReuse::new();
    let mut sink = |aad: &str, typ: &str, pt: &[u8], iv: &[u8]| {
        if let Ok(iv) = <[u8; cipher::IV_LEN]>::try_from(iv) {
            reuse.insert(reuse_key(aad, typ, pt), iv);
        }
    };
    let Ok(prev) = decrypt_parsed(
        prev_doc,
        prev_meta,
        key,
        &DecryptOptions::default(),
        &mut sink,
    ) else {
        return fresh(rng);
    };
    if same_rules && prev.document.same_as(&new_plain) {
        return Ok(Reencrypted {
            bytes: previous.to_vec(),
            outcome: Outcome::Kept,
        });
    }
    // Keep the stanzas, in the caller's recipient order.
    let age = wanted
        .iter()
        .filter_map(|r| {
            prev.metadata
                .age
                .iter()
                .find(|s| s.recipient == r.as_str())
                .cloned()
        })
        .collect::<Vec<_>>();
    if age.len() != wanted.len() {
        return fresh(rng);
    }
    let bytes = seal(&new_plain, opts, prev.data_key(), age, rng, &reuse)?;
    Ok(Reencrypted {
        bytes,
        outcome: Outcome::Updated,
    })
}

/// Whether the bytes carry the marker Flux's kustomize-controller looks for
/// before decrypting a file of this format (`mac: ENC[` in YAML,
/// `"mac": "ENC[` in JSON and binary files, `sops_mac=ENC[` in dotenv).
pub fn has_flux_marker(bytes: &[u8], format: Format) -> bool {
    let marker: &[u8] = match format {
        Format::Yaml => b"mac: ENC[",
        Format::Json | Format::Binary => b"\"mac\": \"ENC[",
        Format::Dotenv => b"sops_mac=ENC[",
    };
    bytes.windows(marker.len()).any(|w| w == marker)
}
