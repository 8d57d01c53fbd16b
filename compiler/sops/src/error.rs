//! Typed errors. No error message ever contains a plaintext value, a data
//! key, an identity or a MAC (the MAC is a hash of the secrets).

use crate::Format;

/// What went wrong reading or writing a SOPS file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a well-formed document of the expected format.
    #[error("cannot parse {format} document: {message}")]
    Parse {
        /// The format that was expected.
        format: Format,
        /// What the parser said (positions, never values).
        message: String,
    },
    /// The document root is not a map (sops only encrypts maps).
    #[error("the document root must be a map")]
    RootNotMap,
    /// The document cannot be written in this format (for example several
    /// YAML documents as JSON, or a NaN as JSON).
    #[error("cannot write the document as {format}: {message}")]
    Emit {
        /// The target format.
        format: Format,
        /// Why not.
        message: String,
    },
    /// The plaintext already has a top-level `sops` key (sops exit 203).
    #[error("the plaintext already has a top-level 'sops' key")]
    PlaintextHasSopsKey,
    /// No `sops` metadata in the file (sops exit 1 "sops metadata not found").
    #[error("sops metadata not found")]
    MetadataNotFound,
    /// The `sops` metadata is malformed or unsupported.
    #[error("invalid sops metadata: {0}")]
    InvalidMetadata(String),
    /// A rule (encrypted_regex, ...) is invalid, or more than one is set.
    #[error("invalid encryption rule: {0}")]
    InvalidRule(String),
    /// No recipient was given.
    #[error("no age recipient given")]
    NoRecipients,
    /// An age recipient or identity string does not parse.
    #[error("invalid age key: {0}")]
    InvalidKey(String),
    /// No identity opens any age stanza of the file (sops exit 128
    /// "Failed to get the data key required to decrypt the SOPS file.").
    #[error("failed to get the data key required to decrypt the SOPS file: no age identity matches any of its {stanzas} recipient stanza(s)")]
    NoMatchingIdentity {
        /// How many age stanzas the file has.
        stanzas: usize,
    },
    /// Re-encryption would have to decrypt the previous file (to compare its
    /// plaintext) but no identity was given or none opens it.
    #[error("an age identity is needed to decide whether the existing encrypted file can be kept; set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY")]
    NeedIdentity,
    /// age failed to wrap or unwrap the data key.
    #[error("age: {0}")]
    Age(String),
    /// A value failed AES-GCM authentication: it was tampered with or moved
    /// to another key path (sops exit 25).
    #[error("could not decrypt value at '{path}': AES-GCM message authentication failed")]
    Authentication {
        /// The key path, joined with `:`.
        path: String,
    },
    /// A value that the rules say is encrypted is not an `ENC[...]` string
    /// (sops exit 25 "does not match sops' data format").
    #[error("value at '{path}' should be encrypted but does not match sops' data format")]
    NotEncrypted {
        /// The key path, joined with `:`.
        path: String,
    },
    /// An `ENC[...]` string is malformed (bad base64, IV length, type...).
    #[error("malformed encrypted value at '{path}': {reason}")]
    MalformedValue {
        /// The key path, joined with `:`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The MAC could not be decrypted: tampered, or `lastmodified` changed
    /// (sops exit 51 "Cannot decrypt MAC").
    #[error("cannot decrypt MAC: AES-GCM message authentication failed (was lastmodified or the mac changed?)")]
    MacDecrypt,
    /// The file has an empty MAC (sops exit 51 "File has no MAC").
    #[error("MAC mismatch: the file has no MAC")]
    MacMissing,
    /// The MAC does not match the values: reordered, changed cleartext,
    /// swapped list items... (sops exit 51 "MAC mismatch").
    #[error("MAC mismatch: the values do not match the file's MAC (reordered, added, removed or changed values)")]
    MacMismatch,
}

impl Error {
    /// The exit code real `sops decrypt` (3.11.0) gives for the same problem.
    pub fn sops_exit_code(&self) -> i32 {
        match self {
            Error::Authentication { .. }
            | Error::NotEncrypted { .. }
            | Error::MalformedValue { .. } => 25,
            Error::MacDecrypt | Error::MacMissing | Error::MacMismatch => 51,
            Error::NoMatchingIdentity { .. } | Error::NeedIdentity => 128,
            Error::PlaintextHasSopsKey => 203,
            _ => 1,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
