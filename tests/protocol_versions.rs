//! Every version of every API klamm advertises, sent over TCP with requests
//! encoded by kafka-protocol: each gets a response that decodes completely
//! and makes sense for that version. This catches a response field set at a
//! version that does not have it (which cannot be encoded) before a client
//! does.

mod common;

use common::batch::batch;
use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::alter_configs_request::{AlterConfigsResource, AlterableConfig};
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::incremental_alter_configs_request as incremental;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Message, StrBytes};

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn supported(client: &mut RawClient) -> Vec<(i16, i16, i16)> {
    let response = client.send(0, &ApiVersionsRequest::default());
    assert_eq!(response.error_code, 0);
    response
        .api_keys
        .iter()
        .map(|k| (k.api_key, k.min_version, k.max_version))
        .collect()
}

/// The advertised versions of `key` kafka-protocol writes requests at. The
/// versions past it are `newer_versions.rs`'s, and Produce v0-2, advertised
/// as Kafka 4 advertises them but refused, are checked below.
fn versions(advertised: &[(i16, i16, i16)], key: ApiKey) -> std::ops::RangeInclusive<i16> {
    let (_, min, max) = advertised
        .iter()
        .copied()
        .find(|(k, _, _)| *k == key as i16)
        .unwrap_or_else(|| panic!("{key:?} is not advertised"));
    let codec_max = match key {
        ApiKey::OffsetCommit | ApiKey::OffsetFetch => OffsetCommitRequest::VERSIONS.max,
        ApiKey::ListOffsets => ListOffsetsRequest::VERSIONS.max,
        ApiKey::ApiVersions => ApiVersionsRequest::VERSIONS.max,
        ApiKey::DescribeLogDirs => DescribeLogDirsRequest::VERSIONS.max,
        ApiKey::DeleteGroups => DeleteGroupsRequest::VERSIONS.max,
        _ => max,
    };
    min.max(key.valid_versions().min)..=max.min(codec_max)
}

