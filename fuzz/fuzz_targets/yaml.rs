//! The YAML emitter, read back by a YAML 1.2 reader: see hlc_fuzz::yaml.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hlc_fuzz::yaml(data));
