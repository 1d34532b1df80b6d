//! Request schemas for metadata, handshake and cluster administration: Metadata, ApiVersions,
//! SASL, topic/partition/config management, log dirs, leader election, ACL and cluster describes.
//!
//! Facts come from kafka-protocol 0.18's generated `*_request.rs` decoders; the versions past
//! them (`protocol/newer`) from Kafka 4.4's message specs. IncrementalAlterConfigs
//! has its own `AlterConfigsResource`/`AlterableConfig` shapes, hence the prefixed names.

use super::schema::{
    field, nullable_structs, structs, Elem, MessageSchema, StructSchema, Ty, Versions as V,
};

pub(super) const MESSAGES: &[MessageSchema] = &[
    MessageSchema {
        api_key: 3,
        versions: V::range(0, 13),
        flexible_from: Some(9),
        body: &METADATA_REQUEST,
    },
    MessageSchema {
        api_key: 18,
        versions: V::range(0, 5),
        flexible_from: Some(3),
        body: &API_VERSIONS_REQUEST,
    },
    MessageSchema {
        api_key: 17,
        versions: V::range(0, 1),
        flexible_from: None,
        body: &SASL_HANDSHAKE_REQUEST,
    },
    MessageSchema {
        api_key: 36,
        versions: V::range(0, 2),
        flexible_from: Some(2),
        body: &SASL_AUTHENTICATE_REQUEST,
    },
    MessageSchema {
        api_key: 19,
        versions: V::range(2, 7),
        flexible_from: Some(5),
        body: &CREATE_TOPICS_REQUEST,
    },
    MessageSchema {
        api_key: 20,
        versions: V::range(1, 6),
        flexible_from: Some(4),
        body: &DELETE_TOPICS_REQUEST,
    },
    MessageSchema {
        api_key: 37,
        versions: V::range(0, 3),
        flexible_from: Some(2),
        body: &CREATE_PARTITIONS_REQUEST,
    },
    MessageSchema {
        api_key: 32,
        versions: V::range(1, 4),
        flexible_from: Some(4),
        body: &DESCRIBE_CONFIGS_REQUEST,
    },
    MessageSchema {
        api_key: 33,
        versions: V::range(0, 2),
        flexible_from: Some(2),
        body: &ALTER_CONFIGS_REQUEST,
    },
    MessageSchema {
        api_key: 44,
        versions: V::range(0, 1),
        flexible_from: Some(1),
        body: &INCREMENTAL_ALTER_CONFIGS_REQUEST,
    },
    MessageSchema {
        api_key: 35,
        versions: V::range(1, 5),
        flexible_from: Some(2),
        body: &DESCRIBE_LOG_DIRS_REQUEST,
    },
    MessageSchema {
        api_key: 43,
        versions: V::range(0, 2),
        flexible_from: Some(2),
        body: &ELECT_LEADERS_REQUEST,
    },
    MessageSchema {
        api_key: 29,
        versions: V::range(1, 3),
        flexible_from: Some(2),
        body: &DESCRIBE_ACLS_REQUEST,
    },
    MessageSchema {
        api_key: 60,
        versions: V::range(0, 2),
        flexible_from: Some(0),
        body: &DESCRIBE_CLUSTER_REQUEST,
    },
];

// Metadata (3): v0-13, flexible from v9.

const METADATA_REQUEST: StructSchema = StructSchema {
    name: "MetadataRequest",
    fields: &[
        field("topics", nullable_structs(&METADATA_REQUEST_TOPIC), V::ALL),
        field("allow_auto_topic_creation", Ty::Bool, V::from(4)),
        field(
            "include_cluster_authorized_operations",
            Ty::Bool,
            V::range(8, 10),
        ),
        field("include_topic_authorized_operations", Ty::Bool, V::from(8)),
    ],
    tagged: &[],
};

const METADATA_REQUEST_TOPIC: StructSchema = StructSchema {
    name: "MetadataRequestTopic",
    fields: &[
        field("topic_id", Ty::Uuid, V::from(10)),
        field("name", Ty::NullableString, V::ALL),
    ],
    tagged: &[],
};

// ApiVersions (18): v0-5, flexible from v3; v5 (cluster and node id) from Kafka 4.4's spec (protocol/newer).

const API_VERSIONS_REQUEST: StructSchema = StructSchema {
    name: "ApiVersionsRequest",
    fields: &[
        field("client_software_name", Ty::String, V::from(3)),
        field("client_software_version", Ty::String, V::from(3)),
        field("cluster_id", Ty::NullableString, V::from(5)),
        field("node_id", Ty::Int32, V::from(5)),
    ],
    tagged: &[],
};

// SaslHandshake (17): v0-1, never flexible.

