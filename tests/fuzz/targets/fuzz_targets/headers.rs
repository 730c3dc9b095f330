#![no_main]
//! libFuzzer target `headers`: see kvar::fuzzing::headers.

libfuzzer_sys::fuzz_target!(|data: &[u8]| kvar::fuzzing::headers(data));
