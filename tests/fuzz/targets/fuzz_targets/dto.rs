#![no_main]
//! libFuzzer target `dto`: see kvar::fuzzing::dto.

libfuzzer_sys::fuzz_target!(|data: &[u8]| kvar::fuzzing::dto(data));
