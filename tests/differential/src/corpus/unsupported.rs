//! APIs Kafka serves and klamm does not: one ordinary request to each (at
//! Kafka's newest version the codec writes), so the report shows what klamm
//! does instead. They run last: some change Kafka's state (a KIP-848 group,
//! a share group) in ways no earlier case expects.
//!
//! When klamm starts serving one of these, give it a family of its own
//! with its edge cases; until then its ordinary request stays here.

use std::time::Duration;

use kafka_protocol::messages::*;

use super::ctx::{name, text};
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

/// A member id a client generates itself (KIP-848, share groups).
const CLIENT_MEMBER_ID: &str = "corpus-member-0000000000000001";

pub fn cases(v: &Versions) -> Vec<Case> {
    v.kafka_only()
        .into_iter()
        .filter_map(|(api, version)| ordinary(api, version))
        .map(|c| c.wait(Duration::from_secs(2)))
        .collect()
}

/// `case("ordinary", ...)` with a request built from its defaults.
macro_rules! defaults {
    ($version:expr, $request:ty) => {
        Some(case("ordinary", $version, |_| <$request>::default()))
    };
}

fn ordinary(api: ApiKey, version: i16) -> Option<Case> {
    use ApiKey::*;
    let v = version;
    match api {
        SaslHandshake => Some(case("ordinary", v, |_| {
            SaslHandshakeRequest::default().with_mechanism(text("PLAIN"))
        })),
        SaslAuthenticate => defaults!(v, SaslAuthenticateRequest),
        AddPartitionsToTxn => defaults!(v, AddPartitionsToTxnRequest),
        AddOffsetsToTxn => Some(case("ordinary", v, |_| {
            AddOffsetsToTxnRequest::default()
                .with_transactional_id(TransactionalId(text("diff-txn")))
                .with_producer_id(ProducerId(424_242))
                .with_group_id(GroupId(text(GROUP)))
        })),
        EndTxn => Some(case("ordinary", v, |_| {
            EndTxnRequest::default()
                .with_transactional_id(TransactionalId(text("diff-txn")))
                .with_producer_id(ProducerId(424_242))
        })),
        WriteTxnMarkers => defaults!(v, WriteTxnMarkersRequest),
        TxnOffsetCommit => defaults!(v, TxnOffsetCommitRequest),
        DescribeAcls => Some(case("ordinary", v, |_| {
            // Match anything: resource ANY, pattern ANY, operation ANY, permission ANY.
            DescribeAclsRequest::default()
                .with_resource_type_filter(1)
                .with_pattern_type_filter(1)
                .with_operation(1)
                .with_permission_type(1)
        })),
        CreateAcls => defaults!(v, CreateAclsRequest),
        DeleteAcls => defaults!(v, DeleteAclsRequest),
        AlterReplicaLogDirs => defaults!(v, AlterReplicaLogDirsRequest),
        CreateDelegationToken => defaults!(v, CreateDelegationTokenRequest),
        RenewDelegationToken => defaults!(v, RenewDelegationTokenRequest),
        ExpireDelegationToken => defaults!(v, ExpireDelegationTokenRequest),
        DescribeDelegationToken => defaults!(v, DescribeDelegationTokenRequest),
        ElectLeaders => Some(case("ordinary", v, |_| {
            ElectLeadersRequest::default()
                .with_timeout_ms(10_000)
                .with_topic_partitions(Some(vec![elect_leaders_request::TopicPartitions::default(
                )
                .with_topic(name(TOPIC_A))
                .with_partitions(vec![0])]))
        })),
        AlterPartitionReassignments => defaults!(v, AlterPartitionReassignmentsRequest),
        ListPartitionReassignments => Some(case("ordinary", v, |_| {
            ListPartitionReassignmentsRequest::default()
                .with_timeout_ms(10_000)
                .with_topics(None)
        })),
        DescribeClientQuotas => defaults!(v, DescribeClientQuotasRequest),
        AlterClientQuotas => defaults!(v, AlterClientQuotasRequest),
        DescribeUserScramCredentials => Some(case("ordinary", v, |_| {
            DescribeUserScramCredentialsRequest::default().with_users(None)
        })),
        AlterUserScramCredentials => defaults!(v, AlterUserScramCredentialsRequest),
        DescribeQuorum => Some(case("ordinary", v, |_| {
            DescribeQuorumRequest::default().with_topics(vec![
                describe_quorum_request::TopicData::default()
                    .with_topic_name(name("__cluster_metadata"))
                    .with_partitions(vec![describe_quorum_request::PartitionData::default()]),
            ])
        })),
        UpdateFeatures => defaults!(v, UpdateFeaturesRequest),
        DescribeProducers => Some(case("ordinary", v, |_| {
            DescribeProducersRequest::default().with_topics(vec![
                describe_producers_request::TopicRequest::default()
                    .with_name(name(TOPIC_PRODUCE))
                    .with_partition_indexes(vec![0, 1]),
            ])
        })),
        DescribeTransactions => Some(case("ordinary", v, |_| {
            DescribeTransactionsRequest::default()
                .with_transactional_ids(vec![TransactionalId(text("diff-txn"))])
        })),
        ListTransactions => defaults!(v, ListTransactionsRequest),
        ConsumerGroupHeartbeat => Some(case("ordinary", v, |_| {
            ConsumerGroupHeartbeatRequest::default()
                .with_group_id(GroupId(text(CONSUMER_GROUP)))
                .with_member_id(text(CLIENT_MEMBER_ID))
                .with_member_epoch(0)
                .with_rebalance_timeout_ms(300_000)
                .with_subscribed_topic_names(Some(vec![name(TOPIC_A)]))
                .with_topic_partitions(Some(vec![]))
        })),
        ConsumerGroupDescribe => Some(case("ordinary", v, |_| {
            ConsumerGroupDescribeRequest::default()
                .with_group_ids(vec![GroupId(text(GROUP)), GroupId(text(CONSUMER_GROUP))])
        })),
        GetTelemetrySubscriptions => defaults!(v, GetTelemetrySubscriptionsRequest),
        PushTelemetry => defaults!(v, PushTelemetryRequest),
        ListConfigResources => defaults!(v, ListConfigResourcesRequest),
        DescribeTopicPartitions => Some(case("ordinary", v, |_| {
            DescribeTopicPartitionsRequest::default()
                .with_response_partition_limit(2000)
                .with_topics(vec![
                    describe_topic_partitions_request::TopicRequest::default()
                        .with_name(name(TOPIC_A)),
                ])
        })),
        ShareGroupHeartbeat => Some(case("ordinary", v, |_| {
            ShareGroupHeartbeatRequest::default()
                .with_group_id(GroupId(text(SHARE_GROUP)))
                .with_member_id(text(CLIENT_MEMBER_ID))
                .with_member_epoch(0)
                .with_subscribed_topic_names(Some(vec![name(TOPIC_A)]))
        })),
        ShareGroupDescribe => Some(case("ordinary", v, |_| {
            ShareGroupDescribeRequest::default().with_group_ids(vec![GroupId(text(SHARE_GROUP))])
        })),
        ShareFetch => defaults!(v, ShareFetchRequest),
        ShareAcknowledge => defaults!(v, ShareAcknowledgeRequest),
        DescribeShareGroupOffsets => Some(case("ordinary", v, |_| {
            DescribeShareGroupOffsetsRequest::default().with_groups(vec![
                describe_share_group_offsets_request::DescribeShareGroupOffsetsRequestGroup::default()
                    .with_group_id(GroupId(text(SHARE_GROUP)))
                    .with_topics(None),
            ])
        })),
        AlterShareGroupOffsets => defaults!(v, AlterShareGroupOffsetsRequest),
        DeleteShareGroupOffsets => defaults!(v, DeleteShareGroupOffsetsRequest),
        AddRaftVoter => defaults!(v, AddRaftVoterRequest),
        RemoveRaftVoter => defaults!(v, RemoveRaftVoterRequest),
        UpdateRaftVoter => defaults!(v, UpdateRaftVoterRequest),
        Envelope => defaults!(v, EnvelopeRequest),
        _ => None,
    }
}
