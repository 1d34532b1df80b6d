//! The Kafka protocol: from a request frame to a response frame.
//!
//! `handle_frame` is where every request goes. It reads the header, checks
//! the api key and version against what klamm advertises (unknown keys close
//! the connection; an ApiVersions request at a version klamm does not know is
//! answered in v0 format, KIP-511), runs the wire guard so a lying count can
//! never reach kafka-protocol's decoder, decodes the body and hands it to the
//! one module that implements that API. The list of APIs below is the single
//! source of both the routing and the versions ApiVersions advertises.

mod admin;
mod codec;
mod data;
mod discovery;
pub(crate) mod error_codes;
mod groups;
mod guard;
mod newer;
mod response_errors;
pub(crate) mod response_frame;

use std::future::Future;

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};
use tracing::{debug, info, trace};

use crate::conformance::{ClientSoftware, Deviation, Seen};
use crate::state::BrokerState;
pub(crate) use codec::peek;
use codec::{encode_response, parse_header, FIXED_HEADER_LEN};
use response_errors::ErrorCodes;
use response_frame::ResponseFrame;

/// What a handler decided.
pub(crate) enum Outcome<R> {
    Respond(R),
    /// acks=0 produce: the client expects nothing back.
    NoResponse,
    /// Kafka closes the connection to signal some errors.
    Close(String),
}

/// What the connection should do with a request frame.
#[derive(Debug)]
pub(crate) enum Reply {
    Frame(ResponseFrame),
    Nothing,
    Close(String),
}

/// What a handler can see of the request it serves.
pub(crate) struct RequestContext<'a> {
    pub state: &'a BrokerState,
    pub connection: &'a Connection,
    /// The listener the connection came in on (decides advertised addresses).
    pub listener: &'a str,
    /// The (simulated) broker the connection reached.
    pub node_id: i32,
    pub api_version: i16,
    pub client_id: &'a str,
    /// The client's address as Kafka shows it (`/127.0.0.1`).
    pub client_host: &'a str,
}

impl RequestContext<'_> {
    /// Records something the request did that Kafka tolerates and the spec
    /// does not define (`protocol_conformance = "report"`).
    pub fn deviation(&self, api: ApiKey, deviation: Deviation) {
        if !self.state.conformance.enabled() {
            return;
        }
        let software = self.connection.software();
        let seen = Seen {
            software: &software,
            client_id: self.client_id,
            api_key: api as i16,
            api_name: &format!("{api:?}"),
            api_version: self.api_version,
        };
        self.state.conformance.record(&seen, &deviation);
    }

    /// Logs, once per connection and API, why a request was refused with an
    /// error (INVALID_REQUEST, an unsupported feature): the client's error
    /// often tells its user to read the broker's log.
    pub fn refused(&self, api: ApiKey, error: kafka_protocol::error::ResponseError, reason: &str) {
        if self.connection.first_refusal(api as i16) {
            let software = self.connection.software();
            info!(
                client = %self.connection.client_host,
                client_id = self.client_id,
                client_software = %format!("{}/{}", software.name, software.version),
                api = ?api,
                version = self.api_version,
                error = %crate::error_names::error_name(error.code()),
                reason,
                "request refused"
            );
        }
    }

    /// A partition's log, if the partition exists and the broker this
    /// connection reached leads it: produce and fetch go to the leader only,
    /// as in a real cluster, so clients must route by Metadata.
    pub fn led_partition(
        &self,
        topic: Option<&crate::cluster::Topic>,
        partition: i32,
    ) -> Result<std::sync::Arc<crate::storage::PartitionLog>, kafka_protocol::error::ResponseError>
    {
        use kafka_protocol::error::ResponseError;
        let topic = topic.ok_or(ResponseError::UnknownTopicOrPartition)?;
        let log = topic
            .partition(partition)
            .ok_or(ResponseError::UnknownTopicOrPartition)?;
        if self.state.cluster.leader(topic, partition) != self.node_id {
            return Err(ResponseError::NotLeaderOrFollower);
        }
        Ok(log)
    }

    /// The group coordinator, if this broker is it; other brokers answer
    /// group requests with NOT_COORDINATOR.
    pub fn groups(&self) -> Result<&crate::group::GroupCoordinator, crate::group::GroupError> {
        if self.state.cluster.coordinator_id() == self.node_id {
            Ok(&self.state.groups)
        } else {
            Err(crate::group::GroupError::NotCoordinator)
        }
    }
}

