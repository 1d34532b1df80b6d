//! Topics created when the broker starts (`create_topics`, and compose's
//! `KAFKA_CREATE_TOPICS` in the wurstmeister image's spelling
//! `name:partitions:replicas[:cleanup.policy]`, comma-separated). A client
//! that decides from its cached metadata whether a topic exists (kafka-go
//! v0.4's writer) needs the topic before its first request; auto-creation
//! cannot help it.

/// One topic to create at start unless it exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartTopic {
    pub name: String,
    /// `None`: the broker's `num_partitions`.
    pub partitions: Option<i32>,
    /// `None`: the broker's `default_replication_factor`.
    pub replication_factor: Option<i16>,
    /// `cleanup.policy`, e.g. `compact`.
    pub cleanup_policy: Option<String>,
}

/// Parses `name[:partitions[:replicas[:cleanup.policy]]],...`; blanks are
/// ignored, so an empty value creates nothing.
pub fn parse(text: &str) -> Result<Vec<StartTopic>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(parse_one)
        .collect()
}

fn parse_one(entry: &str) -> Result<StartTopic, String> {
    let mut fields = entry.split(':').map(str::trim);
    let name = fields.next().unwrap_or_default();
    if name.is_empty() {
        return Err(format!("`{entry}` has no topic name"));
    }
    let partitions = number::<i32>(fields.next(), entry, "partitions")?;
    let replication_factor = number::<i16>(fields.next(), entry, "replicas")?;
    let cleanup_policy = fields.next().filter(|p| !p.is_empty()).map(str::to_string);
    if fields.next().is_some() {
        return Err(format!(
            "`{entry}` has more than name:partitions:replicas:cleanup.policy"
        ));
    }
    Ok(StartTopic {
        name: name.to_string(),
        partitions,
        replication_factor,
        cleanup_policy,
    })
}

fn number<T: std::str::FromStr + PartialOrd + Default>(
    field: Option<&str>,
    entry: &str,
    what: &str,
) -> Result<Option<T>, String> {
    match field.filter(|f| !f.is_empty()) {
        None => Ok(None),
        Some(text) => match text.parse::<T>() {
            Ok(n) if n > T::default() => Ok(Some(n)),
            _ => Err(format!(
                "`{entry}`: {what} `{text}` is not a positive number"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_spelling_and_short_forms_parse() {
        let topics = parse("message-log, orders:3 ,Topic2:1:1:compact,").expect("parses");
        assert_eq!(topics.len(), 3);
        assert_eq!(topics[0].name, "message-log");
        assert_eq!(topics[0].partitions, None);
        assert_eq!(topics[1].partitions, Some(3));
        assert_eq!(topics[2].replication_factor, Some(1));
        assert_eq!(topics[2].cleanup_policy.as_deref(), Some("compact"));
        assert_eq!(parse("").expect("empty"), vec![]);
    }

    #[test]
    fn bad_entries_are_errors_naming_them() {
        for bad in [":3", "t:zero", "t:0", "t:1:-1", "t:1:1:compact:extra"] {
            let error = parse(bad).expect_err(bad);
            assert!(error.contains('`'), "{error}");
        }
    }
}
