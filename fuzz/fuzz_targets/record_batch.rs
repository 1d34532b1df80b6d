//! A produced record batch through the validation Produce runs, including
//! decompression with all four codecs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| klamm::fuzzing::record_batch(data));
