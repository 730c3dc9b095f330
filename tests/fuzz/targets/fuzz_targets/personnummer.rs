#![no_main]
//! libFuzzer target `personnummer`: see kvar::fuzzing::personnummer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| kvar::fuzzing::personnummer(data));
