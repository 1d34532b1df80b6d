//! Request schemas for consumer-group coordination: offsets, the classic join/sync/heartbeat
//! protocol, group listing and deletion, and the KIP-848 consumer-group APIs.
//!
//! Facts come from kafka-protocol 0.18's generated `*_request.rs` decoders; the versions past
//! them (`protocol/newer`) from Kafka 4.4's message specs.

use super::schema::{
    field, nullable_structs, structs, Elem, MessageSchema, StructSchema, Ty, Versions as V,
};

pub(super) const MESSAGES: &[MessageSchema] = &[
    MessageSchema {
        api_key: 8,
        versions: V::range(2, 10),
        flexible_from: Some(8),
        body: &OFFSET_COMMIT_REQUEST,
    },
    MessageSchema {
        api_key: 9,
        versions: V::range(1, 10),
        flexible_from: Some(6),
        body: &OFFSET_FETCH_REQUEST,
    },
    MessageSchema {
        api_key: 10,
        versions: V::range(0, 6),
        flexible_from: Some(3),
        body: &FIND_COORDINATOR_REQUEST,
    },
    MessageSchema {
        api_key: 11,
        versions: V::range(0, 9),
        flexible_from: Some(6),
        body: &JOIN_GROUP_REQUEST,
    },
    MessageSchema {
        api_key: 12,
        versions: V::range(0, 4),
        flexible_from: Some(4),
        body: &HEARTBEAT_REQUEST,
    },
    MessageSchema {
        api_key: 13,
        versions: V::range(0, 5),
        flexible_from: Some(4),
        body: &LEAVE_GROUP_REQUEST,
    },
    MessageSchema {
        api_key: 14,
        versions: V::range(0, 5),
        flexible_from: Some(4),
        body: &SYNC_GROUP_REQUEST,
    },
    MessageSchema {
        api_key: 15,
        versions: V::range(0, 6),
        flexible_from: Some(5),
        body: &DESCRIBE_GROUPS_REQUEST,
    },
    MessageSchema {
        api_key: 16,
        versions: V::range(0, 5),
        flexible_from: Some(3),
        body: &LIST_GROUPS_REQUEST,
    },
    MessageSchema {
        api_key: 42,
        versions: V::range(0, 3),
        flexible_from: Some(2),
        body: &DELETE_GROUPS_REQUEST,
    },
    MessageSchema {
        api_key: 47,
        versions: V::range(0, 0),
        flexible_from: None,
        body: &OFFSET_DELETE_REQUEST,
    },
    MessageSchema {
        api_key: 68,
        versions: V::range(0, 1),
        flexible_from: Some(0),
        body: &CONSUMER_GROUP_HEARTBEAT_REQUEST,
    },
    MessageSchema {
        api_key: 69,
        versions: V::range(0, 1),
        flexible_from: Some(0),
        body: &CONSUMER_GROUP_DESCRIBE_REQUEST,
    },
];

// OffsetCommit (8): v2-10, flexible from v8; v10 (topic ids) from Kafka 4.4's spec (protocol/newer).

const OFFSET_COMMIT_REQUEST: StructSchema = StructSchema {
    name: "OffsetCommitRequest",
    fields: &[
        field("group_id", Ty::String, V::ALL),
        field("generation_id_or_member_epoch", Ty::Int32, V::ALL),
        field("member_id", Ty::String, V::ALL),
        field("group_instance_id", Ty::NullableString, V::from(7)),
        field("retention_time_ms", Ty::Int64, V::upto(4)),
        field("topics", structs(&OFFSET_COMMIT_REQUEST_TOPIC), V::ALL),
    ],
    tagged: &[],
};

const OFFSET_COMMIT_REQUEST_TOPIC: StructSchema = StructSchema {
    name: "OffsetCommitRequestTopic",
    fields: &[
        field("name", Ty::String, V::upto(9)),
        field("topic_id", Ty::Uuid, V::from(10)),
        field(
            "partitions",
            structs(&OFFSET_COMMIT_REQUEST_PARTITION),
            V::ALL,
        ),
    ],
    tagged: &[],
};

const OFFSET_COMMIT_REQUEST_PARTITION: StructSchema = StructSchema {
    name: "OffsetCommitRequestPartition",
    fields: &[
        field("partition_index", Ty::Int32, V::ALL),
        field("committed_offset", Ty::Int64, V::ALL),
        field("committed_leader_epoch", Ty::Int32, V::from(6)),
        field("committed_metadata", Ty::NullableString, V::ALL),
    ],
    tagged: &[],
};

// OffsetFetch (9): v1-10, flexible from v6; v10 (topic ids) from Kafka 4.4's spec (protocol/newer).

