#![no_main]
//! libFuzzer target `cursor`: see kvar::fuzzing::cursor.

libfuzzer_sys::fuzz_target!(|data: &[u8]| kvar::fuzzing::cursor(data));
