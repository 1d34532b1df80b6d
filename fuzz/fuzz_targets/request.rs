//! One request frame: header, api/version check, wire guard and decoder,
//! for every API and version klamm advertises.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| klamm::fuzzing::request(data));