const OFFSET_FETCH_REQUEST: StructSchema = StructSchema {
    name: "OffsetFetchRequest",
    fields: &[
        field("group_id", Ty::String, V::upto(7)),
        field(
            "topics",
            nullable_structs(&OFFSET_FETCH_REQUEST_TOPIC),
            V::upto(7),
        ),
        field("groups", structs(&OFFSET_FETCH_REQUEST_GROUP), V::from(8)),
        field("require_stable", Ty::Bool, V::from(7)),
    ],
    tagged: &[],
};

const OFFSET_FETCH_REQUEST_TOPIC: StructSchema = StructSchema {
    name: "OffsetFetchRequestTopic",
    fields: &[
        field("name", Ty::String, V::upto(7)),
        field("partition_indexes", Ty::Array(Elem::Int32), V::upto(7)),
    ],
    tagged: &[],
};

const OFFSET_FETCH_REQUEST_GROUP: StructSchema = StructSchema {
    name: "OffsetFetchRequestGroup",
    fields: &[
        field("group_id", Ty::String, V::from(8)),
        field("member_id", Ty::NullableString, V::from(9)),
        field("member_epoch", Ty::Int32, V::from(9)),
        field(
            "topics",
            nullable_structs(&OFFSET_FETCH_REQUEST_TOPICS),
            V::from(8),
        ),
    ],
    tagged: &[],
};

const OFFSET_FETCH_REQUEST_TOPICS: StructSchema = StructSchema {
    name: "OffsetFetchRequestTopics",
    fields: &[
        field("name", Ty::String, V::range(8, 9)),
        field("topic_id", Ty::Uuid, V::from(10)),
        field("partition_indexes", Ty::Array(Elem::Int32), V::from(8)),
    ],
    tagged: &[],
};

// FindCoordinator (10): v0-6, flexible from v3.

const FIND_COORDINATOR_REQUEST: StructSchema = StructSchema {
    name: "FindCoordinatorRequest",
    fields: &[
        field("key", Ty::String, V::upto(3)),
        field("key_type", Ty::Int8, V::from(1)),
        field("coordinator_keys", Ty::Array(Elem::String), V::from(4)),
    ],
    tagged: &[],
};

// JoinGroup (11): v0-9, flexible from v6.

const JOIN_GROUP_REQUEST: StructSchema = StructSchema {
    name: "JoinGroupRequest",
    fields: &[
        field("group_id", Ty::String, V::ALL),
        field("session_timeout_ms", Ty::Int32, V::ALL),
        field("rebalance_timeout_ms", Ty::Int32, V::from(1)),
        field("member_id", Ty::String, V::ALL),
        field("group_instance_id", Ty::NullableString, V::from(5)),
        field("protocol_type", Ty::String, V::ALL),
        field("protocols", structs(&JOIN_GROUP_REQUEST_PROTOCOL), V::ALL),
        field("reason", Ty::NullableString, V::from(8)),
    ],
    tagged: &[],
};

const JOIN_GROUP_REQUEST_PROTOCOL: StructSchema = StructSchema {
    name: "JoinGroupRequestProtocol",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("metadata", Ty::Bytes, V::ALL),
    ],
    tagged: &[],
};

// Heartbeat (12): v0-4, flexible from v4.

const HEARTBEAT_REQUEST: StructSchema = StructSchema {
    name: "HeartbeatRequest",
    fields: &[
        field("group_id", Ty::String, V::ALL),
        field("generation_id", Ty::Int32, V::ALL),
        field("member_id", Ty::String, V::ALL),
        field("group_instance_id", Ty::NullableString, V::from(3)),
    ],
    tagged: &[],
};

// LeaveGroup (13): v0-5, flexible from v4.

const LEAVE_GROUP_REQUEST: StructSchema = StructSchema {
    name: "LeaveGroupRequest",
    fields: &[
        field("group_id", Ty::String, V::ALL),
        field("member_id", Ty::String, V::upto(2)),
        field("members", structs(&MEMBER_IDENTITY), V::from(3)),
    ],
    tagged: &[],
};

const MEMBER_IDENTITY: StructSchema = StructSchema {
    name: "MemberIdentity",
    fields: &[
        field("member_id", Ty::String, V::from(3)),
        field("group_instance_id", Ty::NullableString, V::from(3)),
        field("reason", Ty::NullableString, V::from(5)),
    ],
    tagged: &[],
};

// SyncGroup (14): v0-5, flexible from v4.