#[test]
fn every_advertised_version_of_every_api_answers() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let advertised = supported(&mut client);
    // Kafka 4 advertises Produce v0-2 (librdkafka reads a higher minimum as
    // "no produce at all", KAFKA-18659) and refuses them: so does klamm
    // (bad_requests.rs sends one).
    assert!(advertised.contains(&(ApiKey::Produce as i16, 0, 13)));
    let expected = [
        ApiKey::Produce,
        ApiKey::Fetch,
        ApiKey::ListOffsets,
        ApiKey::Metadata,
        ApiKey::ApiVersions,
        ApiKey::CreateTopics,
        ApiKey::DeleteTopics,
        ApiKey::OffsetForLeaderEpoch,
        ApiKey::FindCoordinator,
        ApiKey::JoinGroup,
        ApiKey::SyncGroup,
        ApiKey::Heartbeat,
        ApiKey::LeaveGroup,
        ApiKey::OffsetCommit,
        ApiKey::OffsetFetch,
        ApiKey::ListGroups,
        ApiKey::DescribeGroups,
        ApiKey::DeleteGroups,
        ApiKey::OffsetDelete,
        ApiKey::DescribeCluster,
        ApiKey::DeleteRecords,
        ApiKey::CreatePartitions,
        ApiKey::DescribeConfigs,
        ApiKey::AlterConfigs,
        ApiKey::IncrementalAlterConfigs,
        ApiKey::DescribeLogDirs,
        ApiKey::InitProducerId,
        ApiKey::AlterReplicaLogDirs,
        ApiKey::ElectLeaders,
        ApiKey::AlterPartitionReassignments,
        ApiKey::ListPartitionReassignments,
        ApiKey::DescribeClientQuotas,
        ApiKey::AlterClientQuotas,
        ApiKey::DescribeQuorum,
        ApiKey::UpdateFeatures,
        ApiKey::DescribeProducers,
        ApiKey::UnregisterBroker,
        ApiKey::ListConfigResources,
        ApiKey::DescribeTopicPartitions,
        ApiKey::AddRaftVoter,
        ApiKey::RemoveRaftVoter,
    ];
    assert_eq!(
        advertised.len(),
        expected.len(),
        "advertised: {advertised:?}"
    );

    for v in versions(&advertised, ApiKey::ApiVersions) {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("klamm-test"))
            .with_client_software_version(StrBytes::from_static_str("1.0"));
        let response = client.send(v, &request);
        assert_eq!(response.error_code, 0, "ApiVersions v{v}");
        assert_eq!(response.api_keys.len(), expected.len());
    }

    for v in versions(&advertised, ApiKey::CreateTopics) {
        let topic = CreatableTopic::default()
            .with_name(name(&format!("created-v{v}")))
            .with_num_partitions(2)
            .with_replication_factor(1);
        let response = client.send(
            v,
            &CreateTopicsRequest::default()
                .with_topics(vec![topic])
                .with_timeout_ms(5000),
        );
        let result = &response.topics[0];
        assert_eq!(
            result.error_code, 0,
            "CreateTopics v{v}: {:?}",
            result.error_message
        );
        if v >= 5 {
            assert_eq!(result.num_partitions, 2);
            assert!(
                result.configs.as_ref().is_some_and(|c| c.len() > 20),
                "CreateTopics v{v} lists configs"
            );
        }
        if v >= 7 {
            assert!(!result.topic_id.is_nil());
        }
    }

    let mut sweep_id = uuid::Uuid::nil();
    for v in versions(&advertised, ApiKey::Metadata) {
        let mut topic = MetadataRequestTopic::default().with_name(Some(name("sweep")));
        topic.topic_id = uuid::Uuid::nil();
        let request = MetadataRequest::default()
            .with_topics(Some(vec![topic]))
            .with_allow_auto_topic_creation(true)
            .with_include_topic_authorized_operations(v >= 8)
            .with_include_cluster_authorized_operations((8..=10).contains(&v));
        let response = client.send(v, &request);
        assert_eq!(response.brokers.len(), 1, "Metadata v{v}");
        assert_eq!(
            response.brokers[0].port as u16,
            broker
                .bootstrap
                .rsplit(':')
                .next()
                .unwrap()
                .parse::<u16>()
                .unwrap()
        );
        let topic = &response.topics[0];
        assert_eq!(topic.error_code, 0, "Metadata v{v}");
        assert_eq!(topic.partitions.len(), 1);
        assert_eq!(topic.partitions[0].leader_id.0, 1);
        if v >= 10 {
            assert!(!topic.topic_id.is_nil(), "Metadata v{v} carries topic ids");
            sweep_id = topic.topic_id;
        }
        if v >= 2 {
            assert!(response.cluster_id.is_some());
        }
    }

    for v in versions(&advertised, ApiKey::Produce) {
        let data = PartitionProduceData::default()
            .with_index(0)
            .with_records(Some(batch(
                &[&format!("v{v}-a"), &format!("v{v}-b")],
                1_700_000_000_000,
            )));
        // From v13 topics go by id.
        let topic = if v >= 13 {
            TopicProduceData::default().with_topic_id(sweep_id)
        } else {
            TopicProduceData::default().with_name(name("sweep"))
        };
        let request = ProduceRequest::default()
            .with_acks(-1)
            .with_timeout_ms(5000)
            .with_topic_data(vec![topic.with_partition_data(vec![data])]);
        let response = client.send(v, &request);
        let partition = &response.responses[0].partition_responses[0];
        assert_eq!(
            partition.error_code, 0,
            "Produce v{v}: {:?}",
            partition.error_message
        );
        assert_eq!(
            partition.base_offset,
            i64::from((v - 3) * 2),
            "Produce v{v}"
        );
    }
    let produced = i64::from((*versions(&advertised, ApiKey::Produce).end() - 2) * 2);

    for v in versions(&advertised, ApiKey::Fetch) {
        let partition = FetchPartition::default()
            .with_partition(0)
            .with_fetch_offset(1)
            .with_partition_max_bytes(1 << 20);
        // From v13 topics go by id.
        let topic = if v >= 13 {
            FetchTopic::default().with_topic_id(sweep_id)
        } else {
            FetchTopic::default().with_topic(name("sweep"))
        };
        let request = FetchRequest::default()
            .with_max_wait_ms(0)
            .with_min_bytes(1)
            .with_max_bytes(1 << 20)
            .with_topics(vec![topic.with_partitions(vec![partition])]);
        let response = client.send(v, &request);
        if v >= 13 {
            assert_eq!(response.responses[0].topic_id, sweep_id, "Fetch v{v}");
        }
        let data = &response.responses[0].partitions[0];
        assert_eq!(data.error_code, 0, "Fetch v{v}");
        assert_eq!(data.high_watermark, produced, "Fetch v{v}");
        let records = data.records.clone().unwrap_or_default();
        // Offset 1 is inside the first batch, so the whole batch comes back.
        let first = i64::from_be_bytes(records[..8].try_into().unwrap());
        assert_eq!(
            first, 0,
            "Fetch v{v} starts at the batch holding the offset"
        );
    }

    for v in versions(&advertised, ApiKey::ListOffsets) {
        let partition = ListOffsetsPartition::default()
            .with_partition_index(0)
            .with_timestamp(-1);
        let request = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![ListOffsetsTopic::default()
                .with_name(name("sweep"))
                .with_partitions(vec![partition])]);
        let response = client.send(v, &request);
        let p = &response.topics[0].partitions[0];
        assert_eq!((p.error_code, p.offset), (0, produced), "ListOffsets v{v}");
        assert_eq!(
            p.leader_epoch,
            if v >= 4 { 0 } else { -1 },
            "ListOffsets v{v}"
        );
    }

    for v in versions(&advertised, ApiKey::OffsetForLeaderEpoch) {
        let partition = OffsetForLeaderPartition::default()
            .with_partition(0)
            .with_leader_epoch(0);
        let request = OffsetForLeaderEpochRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![OffsetForLeaderTopic::default()
                .with_topic(name("sweep"))
                .with_partitions(vec![partition])]);
        let response = client.send(v, &request);
        let p = &response.topics[0].partitions[0];
        assert_eq!(
            (p.error_code, p.end_offset),
            (0, produced),
            "OffsetForLeaderEpoch v{v}"
        );
    }

    let mut producer_ids = std::collections::BTreeSet::new();
    for v in versions(&advertised, ApiKey::InitProducerId) {
        let request = InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_transaction_timeout_ms(60_000);
        let response = client.send(v, &request);
        assert_eq!(response.error_code, 0, "InitProducerId v{v}");
        assert_eq!(response.producer_epoch, 0, "InitProducerId v{v}");
        assert!(
            producer_ids.insert(response.producer_id.0),
            "InitProducerId v{v} repeats id {}",
            response.producer_id.0
        );
        if v >= 3 {
            // Asking with the id it holds, a producer gets a new one, as
            // Kafka hands out.
            let again = request
                .with_producer_id(response.producer_id)
                .with_producer_epoch(0);
            let renewed = client.send(v, &again);
            assert_eq!(renewed.error_code, 0, "InitProducerId v{v}");
            assert_eq!(renewed.producer_epoch, 0, "InitProducerId v{v}");
            assert!(
                producer_ids.insert(renewed.producer_id.0),
                "InitProducerId v{v} hands out a new id"
            );
        }
        let transactional = InitProducerIdRequest::default()
            .with_transactional_id(Some(TransactionalId(StrBytes::from_static_str("txn"))))
            .with_transaction_timeout_ms(60_000);
        let refused = client.send(v, &transactional);
        assert_eq!(
            (refused.error_code, refused.producer_id.0),
            (ResponseError::InvalidRequest.code(), -1),
            "InitProducerId v{v} refuses transactions"
        );
    }

    for v in versions(&advertised, ApiKey::DeleteTopics) {
        let topic = format!("created-v{}", v + 1);
        let mut request = DeleteTopicsRequest::default().with_timeout_ms(5000);
        if v >= 6 {
            request.topics = vec![DeleteTopicState::default().with_name(Some(name(&topic)))];
        } else {
            request.topic_names = vec![name(&topic)];
        }
        let response = client.send(v, &request);
        assert_eq!(
            response.responses[0].error_code, 0,
            "DeleteTopics v{v}: {:?}",
            response.responses[0].error_message
        );
    }
}

