//! Bytes from a socket, split into request frames; every frame goes on to
//! the request checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| klamm::fuzzing::frame_reader(data));