const SASL_HANDSHAKE_REQUEST: StructSchema = StructSchema {
    name: "SaslHandshakeRequest",
    fields: &[field("mechanism", Ty::String, V::ALL)],
    tagged: &[],
};

// SaslAuthenticate (36): v0-2, flexible from v2.

const SASL_AUTHENTICATE_REQUEST: StructSchema = StructSchema {
    name: "SaslAuthenticateRequest",
    fields: &[field("auth_bytes", Ty::Bytes, V::ALL)],
    tagged: &[],
};

// CreateTopics (19): v2-7, flexible from v5.

const CREATE_TOPICS_REQUEST: StructSchema = StructSchema {
    name: "CreateTopicsRequest",
    fields: &[
        field("topics", structs(&CREATABLE_TOPIC), V::ALL),
        field("timeout_ms", Ty::Int32, V::ALL),
        field("validate_only", Ty::Bool, V::ALL),
    ],
    tagged: &[],
};

const CREATABLE_TOPIC: StructSchema = StructSchema {
    name: "CreatableTopic",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("num_partitions", Ty::Int32, V::ALL),
        field("replication_factor", Ty::Int16, V::ALL),
        field(
            "assignments",
            structs(&CREATABLE_REPLICA_ASSIGNMENT),
            V::ALL,
        ),
        field("configs", structs(&CREATABLE_TOPIC_CONFIG), V::ALL),
    ],
    tagged: &[],
};

const CREATABLE_REPLICA_ASSIGNMENT: StructSchema = StructSchema {
    name: "CreatableReplicaAssignment",
    fields: &[
        field("partition_index", Ty::Int32, V::ALL),
        field("broker_ids", Ty::Array(Elem::Int32), V::ALL),
    ],
    tagged: &[],
};

const CREATABLE_TOPIC_CONFIG: StructSchema = StructSchema {
    name: "CreatableTopicConfig",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("value", Ty::NullableString, V::ALL),
    ],
    tagged: &[],
};

// DeleteTopics (20): v1-6, flexible from v4.

const DELETE_TOPICS_REQUEST: StructSchema = StructSchema {
    name: "DeleteTopicsRequest",
    fields: &[
        field("topics", structs(&DELETE_TOPIC_STATE), V::from(6)),
        field("topic_names", Ty::Array(Elem::String), V::upto(5)),
        field("timeout_ms", Ty::Int32, V::ALL),
    ],
    tagged: &[],
};

const DELETE_TOPIC_STATE: StructSchema = StructSchema {
    name: "DeleteTopicState",
    fields: &[
        field("name", Ty::NullableString, V::from(6)),
        field("topic_id", Ty::Uuid, V::from(6)),
    ],
    tagged: &[],
};

// CreatePartitions (37): v0-3, flexible from v2.

const CREATE_PARTITIONS_REQUEST: StructSchema = StructSchema {
    name: "CreatePartitionsRequest",
    fields: &[
        field("topics", structs(&CREATE_PARTITIONS_TOPIC), V::ALL),
        field("timeout_ms", Ty::Int32, V::ALL),
        field("validate_only", Ty::Bool, V::ALL),
    ],
    tagged: &[],
};

const CREATE_PARTITIONS_TOPIC: StructSchema = StructSchema {
    name: "CreatePartitionsTopic",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("count", Ty::Int32, V::ALL),
        field(
            "assignments",
            nullable_structs(&CREATE_PARTITIONS_ASSIGNMENT),
            V::ALL,
        ),
    ],
    tagged: &[],
};

const CREATE_PARTITIONS_ASSIGNMENT: StructSchema = StructSchema {
    name: "CreatePartitionsAssignment",
    fields: &[field("broker_ids", Ty::Array(Elem::Int32), V::ALL)],
    tagged: &[],
};

// DescribeConfigs (32): v1-4, flexible from v4.

const DESCRIBE_CONFIGS_REQUEST: StructSchema = StructSchema {
    name: "DescribeConfigsRequest",
    fields: &[
        field("resources", structs(&DESCRIBE_CONFIGS_RESOURCE), V::ALL),
        field("include_synonyms", Ty::Bool, V::ALL),
        field("include_documentation", Ty::Bool, V::from(3)),
    ],
    tagged: &[],
};

const DESCRIBE_CONFIGS_RESOURCE: StructSchema = StructSchema {
    name: "DescribeConfigsResource",
    fields: &[
        field("resource_type", Ty::Int8, V::ALL),
        field("resource_name", Ty::String, V::ALL),
        field(
            "configuration_keys",
            Ty::NullableArray(Elem::String),
            V::ALL,
        ),
    ],
    tagged: &[],
};

// AlterConfigs (33): v0-2, flexible from v2.

const ALTER_CONFIGS_REQUEST: StructSchema = StructSchema {
    name: "AlterConfigsRequest",
    fields: &[
        field(
            "resources",
            structs(&ALTER_CONFIGS_ALTER_CONFIGS_RESOURCE),
            V::ALL,
        ),
        field("validate_only", Ty::Bool, V::ALL),
    ],
    tagged: &[],
};

