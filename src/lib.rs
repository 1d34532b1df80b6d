//! klamm: a single-node broker that speaks the Apache Kafka wire protocol.
//!
//! Unmodified Kafka clients produce to it, consume from it and find their
//! data again after a restart. The same broker runs as the `klamm` binary or
//! inside a Rust test through [`Broker::builder`].
//!
//! Where a request goes: [`server`] reads frames from a connection,
//! `protocol::handle_frame` checks and decodes them and calls the module of
//! that API (`protocol::data::produce`, `protocol::data::fetch`, ...), which works on the
//! [`cluster`] (topics, configs) and the [`storage`] (partition logs).

mod broker;
pub mod cluster;
pub mod config;
mod conformance;
pub mod error_names;
#[doc(hidden)]
pub mod fuzzing;
mod metrics;
mod producers;
mod protocol;
mod server;
mod state;
pub mod storage;
pub mod tools;

pub use broker::{Broker, BrokerBuilder, BrokerError};
pub use config::{AutoCreateTopics, Config};
pub mod group;
