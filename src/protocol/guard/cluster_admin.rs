//! Request schemas for the cluster administration a controller answers: topic partitions described
//! page by page, replica placement and log directories, client quotas, features, the metadata
//! quorum and its voters, config resources and broker registration.
//!
//! Facts come from kafka-protocol 0.18's generated `*_request.rs` decoders. Float64 (quota values)
//! and uint16 (ports) are walked as the integers of their width: the guard only needs sizes.

use super::schema::{
    field, nullable_structs, structs, Elem, MessageSchema, StructSchema, Ty, Versions as V,
};

pub(super) const MESSAGES: &[MessageSchema] = &[
    MessageSchema {
        api_key: 75,
        versions: V::range(0, 0),
        flexible_from: Some(0),
        body: &DESCRIBE_TOPIC_PARTITIONS_REQUEST,
    },
    MessageSchema {
        api_key: 34,
        versions: V::range(1, 2),
        flexible_from: Some(2),
        body: &ALTER_REPLICA_LOG_DIRS_REQUEST,
    },
    MessageSchema {
        api_key: 55,
        versions: V::range(0, 2),
        flexible_from: Some(0),
        body: &DESCRIBE_QUORUM_REQUEST,
    },
    MessageSchema {
        api_key: 45,
        versions: V::range(0, 1),
        flexible_from: Some(0),
        body: &ALTER_PARTITION_REASSIGNMENTS_REQUEST,
    },
    MessageSchema {
        api_key: 46,
        versions: V::range(0, 0),
        flexible_from: Some(0),
        body: &LIST_PARTITION_REASSIGNMENTS_REQUEST,
    },
    MessageSchema {
        api_key: 48,
        versions: V::range(0, 1),
        flexible_from: Some(1),
        body: &DESCRIBE_CLIENT_QUOTAS_REQUEST,
    },
    MessageSchema {
        api_key: 49,
        versions: V::range(0, 1),
        flexible_from: Some(1),
        body: &ALTER_CLIENT_QUOTAS_REQUEST,
    },
    MessageSchema {
        api_key: 57,
        versions: V::range(0, 2),
        flexible_from: Some(0),
        body: &UPDATE_FEATURES_REQUEST,
    },
    MessageSchema {
        api_key: 74,
        versions: V::range(0, 1),
        flexible_from: Some(0),
        body: &LIST_CONFIG_RESOURCES_REQUEST,
    },
    MessageSchema {
        api_key: 80,
        versions: V::range(0, 0),
        flexible_from: Some(0),
        body: &ADD_RAFT_VOTER_REQUEST,
    },
    MessageSchema {
        api_key: 81,
        versions: V::range(0, 0),
        flexible_from: Some(0),
        body: &REMOVE_RAFT_VOTER_REQUEST,
    },
    MessageSchema {
        api_key: 64,
        versions: V::range(0, 0),
        flexible_from: Some(0),
        body: &UNREGISTER_BROKER_REQUEST,
    },
];

// DescribeTopicPartitions (75): v0, flexible.

const DESCRIBE_TOPIC_PARTITIONS_REQUEST: StructSchema = StructSchema {
    name: "DescribeTopicPartitionsRequest",
    fields: &[
        field("topics", structs(&TOPIC_REQUEST), V::ALL),
        field("response_partition_limit", Ty::Int32, V::ALL),
        field("cursor", Ty::NullableStruct(&CURSOR), V::ALL),
    ],
    tagged: &[],
};

const TOPIC_REQUEST: StructSchema = StructSchema {
    name: "TopicRequest",
    fields: &[field("name", Ty::String, V::ALL)],
    tagged: &[],
};

const CURSOR: StructSchema = StructSchema {
    name: "Cursor",
    fields: &[
        field("topic_name", Ty::String, V::ALL),
        field("partition_index", Ty::Int32, V::ALL),
    ],
    tagged: &[],
};

// AlterReplicaLogDirs (34): v1-2, flexible from v2.