#[test]
fn every_version_of_describe_cluster_names_the_broker() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let advertised = supported(&mut client);
    for v in versions(&advertised, ApiKey::DescribeCluster) {
        let request =
            DescribeClusterRequest::default().with_include_cluster_authorized_operations(true);
        let response = client.send(v, &request);
        assert_eq!(response.error_code, 0, "DescribeCluster v{v}");
        assert_eq!(response.brokers.len(), 1, "DescribeCluster v{v}");
        assert_eq!(response.brokers[0].broker_id.0, 1);
        assert_eq!(response.controller_id.0, 1);
        assert_ne!(response.cluster_authorized_operations, i32::MIN);
        if v >= 1 {
            let controllers =
                client.send(v, &DescribeClusterRequest::default().with_endpoint_type(2));
            assert_eq!(
                (controllers.error_code, controllers.controller_id.0),
                (114, -1),
                "MISMATCHED_ENDPOINT_TYPE at v{v}, as a Kafka broker answers"
            );
            let unknown = client.send(v, &DescribeClusterRequest::default().with_endpoint_type(9));
            assert_eq!(
                (unknown.error_code, unknown.controller_id.0),
                (115, -1),
                "UNSUPPORTED_ENDPOINT_TYPE at v{v}"
            );
        }
    }
}