const ALTER_CONFIGS_ALTER_CONFIGS_RESOURCE: StructSchema = StructSchema {
    name: "AlterConfigsResource",
    fields: &[
        field("resource_type", Ty::Int8, V::ALL),
        field("resource_name", Ty::String, V::ALL),
        field("configs", structs(&ALTER_CONFIGS_ALTERABLE_CONFIG), V::ALL),
    ],
    tagged: &[],
};

const ALTER_CONFIGS_ALTERABLE_CONFIG: StructSchema = StructSchema {
    name: "AlterableConfig",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("value", Ty::NullableString, V::ALL),
    ],
    tagged: &[],
};

// IncrementalAlterConfigs (44): v0-1, flexible from v1.

const INCREMENTAL_ALTER_CONFIGS_REQUEST: StructSchema = StructSchema {
    name: "IncrementalAlterConfigsRequest",
    fields: &[
        field(
            "resources",
            Ty::Array(Elem::Struct(
                &INCREMENTAL_ALTER_CONFIGS_ALTER_CONFIGS_RESOURCE,
            )),
            V::ALL,
        ),
        field("validate_only", Ty::Bool, V::ALL),
    ],
    tagged: &[],
};

const INCREMENTAL_ALTER_CONFIGS_ALTER_CONFIGS_RESOURCE: StructSchema = StructSchema {
    name: "AlterConfigsResource",
    fields: &[
        field("resource_type", Ty::Int8, V::ALL),
        field("resource_name", Ty::String, V::ALL),
        field(
            "configs",
            structs(&INCREMENTAL_ALTER_CONFIGS_ALTERABLE_CONFIG),
            V::ALL,
        ),
    ],
    tagged: &[],
};

const INCREMENTAL_ALTER_CONFIGS_ALTERABLE_CONFIG: StructSchema = StructSchema {
    name: "AlterableConfig",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("config_operation", Ty::Int8, V::ALL),
        field("value", Ty::NullableString, V::ALL),
    ],
    tagged: &[],
};

// DescribeLogDirs (35): v1-5, flexible from v2; v5 is v4 (protocol/newer).

const DESCRIBE_LOG_DIRS_REQUEST: StructSchema = StructSchema {
    name: "DescribeLogDirsRequest",
    fields: &[field(
        "topics",
        nullable_structs(&DESCRIBABLE_LOG_DIR_TOPIC),
        V::ALL,
    )],
    tagged: &[],
};

const DESCRIBABLE_LOG_DIR_TOPIC: StructSchema = StructSchema {
    name: "DescribableLogDirTopic",
    fields: &[
        field("topic", Ty::String, V::ALL),
        field("partitions", Ty::Array(Elem::Int32), V::ALL),
    ],
    tagged: &[],
};

// ElectLeaders (43): v0-2, flexible from v2.

const ELECT_LEADERS_REQUEST: StructSchema = StructSchema {
    name: "ElectLeadersRequest",
    fields: &[
        field("election_type", Ty::Int8, V::from(1)),
        field(
            "topic_partitions",
            nullable_structs(&TOPIC_PARTITIONS),
            V::ALL,
        ),
        field("timeout_ms", Ty::Int32, V::ALL),
    ],
    tagged: &[],
};

const TOPIC_PARTITIONS: StructSchema = StructSchema {
    name: "TopicPartitions",
    fields: &[
        field("topic", Ty::String, V::ALL),
        field("partitions", Ty::Array(Elem::Int32), V::ALL),
    ],
    tagged: &[],
};

// DescribeAcls (29): v1-3, flexible from v2.

const DESCRIBE_ACLS_REQUEST: StructSchema = StructSchema {
    name: "DescribeAclsRequest",
    fields: &[
        field("resource_type_filter", Ty::Int8, V::ALL),
        field("resource_name_filter", Ty::NullableString, V::ALL),
        field("pattern_type_filter", Ty::Int8, V::ALL),
        field("principal_filter", Ty::NullableString, V::ALL),
        field("host_filter", Ty::NullableString, V::ALL),
        field("operation", Ty::Int8, V::ALL),
        field("permission_type", Ty::Int8, V::ALL),
    ],
    tagged: &[],
};

// DescribeCluster (60): v0-2, flexible from v0.

const DESCRIBE_CLUSTER_REQUEST: StructSchema = StructSchema {
    name: "DescribeClusterRequest",
    fields: &[
        field("include_cluster_authorized_operations", Ty::Bool, V::ALL),
        field("endpoint_type", Ty::Int8, V::from(1)),
        field("include_fenced_brokers", Ty::Bool, V::from(2)),
    ],
    tagged: &[],
};
