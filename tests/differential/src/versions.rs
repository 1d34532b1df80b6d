//! The version ranges each broker advertises (ApiVersions), side by side,
//! and the versions the corpus compares: those both brokers serve and the
//! differential can write (kafka-protocol, or `newer.rs` past it).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use crate::wire::{self, Connection, Reply};

pub type Ranges = BTreeMap<i16, (i16, i16)>;

pub struct Versions {
    pub klamm: Ranges,
    pub kafka: Ranges,
}

/// Asks a broker for its ApiVersions (v3, as today's clients do).
pub fn ask(addr: SocketAddr) -> Result<Ranges, String> {
    let request = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("klamm-differential"))
        .with_client_software_version(StrBytes::from_static_str("0.1.0"));
    let mut body = BytesMut::new();
    request.encode(&mut body, 3).map_err(|e| e.to_string())?;
    let frame = wire::frame(ApiKey::ApiVersions, 3, 1, &body, false)?;
    let mut connection = Connection::open(addr)?;
    let Reply::Frame(answer) = connection.exchange(&frame, Duration::from_secs(10)) else {
        return Err(format!("no ApiVersions answer from {addr}"));
    };
    let mut answer = wire::response_body(answer, ApiKey::ApiVersions, 3, 1)?;
    let response = ApiVersionsResponse::decode(&mut answer, 3).map_err(|e| e.to_string())?;
    if response.error_code != 0 {
        return Err(format!("ApiVersions error {}", response.error_code));
    }
    Ok(response
        .api_keys
        .iter()
        .map(|k| (k.api_key, (k.min_version, k.max_version)))
        .collect())
}

pub fn api_name(key: i16) -> String {
    match ApiKey::try_from(key) {
        Ok(api) => format!("{api:?}"),
        Err(()) => format!("key {key}"),
    }
}

fn show(range: Option<&(i16, i16)>) -> String {
    match range {
        Some((min, max)) => format!("{min}–{max}"),
        None => "—".into(),
    }
}

impl Versions {
    /// The versions of `api` both brokers serve and the codec knows.
    pub fn compared(&self, api: ApiKey) -> Vec<i16> {
        let key = api as i16;
        let (Some(a), Some(b)) = (self.klamm.get(&key), self.kafka.get(&key)) else {
            return Vec::new();
        };
        let codec = api.valid_versions();
        let low = a.0.max(b.0).max(codec.min);
        let high = a.1.min(b.1).min(crate::newer::request_max(api));
        (low..=high).collect()
    }

    /// The newest compared version of `api`.
    pub fn newest(&self, api: ApiKey) -> Option<i16> {
        self.compared(api).last().copied()
    }

    /// APIs Kafka serves and klamm does not, with the newest version of
    /// each that the codec can write.
    pub fn kafka_only(&self) -> Vec<(ApiKey, i16)> {
        self.kafka
            .iter()
            .filter(|(key, _)| !self.klamm.contains_key(key))
            .filter_map(|(key, (min, max))| {
                let api = ApiKey::try_from(*key).ok()?;
                let version = (*max).min(crate::newer::request_max(api));
                (version >= *min).then_some((api, version))
            })
            .collect()
    }

    /// (api, klamm's range, Kafka's range) for every API either serves,
    /// with whether they differ.
    pub fn table(&self) -> Vec<(i16, String, String, bool)> {
        let mut keys: Vec<i16> = self
            .klamm
            .keys()
            .chain(self.kafka.keys())
            .copied()
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .map(|key| {
                let (a, b) = (self.klamm.get(&key), self.kafka.get(&key));
                (key, show(a), show(b), a != b)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compared_versions_are_the_common_range_within_the_codec() {
        let v = Versions {
            klamm: [(0, (0, 12)), (3, (0, 12)), (18, (0, 4))].into(),
            kafka: [(0, (3, 13)), (3, (0, 13)), (1, (4, 17)), (75, (0, 0))].into(),
        };
        assert_eq!(v.compared(ApiKey::Produce), (3..=12).collect::<Vec<_>>());
        assert_eq!(v.newest(ApiKey::Metadata), Some(12));
        assert!(v.compared(ApiKey::Fetch).is_empty());
        assert!(v.compared(ApiKey::ApiVersions).is_empty());
        assert_eq!(
            v.kafka_only(),
            vec![(ApiKey::Fetch, 17), (ApiKey::DescribeTopicPartitions, 0)]
        );
        let table = v.table();
        assert_eq!(table[0], (0, "0–12".into(), "3–13".into(), true));
        assert_eq!(table[1], (1, "—".into(), "4–17".into(), true));
        assert_eq!(table.len(), 5);
        assert_eq!(api_name(3), "Metadata");
        assert_eq!(api_name(999), "key 999");
    }
}