/// One Kafka API: its key, the versions klamm implements, and the handler.
pub(crate) trait Handler {
    const KEY: ApiKey;
    const MIN_VERSION: i16;
    const MAX_VERSION: i16;
    /// The oldest version ApiVersions advertises, when Kafka advertises
    /// versions it no longer serves (Produce v0-2); requests at those
    /// versions close the connection, as Kafka's do.
    const ADVERTISED_MIN: i16 = Self::MIN_VERSION;
    /// Whether the request can wait (long poll), so the connection flushes
    /// earlier responses before running it.
    const MAY_WAIT: bool = false;
    type Request: Decodable + Send;
    type Response: Encodable + HeaderVersion + ErrorCodes;

    fn handle(
        ctx: &RequestContext<'_>,
        request: Self::Request,
    ) -> impl Future<Output = Outcome<Self::Response>> + Send;

    /// Record sets in the response, sent by reference rather than copied
    /// into the frame.
    fn payloads(_response: &Self::Response) -> Vec<Bytes> {
        Vec::new()
    }
}

macro_rules! apis {
    ($($family:ident :: $module:ident),* $(,)?) => {
        /// Every API klamm implements: (key, min version, max version).
        pub(crate) const SUPPORTED: &[(ApiKey, i16, i16)] = &[
            $((<$family::$module::Api as Handler>::KEY, <$family::$module::Api as Handler>::MIN_VERSION, <$family::$module::Api as Handler>::MAX_VERSION),)*
        ];

        /// What ApiVersions lists: (key, oldest advertised version, max version).
        pub(crate) const ADVERTISED: &[(ApiKey, i16, i16)] = &[
            $((<$family::$module::Api as Handler>::KEY, <$family::$module::Api as Handler>::ADVERTISED_MIN, <$family::$module::Api as Handler>::MAX_VERSION),)*
        ];

        /// Whether a request with this api key may wait before answering.
        pub(crate) fn may_wait(api_key: i16) -> bool {
            $(if api_key == <$family::$module::Api as Handler>::KEY as i16 {
                return <$family::$module::Api as Handler>::MAY_WAIT;
            })*
            false
        }

        async fn route(state: &BrokerState, connection: &Connection, header: &codec::RequestHeader, body: Bytes) -> Reply {
            $(if header.api_key == <$family::$module::Api as Handler>::KEY as i16 {
                return run::<$family::$module::Api>(state, connection, header, body).await;
            })*
            Reply::Close(format!("api key {} is not implemented", header.api_key))
        }

        /// Guards and decodes a request without handling it: what the fuzz
        /// targets run for every API.
        pub(crate) fn check_and_decode(header: &codec::RequestHeader, body: &Bytes) -> Result<(), DecodeError> {
            $(if header.api_key == <$family::$module::Api as Handler>::KEY as i16 {
                return decode::<$family::$module::Api>(header.api_version, body).map(drop);
            })*
            Err(DecodeError::Guard(format!("api key {} is not implemented", header.api_key)))
        }
    };
}

// Where each request goes: `family::module`, one module per API.
apis! {
    data::produce,
    data::fetch,
    data::list_offsets,
    discovery::metadata,
    discovery::api_versions,
    admin::create_topics,
    admin::delete_topics,
    data::offset_for_leader_epoch,
    discovery::find_coordinator,
    groups::join_group,
    groups::sync_group,
    groups::heartbeat,
    groups::leave_group,
    groups::offset_commit,
    groups::offset_fetch,
    groups::list_groups,
    groups::describe_groups,
    groups::delete_groups,
    groups::offset_delete,
    discovery::describe_cluster,
    data::delete_records,
    admin::create_partitions,
    admin::describe_configs,
    admin::alter_configs,
    admin::incremental_alter_configs,
    admin::describe_log_dirs,
    data::init_producer_id,
    admin::alter_replica_log_dirs,
    admin::elect_leaders,
    admin::alter_partition_reassignments,
    admin::list_partition_reassignments,
    admin::describe_client_quotas,
    admin::alter_client_quotas,
    admin::describe_quorum,
    admin::update_features,
    admin::describe_producers,
    admin::unregister_broker,
    admin::list_config_resources,
    admin::describe_topic_partitions,
    admin::add_raft_voter,
    admin::remove_raft_voter,
}

fn supported_versions(api_key: i16) -> Option<(ApiKey, i16, i16)> {
    SUPPORTED
        .iter()
        .copied()
        .find(|(key, _, _)| *key as i16 == api_key)
}

fn advertised_min(key: ApiKey) -> i16 {
    ADVERTISED
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(i16::MAX, |(_, min, _)| *min)
}

