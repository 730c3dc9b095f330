#![no_main]
//! libFuzzer target `audit`: see kvar::fuzzing::audit.

libfuzzer_sys::fuzz_target!(|data: &[u8]| kvar::fuzzing::audit(data));
