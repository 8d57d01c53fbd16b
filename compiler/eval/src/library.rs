//! The embedded Nickel library.

use sha2::{Digest, Sha256};

include!(concat!(env!("OUT_DIR"), "/library.rs"));

/// Every library file: (path relative to `lib/`, contents), sorted by path.
pub fn library_files() -> &'static [(&'static str, &'static str)] {
    LIBRARY
}

pub fn library_file(rel: &str) -> Option<&'static str> {
    LIBRARY
        .binary_search_by(|(p, _)| (*p).cmp(rel))
        .ok()
        .map(|i| LIBRARY[i].1)
}

/// sha256 over every library file's path and contents (length-prefixed), hex.
pub fn library_digest() -> String {
    let mut h = Sha256::new();
    for (p, c) in LIBRARY {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
        h.update((c.len() as u64).to_le_bytes());
        h.update(c.as_bytes());
    }
    hex::encode(h.finalize())
}
