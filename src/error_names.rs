//! Kafka's names for its error codes (`NOT_LEADER_OR_FOLLOWER`), as Kafka's
//! own tools and logs spell them; shared by `/metrics` and the client tools.

use kafka_protocol::error::ResponseError;

/// `UNKNOWN_TOPIC_OR_PARTITION` for 3; `UNKNOWN_ERROR_CODE_<n>` for codes
/// the codec does not know.
pub fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        Some(ResponseError::Unknown(_)) | None => format!("UNKNOWN_ERROR_CODE_{code}"),
        Some(error) => screaming_snake(&format!("{error:?}")),
    }
}

/// `UnknownTopicOrPartition` → `UNKNOWN_TOPIC_OR_PARTITION`.
fn screaming_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_get_kafkas_names() {
        assert_eq!(error_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
        assert_eq!(error_name(6), "NOT_LEADER_OR_FOLLOWER");
        assert_eq!(error_name(-1), "UNKNOWN_SERVER_ERROR");
        assert_eq!(error_name(30000), "UNKNOWN_ERROR_CODE_30000");
    }
}