const SYNC_GROUP_REQUEST: StructSchema = StructSchema {
    name: "SyncGroupRequest",
    fields: &[
        field("group_id", Ty::String, V::ALL),
        field("generation_id", Ty::Int32, V::ALL),
        field("member_id", Ty::String, V::ALL),
        field("group_instance_id", Ty::NullableString, V::from(3)),
        field("protocol_type", Ty::NullableString, V::from(5)),
        field("protocol_name", Ty::NullableString, V::from(5)),
        field(
            "assignments",
            structs(&SYNC_GROUP_REQUEST_ASSIGNMENT),
            V::ALL,
        ),
    ],
    tagged: &[],
};

const SYNC_GROUP_REQUEST_ASSIGNMENT: StructSchema = StructSchema {
    name: "SyncGroupRequestAssignment",
    fields: &[
        field("member_id", Ty::String, V::ALL),
        field("assignment", Ty::Bytes, V::ALL),
    ],
    tagged: &[],
};

// DescribeGroups (15): v0-6, flexible from v5.

const DESCRIBE_GROUPS_REQUEST: StructSchema = StructSchema {
    name: "DescribeGroupsRequest",
    fields: &[
        field("groups", Ty::Array(Elem::String), V::ALL),
        field("include_authorized_operations", Ty::Bool, V::from(3)),
    ],
    tagged: &[],
};

// ListGroups (16): v0-5, flexible from v3.

const LIST_GROUPS_REQUEST: StructSchema = StructSchema {
    name: "ListGroupsRequest",
    fields: &[
        field("states_filter", Ty::Array(Elem::String), V::from(4)),
        field("types_filter", Ty::Array(Elem::String), V::from(5)),
    ],
    tagged: &[],
};

// DeleteGroups (42): v0-3, flexible from v2; v3 is v2 (protocol/newer).

const DELETE_GROUPS_REQUEST: StructSchema = StructSchema {
    name: "DeleteGroupsRequest",
    fields: &[field("groups_names", Ty::Array(Elem::String), V::ALL)],
    tagged: &[],
};

// OffsetDelete (47): v0-0, never flexible.

const OFFSET_DELETE_REQUEST: StructSchema = StructSchema {
    name: "OffsetDeleteRequest",
    fields: &[
        field("group_id", Ty::String, V::ALL),
        field("topics", structs(&OFFSET_DELETE_REQUEST_TOPIC), V::ALL),
    ],
    tagged: &[],
};

const OFFSET_DELETE_REQUEST_TOPIC: StructSchema = StructSchema {
    name: "OffsetDeleteRequestTopic",
    fields: &[
        field("name", Ty::String, V::ALL),
        field(
            "partitions",
            structs(&OFFSET_DELETE_REQUEST_PARTITION),
            V::ALL,
        ),
    ],
    tagged: &[],
};

const OFFSET_DELETE_REQUEST_PARTITION: StructSchema = StructSchema {
    name: "OffsetDeleteRequestPartition",
    fields: &[field("partition_index", Ty::Int32, V::ALL)],
    tagged: &[],
};

// ConsumerGroupHeartbeat (68): v0-1, flexible from v0.

const CONSUMER_GROUP_HEARTBEAT_REQUEST: StructSchema = StructSchema {
    name: "ConsumerGroupHeartbeatRequest",
    fields: &[
        field("group_id", Ty::String, V::ALL),
        field("member_id", Ty::String, V::ALL),
        field("member_epoch", Ty::Int32, V::ALL),
        field("instance_id", Ty::NullableString, V::ALL),
        field("rack_id", Ty::NullableString, V::ALL),
        field("rebalance_timeout_ms", Ty::Int32, V::ALL),
        field(
            "subscribed_topic_names",
            Ty::NullableArray(Elem::String),
            V::ALL,
        ),
        field("subscribed_topic_regex", Ty::NullableString, V::from(1)),
        field("server_assignor", Ty::NullableString, V::ALL),
        field(
            "topic_partitions",
            nullable_structs(&TOPIC_PARTITIONS),
            V::ALL,
        ),
    ],
    tagged: &[],
};

const TOPIC_PARTITIONS: StructSchema = StructSchema {
    name: "TopicPartitions",
    fields: &[
        field("topic_id", Ty::Uuid, V::ALL),
        field("partitions", Ty::Array(Elem::Int32), V::ALL),
    ],
    tagged: &[],
};

// ConsumerGroupDescribe (69): v0-1, flexible from v0.

const CONSUMER_GROUP_DESCRIBE_REQUEST: StructSchema = StructSchema {
    name: "ConsumerGroupDescribeRequest",
    fields: &[
        field("group_ids", Ty::Array(Elem::String), V::ALL),
        field("include_authorized_operations", Ty::Bool, V::ALL),
    ],
    tagged: &[],
};
