//! The Prometheus text exposition format (version 0.0.4) of the broker's
//! counters and of what it can read from its state at scrape time.

use std::fmt::Write;

use kafka_protocol::messages::ApiKey;

use crate::error_names::error_name;
use crate::state::BrokerState;

/// Text with `\`, `"` and newlines escaped, as label values need.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn api_name(api_key: i16) -> String {
    ApiKey::try_from(api_key).map_or_else(|_| api_key.to_string(), |key| format!("{key:?}"))
}

/// Writes `# HELP` and `# TYPE` lines, then the samples.
struct Family<'a> {
    out: &'a mut String,
}

impl<'a> Family<'a> {
    fn new(out: &'a mut String, name: &str, kind: &str, help: &str) -> Self {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Self { out }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (label, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{label}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// Everything `/metrics` shows. `open_connections` comes from the
/// connection limit's semaphore, so the accept path counts nothing extra.
pub async fn render(state: &BrokerState, open_connections: usize) -> String {
    let mut out = String::with_capacity(4096);
    requests(state, &mut out);
    let mut f = Family::new(
        &mut out,
        "klamm_connections",
        "gauge",
        "Open client connections over every listener.",
    );
    f.sample("klamm_connections", &[], open_connections);
    topics(state, &mut out);
    groups(state, &mut out).await;
    out
}

fn requests(state: &BrokerState, out: &mut String) {
    let metrics = &state.metrics;
    let by_api: Vec<_> = metrics.requests_by_api().collect();
    let mut f = Family::new(
        out,
        "klamm_requests_total",
        "counter",
        "Requests received, by API.",
    );
    for (api, requests, _) in &by_api {
        f.sample(
            "klamm_requests_total",
            &[("api", &api_name(*api))],
            requests,
        );
    }
    let mut f = Family::new(
        out,
        "klamm_request_errors_total",
        "counter",
        "Error codes answered, by API and Kafka error name; each partition, group or resource with an error counts once.",
    );
    for (api, code, count) in metrics.errors_by_api() {
        f.sample(
            "klamm_request_errors_total",
            &[("api", &api_name(api)), ("error", &error_name(code))],
            count,
        );
    }
    let mut f = Family::new(
        out,
        "klamm_requests_closed_total",
        "counter",
        "Requests answered by closing the connection (malformed or not servable), by API.",
    );
    for (api, _, closed) in by_api.iter().filter(|(_, _, closed)| *closed > 0) {
        f.sample(
            "klamm_requests_closed_total",
            &[("api", &api_name(*api))],
            closed,
        );
    }
}

/// Picks one counter out of a topic's snapshot.
type CountOf = fn(&super::traffic::TrafficCounts) -> u64;

fn topics(state: &BrokerState, out: &mut String) {
    // The internal offsets topic is a view of klamm's own log, with nothing
    // in its 50 partitions: it would only add lines.
    let mut topics = state.cluster.topics();
    topics.retain(|t| !t.internal);
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    let counters: [(&str, &str, CountOf); 4] = [
        (
            "klamm_topic_bytes_in_total",
            "Record batch bytes appended by producers.",
            |c| c.bytes_in,
        ),
        (
            "klamm_topic_records_in_total",
            "Records appended by producers.",
            |c| c.records_in,
        ),
        (
            "klamm_topic_bytes_out_total",
            "Record batch bytes sent to consumers.",
            |c| c.bytes_out,
        ),
        (
            "klamm_topic_records_out_total",
            "Records in whole batches sent to consumers.",
            |c| c.records_out,
        ),
    ];
    let counts: Vec<_> = topics.iter().map(|t| t.traffic.counts()).collect();
    for (name, help, value) in counters {
        let mut f = Family::new(out, name, "counter", help);
        for (topic, counts) in topics.iter().zip(&counts) {
            f.sample(name, &[("topic", &topic.name)], value(counts));
        }
    }
    let partitions: Vec<_> = topics
        .iter()
        .flat_map(|t| {
            t.partitions()
                .into_iter()
                .enumerate()
                .map(move |(i, log)| (t, i.to_string(), log))
        })
        .collect();
    // (size, log start offset, high watermark) read once per partition.
    let gauges: Vec<_> = partitions
        .iter()
        .map(|(_, _, log)| {
            let offsets = log.offsets().ok();
            [
                log.size_bytes().ok().map(|s| s as i64),
                offsets.as_ref().map(|o| o.log_start_offset),
                offsets.as_ref().map(|o| o.high_watermark),
            ]
        })
        .collect();
    let families = [
        (
            "klamm_partition_log_size_bytes",
            "Bytes of a partition's segments.",
        ),
        (
            "klamm_partition_log_start_offset",
            "First offset still in a partition.",
        ),
        (
            "klamm_partition_high_watermark",
            "Offset the next record appended to a partition gets.",
        ),
    ];
    for (i, (name, help)) in families.into_iter().enumerate() {
        let mut f = Family::new(out, name, "gauge", help);
        for ((topic, partition, _), values) in partitions.iter().zip(&gauges) {
            if let Some(value) = values[i] {
                f.sample(
                    name,
                    &[("topic", &topic.name), ("partition", partition)],
                    value,
                );
            }
        }
    }
}

async fn groups(state: &BrokerState, out: &mut String) {
    let listings = state.groups.list(&[]);
    let mut members = Vec::with_capacity(listings.len());
    for listing in &listings {
        members.push(state.groups.describe(&listing.group_id).await.members.len());
    }
    let mut f = Family::new(
        out,
        "klamm_group_members",
        "gauge",
        "Members of a consumer group, by group and state.",
    );
    for (listing, count) in listings.iter().zip(&members) {
        f.sample(
            "klamm_group_members",
            &[("group", &listing.group_id), ("state", listing.state)],
            count,
        );
    }
    let mut lag_samples = Vec::new();
    for listing in &listings {
        for ((topic, partition), committed) in state.groups.committed(&listing.group_id) {
            let Some(log) = state.cluster.partition(&topic, partition) else {
                continue;
            };
            let Ok(offsets) = log.offsets() else { continue };
            let lag = (offsets.high_watermark - committed.offset).max(0);
            lag_samples.push((
                listing.group_id.as_str(),
                topic,
                partition.to_string(),
                [committed.offset, lag],
            ));
        }
    }
    let families = [
        ("klamm_group_committed_offset", "Offset a group committed for a partition."),
        (
            "klamm_group_lag",
            "Records a group has not consumed: the partition's high watermark minus the committed offset.",
        ),
    ];
    for (i, (name, help)) in families.into_iter().enumerate() {
        let mut f = Family::new(out, name, "gauge", help);
        for (group, topic, partition, values) in &lag_samples {
            f.sample(
                name,
                &[("group", group), ("topic", topic), ("partition", partition)],
                values[i],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn api_keys_get_their_names() {
        assert_eq!(api_name(0), "Produce");
        assert_eq!(api_name(1000), "1000");
    }
}
