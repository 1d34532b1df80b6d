//! The feature levels klamm supports and has finalized (KIP-584), as
//! ApiVersions v3+ reports them: Kafka 4.4's features, each at the levels
//! klamm implements, so a client that reads them draws the right
//! conclusion.
//!
//! | feature | klamm | Kafka 4.4 | what a client concludes from klamm's |
//! |---|---|---|---|
//! | metadata.version | 33, finalized 33 | 7-33, finalized 33 | a 4.4 cluster: the API versions it advertises are 4.4's. klamm has no metadata log to upgrade or downgrade, so it runs at one level |
//! | transaction.version | 0 | 0-2, finalized 2 | no transactions V2 (KIP-890): a Java producer keeps sending AddPartitionsToTxn and never relies on Produce v12 adding partitions; klamm refuses transactions at InitProducerId anyway |
//! | group.version | 0 | 0-1, finalized 1 | no consumer group protocol (KIP-848): consumers use the classic protocol, which klamm implements |
//! | share.version | 0 | 0-2, finalized 2 | no share groups (KIP-932) |
//! | streams.version | 0 | 0-1, finalized 1 | no streams groups (KIP-1071): Kafka Streams uses the classic protocol |
//! | eligible.leader.replicas.version | 0 | 0-1, finalized 1 | no eligible leader replicas (KIP-966): klamm's replicas are always in sync and never elect |
//! | kraft.version | 0 | 0-1 (not finalized) | a static quorum: there are no voters to add or remove |
//!
//! A feature at level 0 is not finalized, as Kafka leaves it out; ApiVersions
//! before v4 leaves out supported features whose minimum is 0 (KAFKA-17011).
//! The levels never change, so the finalized epoch is a constant 0 (valid:
//! clients ignore the finalized list when the epoch is -1).

/// A feature and the levels klamm supports.
pub(crate) struct Feature {
    pub name: &'static str,
    pub min: i16,
    pub max: i16,
    /// The finalized level, when it is above 0.
    pub finalized: Option<i16>,
}

/// metadata.version 33 is Kafka 4.4's newest, the level its brokers finalize.
pub(crate) const METADATA_VERSION: i16 = 33;

pub(crate) const FEATURES: &[Feature] = &[
    Feature {
        name: "metadata.version",
        min: METADATA_VERSION,
        max: METADATA_VERSION,
        finalized: Some(METADATA_VERSION),
    },
    Feature {
        name: "transaction.version",
        min: 0,
        max: 0,
        finalized: None,
    },
    Feature {
        name: "group.version",
        min: 0,
        max: 0,
        finalized: None,
    },
    Feature {
        name: "share.version",
        min: 0,
        max: 0,
        finalized: None,
    },
    Feature {
        name: "streams.version",
        min: 0,
        max: 0,
        finalized: None,
    },
    Feature {
        name: "eligible.leader.replicas.version",
        min: 0,
        max: 0,
        finalized: None,
    },
    Feature {
        name: "kraft.version",
        min: 0,
        max: 0,
        finalized: None,
    },
];

/// The epoch of the finalized levels; they never change.
pub(crate) const FINALIZED_EPOCH: i64 = 0;
