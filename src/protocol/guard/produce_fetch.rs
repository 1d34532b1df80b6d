//! Request schemas for the data path: Produce, Fetch, ListOffsets, DeleteRecords and
//! OffsetForLeaderEpoch.
//!
//! Facts come from kafka-protocol 0.18's generated `*_request.rs` decoders; the versions past
//! them (`protocol/newer`) from Kafka 4.4's message specs. Fetch is the only
//! request here with known tagged fields; their version ranges are the ones outside which the
//! decoder refuses the tag (cluster_id is accepted in every flexible version).

use super::schema::{field, structs, tagged, Elem, MessageSchema, StructSchema, Ty, Versions as V};

pub(super) const MESSAGES: &[MessageSchema] = &[
    MessageSchema {
        api_key: 0,
        versions: V::range(3, 13),
        flexible_from: Some(9),
        body: &PRODUCE_REQUEST,
    },
    MessageSchema {
        api_key: 1,
        versions: V::range(4, 18),
        flexible_from: Some(12),
        body: &FETCH_REQUEST,
    },
    MessageSchema {
        api_key: 2,
        versions: V::range(1, 11),
        flexible_from: Some(6),
        body: &LIST_OFFSETS_REQUEST,
    },
    MessageSchema {
        api_key: 21,
        versions: V::range(0, 2),
        flexible_from: Some(2),
        body: &DELETE_RECORDS_REQUEST,
    },
    MessageSchema {
        api_key: 23,
        versions: V::range(2, 4),
        flexible_from: Some(4),
        body: &OFFSET_FOR_LEADER_EPOCH_REQUEST,
    },
];

// Produce (0): v3-13, flexible from v9.

const PRODUCE_REQUEST: StructSchema = StructSchema {
    name: "ProduceRequest",
    fields: &[
        field("transactional_id", Ty::NullableString, V::ALL),
        field("acks", Ty::Int16, V::ALL),
        field("timeout_ms", Ty::Int32, V::ALL),
        field("topic_data", structs(&TOPIC_PRODUCE_DATA), V::ALL),
    ],
    tagged: &[],
};

const TOPIC_PRODUCE_DATA: StructSchema = StructSchema {
    name: "TopicProduceData",
    fields: &[
        field("name", Ty::String, V::upto(12)),
        field("topic_id", Ty::Uuid, V::from(13)),
        field("partition_data", structs(&PARTITION_PRODUCE_DATA), V::ALL),
    ],
    tagged: &[],
};

const PARTITION_PRODUCE_DATA: StructSchema = StructSchema {
    name: "PartitionProduceData",
    fields: &[
        field("index", Ty::Int32, V::ALL),
        field("records", Ty::NullableBytes, V::ALL),
    ],
    tagged: &[],
};

// Fetch (1): v4-18, flexible from v12.

const FETCH_REQUEST: StructSchema = StructSchema {
    name: "FetchRequest",
    fields: &[
        field("replica_id", Ty::Int32, V::upto(14)),
        field("max_wait_ms", Ty::Int32, V::ALL),
        field("min_bytes", Ty::Int32, V::ALL),
        field("max_bytes", Ty::Int32, V::ALL),
        field("isolation_level", Ty::Int8, V::ALL),
        field("session_id", Ty::Int32, V::from(7)),
        field("session_epoch", Ty::Int32, V::from(7)),
        field("topics", structs(&FETCH_TOPIC), V::ALL),
        field(
            "forgotten_topics_data",
            structs(&FORGOTTEN_TOPIC),
            V::from(7),
        ),
        field("rack_id", Ty::String, V::from(11)),
    ],
    tagged: &[
        tagged(0, "cluster_id", Ty::NullableString, V::ALL),
        tagged(1, "replica_state", Ty::Struct(&REPLICA_STATE), V::from(15)),
    ],
};

const FETCH_TOPIC: StructSchema = StructSchema {
    name: "FetchTopic",
    fields: &[
        field("topic", Ty::String, V::upto(12)),
        field("topic_id", Ty::Uuid, V::from(13)),
        field("partitions", structs(&FETCH_PARTITION), V::ALL),
    ],
    tagged: &[],
};

