//! Shared helpers for the integration tests: where the shared vectors are,
//! the TEST ONLY demo keys, and a deterministic RNG.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hlc_sops::{parse_identities, Identity, Recipient};

/// `$HLC_SHARED_DIR`, else `<repo>/../shared`.
pub fn shared_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HLC_SHARED_DIR") {
        return PathBuf::from(d);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = manifest
        .canonicalize()
        .unwrap_or_else(|_| manifest.to_path_buf());
    manifest.join("../../../shared")
}

pub fn vectors() -> PathBuf {
    shared_dir().join("vectors/sops")
}

pub fn read(rel: &str) -> Vec<u8> {
    let p = vectors().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

pub fn identity(n: u8) -> Identity {
    let text = String::from_utf8(read(&format!("keys/demo-{n}.agekey"))).expect("utf8");
    let mut ids = parse_identities(&text).expect("demo key parses");
    assert_eq!(ids.len(), 1);
    ids.remove(0)
}

pub fn recipient(n: u8) -> Recipient {
    let text = String::from_utf8(read(&format!("keys/demo-{n}.pub"))).expect("utf8");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("age1"))
        .expect("a recipient line");
    line.trim().parse().expect("recipient parses")
}

pub fn key_file(n: u8) -> PathBuf {
    vectors().join(format!("keys/demo-{n}.agekey"))
}

pub fn rng(seed: u64) -> rand_chacha::ChaCha20Rng {
    use rand_chacha::rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::seed_from_u64(seed)
}