const ALTER_REPLICA_LOG_DIRS_REQUEST: StructSchema = StructSchema {
    name: "AlterReplicaLogDirsRequest",
    fields: &[field("dirs", structs(&ALTER_REPLICA_LOG_DIR), V::ALL)],
    tagged: &[],
};

const ALTER_REPLICA_LOG_DIR: StructSchema = StructSchema {
    name: "AlterReplicaLogDir",
    fields: &[
        field("path", Ty::String, V::ALL),
        field("topics", structs(&ALTER_REPLICA_LOG_DIR_TOPIC), V::ALL),
    ],
    tagged: &[],
};

const ALTER_REPLICA_LOG_DIR_TOPIC: StructSchema = StructSchema {
    name: "AlterReplicaLogDirTopic",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("partitions", Ty::Array(Elem::Int32), V::ALL),
    ],
    tagged: &[],
};

// DescribeQuorum (55): v0-2, flexible.

const DESCRIBE_QUORUM_REQUEST: StructSchema = StructSchema {
    name: "DescribeQuorumRequest",
    fields: &[field("topics", structs(&QUORUM_TOPIC_DATA), V::ALL)],
    tagged: &[],
};

const QUORUM_TOPIC_DATA: StructSchema = StructSchema {
    name: "TopicData",
    fields: &[
        field("topic_name", Ty::String, V::ALL),
        field("partitions", structs(&QUORUM_PARTITION_DATA), V::ALL),
    ],
    tagged: &[],
};

const QUORUM_PARTITION_DATA: StructSchema = StructSchema {
    name: "PartitionData",
    fields: &[field("partition_index", Ty::Int32, V::ALL)],
    tagged: &[],
};

// AlterPartitionReassignments (45): v0-1, flexible.

const ALTER_PARTITION_REASSIGNMENTS_REQUEST: StructSchema = StructSchema {
    name: "AlterPartitionReassignmentsRequest",
    fields: &[
        field("timeout_ms", Ty::Int32, V::ALL),
        field("allow_replication_factor_change", Ty::Bool, V::from(1)),
        field("topics", structs(&REASSIGNABLE_TOPIC), V::ALL),
    ],
    tagged: &[],
};

const REASSIGNABLE_TOPIC: StructSchema = StructSchema {
    name: "ReassignableTopic",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("partitions", structs(&REASSIGNABLE_PARTITION), V::ALL),
    ],
    tagged: &[],
};

const REASSIGNABLE_PARTITION: StructSchema = StructSchema {
    name: "ReassignablePartition",
    fields: &[
        field("partition_index", Ty::Int32, V::ALL),
        field("replicas", Ty::NullableArray(Elem::Int32), V::ALL),
    ],
    tagged: &[],
};

// ListPartitionReassignments (46): v0, flexible.

const LIST_PARTITION_REASSIGNMENTS_REQUEST: StructSchema = StructSchema {
    name: "ListPartitionReassignmentsRequest",
    fields: &[
        field("timeout_ms", Ty::Int32, V::ALL),
        field(
            "topics",
            nullable_structs(&LIST_PARTITION_REASSIGNMENTS_TOPICS),
            V::ALL,
        ),
    ],
    tagged: &[],
};

const LIST_PARTITION_REASSIGNMENTS_TOPICS: StructSchema = StructSchema {
    name: "ListPartitionReassignmentsTopics",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("partition_indexes", Ty::Array(Elem::Int32), V::ALL),
    ],
    tagged: &[],
};

// DescribeClientQuotas (48): v0-1, flexible from v1.

const DESCRIBE_CLIENT_QUOTAS_REQUEST: StructSchema = StructSchema {
    name: "DescribeClientQuotasRequest",
    fields: &[
        field("components", structs(&COMPONENT_DATA), V::ALL),
        field("strict", Ty::Bool, V::ALL),
    ],
    tagged: &[],
};

const COMPONENT_DATA: StructSchema = StructSchema {
    name: "ComponentData",
    fields: &[
        field("entity_type", Ty::String, V::ALL),
        field("match_type", Ty::Int8, V::ALL),
        field("match", Ty::NullableString, V::ALL),
    ],
    tagged: &[],
};

