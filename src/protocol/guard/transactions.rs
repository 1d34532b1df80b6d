//! Request schemas for idempotent and transactional producers and their admin APIs.
//!
//! Facts come from kafka-protocol 0.18's generated `*_request.rs` decoders. AddPartitionsToTxn
//! changed shape at v4 (batched transactions), so its v3-and-below fields are version-limited.

use super::schema::{field, structs, Elem, MessageSchema, StructSchema, Ty, Versions as V};

pub(super) const MESSAGES: &[MessageSchema] = &[
    MessageSchema {
        api_key: 22,
        versions: V::range(0, 5),
        flexible_from: Some(2),
        body: &INIT_PRODUCER_ID_REQUEST,
    },
    MessageSchema {
        api_key: 24,
        versions: V::range(0, 5),
        flexible_from: Some(3),
        body: &ADD_PARTITIONS_TO_TXN_REQUEST,
    },
    MessageSchema {
        api_key: 25,
        versions: V::range(0, 4),
        flexible_from: Some(3),
        body: &ADD_OFFSETS_TO_TXN_REQUEST,
    },
    MessageSchema {
        api_key: 26,
        versions: V::range(0, 5),
        flexible_from: Some(3),
        body: &END_TXN_REQUEST,
    },
    MessageSchema {
        api_key: 28,
        versions: V::range(0, 5),
        flexible_from: Some(3),
        body: &TXN_OFFSET_COMMIT_REQUEST,
    },
    MessageSchema {
        api_key: 61,
        versions: V::range(0, 0),
        flexible_from: Some(0),
        body: &DESCRIBE_PRODUCERS_REQUEST,
    },
    MessageSchema {
        api_key: 65,
        versions: V::range(0, 0),
        flexible_from: Some(0),
        body: &DESCRIBE_TRANSACTIONS_REQUEST,
    },
    MessageSchema {
        api_key: 66,
        versions: V::range(0, 2),
        flexible_from: Some(0),
        body: &LIST_TRANSACTIONS_REQUEST,
    },
];

// InitProducerId (22): v0-5, flexible from v2.

const INIT_PRODUCER_ID_REQUEST: StructSchema = StructSchema {
    name: "InitProducerIdRequest",
    fields: &[
        field("transactional_id", Ty::NullableString, V::ALL),
        field("transaction_timeout_ms", Ty::Int32, V::ALL),
        field("producer_id", Ty::Int64, V::from(3)),
        field("producer_epoch", Ty::Int16, V::from(3)),
    ],
    tagged: &[],
};

// AddPartitionsToTxn (24): v0-5, flexible from v3.

const ADD_PARTITIONS_TO_TXN_REQUEST: StructSchema = StructSchema {
    name: "AddPartitionsToTxnRequest",
    fields: &[
        field(
            "transactions",
            structs(&ADD_PARTITIONS_TO_TXN_TRANSACTION),
            V::from(4),
        ),
        field("v3_and_below_transactional_id", Ty::String, V::upto(3)),
        field("v3_and_below_producer_id", Ty::Int64, V::upto(3)),
        field("v3_and_below_producer_epoch", Ty::Int16, V::upto(3)),
        field(
            "v3_and_below_topics",
            structs(&ADD_PARTITIONS_TO_TXN_TOPIC),
            V::upto(3),
        ),
    ],
    tagged: &[],
};

const ADD_PARTITIONS_TO_TXN_TRANSACTION: StructSchema = StructSchema {
    name: "AddPartitionsToTxnTransaction",
    fields: &[
        field("transactional_id", Ty::String, V::from(4)),
        field("producer_id", Ty::Int64, V::from(4)),
        field("producer_epoch", Ty::Int16, V::from(4)),
        field("verify_only", Ty::Bool, V::from(4)),
        field("topics", structs(&ADD_PARTITIONS_TO_TXN_TOPIC), V::from(4)),
    ],
    tagged: &[],
};

const ADD_PARTITIONS_TO_TXN_TOPIC: StructSchema = StructSchema {
    name: "AddPartitionsToTxnTopic",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("partitions", Ty::Array(Elem::Int32), V::ALL),
    ],
    tagged: &[],
};

