//! Why a benchmark run could not go on.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum BenchError {
    #[error("cannot connect to {address}: {source}")]
    Connect {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("protocol: {0}")]
    Protocol(String),
    #[error("{what}: the broker answered error code {code}")]
    Broker { what: String, code: i16 },
    #[error("librdkafka: {0}")]
    Rdkafka(#[from] rdkafka::error::KafkaError),
    #[error("{0}")]
    Usage(String),
}

/// `Ok` for error code 0, a [`BenchError::Broker`] naming `what` otherwise.
pub fn check(code: i16, what: impl FnOnce() -> String) -> Result<(), BenchError> {
    if code == 0 {
        Ok(())
    } else {
        Err(BenchError::Broker { what: what(), code })
    }
}
