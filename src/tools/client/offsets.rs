//! ListOffsets: a topic's earliest or latest offsets, asked of each
//! partition's leader.

use std::collections::BTreeMap;

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, ListOffsetsRequest};

use super::{topic_name, Client, Retries, TopicInfo};
use crate::tools::error::ToolError;

/// ListOffsets' timestamp for "the first offset still in the log".
pub const EARLIEST: i64 = -2;
/// ListOffsets' timestamp for "the offset the next record gets".
pub const LATEST: i64 = -1;

impl Client {
    /// The offset at `timestamp` (or [`EARLIEST`] / [`LATEST`]) of each of
    /// `partitions`.
    pub async fn list_offsets(
        &mut self,
        topic: &TopicInfo,
        partitions: &[i32],
        timestamp: i64,
    ) -> Result<BTreeMap<i32, i64>, ToolError> {
        let mut layout = topic.clone();
        let mut found = BTreeMap::new();
        let mut missing: Vec<i32> = partitions.to_vec();
        let mut retries = Retries::default();
        while !missing.is_empty() {
            let by_leader = layout.by_leader(missing.iter().copied());
            let mut retry = Vec::new();
            let mut last_error = None;
            for (leader, partitions) in by_leader {
                if leader < 0 {
                    retry.extend(partitions);
                    continue;
                }
                let request = ListOffsetsRequest::default()
                    .with_replica_id(BrokerId(-1))
                    .with_topics(vec![ListOffsetsTopic::default()
                        .with_name(topic_name(&topic.name))
                        .with_partitions(
                            partitions
                                .iter()
                                .map(|&p| {
                                    ListOffsetsPartition::default()
                                        .with_partition_index(p)
                                        .with_current_leader_epoch(-1)
                                        .with_timestamp(timestamp)
                                })
                                .collect(),
                        )]);
                let connection = self.broker(leader).await?;
                let version = connection.version::<ListOffsetsRequest>(1, 5)?;
                let response = connection.call(version, &request).await?;
                for p in response.topics.iter().flat_map(|t| &t.partitions) {
                    let error = ToolError::check(p.error_code, None, || {
                        format!(
                            "cannot look up offsets of {}-{}",
                            topic.name, p.partition_index
                        )
                    });
                    match error {
                        Ok(()) => {
                            found.insert(p.partition_index, p.offset);
                        }
                        Err(e) if e.is_retriable() => {
                            retry.push(p.partition_index);
                            last_error = Some(e);
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            if retry.is_empty() {
                break;
            }
            retries.wait(&topic.name, last_error).await?;
            layout = self.topic(&topic.name).await?;
            missing = retry;
        }
        Ok(found)
    }
}
