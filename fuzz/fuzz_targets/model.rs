//! Model decoding (then checking and rendering) of arbitrary JSON: see hlc_fuzz::model.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hlc_fuzz::model(data));
