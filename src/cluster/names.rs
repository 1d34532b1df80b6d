//! Kafka's rules for topic names. They matter beyond cosmetics: names become
//! directory names and metric names, and clients validate them the same way.

/// Kafka's limit, leaving room for the partition suffix in a file name.
pub const MAX_TOPIC_NAME_LEN: usize = 249;

/// Why a topic name is illegal, in Kafka's words; `None` if it is legal.
pub fn invalid_reason(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("Topic name is illegal, it can't be empty".into());
    }
    if name == "." || name == ".." {
        return Some("Topic name cannot be \".\" or \"..\"".into());
    }
    if name.len() > MAX_TOPIC_NAME_LEN {
        return Some(format!(
            "Topic name is illegal, it can't be longer than {MAX_TOPIC_NAME_LEN} characters, topic name: {name}"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        return Some(format!(
            "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    None
}

/// Why a topic name is illegal in the words of Kafka's `Topic.validate`,
/// which the APIs that only look topics up use; `None` if it is legal.
pub fn validate(name: &str) -> Option<String> {
    let reason = invalid_reason(name)?;
    if reason.contains("a character other than") {
        return Some(format!(
            "Topic name is invalid: '{name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    Some(reason)
}

/// Kafka refuses names that differ only by '.' versus '_', because both map
/// to the same metric name.
pub fn collides(a: &str, b: &str) -> bool {
    a != b && a.len() == b.len() && a.replace('.', "_") == b.replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_and_illegal_names() {
        assert!(invalid_reason("orders.v1_EU-2").is_none());
        assert!(invalid_reason("").is_some());
        assert!(invalid_reason("..").is_some());
        assert!(invalid_reason("a/b").is_some());
        assert!(invalid_reason("ünicode").is_some());
        assert!(invalid_reason(&"x".repeat(249)).is_none());
        assert!(invalid_reason(&"x".repeat(250)).is_some());
    }

    #[test]
    fn dots_and_underscores_collide() {
        assert!(collides("a.b", "a_b"));
        assert!(!collides("a.b", "a.b"));
        assert!(!collides("a.b", "a-b"));
    }
}