fn produce_to(client: &mut RawClient, topic: &str, values: &[&str]) {
    let data = PartitionProduceData::default()
        .with_index(0)
        .with_records(Some(batch(values, 1_700_000_000_000)));
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(name(topic))
            .with_partition_data(vec![data])]);
    let response = client.send(9, &request);
    assert_eq!(response.responses[0].partition_responses[0].error_code, 0);
}

#[test]
fn every_advertised_version_of_every_admin_api_answers() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let advertised = supported(&mut client);
    let topic = CreatableTopic::default()
        .with_name(name("admin"))
        .with_num_partitions(1)
        .with_replication_factor(1);
    let created = client.send(5, &CreateTopicsRequest::default().with_topics(vec![topic]));
    assert_eq!(created.topics[0].error_code, 0);

    let mut partitions = 1;
    for v in versions(&advertised, ApiKey::CreatePartitions) {
        partitions += 1;
        let request = CreatePartitionsRequest::default()
            .with_topics(vec![CreatePartitionsTopic::default()
                .with_name(name("admin"))
                .with_count(partitions)
                .with_assignments(None)])
            .with_timeout_ms(5000);
        let result = &client.send(v, &request).results[0];
        assert_eq!(
            result.error_code, 0,
            "CreatePartitions v{v}: {:?}",
            result.error_message
        );
    }

    for v in versions(&advertised, ApiKey::AlterConfigs) {
        let config = AlterableConfig::default()
            .with_name(StrBytes::from_static_str("retention.ms"))
            .with_value(Some(StrBytes::from_string(format!("10000000{v}"))));
        let request =
            AlterConfigsRequest::default().with_resources(vec![AlterConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("admin"))
                .with_configs(vec![config])]);
        let result = &client.send(v, &request).responses[0];
        assert_eq!(
            result.error_code, 0,
            "AlterConfigs v{v}: {:?}",
            result.error_message
        );
    }

    for v in versions(&advertised, ApiKey::IncrementalAlterConfigs) {
        let config = incremental::AlterableConfig::default()
            .with_name(StrBytes::from_static_str("segment.ms"))
            .with_config_operation(0)
            .with_value(Some(StrBytes::from_string(format!("6000{v}"))));
        let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
            incremental::AlterConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("admin"))
                .with_configs(vec![config]),
        ]);
        let result = &client.send(v, &request).responses[0];
        assert_eq!(
            result.error_code, 0,
            "IncrementalAlterConfigs v{v}: {:?}",
            result.error_message
        );
    }

    for v in versions(&advertised, ApiKey::DescribeConfigs) {
        let request = DescribeConfigsRequest::default()
            .with_include_synonyms(true)
            .with_include_documentation(v >= 3)
            .with_resources(vec![
                DescribeConfigsResource::default()
                    .with_resource_type(2)
                    .with_resource_name(StrBytes::from_static_str("admin")),
                DescribeConfigsResource::default()
                    .with_resource_type(4)
                    .with_resource_name(StrBytes::from_static_str("1")),
            ]);
        let response = client.send(v, &request);
        let topic = &response.results[0];
        assert_eq!(topic.error_code, 0, "DescribeConfigs v{v}");
        assert!(topic.configs.len() > 20, "DescribeConfigs v{v}");
        let retention = topic
            .configs
            .iter()
            .find(|c| &*c.name == "retention.ms")
            .unwrap();
        assert_eq!(retention.value.as_deref(), Some("100000002"));
        assert_eq!(retention.config_source, 1, "DYNAMIC_TOPIC_CONFIG");
        // As Kafka: the topic's own value only; the default comes from
        // log.retention.hours, which is no synonym of a value in ms.
        assert_eq!(retention.synonyms.len(), 1, "the topic's own");
        if v >= 3 {
            assert_eq!(retention.config_type, 5, "LONG");
            assert!(retention
                .documentation
                .as_ref()
                .is_some_and(|d| !d.is_empty()));
        }
        let broker_configs = &response.results[1];
        assert_eq!(broker_configs.error_code, 0, "DescribeConfigs v{v}");
        let partitions = broker_configs
            .configs
            .iter()
            .find(|c| &*c.name == "num.partitions")
            .unwrap();
        assert!(partitions.read_only);
        assert_eq!(partitions.value.as_deref(), Some("1"));
    }

    produce_to(&mut client, "admin", &["a", "b", "c", "d", "e", "f"]);

    for v in versions(&advertised, ApiKey::DescribeLogDirs) {
        let response = client.send(v, &DescribeLogDirsRequest::default().with_topics(None));
        assert_eq!(response.error_code, 0, "DescribeLogDirs v{v}");
        let dir = &response.results[0];
        assert_eq!(&*dir.log_dir, "<in-memory>");
        assert_eq!(
            dir.total_bytes, -1,
            "DescribeLogDirs v{v}: unknown in memory"
        );
        let topic = dir
            .topics
            .iter()
            .find(|t| &*t.name == "admin")
            .expect("the admin topic");
        let partitions = &topic.partitions;
        assert_eq!(partitions.len() as i32, partitions_count(partitions));
        assert!(partitions[0].partition_size > 0, "DescribeLogDirs v{v}");
    }

    let mut offset = 0;
    for v in versions(&advertised, ApiKey::DeleteRecords) {
        offset += 1;
        let request = DeleteRecordsRequest::default()
            .with_timeout_ms(5000)
            .with_topics(vec![DeleteRecordsTopic::default()
                .with_name(name("admin"))
                .with_partitions(vec![DeleteRecordsPartition::default()
                    .with_partition_index(0)
                    .with_offset(offset)])]);
        let result = &client.send(v, &request).topics[0].partitions[0];
        assert_eq!(
            (result.error_code, result.low_watermark),
            (0, offset),
            "DeleteRecords v{v}"
        );
    }
}