/// Answers one request frame.
pub(crate) async fn handle_frame(
    state: &BrokerState,
    connection: &Connection,
    frame: Bytes,
) -> Reply {
    match checked_header(&frame) {
        Ok((header, body_start)) => {
            route(state, connection, &header, frame.slice(body_start..)).await
        }
        Err(reply) => reply,
    }
}

/// The header of a request klamm serves at that version, and where its body
/// starts; otherwise the reply that ends the exchange.
pub(crate) fn checked_header(frame: &[u8]) -> Result<(codec::RequestHeader, usize), Reply> {
    let Some((api_key, api_version, correlation_id)) = peek(frame) else {
        return Err(Reply::Close(format!(
            "frame of {} bytes is shorter than a request header",
            frame.len()
        )));
    };
    let Some((key, min, max)) = supported_versions(api_key) else {
        return Err(Reply::Close(format!(
            "unknown or unsupported api key {api_key}"
        )));
    };
    if !(min..=max).contains(&api_version) {
        if key == ApiKey::ApiVersions {
            return Err(discovery::api_versions::unsupported_version_reply(
                correlation_id,
            ));
        }
        if api_version >= 0 && api_version < min && advertised_min(key) <= api_version {
            return Err(Reply::Close(format!(
                "{key:?} v{api_version} is advertised, as Kafka 4 advertises it for librdkafka (KAFKA-18659), but not served: klamm serves v{min}-v{max}"
            )));
        }
        return Err(Reply::Close(format!(
            "{key:?} v{api_version} is not supported (klamm serves v{min}-v{max})"
        )));
    }
    let flexible = key.request_header_version(api_version) >= 2;
    let (header, body_start) = parse_header(frame, flexible)
        .map_err(|e| Reply::Close(format!("{key:?} v{api_version}: {e}")))?;
    debug_assert!(body_start >= FIXED_HEADER_LEN);
    Ok((header, body_start))
}

/// What a request needs to know about its connection.
pub(crate) struct Connection {
    pub listener: std::sync::Arc<str>,
    pub node_id: i32,
    /// The peer's address as Kafka shows it (`/127.0.0.1`).
    pub client_host: String,
    /// What the client announced in ApiVersions v3+, for the conformance
    /// report and the log.
    software: std::sync::Mutex<ClientSoftware>,
    /// One bit per api key whose refusal this connection has logged: a
    /// refusal is logged once per connection and API, not per request.
    refusals_logged: [std::sync::atomic::AtomicU64; 2],
}

impl Connection {
    pub fn new(listener: std::sync::Arc<str>, node_id: i32, client_host: String) -> Self {
        Self {
            listener,
            node_id,
            client_host,
            software: std::sync::Mutex::new(ClientSoftware::default()),
            refusals_logged: Default::default(),
        }
    }

