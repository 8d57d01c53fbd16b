//! The SOPS parser and decryptor on arbitrary bytes: see hlc_fuzz::sops.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hlc_fuzz::sops(data));