const FETCH_PARTITION: StructSchema = StructSchema {
    name: "FetchPartition",
    fields: &[
        field("partition", Ty::Int32, V::ALL),
        field("current_leader_epoch", Ty::Int32, V::from(9)),
        field("fetch_offset", Ty::Int64, V::ALL),
        field("last_fetched_epoch", Ty::Int32, V::from(12)),
        field("log_start_offset", Ty::Int64, V::from(5)),
        field("partition_max_bytes", Ty::Int32, V::ALL),
    ],
    tagged: &[
        tagged(0, "replica_directory_id", Ty::Uuid, V::from(17)),
        tagged(1, "high_watermark", Ty::Int64, V::from(18)),
    ],
};

const FORGOTTEN_TOPIC: StructSchema = StructSchema {
    name: "ForgottenTopic",
    fields: &[
        field("topic", Ty::String, V::range(7, 12)),
        field("topic_id", Ty::Uuid, V::from(13)),
        field("partitions", Ty::Array(Elem::Int32), V::from(7)),
    ],
    tagged: &[],
};

const REPLICA_STATE: StructSchema = StructSchema {
    name: "ReplicaState",
    fields: &[
        field("replica_id", Ty::Int32, V::from(15)),
        field("replica_epoch", Ty::Int64, V::from(15)),
    ],
    tagged: &[],
};

// ListOffsets (2): v1-11, flexible from v6; v11 is v10 (protocol/newer).

const LIST_OFFSETS_REQUEST: StructSchema = StructSchema {
    name: "ListOffsetsRequest",
    fields: &[
        field("replica_id", Ty::Int32, V::ALL),
        field("isolation_level", Ty::Int8, V::from(2)),
        field("topics", structs(&LIST_OFFSETS_TOPIC), V::ALL),
        field("timeout_ms", Ty::Int32, V::from(10)),
    ],
    tagged: &[],
};

const LIST_OFFSETS_TOPIC: StructSchema = StructSchema {
    name: "ListOffsetsTopic",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("partitions", structs(&LIST_OFFSETS_PARTITION), V::ALL),
    ],
    tagged: &[],
};

const LIST_OFFSETS_PARTITION: StructSchema = StructSchema {
    name: "ListOffsetsPartition",
    fields: &[
        field("partition_index", Ty::Int32, V::ALL),
        field("current_leader_epoch", Ty::Int32, V::from(4)),
        field("timestamp", Ty::Int64, V::ALL),
    ],
    tagged: &[],
};

// DeleteRecords (21): v0-2, flexible from v2.

const DELETE_RECORDS_REQUEST: StructSchema = StructSchema {
    name: "DeleteRecordsRequest",
    fields: &[
        field("topics", structs(&DELETE_RECORDS_TOPIC), V::ALL),
        field("timeout_ms", Ty::Int32, V::ALL),
    ],
    tagged: &[],
};

const DELETE_RECORDS_TOPIC: StructSchema = StructSchema {
    name: "DeleteRecordsTopic",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("partitions", structs(&DELETE_RECORDS_PARTITION), V::ALL),
    ],
    tagged: &[],
};

const DELETE_RECORDS_PARTITION: StructSchema = StructSchema {
    name: "DeleteRecordsPartition",
    fields: &[
        field("partition_index", Ty::Int32, V::ALL),
        field("offset", Ty::Int64, V::ALL),
    ],
    tagged: &[],
};

// OffsetForLeaderEpoch (23): v2-4, flexible from v4.

const OFFSET_FOR_LEADER_EPOCH_REQUEST: StructSchema = StructSchema {
    name: "OffsetForLeaderEpochRequest",
    fields: &[
        field("replica_id", Ty::Int32, V::from(3)),
        field("topics", structs(&OFFSET_FOR_LEADER_TOPIC), V::ALL),
    ],
    tagged: &[],
};

const OFFSET_FOR_LEADER_TOPIC: StructSchema = StructSchema {
    name: "OffsetForLeaderTopic",
    fields: &[
        field("topic", Ty::String, V::ALL),
        field("partitions", structs(&OFFSET_FOR_LEADER_PARTITION), V::ALL),
    ],
    tagged: &[],
};

const OFFSET_FOR_LEADER_PARTITION: StructSchema = StructSchema {
    name: "OffsetForLeaderPartition",
    fields: &[
        field("partition", Ty::Int32, V::ALL),
        field("current_leader_epoch", Ty::Int32, V::ALL),
        field("leader_epoch", Ty::Int32, V::ALL),
    ],
    tagged: &[],
};
