//! Request seeds for the fuzz targets: the rich sample of every API and version klamm advertises
//! (every field set, every array with two elements), framed with a request header.
//! `KLAMM_WRITE_FUZZ_SEEDS=1 cargo test --lib fuzz_seeds` rewrites `fuzz/corpus/request` and
//! `fuzz/corpus/frame_reader`; without it the test checks that every advertised version has one.

use kafka_protocol::messages::ApiKey;

use super::corpus;
use crate::fuzzing::seed_corpus;
use crate::protocol::SUPPORTED;

const CLIENT_ID: &[u8] = b"fuzz-seed";
/// What the frame reader target reads from its first byte: how much one read returns.
const READ_CHUNK: u8 = 61;

fn framed(key: ApiKey, version: i16, body: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    frame.extend_from_slice(&(key as i16).to_be_bytes());
    frame.extend_from_slice(&version.to_be_bytes());
    frame.extend_from_slice(&7i32.to_be_bytes());
    frame.extend_from_slice(&(CLIENT_ID.len() as i16).to_be_bytes());
    frame.extend_from_slice(CLIENT_ID);
    if key.request_header_version(version) >= 2 {
        frame.push(0); // no tagged fields
    }
    frame.extend_from_slice(body);
    frame
}

#[test]
fn fuzz_seeds() {
    let mut requests = Vec::new();
    let mut streams = Vec::new();
    for &(key, min, max) in SUPPORTED {
        let mut stream = vec![READ_CHUNK];
        for version in min..=max {
            let case = corpus()
                .iter()
                .find(|c| c.api_key == key as i16 && c.version == version && c.what == "rich")
                .unwrap_or_else(|| panic!("no sample of {key:?} v{version}"));
            let frame = framed(key, version, &case.bytes);
            crate::fuzzing::request(&frame);
            if version == min || version == max {
                stream.extend_from_slice(&(frame.len() as i32).to_be_bytes());
                stream.extend_from_slice(&frame);
            }
            requests.push((format!("{key:?}-v{version}"), frame));
        }
        crate::fuzzing::frame_reader(&stream);
        streams.push((format!("{key:?}"), stream));
    }
    seed_corpus("request", &requests);
    seed_corpus("frame_reader", &streams);
}
