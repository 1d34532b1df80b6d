//! The error codes inside each response, so `protocol::run` can count them
//! for `/metrics` in one place instead of in every handler. Kafka counts
//! errors the same way (every partition, group or resource that failed).

use kafka_protocol::messages::*;

/// Calls `f` with every error code in a response (0 included; the counter
/// skips it).
pub(crate) trait ErrorCodes {
    fn each_error(&self, f: &mut dyn FnMut(i16));
}

/// `errors!(Response => |r, f| body)` implements [`ErrorCodes`].
macro_rules! errors {
    ($($response:ty => |$r:ident, $f:ident| $body:expr;)*) => {
        $(impl ErrorCodes for $response {
            fn each_error(&self, $f: &mut dyn FnMut(i16)) {
                let $r = self;
                $body
            }
        })*
    };
}

errors! {
    ProduceResponse => |r, f| r.responses.iter().flat_map(|t| &t.partition_responses).for_each(|p| f(p.error_code));
    FetchResponse => |r, f| {
        f(r.error_code);
        r.responses.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    };
    ListOffsetsResponse => |r, f| r.topics.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    MetadataResponse => |r, f| {
        f(r.error_code);
        for topic in &r.topics {
            f(topic.error_code);
            topic.partitions.iter().for_each(|p| f(p.error_code));
        }
    };
    ApiVersionsResponse => |r, f| f(r.error_code);
    CreateTopicsResponse => |r, f| r.topics.iter().for_each(|t| f(t.error_code));
    DeleteTopicsResponse => |r, f| r.responses.iter().for_each(|t| f(t.error_code));
    OffsetForLeaderEpochResponse => |r, f| r.topics.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    FindCoordinatorResponse => |r, f| {
        f(r.error_code);
        r.coordinators.iter().for_each(|c| f(c.error_code));
    };
    JoinGroupResponse => |r, f| f(r.error_code);
    SyncGroupResponse => |r, f| f(r.error_code);
    HeartbeatResponse => |r, f| f(r.error_code);
    LeaveGroupResponse => |r, f| {
        f(r.error_code);
        r.members.iter().for_each(|m| f(m.error_code));
    };
    OffsetCommitResponse => |r, f| r.topics.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    OffsetFetchResponse => |r, f| {
        f(r.error_code);
        r.topics.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
        for group in &r.groups {
            f(group.error_code);
            group.topics.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
        }
    };
    ListGroupsResponse => |r, f| f(r.error_code);
    DescribeGroupsResponse => |r, f| r.groups.iter().for_each(|g| f(g.error_code));
    DeleteGroupsResponse => |r, f| r.results.iter().for_each(|g| f(g.error_code));
    OffsetDeleteResponse => |r, f| {
        f(r.error_code);
        r.topics.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    };
    DescribeClusterResponse => |r, f| f(r.error_code);
    DeleteRecordsResponse => |r, f| r.topics.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    CreatePartitionsResponse => |r, f| r.results.iter().for_each(|t| f(t.error_code));
    DescribeConfigsResponse => |r, f| r.results.iter().for_each(|c| f(c.error_code));
    AlterConfigsResponse => |r, f| r.responses.iter().for_each(|c| f(c.error_code));
    IncrementalAlterConfigsResponse => |r, f| r.responses.iter().for_each(|c| f(c.error_code));
    DescribeLogDirsResponse => |r, f| {
        f(r.error_code);
        r.results.iter().for_each(|d| f(d.error_code));
    };
    InitProducerIdResponse => |r, f| f(r.error_code);
    DescribeTopicPartitionsResponse => |r, f| for topic in &r.topics {
        f(topic.error_code);
        topic.partitions.iter().for_each(|p| f(p.error_code));
    };
    ElectLeadersResponse => |r, f| {
        f(r.error_code);
        r.replica_election_results.iter().flat_map(|t| &t.partition_result).for_each(|p| f(p.error_code));
    };
    AlterReplicaLogDirsResponse => |r, f| r.results.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    DescribeQuorumResponse => |r, f| {
        f(r.error_code);
        r.topics.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    };
    AlterPartitionReassignmentsResponse => |r, f| {
        f(r.error_code);
        r.responses.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    };
    ListPartitionReassignmentsResponse => |r, f| f(r.error_code);
    DescribeProducersResponse => |r, f| r.topics.iter().flat_map(|t| &t.partitions).for_each(|p| f(p.error_code));
    DescribeClientQuotasResponse => |r, f| f(r.error_code);
    AlterClientQuotasResponse => |r, f| r.entries.iter().for_each(|e| f(e.error_code));
    UpdateFeaturesResponse => |r, f| {
        f(r.error_code);
        r.results.iter().for_each(|u| f(u.error_code));
    };
    ListConfigResourcesResponse => |r, f| f(r.error_code);
    AddRaftVoterResponse => |r, f| f(r.error_code);
    RemoveRaftVoterResponse => |r, f| f(r.error_code);
    UnregisterBrokerResponse => |r, f| f(r.error_code);
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::produce_response::{
        PartitionProduceResponse, TopicProduceResponse,
    };

    #[test]
    fn every_partition_error_of_a_produce_response_is_seen() {
        let response =
            ProduceResponse::default().with_responses(vec![TopicProduceResponse::default()
                .with_partition_responses(vec![
                    PartitionProduceResponse::default().with_error_code(6),
                    PartitionProduceResponse::default(),
                    PartitionProduceResponse::default().with_error_code(3),
                ])]);
        let mut seen = Vec::new();
        response.each_error(&mut |code| seen.push(code));
        assert_eq!(seen, vec![6, 0, 3]);
    }
}
