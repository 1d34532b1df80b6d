//! What can go wrong in a `klamm` tool, each worded as the one line the user
//! sees before the tool exits non-zero.

use thiserror::Error;

use crate::error_names::error_name;

#[derive(Debug, Error)]
pub enum ToolError {
    #[error("cannot reach any broker of {bootstrap}: {reason}")]
    Unreachable { bootstrap: String, reason: String },
    #[error("broker {address}: {reason}")]
    Connection { address: String, reason: String },
    #[error("broker {address} did not answer {api} within {seconds} s")]
    Timeout {
        address: String,
        api: &'static str,
        seconds: u64,
    },
    #[error("broker {address} does not support {api} v{min}-v{max} (klamm's tools need it)")]
    Unsupported {
        address: String,
        api: &'static str,
        min: i16,
        max: i16,
    },
    /// The broker answered with a Kafka error code.
    #[error("{what}: {}{}", error_name(*.code), .message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Kafka {
        what: String,
        code: i16,
        message: Option<String>,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Failed(String),
}

impl ToolError {
    /// An error for a non-zero code, `Ok` for 0.
    pub fn check(
        code: i16,
        message: Option<&str>,
        what: impl FnOnce() -> String,
    ) -> Result<(), ToolError> {
        if code == 0 {
            return Ok(());
        }
        Err(ToolError::Kafka {
            what: what(),
            code,
            message: message.filter(|m| !m.is_empty()).map(str::to_string),
        })
    }

    /// The Kafka error code, if the broker sent one.
    pub fn code(&self) -> Option<i16> {
        match self {
            ToolError::Kafka { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether retrying after fresh metadata may help (leader moved,
    /// coordinator moved or loading).
    pub fn is_retriable(&self) -> bool {
        self.code().is_some_and(is_retriable_code)
    }
}

/// Codes that ask the client to look again and retry.
pub fn is_retriable_code(code: i16) -> bool {
    kafka_protocol::error::ResponseError::try_from_code(code).is_some_and(|e| e.is_retriable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kafka_error_names_the_code_and_the_brokers_message() {
        let error = ToolError::check(40, Some("Unknown topic config name: retention.msx"), || {
            "cannot alter topic t".to_string()
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot alter topic t: INVALID_CONFIG (Unknown topic config name: retention.msx)"
        );
        let error = ToolError::check(3, None, || "topic t".to_string()).unwrap_err();
        assert_eq!(error.to_string(), "topic t: UNKNOWN_TOPIC_OR_PARTITION");
    }
}
