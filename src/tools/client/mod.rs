//! The tools' view of a cluster: bootstrap, Metadata, a connection per
//! broker, and routing — partition requests to the partition's leader,
//! group requests to the group's coordinator, admin requests to the
//! controller — with fresh metadata and a retry when the broker says it
//! moved (NOT_LEADER_OR_FOLLOWER, NOT_COORDINATOR).

mod connection;
pub mod offsets;

use std::collections::BTreeMap;
use std::time::Duration;

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    FindCoordinatorRequest, GroupId, MetadataRequest, MetadataResponse, TopicName,
};
use kafka_protocol::protocol::{Request, StrBytes};

pub use connection::Connection;

use super::error::ToolError;

/// How often a request is retried after the cluster said "not here".
pub const RETRIES: usize = 8;
/// Pause before a retry, so a coordinator that is loading can finish.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(200);

/// A partition as Metadata describes it.
#[derive(Clone, Debug)]
pub struct PartitionInfo {
    pub index: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub error_code: i16,
}

/// A topic as Metadata describes it.
#[derive(Clone, Debug)]
pub struct TopicInfo {
    pub name: String,
    pub id: String,
    pub internal: bool,
    /// Sorted by index.
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    /// Partitions grouped by their leader's node id (-1: no leader now).
    pub fn by_leader(&self, partitions: impl IntoIterator<Item = i32>) -> BTreeMap<i32, Vec<i32>> {
        let mut by_leader: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
        for p in partitions {
            let leader = self
                .partitions
                .iter()
                .find(|i| i.index == p)
                .map_or(-1, |i| i.leader);
            by_leader.entry(leader).or_default().push(p);
        }
        by_leader
    }
}

/// Retries of partition requests after the cluster said "not here"
/// (leader moved, no leader yet): bounded, with a pause between.
#[derive(Default)]
pub struct Retries {
    attempt: usize,
}

impl Retries {
    /// Waits before the next attempt, or gives up with the last error.
    pub async fn wait(
        &mut self,
        topic: &str,
        last_error: Option<ToolError>,
    ) -> Result<(), ToolError> {
        self.attempt += 1;
        if self.attempt > RETRIES {
            return Err(last_error.unwrap_or_else(|| {
                ToolError::Failed(format!("topic {topic} has partitions without a leader"))
            }));
        }
        tokio::time::sleep(RETRY_BACKOFF).await;
        Ok(())
    }
}

pub struct Client {
    bootstrap: String,
    /// The connection everything without a fixed destination goes to.
    any: Connection,
    /// node id → `host:port` from the latest Metadata.
    brokers: BTreeMap<i32, String>,
    /// Open connections by node id.
    connections: BTreeMap<i32, Connection>,
    controller: i32,
    /// Group → coordinator node id, until the cluster says it moved.
    coordinators: BTreeMap<String, i32>,
}

pub fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

pub fn topic_name(s: &str) -> TopicName {
    TopicName(str_bytes(s))
}