// AlterClientQuotas (49): v0-1, flexible from v1.

const ALTER_CLIENT_QUOTAS_REQUEST: StructSchema = StructSchema {
    name: "AlterClientQuotasRequest",
    fields: &[
        field("entries", structs(&ENTRY_DATA), V::ALL),
        field("validate_only", Ty::Bool, V::ALL),
    ],
    tagged: &[],
};

const ENTRY_DATA: StructSchema = StructSchema {
    name: "EntryData",
    fields: &[
        field("entity", structs(&ENTITY_DATA), V::ALL),
        field("ops", structs(&OP_DATA), V::ALL),
    ],
    tagged: &[],
};

const ENTITY_DATA: StructSchema = StructSchema {
    name: "EntityData",
    fields: &[
        field("entity_type", Ty::String, V::ALL),
        field("entity_name", Ty::NullableString, V::ALL),
    ],
    tagged: &[],
};

const OP_DATA: StructSchema = StructSchema {
    name: "OpData",
    fields: &[
        field("key", Ty::String, V::ALL),
        // float64
        field("value", Ty::Int64, V::ALL),
        field("remove", Ty::Bool, V::ALL),
    ],
    tagged: &[],
};

// UpdateFeatures (57): v0-2, flexible.

const UPDATE_FEATURES_REQUEST: StructSchema = StructSchema {
    name: "UpdateFeaturesRequest",
    fields: &[
        field("timeout_ms", Ty::Int32, V::ALL),
        field("feature_updates", structs(&FEATURE_UPDATE_KEY), V::ALL),
        field("validate_only", Ty::Bool, V::from(1)),
    ],
    tagged: &[],
};

const FEATURE_UPDATE_KEY: StructSchema = StructSchema {
    name: "FeatureUpdateKey",
    fields: &[
        field("feature", Ty::String, V::ALL),
        field("max_version_level", Ty::Int16, V::ALL),
        field("allow_downgrade", Ty::Bool, V::range(0, 0)),
        field("upgrade_type", Ty::Int8, V::from(1)),
    ],
    tagged: &[],
};

// ListConfigResources (74): v0-1, flexible.

const LIST_CONFIG_RESOURCES_REQUEST: StructSchema = StructSchema {
    name: "ListConfigResourcesRequest",
    fields: &[field("resource_types", Ty::Array(Elem::Int8), V::from(1))],
    tagged: &[],
};

// AddRaftVoter (80): v0, flexible.

const ADD_RAFT_VOTER_REQUEST: StructSchema = StructSchema {
    name: "AddRaftVoterRequest",
    fields: &[
        field("cluster_id", Ty::NullableString, V::ALL),
        field("timeout_ms", Ty::Int32, V::ALL),
        field("voter_id", Ty::Int32, V::ALL),
        field("voter_directory_id", Ty::Uuid, V::ALL),
        field("listeners", structs(&RAFT_LISTENER), V::ALL),
    ],
    tagged: &[],
};

const RAFT_LISTENER: StructSchema = StructSchema {
    name: "Listener",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("host", Ty::String, V::ALL),
        // uint16
        field("port", Ty::Int16, V::ALL),
    ],
    tagged: &[],
};

// RemoveRaftVoter (81): v0, flexible.

const REMOVE_RAFT_VOTER_REQUEST: StructSchema = StructSchema {
    name: "RemoveRaftVoterRequest",
    fields: &[
        field("cluster_id", Ty::NullableString, V::ALL),
        field("voter_id", Ty::Int32, V::ALL),
        field("voter_directory_id", Ty::Uuid, V::ALL),
    ],
    tagged: &[],
};

// UnregisterBroker (64): v0, flexible.

const UNREGISTER_BROKER_REQUEST: StructSchema = StructSchema {
    name: "UnregisterBrokerRequest",
    fields: &[field("broker_id", Ty::Int32, V::ALL)],
    tagged: &[],
};
