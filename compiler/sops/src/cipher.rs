//! One encrypted value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`.
//!
//! AES-256-GCM with a 32-byte IV (sops uses `NewGCMWithNonceSize(aes, 32)`)
//! and the key path joined by `:` plus a trailing `:` as authenticated data.

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce, Tag};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// AES-256-GCM with sops's 32-byte nonce.
type SopsGcm = AesGcm<Aes256, U32>;

/// Length of every IV sops writes.
pub(crate) const IV_LEN: usize = 32;

/// The parsed fields of an `ENC[...]` string.
pub(crate) struct EncValue {
    pub data: Vec<u8>,
    pub iv: Vec<u8>,
    pub tag: Vec<u8>,
    pub typ: String,
}

const PREFIX: &str = "ENC[AES256_GCM,data:";

/// Whether a string has the shape of a sops-encrypted value.
pub(crate) fn looks_encrypted(s: &str) -> bool {
    s.starts_with(PREFIX)
}

/// Parses `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]`.
pub(crate) fn parse(s: &str) -> Result<EncValue, String> {
    let body = s
        .strip_prefix(PREFIX)
        .and_then(|b| b.strip_suffix(']'))
        .ok_or("not an ENC[AES256_GCM,...] value")?;
    let (data, rest) = body.split_once(",iv:").ok_or("missing iv")?;
    let (iv, rest) = rest.split_once(",tag:").ok_or("missing tag")?;
    let (tag, typ) = rest.split_once(",type:").ok_or("missing type")?;
    let dec = |what: &str, v: &str| {
        B64.decode(v)
            .map_err(|_| format!("{what} is not valid base64"))
    };
    let v = EncValue {
        data: dec("data", data)?,
        iv: dec("iv", iv)?,
        tag: dec("tag", tag)?,
        typ: typ.to_string(),
    };
    if v.data.is_empty() {
        return Err("empty data".into());
    }
    if v.iv.len() != IV_LEN {
        return Err(format!("iv is {} bytes, expected {IV_LEN}", v.iv.len()));
    }
    if v.tag.len() != 16 {
        return Err(format!("tag is {} bytes, expected 16", v.tag.len()));
    }
    if v.typ.is_empty() || v.typ.contains([']', ',']) {
        return Err("bad type".into());
    }
    Ok(v)
}

/// Encrypts `plaintext` and formats the `ENC[...]` string.
pub(crate) fn encrypt(
    key: &[u8; 32],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    plaintext: &[u8],
    typ: &str,
) -> String {
    let cipher = SopsGcm::new(key.into());
    let mut buf = plaintext.to_vec();
    // Encryption only fails for inputs beyond GCM's ~64 GiB limit.
    let tag = cipher
        .encrypt_in_place_detached(Nonce::<U32>::from_slice(iv), aad, &mut buf)
        .unwrap_or_default();
    format!(
        "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{typ}]",
        B64.encode(&buf),
        B64.encode(iv),
        B64.encode(tag)
    )
}

/// Decrypts a parsed value; `None` when authentication fails.
pub(crate) fn decrypt(key: &[u8; 32], v: &EncValue, aad: &[u8]) -> Option<Vec<u8>> {
    if v.iv.len() != IV_LEN || v.tag.len() != 16 {
        return None;
    }
    let cipher = SopsGcm::new(key.into());
    let mut buf = v.data.clone();
    cipher
        .decrypt_in_place_detached(
            Nonce::<U32>::from_slice(&v.iv),
            aad,
            &mut buf,
            Tag::from_slice(&v.tag),
        )
        .ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_aad_binding() {
        let key = [7u8; 32];
        let iv = [9u8; 32];
        let s = encrypt(&key, &iv, b"a:b:", b"hunter2", "str");
        assert!(s.starts_with("ENC[AES256_GCM,data:") && s.ends_with(",type:str]"));
        let v = parse(&s).expect("parses");
        assert_eq!(decrypt(&key, &v, b"a:b:").as_deref(), Some(&b"hunter2"[..]));
        assert!(
            decrypt(&key, &v, b"a:c:").is_none(),
            "AAD must bind the path"
        );
        assert!(decrypt(&[8u8; 32], &v, b"a:b:").is_none());
    }

    #[test]
    fn malformed_values_are_errors() {
        for s in [
            "ENC[AES256_GCM,data:,iv:AA==,tag:AA==,type:str]",
            "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]",
            "ENC[AES256_GCM,data:AA==,iv:!!,tag:AA==,type:str]",
            "ENC[AES256_GCM,data:AA==]",
            "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str",
        ] {
            assert!(parse(s).is_err(), "{s}");
        }
    }
}