impl Client {
    /// Connects to the first reachable address of a comma-separated list.
    pub async fn connect(bootstrap: &str) -> Result<Client, ToolError> {
        let mut last = String::from("no address given");
        for address in bootstrap
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            match Connection::open(address).await {
                Ok(any) => {
                    let mut client = Client {
                        bootstrap: bootstrap.to_string(),
                        any,
                        brokers: BTreeMap::new(),
                        connections: BTreeMap::new(),
                        controller: -1,
                        coordinators: BTreeMap::new(),
                    };
                    client.metadata(Some(&[])).await?;
                    return Ok(client);
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(ToolError::Unreachable {
            bootstrap: bootstrap.to_string(),
            reason: last,
        })
    }

    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The bootstrap connection (for requests any broker answers).
    pub fn any(&mut self) -> &mut Connection {
        &mut self.any
    }

    /// Every broker's node id, from the latest Metadata.
    pub fn node_ids(&self) -> Vec<i32> {
        self.brokers.keys().copied().collect()
    }

    /// Metadata for some topics (`None`: all), without creating any.
    pub async fn metadata(
        &mut self,
        topics: Option<&[&str]>,
    ) -> Result<MetadataResponse, ToolError> {
        self.metadata_creating(topics, false).await
    }

    /// Metadata that creates the named topics if the broker auto-creates
    /// topics (what a producer asks for).
    async fn metadata_creating(
        &mut self,
        topics: Option<&[&str]>,
        auto_create: bool,
    ) -> Result<MetadataResponse, ToolError> {
        let version = self.any.version::<MetadataRequest>(1, 12)?;
        let request = MetadataRequest::default()
            .with_topics(topics.map(|names| {
                names
                    .iter()
                    .map(|n| MetadataRequestTopic::default().with_name(Some(topic_name(n))))
                    .collect()
            }))
            .with_allow_auto_topic_creation(auto_create);
        let response = self.any.call(version, &request).await?;
        self.brokers = response
            .brokers
            .iter()
            .map(|b| (b.node_id.0, format!("{}:{}", &*b.host, b.port)))
            .collect();
        self.controller = response.controller_id.0;
        Ok(response)
    }

    /// One topic's partitions and their leaders; an error naming the topic
    /// if it does not exist.
    pub async fn topic(&mut self, name: &str) -> Result<TopicInfo, ToolError> {
        self.topic_creating(name, false).await
    }

    /// Like [`Client::topic`]; with `auto_create` the broker may create it,
    /// and a topic whose leaders are still being elected is waited for.
    pub async fn topic_creating(
        &mut self,
        name: &str,
        auto_create: bool,
    ) -> Result<TopicInfo, ToolError> {
        let mut attempt = 0;
        loop {
            match self.topic_once(name, auto_create).await {
                Err(e) if e.is_retriable() && attempt < RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(RETRY_BACKOFF).await;
                }
                result => return result,
            }
        }
    }

    async fn topic_once(&mut self, name: &str, auto_create: bool) -> Result<TopicInfo, ToolError> {
        let response = self.metadata_creating(Some(&[name]), auto_create).await?;
        let topic = response.topics.into_iter().next().ok_or_else(|| {
            ToolError::Failed(format!("the broker sent no metadata for topic {name}"))
        })?;
        ToolError::check(topic.error_code, None, || format!("topic {name}"))?;
        Ok(topic_info(topic))
    }

    /// Every topic the cluster has, sorted by name.
    pub async fn topics(&mut self) -> Result<Vec<TopicInfo>, ToolError> {
        let response = self.metadata(None).await?;
        let mut topics: Vec<TopicInfo> = response
            .topics
            .into_iter()
            .filter(|t| t.error_code == 0)
            .map(topic_info)
            .collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(topics)
    }

    /// The connection to a broker, opened on first use.
    pub async fn broker(&mut self, node_id: i32) -> Result<&mut Connection, ToolError> {
        if !self.connections.contains_key(&node_id) {
            let address = self.brokers.get(&node_id).cloned().ok_or_else(|| {
                ToolError::Failed(format!("broker {node_id} is not in the cluster's metadata"))
            })?;
            let connection = Connection::open(&address).await?;
            self.connections.insert(node_id, connection);
        }
        self.connections
            .get_mut(&node_id)
            .ok_or_else(|| ToolError::Failed(format!("no connection to broker {node_id}")))
    }

    /// Forgets a broker's connection (after it failed), so the next use
    /// reconnects.
    pub fn drop_broker(&mut self, node_id: i32) {
        self.connections.remove(&node_id);
    }

    /// Forgets every broker connection, e.g. after a request on one was
    /// abandoned halfway.
    pub fn drop_brokers(&mut self) {
        self.connections.clear();
    }

    /// The controller, where topic admin requests go.
    pub async fn controller(&mut self) -> Result<&mut Connection, ToolError> {
        if self.controller < 0 || !self.brokers.contains_key(&self.controller) {
            return Ok(&mut self.any);
        }
        let controller = self.controller;
        self.broker(controller).await
    }

    /// The node id of a group's coordinator, waiting (bounded) while the
    /// cluster says none is available yet.
    pub async fn coordinator(&mut self, group: &str) -> Result<i32, ToolError> {
        if let Some(&node) = self.coordinators.get(group) {
            return Ok(node);
        }
        let version = self.any.version::<FindCoordinatorRequest>(1, 3)?;
        let request = FindCoordinatorRequest::default()
            .with_key(str_bytes(group))
            .with_key_type(0);
        let mut attempt = 0;
        loop {
            let response = self.any.call(version, &request).await?;
            let result = ToolError::check(
                response.error_code,
                response.error_message.as_deref(),
                || format!("cannot find the coordinator of group {group}"),
            );
            match result {
                Ok(()) => {
                    let node_id = response.node_id.0;
                    let address = format!("{}:{}", &*response.host, response.port);
                    if self.brokers.get(&node_id) != Some(&address) {
                        self.connections.remove(&node_id);
                        self.brokers.insert(node_id, address);
                    }
                    self.coordinators.insert(group.to_string(), node_id);
                    return Ok(node_id);
                }
                Err(e) if e.is_retriable() && attempt < RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(RETRY_BACKOFF).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends a group request to the group's coordinator, finding it again
    /// and retrying if the answer is NOT_COORDINATOR or COORDINATOR_*.
    /// `code` extracts the response's group-level error code.
    pub async fn group_call<R: Request + Clone>(
        &mut self,
        group: &str,
        lowest: i16,
        preferred: i16,
        request: &R,
        code: fn(&R::Response) -> i16,
    ) -> Result<(R::Response, i16), ToolError> {
        let mut attempt = 0;
        loop {
            let node = self.coordinator(group).await?;
            let connection = self.broker(node).await?;
            let version = connection.version::<R>(lowest, preferred)?;
            let response = match connection.call(version, request).await {
                Ok(response) => response,
                Err(ToolError::Connection { .. }) if attempt < RETRIES => {
                    self.drop_broker(node);
                    self.coordinators.remove(group);
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let error = code(&response);
            // NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS.
            if matches!(error, 14..=16) && attempt < RETRIES {
                self.coordinators.remove(group);
                attempt += 1;
                tokio::time::sleep(RETRY_BACKOFF).await;
                continue;
            }
            return Ok((response, version));
        }
    }
}

fn topic_info(
    topic: kafka_protocol::messages::metadata_response::MetadataResponseTopic,
) -> TopicInfo {
    let mut partitions: Vec<PartitionInfo> = topic
        .partitions
        .iter()
        .map(|p| PartitionInfo {
            index: p.partition_index,
            leader: p.leader_id.0,
            replicas: p.replica_nodes.iter().map(|n| n.0).collect(),
            isr: p.isr_nodes.iter().map(|n| n.0).collect(),
            error_code: p.error_code,
        })
        .collect();
    partitions.sort_by_key(|p| p.index);
    TopicInfo {
        name: topic.name.map(|n| n.0.to_string()).unwrap_or_default(),
        id: uuid::Uuid::from_bytes(*topic.topic_id.as_bytes()).to_string(),
        internal: topic.is_internal,
        partitions,
    }
}

/// A group id for requests.
pub fn group_id(s: &str) -> GroupId {
    GroupId(str_bytes(s))
}
