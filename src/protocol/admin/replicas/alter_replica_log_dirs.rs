//! AlterReplicaLogDirs (key 34): moves replicas to another log directory of
//! the same broker. klamm has one directory (or, in memory, none on disk,
//! reported as `<in-memory>` as DescribeLogDirs does), so a move there is
//! already done (no error) and any other path is LOG_DIR_NOT_FOUND, Kafka's
//! answer for a path that is not one of its log dirs. A partition this
//! broker holds no replica of is REPLICA_NOT_AVAILABLE and an unknown one
//! UNKNOWN_TOPIC_OR_PARTITION. A partition named under several paths is
//! answered once, for the last, as Kafka's request map keeps it.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::alter_replica_log_dirs_response::{
    AlterReplicaLogDirPartitionResult, AlterReplicaLogDirTopicResult,
};
use kafka_protocol::messages::{
    AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponse, ApiKey, TopicName,
};

use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

/// The one log dir's name, as DescribeLogDirs reports it.
pub(crate) fn log_dir_name(cluster: &crate::cluster::Cluster) -> String {
    cluster
        .data_dir()
        .map(|d| std::path::absolute(&d).unwrap_or(d))
        .map_or_else(|| "<in-memory>".to_string(), |d| d.display().to_string())
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::AlterReplicaLogDirs;
    const MIN_VERSION: i16 = 1;
    const MAX_VERSION: i16 = 2;
    type Request = AlterReplicaLogDirsRequest;
    type Response = AlterReplicaLogDirsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: AlterReplicaLogDirsRequest,
    ) -> Outcome<AlterReplicaLogDirsResponse> {
        let cluster = &ctx.state.cluster;
        let ours = log_dir_name(cluster);
        // (topic, partition) -> path, the last path naming it winning.
        let mut moves: Vec<(TopicName, i32, &str)> = Vec::new();
        for dir in &request.dirs {
            for topic in &dir.topics {
                for partition in &topic.partitions {
                    moves.retain(|(t, p, _)| !(t == &topic.name && p == partition));
                    moves.push((topic.name.clone(), *partition, dir.path.as_str()));
                }
            }
        }
        let mut results: Vec<AlterReplicaLogDirTopicResult> = Vec::new();
        for (topic, partition, path) in moves {
            let error = if path != ours {
                Some(ResponseError::LogDirNotFound)
            } else {
                match cluster.topic(&topic.0) {
                    Some(t) if (0..t.partition_count()).contains(&partition) => {
                        let held = cluster
                            .partition_replicas(&t, partition)
                            .contains(&ctx.node_id);
                        (!held).then_some(ResponseError::ReplicaNotAvailable)
                    }
                    _ => Some(ResponseError::UnknownTopicOrPartition),
                }
            };
            let result = AlterReplicaLogDirPartitionResult::default()
                .with_partition_index(partition)
                .with_error_code(error.map_or(0, |e| e.code()));
            match results.iter_mut().find(|r| r.topic_name == topic) {
                Some(r) => r.partitions.push(result),
                None => results.push(
                    AlterReplicaLogDirTopicResult::default()
                        .with_topic_name(topic)
                        .with_partitions(vec![result]),
                ),
            }
        }
        Outcome::Respond(AlterReplicaLogDirsResponse::default().with_results(results))
    }
}