    pub fn software(&self) -> ClientSoftware {
        self.software.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn set_software(&self, name: &str, version: &str) {
        if let Ok(mut software) = self.software.lock() {
            *software = ClientSoftware {
                name: name.into(),
                version: version.into(),
            };
        }
    }

    /// Whether this is the first refusal of `api_key` on this connection
    /// (and marks it logged).
    fn first_refusal(&self, api_key: i16) -> bool {
        use std::sync::atomic::Ordering;
        let Ok(bit) = usize::try_from(api_key) else {
            return true;
        };
        let Some(word) = self.refusals_logged.get(bit / 64) else {
            return true;
        };
        let mask = 1u64 << (bit % 64);
        word.fetch_or(mask, Ordering::Relaxed) & mask == 0
    }
}

async fn run<H: Handler>(
    state: &BrokerState,
    connection: &Connection,
    header: &codec::RequestHeader,
    body: Bytes,
) -> Reply {
    // The one place requests and errors are counted, for `/metrics`.
    let metrics = &state.metrics;
    metrics.request(H::KEY as i16);
    let reply = answer::<H>(state, connection, header, body).await;
    if let Reply::Close(_) = reply {
        metrics.closed(H::KEY as i16);
    }
    reply
}

async fn answer<H: Handler>(
    state: &BrokerState,
    connection: &Connection,
    header: &codec::RequestHeader,
    body: Bytes,
) -> Reply {
    let version = header.api_version;
    trace!(api = ?H::KEY, version, client = ?header.client_id, bytes = body.len(), "request");
    let client_id = header.client_id.as_deref().unwrap_or_default();
    let request = match decode::<H>(version, &body) {
        Ok(decoded) => {
            if state.conformance.enabled() && !decoded.deviations.is_empty() {
                let software = connection.software();
                let seen = Seen {
                    software: &software,
                    client_id,
                    api_key: H::KEY as i16,
                    api_name: &format!("{:?}", H::KEY),
                    api_version: version,
                };
                for deviation in &decoded.deviations {
                    state.conformance.record(&seen, deviation);
                }
            }
            decoded.request
        }
        Err(DecodeError::Guard(reason) | DecodeError::Decoder(reason)) => {
            return Reply::Close(reason)
        }
    };
    let ctx = RequestContext {
        state,
        connection,
        listener: &connection.listener,
        node_id: connection.node_id,
        api_version: version,
        client_id,
        client_host: &connection.client_host,
    };
    match H::handle(&ctx, request).await {
        Outcome::Respond(response) => {
            response.each_error(&mut |code| state.metrics.error(H::KEY as i16, code));
            let payloads = H::payloads(&response);
            match encode_response(header.correlation_id, version, &response, payloads) {
                Ok(frame) => Reply::Frame(frame),
                Err(e) => {
                    debug!(api = ?H::KEY, version, error = %e, "closing the connection");
                    Reply::Close(e.to_string())
                }
            }
        }
        Outcome::NoResponse => Reply::Nothing,
        Outcome::Close(reason) => Reply::Close(reason),
    }
}

/// Why a request body was not decoded: the guard refused it, or (which the
/// guard should make impossible) the guard let it through and the decoder
/// refused it.
#[derive(Debug)]
pub(crate) enum DecodeError {
    Guard(String),
    Decoder(String),
}

/// A decoded request and what it did that Kafka tolerates.
pub(crate) struct Decoded<R> {
    pub request: R,
    pub deviations: Vec<Deviation>,
}

/// Runs the wire guard over a body, then kafka-protocol's decoder: the
/// guard first, so a lying count never reaches `Vec::with_capacity`.
/// Bytes after the body are ignored, as Kafka ignores them (librdkafka 2.1+
/// sends three after its Metadata v12 requests); they, unknown tagged
/// fields and non-canonical varints come back as deviations.
fn decode<H: Handler>(version: i16, body: &Bytes) -> Result<Decoded<H::Request>, DecodeError> {
    let mut notes = guard::Notes::default();
    let used = guard::check_request_body_noting(H::KEY as i16, version, body, &mut notes)
        .map_err(|e| DecodeError::Guard(format!("{:?} v{version}: {e}", H::KEY)))?;
    let mut deviations: Vec<Deviation> = notes
        .iter()
        .map(|note| match *note {
            guard::Note::UnknownTag { within, tag } => {
                Deviation::UnknownTaggedField { within, tag }
            }
            guard::Note::NonCanonicalVarint { within, field } => {
                Deviation::NonCanonicalVarint { within, field }
            }
        })
        .collect();
    if used < body.len() {
        deviations.push(Deviation::TrailingBytes {
            bytes: body.len() - used,
        });
    }
    let request = H::Request::decode(&mut body.slice(..used), version).map_err(|e| {
        DecodeError::Decoder(format!("{:?} v{version} does not decode: {e}", H::KEY))
    })?;
    Ok(Decoded {
        request,
        deviations,
    })
}

/// Kafka's value for "authorized operations were not requested".
pub(crate) const OPERATIONS_NOT_REQUESTED: i32 = i32::MIN;

#[cfg(test)]
mod tests {
    use super::*;

    /// Versions advertised below what a handler serves (Produce v0-2, as
    /// Kafka 4 advertises them) never reach the guard or a decoder: the
    /// header check closes the connection, saying why.
    #[test]
    fn versions_advertised_but_not_served_close_before_the_guard() {
        let mut unserved = 0;
        for ((key, advertised_min, max), (_, min, served_max)) in ADVERTISED.iter().zip(SUPPORTED) {
            assert_eq!(max, served_max, "{key:?}");
            for version in *advertised_min..*min {
                unserved += 1;
                let mut frame = Vec::new();
                frame.extend_from_slice(&(*key as i16).to_be_bytes());
                frame.extend_from_slice(&version.to_be_bytes());
                frame.extend_from_slice(&[0, 0, 0, 1, 0xff, 0xff]);
                match checked_header(&frame) {
                    Err(Reply::Close(reason)) => {
                        assert!(
                            reason.contains("advertised"),
                            "{key:?} v{version}: {reason}"
                        )
                    }
                    other => panic!("{key:?} v{version}: {other:?}"),
                }
            }
        }
        assert_eq!(unserved, 3, "Produce v0-2");
    }
}