// AddOffsetsToTxn (25): v0-4, flexible from v3.

const ADD_OFFSETS_TO_TXN_REQUEST: StructSchema = StructSchema {
    name: "AddOffsetsToTxnRequest",
    fields: &[
        field("transactional_id", Ty::String, V::ALL),
        field("producer_id", Ty::Int64, V::ALL),
        field("producer_epoch", Ty::Int16, V::ALL),
        field("group_id", Ty::String, V::ALL),
    ],
    tagged: &[],
};

// EndTxn (26): v0-5, flexible from v3.

const END_TXN_REQUEST: StructSchema = StructSchema {
    name: "EndTxnRequest",
    fields: &[
        field("transactional_id", Ty::String, V::ALL),
        field("producer_id", Ty::Int64, V::ALL),
        field("producer_epoch", Ty::Int16, V::ALL),
        field("committed", Ty::Bool, V::ALL),
    ],
    tagged: &[],
};

// TxnOffsetCommit (28): v0-5, flexible from v3.

const TXN_OFFSET_COMMIT_REQUEST: StructSchema = StructSchema {
    name: "TxnOffsetCommitRequest",
    fields: &[
        field("transactional_id", Ty::String, V::ALL),
        field("group_id", Ty::String, V::ALL),
        field("producer_id", Ty::Int64, V::ALL),
        field("producer_epoch", Ty::Int16, V::ALL),
        field("generation_id", Ty::Int32, V::from(3)),
        field("member_id", Ty::String, V::from(3)),
        field("group_instance_id", Ty::NullableString, V::from(3)),
        field("topics", structs(&TXN_OFFSET_COMMIT_REQUEST_TOPIC), V::ALL),
    ],
    tagged: &[],
};

const TXN_OFFSET_COMMIT_REQUEST_TOPIC: StructSchema = StructSchema {
    name: "TxnOffsetCommitRequestTopic",
    fields: &[
        field("name", Ty::String, V::ALL),
        field(
            "partitions",
            structs(&TXN_OFFSET_COMMIT_REQUEST_PARTITION),
            V::ALL,
        ),
    ],
    tagged: &[],
};

const TXN_OFFSET_COMMIT_REQUEST_PARTITION: StructSchema = StructSchema {
    name: "TxnOffsetCommitRequestPartition",
    fields: &[
        field("partition_index", Ty::Int32, V::ALL),
        field("committed_offset", Ty::Int64, V::ALL),
        field("committed_leader_epoch", Ty::Int32, V::from(2)),
        field("committed_metadata", Ty::NullableString, V::ALL),
    ],
    tagged: &[],
};

// DescribeProducers (61): v0-0, flexible from v0.

const DESCRIBE_PRODUCERS_REQUEST: StructSchema = StructSchema {
    name: "DescribeProducersRequest",
    fields: &[field("topics", structs(&TOPIC_REQUEST), V::ALL)],
    tagged: &[],
};

const TOPIC_REQUEST: StructSchema = StructSchema {
    name: "TopicRequest",
    fields: &[
        field("name", Ty::String, V::ALL),
        field("partition_indexes", Ty::Array(Elem::Int32), V::ALL),
    ],
    tagged: &[],
};

// DescribeTransactions (65): v0-0, flexible from v0.

const DESCRIBE_TRANSACTIONS_REQUEST: StructSchema = StructSchema {
    name: "DescribeTransactionsRequest",
    fields: &[field("transactional_ids", Ty::Array(Elem::String), V::ALL)],
    tagged: &[],
};

// ListTransactions (66): v0-2, flexible from v0.

const LIST_TRANSACTIONS_REQUEST: StructSchema = StructSchema {
    name: "ListTransactionsRequest",
    fields: &[
        field("state_filters", Ty::Array(Elem::String), V::ALL),
        field("producer_id_filters", Ty::Array(Elem::Int64), V::ALL),
        field("duration_filter", Ty::Int64, V::from(1)),
        field("transactional_id_pattern", Ty::NullableString, V::from(2)),
    ],
    tagged: &[],
};