fn partitions_count(
    partitions: &[kafka_protocol::messages::describe_log_dirs_response::DescribeLogDirsPartition],
) -> i32 {
    partitions
        .iter()
        .map(|p| p.partition_index + 1)
        .max()
        .unwrap_or(0)
}

/// The controller's APIs at every advertised version: each answers, with
/// the fields its version has.
#[test]
fn every_advertised_version_of_every_controller_api_answers() {
    use kafka_protocol::messages::alter_client_quotas_request as quotas;
    use kafka_protocol::messages::alter_partition_reassignments_request as reassign;
    use kafka_protocol::messages::alter_replica_log_dirs_request as log_dirs;
    use kafka_protocol::messages::describe_quorum_request as quorum;
    use kafka_protocol::messages::update_features_request::FeatureUpdateKey;

    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let advertised = supported(&mut client);
    let topic = CreatableTopic::default()
        .with_name(name("controlled"))
        .with_num_partitions(2)
        .with_replication_factor(1);
    let created = client.send(5, &CreateTopicsRequest::default().with_topics(vec![topic]));
    assert_eq!(created.topics[0].error_code, 0);

    for v in versions(&advertised, ApiKey::DescribeTopicPartitions) {
        let response = client.send(
            v,
            &DescribeTopicPartitionsRequest::default().with_response_partition_limit(1),
        );
        assert_eq!(
            response.topics[0].partitions.len(),
            1,
            "DescribeTopicPartitions v{v}"
        );
        assert!(
            response.next_cursor.is_some(),
            "DescribeTopicPartitions v{v}"
        );
    }
    for v in versions(&advertised, ApiKey::ElectLeaders) {
        let request = ElectLeadersRequest::default()
            .with_timeout_ms(5000)
            .with_topic_partitions(Some(vec![elect_leaders_request::TopicPartitions::default(
            )
            .with_topic(name("controlled"))
            .with_partitions(vec![1])]));
        let response = client.send(v, &request);
        let code = response.replica_election_results[0].partition_result[0].error_code;
        assert_eq!(
            code,
            ResponseError::ElectionNotNeeded.code(),
            "ElectLeaders v{v}"
        );
    }
    for v in versions(&advertised, ApiKey::AlterReplicaLogDirs) {
        let request = AlterReplicaLogDirsRequest::default().with_dirs(vec![
            log_dirs::AlterReplicaLogDir::default()
                .with_path(StrBytes::from_static_str("<in-memory>"))
                .with_topics(vec![log_dirs::AlterReplicaLogDirTopic::default()
                    .with_name(name("controlled"))
                    .with_partitions(vec![0])]),
        ]);
        let response = client.send(v, &request);
        assert_eq!(
            response.results[0].partitions[0].error_code, 0,
            "AlterReplicaLogDirs v{v}"
        );
    }
    for v in versions(&advertised, ApiKey::AlterPartitionReassignments) {
        let request = AlterPartitionReassignmentsRequest::default()
            .with_timeout_ms(5000)
            .with_topics(vec![reassign::ReassignableTopic::default()
                .with_name(name("controlled"))
                .with_partitions(vec![reassign::ReassignablePartition::default()
                    .with_partition_index(0)
                    .with_replicas(Some(vec![BrokerId(1)]))])]);
        let response = client.send(v, &request);
        assert_eq!(
            response.responses[0].partitions[0].error_code, 0,
            "AlterPartitionReassignments v{v}"
        );
    }
    for v in versions(&advertised, ApiKey::ListPartitionReassignments) {
        let request = ListPartitionReassignmentsRequest::default().with_topics(None);
        let response = client.send(v, &request);
        assert_eq!((response.error_code, response.topics.len()), (0, 0));
    }
    for v in versions(&advertised, ApiKey::AlterClientQuotas) {
        let request =
            AlterClientQuotasRequest::default().with_entries(vec![quotas::EntryData::default()
                .with_entity(vec![quotas::EntityData::default()
                    .with_entity_type(StrBytes::from_static_str("client-id"))
                    .with_entity_name(Some(StrBytes::from_string(format!("app-v{v}"))))])
                .with_ops(vec![quotas::OpData::default()
                    .with_key(StrBytes::from_static_str("producer_byte_rate"))
                    .with_value(1024.0)])]);
        let response = client.send(v, &request);
        assert_eq!(response.entries[0].error_code, 0, "AlterClientQuotas v{v}");
    }
    for v in versions(&advertised, ApiKey::DescribeClientQuotas) {
        let response = client.send(v, &DescribeClientQuotasRequest::default());
        assert_eq!(response.error_code, 0, "DescribeClientQuotas v{v}");
        let expected = versions(&advertised, ApiKey::AlterClientQuotas).count();
        assert_eq!(response.entries.map(|e| e.len()), Some(expected));
    }
    for v in versions(&advertised, ApiKey::DescribeQuorum) {
        let request =
            DescribeQuorumRequest::default().with_topics(vec![quorum::TopicData::default()
                .with_topic_name(name("__cluster_metadata"))
                .with_partitions(vec![quorum::PartitionData::default()])]);
        let response = client.send(v, &request);
        let partition = &response.topics[0].partitions[0];
        assert_eq!(
            (partition.error_code, partition.leader_id.0),
            (0, 1),
            "DescribeQuorum v{v}"
        );
        assert_eq!(
            response.nodes.len(),
            usize::from(v >= 2),
            "DescribeQuorum v{v}"
        );
    }
    for v in versions(&advertised, ApiKey::UpdateFeatures) {
        let update = FeatureUpdateKey::default()
            .with_feature(StrBytes::from_static_str(
                "eligible.leader.replicas.version",
            ))
            .with_max_version_level(1)
            .with_upgrade_type(1);
        let response = client.send(
            v,
            &UpdateFeaturesRequest::default().with_feature_updates(vec![update]),
        );
        assert_eq!(response.error_code, 0, "UpdateFeatures v{v}");
        assert_eq!(
            response.results.len(),
            usize::from(v < 2),
            "UpdateFeatures v{v}"
        );
    }
    produce_to(&mut client, "controlled", &["a"]);
    for v in versions(&advertised, ApiKey::DescribeProducers) {
        let request = DescribeProducersRequest::default().with_topics(vec![
            describe_producers_request::TopicRequest::default()
                .with_name(name("controlled"))
                .with_partition_indexes(vec![0]),
        ]);
        let response = client.send(v, &request);
        assert_eq!(
            response.topics[0].partitions[0].error_code, 0,
            "DescribeProducers v{v}"
        );
    }
    for v in versions(&advertised, ApiKey::ListConfigResources) {
        let response = client.send(v, &ListConfigResourcesRequest::default());
        // v0 lists client metrics resources only, of which there are none;
        // v1 adds the logger, the broker and the topics (with the internal
        // offsets topic, as Kafka lists it).
        let expected = if v == 0 { 0 } else { 4 };
        assert_eq!(
            response.config_resources.len(),
            expected,
            "ListConfigResources v{v}"
        );
    }
    for v in versions(&advertised, ApiKey::UnregisterBroker) {
        let response = client.send(
            v,
            &UnregisterBrokerRequest::default().with_broker_id(BrokerId(7)),
        );
        assert_eq!(
            response.error_code,
            ResponseError::BrokerIdNotRegistered.code()
        );
    }
    for v in versions(&advertised, ApiKey::AddRaftVoter) {
        let response = client.send(v, &AddRaftVoterRequest::default().with_cluster_id(None));
        assert_eq!(
            response.error_code,
            ResponseError::UnsupportedVersion.code()
        );
    }
    for v in versions(&advertised, ApiKey::RemoveRaftVoter) {
        let response = client.send(v, &RemoveRaftVoterRequest::default().with_cluster_id(None));
        assert_eq!(
            response.error_code,
            ResponseError::UnsupportedVersion.code()
        );
    }
}
