//! What a run needs to know of the cluster before it starts: the versions
//! the broker speaks, the topic's partitions and their leaders (created if
//! missing), and each partition's end offset. Works against any broker, so
//! that the same run can be pointed at klamm, Kafka, Redpanda or Tansu.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, BrokerId, CreateTopicsRequest, ListOffsetsRequest, MetadataRequest,
    TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::connection::Connection;
use crate::error::{check, BenchError};

/// The newest version of each API the tool speaks; the broker may cap it.
const WANTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 9),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 7),
    (ApiKey::Metadata, 1, 12),
    (ApiKey::CreateTopics, 2, 7),
];

/// The versions to use and the topic's layout (the topic created if it
/// does not exist), asked of the bootstrap broker.
pub async fn prepare(common: &crate::Common) -> Result<(Versions, Layout), BenchError> {
    let mut bootstrap = Connection::connect(&common.bootstrap).await?;
    let versions = versions(&mut bootstrap).await?;
    let layout = layout(&mut bootstrap, &versions, common).await?;
    Ok((versions, layout))
}

/// The versions used with this broker.
#[derive(Clone, Debug)]
pub struct Versions(BTreeMap<i16, i16>);

impl Versions {
    pub fn of(&self, key: ApiKey) -> i16 {
        self.0.get(&(key as i16)).copied().unwrap_or(0)
    }
}

pub async fn versions(connection: &mut Connection) -> Result<Versions, BenchError> {
    let request = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("klamm-bench"))
        .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
    let answer = connection.call(3, &request).await?;
    check(answer.error_code, || "ApiVersions".into())?;
    let mut chosen = BTreeMap::new();
    for (key, min, max) in WANTED {
        let offered = answer.api_keys.iter().find(|k| k.api_key == *key as i16);
        let version = offered
            .map(|k| k.max_version.min(*max))
            .filter(|v| *v >= *min && offered.is_some_and(|k| k.min_version <= *v))
            .ok_or_else(|| {
                BenchError::Protocol(format!("the broker does not serve {key:?} v{min}-v{max}"))
            })?;
        chosen.insert(*key as i16, version);
    }
    Ok(Versions(chosen))
}

/// A topic's partitions and the address of each one's leader.
#[derive(Clone, Debug)]
pub struct Layout {
    pub topic: String,
    pub leaders: Vec<(i32, String)>,
}

impl Layout {
    /// Partitions grouped by leader address.
    pub fn by_leader(&self) -> BTreeMap<String, Vec<i32>> {
        let mut grouped: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for (partition, leader) in &self.leaders {
            grouped.entry(leader.clone()).or_default().push(*partition);
        }
        grouped
    }
}

pub fn topic_name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

/// The topic's layout, creating it with the partitions and topic configs of
/// `common` if it does not exist.
pub async fn layout(
    connection: &mut Connection,
    versions: &Versions,
    common: &crate::Common,
) -> Result<Layout, BenchError> {
    let topic = common.topic.as_str();
    for attempt in 0..20 {
        let request = MetadataRequest::default()
            .with_topics(Some(vec![
                MetadataRequestTopic::default().with_name(Some(topic_name(topic)))
            ]))
            .with_allow_auto_topic_creation(false);
        let answer = connection
            .call(versions.of(ApiKey::Metadata), &request)
            .await?;
        let brokers: BTreeMap<BrokerId, String> = answer
            .brokers
            .iter()
            .map(|b| (b.node_id, format!("{}:{}", b.host, b.port)))
            .collect();
        let Some(described) = answer.topics.first() else {
            return Err(BenchError::Protocol("Metadata without the topic".into()));
        };
        if attempt == 0 && described.error_code == 0 && !common.topic_configs.is_empty() {
            eprintln!(
                "klamm-bench: topic {topic} exists; its own configs apply, not --topic-config"
            );
        }
        const UNKNOWN_TOPIC: i16 = 3;
        const LEADER_NOT_AVAILABLE: i16 = 5;
        match described.error_code {
            0 if !described.partitions.is_empty() => {
                let mut leaders = Vec::with_capacity(described.partitions.len());
                for p in &described.partitions {
                    let Some(address) = brokers.get(&p.leader_id) else {
                        return Err(BenchError::Protocol(format!(
                            "partition {} has no known leader",
                            p.partition_index
                        )));
                    };
                    leaders.push((p.partition_index, address.clone()));
                }
                leaders.sort();
                return Ok(Layout {
                    topic: topic.to_string(),
                    leaders,
                });
            }
            UNKNOWN_TOPIC if attempt == 0 => create(connection, versions, common).await?,
            0 | UNKNOWN_TOPIC | LEADER_NOT_AVAILABLE => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            code => check(code, || format!("Metadata of {topic}"))?,
        }
    }
    Err(BenchError::Protocol(format!(
        "topic {topic} did not become available"
    )))
}

async fn create(
    connection: &mut Connection,
    versions: &Versions,
    common: &crate::Common,
) -> Result<(), BenchError> {
    let topic = common.topic.as_str();
    let configs = common
        .topic_configs
        .iter()
        .map(|(key, value)| {
            CreatableTopicConfig::default()
                .with_name(StrBytes::from_string(key.clone()))
                .with_value(Some(StrBytes::from_string(value.clone())))
        })
        .collect();
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(topic_name(topic))
            .with_num_partitions(common.partitions)
            .with_replication_factor(1)
            .with_configs(configs)]);
    let answer = connection
        .call(versions.of(ApiKey::CreateTopics), &request)
        .await?;
    const TOPIC_EXISTS: i16 = 36;
    match answer.topics.first().map(|t| t.error_code) {
        Some(0) | Some(TOPIC_EXISTS) => Ok(()),
        Some(code) => check(code, || format!("CreateTopics {topic}")),
        None => Err(BenchError::Protocol("CreateTopics without a result".into())),
    }
}

/// The next offset of each partition (ListOffsets latest), asked of each
/// partition's leader.
pub async fn end_offsets(
    layout: &Layout,
    versions: &Versions,
) -> Result<BTreeMap<i32, i64>, BenchError> {
    let mut ends = BTreeMap::new();
    for (leader, partitions) in layout.by_leader() {
        let mut connection = Connection::connect(&leader).await?;
        let request = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![ListOffsetsTopic::default()
                .with_name(topic_name(&layout.topic))
                .with_partitions(
                    partitions
                        .iter()
                        .map(|p| {
                            ListOffsetsPartition::default()
                                .with_partition_index(*p)
                                .with_timestamp(-1)
                        })
                        .collect(),
                )]);
        let answer = connection
            .call(versions.of(ApiKey::ListOffsets), &request)
            .await?;
        for topic in &answer.topics {
            for p in &topic.partitions {
                check(p.error_code, || {
                    format!("ListOffsets partition {}", p.partition_index)
                })?;
                ends.insert(p.partition_index, p.offset);
            }
        }
    }
    Ok(ends)
}
