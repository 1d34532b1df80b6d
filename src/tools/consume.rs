//! `klamm consume`: print a topic's records, from every partition (or one)
//! without a group, or as a member of a consumer group that commits its
//! offsets. Runs until `--max-messages`, `--timeout` without records, or
//! Ctrl-C / SIGTERM (a group member commits and leaves first).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest};

use super::args::ConnectArgs;
use super::client::offsets::{EARLIEST, LATEST};
use super::client::{topic_name, Client, TopicInfo};
use super::error::ToolError;
use super::group_member::GroupMember;
use super::output::{Fields, OutputKind, RecordFormat};
use super::records::{decode_fetched, FetchedRecord};

/// How long one fetch may wait at the broker for new records.
const FETCH_WAIT: Duration = Duration::from_millis(500);
const PARTITION_MAX_BYTES: i32 = 1 << 20;
const FETCH_MAX_BYTES: i32 = 50 << 20;
const OFFSET_OUT_OF_RANGE: i16 = 1;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  klamm consume my-first-topic --from-beginning
  klamm consume orders --group billing --print-key --max-messages 10
  klamm consume orders --partition 0 --offset 42 --output json --timeout 5000")]
pub struct ConsumeArgs {
    /// The topic to read.
    pub topic: String,
    /// Start at the oldest record (with --group: where the group has no
    /// committed offset yet) instead of at the end.
    #[arg(long)]
    pub from_beginning: bool,
    /// Start at `earliest`, `latest` or this offset, in every partition read.
    #[arg(long, value_name = "OFFSET", conflicts_with = "group")]
    pub offset: Option<String>,
    /// Read only this partition.
    #[arg(long, value_name = "N", conflicts_with = "group")]
    pub partition: Option<i32>,
    /// Join this consumer group (range assignment) and commit offsets.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Exit after printing this many records.
    #[arg(long, value_name = "N")]
    pub max_messages: Option<u64>,
    /// Exit when no record arrived for this many milliseconds.
    #[arg(long, value_name = "MS")]
    pub timeout: Option<u64>,
    /// Print the key before the value (tab-separated).
    #[arg(long)]
    pub print_key: bool,
    /// Print the headers (`name:value,...`).
    #[arg(long)]
    pub print_headers: bool,
    /// Print the partition.
    #[arg(long)]
    pub print_partition: bool,
    /// Print the offset.
    #[arg(long)]
    pub print_offset: bool,
    /// Print the timestamp (ms since the epoch).
    #[arg(long)]
    pub print_timestamp: bool,
    /// A line template: {topic} {partition} {offset} {timestamp} {key}
    /// {value} {headers}, with \t and \n.
    #[arg(long, value_name = "TEMPLATE", conflicts_with = "output")]
    pub format: Option<String>,
    /// text (default) or json: one object per line with every field.
    #[arg(long, value_name = "KIND", default_value = "text")]
    pub output: OutputKind,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Where to start in a partition without a committed offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    Earliest,
    Latest,
    At(i64),
}

fn parse_start(text: &str) -> Result<Start, ToolError> {
    match text {
        "earliest" | "beginning" => Ok(Start::Earliest),
        "latest" | "end" => Ok(Start::Latest),
        n => n
            .parse::<i64>()
            .ok()
            .filter(|&n| n >= 0)
            .map(Start::At)
            .ok_or_else(|| {
                ToolError::Usage(format!(
                    "--offset `{n}` is not earliest, latest or an offset"
                ))
            }),
    }
}

/// Stops the loop: Ctrl-C, or SIGTERM where there is one.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

impl ConsumeArgs {
    fn record_format(&self) -> RecordFormat {
        match (&self.format, self.output) {
            (Some(template), _) => RecordFormat::Template(template.clone()),
            (None, OutputKind::Json) => RecordFormat::Json,
            (None, OutputKind::Text) => RecordFormat::Fields(Fields {
                timestamp: self.print_timestamp,
                partition: self.print_partition,
                offset: self.print_offset,
                headers: self.print_headers,
                key: self.print_key,
            }),
        }
    }

    pub async fn run(self) -> Result<(), ToolError> {
        let start = match &self.offset {
            Some(text) => parse_start(text)?,
            None if self.from_beginning => Start::Earliest,
            None => Start::Latest,
        };
        let mut client = self.connect.connect().await?;
        let topic = client.topic(&self.topic).await?;
        let all: Vec<i32> = topic.partitions.iter().map(|p| p.index).collect();
        if let Some(p) = self.partition.filter(|p| !all.contains(p)) {
            return Err(ToolError::Usage(format!(
                "topic {} has no partition {p}",
                self.topic
            )));
        }
        let mut member = match &self.group {
            Some(group) => Some(GroupMember::join(&mut client, group, &self.topic).await?),
            None => None,
        };
        let mut reader = Reader {
            topic,
            positions: BTreeMap::new(),
            start,
        };
        let partitions = match (&member, self.partition) {
            (Some(m), _) => m.assigned.clone(),
            (None, Some(p)) => vec![p],
            (None, None) => all,
        };
        reader
            .assign(&mut client, member.as_ref(), &partitions)
            .await?;

        let format = self.record_format();
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut printed = 0u64;
        let mut last_record = Instant::now();
        let stop = stop_signal();
        tokio::pin!(stop);
        let result: Result<(), ToolError> = loop {
            if self.max_messages.is_some_and(|max| printed >= max) {
                break Ok(());
            }
            if self
                .timeout
                .is_some_and(|ms| last_record.elapsed() >= Duration::from_millis(ms))
            {
                break Ok(());
            }
            if let Some(m) = member.as_mut().filter(|m| m.heartbeat_due()) {
                if m.heartbeat(&mut client).await? {
                    // Best effort: a member already fenced by the rebalance is
                    // refused (ILLEGAL_GENERATION); its records are then read again.
                    m.commit(&mut client, &reader.positions).await.ok();
                    m.rejoin(&mut client).await?;
                    let assigned = m.assigned.clone();
                    reader.assign(&mut client, Some(m), &assigned).await?;
                }
            }
            let records = tokio::select! {
                _ = &mut stop => {
                    // A fetch may have been cut off mid-request: start the
                    // partition connections afresh for the commit.
                    client.drop_brokers();
                    break Ok(());
                }
                fetched = reader.fetch(&mut client) => fetched?,
            };
            if !records.is_empty() {
                last_record = Instant::now();
            }
            for (partition, record) in &records {
                if self.max_messages.is_some_and(|max| printed >= max) {
                    // Records past the limit are not consumed: the group
                    // resumes at the first one not printed.
                    reader
                        .positions
                        .insert(*partition, reader.positions[partition].min(record.offset));
                    continue;
                }
                let line = format.render(&self.topic, *partition, record);
                if writeln!(out, "{line}").is_err() {
                    break;
                }
                printed += 1;
            }
            if out.flush().is_err() {
                // stdout closed (e.g. piped into `head`): stop quietly.
                break Ok(());
            }
            if let (Some(m), false) = (&member, records.is_empty()) {
                m.commit(&mut client, &reader.positions).await?;
            }
        };
        if let Some(m) = &member {
            m.commit(&mut client, &reader.positions).await?;
            m.leave(&mut client).await?;
        }
        result
    }
}

/// Fetch positions over the partitions being read.
struct Reader {
    topic: TopicInfo,
    /// Partition → offset of the next record to fetch.
    positions: BTreeMap<i32, i64>,
    start: Start,
}

impl Reader {
    /// Starts reading `partitions`: at the group's committed offsets where
    /// there are some, otherwise where `start` says.
    async fn assign(
        &mut self,
        client: &mut Client,
        member: Option<&GroupMember>,
        partitions: &[i32],
    ) -> Result<(), ToolError> {
        let committed = match member {
            Some(m) => m.committed(client).await?,
            None => BTreeMap::new(),
        };
        let uncommitted: Vec<i32> = partitions
            .iter()
            .copied()
            .filter(|p| !committed.contains_key(p))
            .collect();
        self.positions = committed
            .into_iter()
            .filter(|(p, _)| partitions.contains(p))
            .collect();
        let resolved = self.resolve(client, &uncommitted).await?;
        self.positions.extend(resolved);
        Ok(())
    }

    /// Start offsets of `partitions` by the `start` rule.
    async fn resolve(
        &mut self,
        client: &mut Client,
        partitions: &[i32],
    ) -> Result<BTreeMap<i32, i64>, ToolError> {
        if partitions.is_empty() {
            return Ok(BTreeMap::new());
        }
        match self.start {
            Start::At(offset) => Ok(partitions.iter().map(|&p| (p, offset)).collect()),
            Start::Earliest => client.list_offsets(&self.topic, partitions, EARLIEST).await,
            Start::Latest => client.list_offsets(&self.topic, partitions, LATEST).await,
        }
    }

    /// One round of fetches, one per leader; the records in partition
    /// order, positions moved past them.
    async fn fetch(&mut self, client: &mut Client) -> Result<Vec<(i32, FetchedRecord)>, ToolError> {
        if self.positions.is_empty() {
            // Nothing assigned (more group members than partitions): idle.
            tokio::time::sleep(FETCH_WAIT).await;
            return Ok(Vec::new());
        }
        let by_leader = self.topic.by_leader(self.positions.keys().copied());
        let leaders = by_leader.len().max(1) as u32;
        let mut records = Vec::new();
        let mut refresh = false;
        let mut out_of_range = Vec::new();
        for (leader, partitions) in by_leader {
            if leader < 0 {
                refresh = true;
                continue;
            }
            // Only wait at a broker while nothing has been found this round.
            let wait = if records.is_empty() {
                FETCH_WAIT / leaders
            } else {
                Duration::ZERO
            };
            let request = FetchRequest::default()
                .with_replica_id(BrokerId(-1))
                .with_max_wait_ms(wait.as_millis() as i32)
                .with_min_bytes(1)
                .with_max_bytes(FETCH_MAX_BYTES)
                .with_session_epoch(-1)
                .with_topics(vec![FetchTopic::default()
                    .with_topic(topic_name(&self.topic.name))
                    .with_partitions(
                        partitions
                            .iter()
                            .map(|p| {
                                FetchPartition::default()
                                    .with_partition(*p)
                                    .with_current_leader_epoch(-1)
                                    .with_fetch_offset(self.positions[p])
                                    .with_log_start_offset(-1)
                                    .with_partition_max_bytes(PARTITION_MAX_BYTES)
                            })
                            .collect(),
                    )]);
            let connection = client.broker(leader).await?;
            let version = connection.version::<FetchRequest>(4, 11)?;
            let response = connection.call(version, &request).await?;
            ToolError::check(response.error_code, None, || {
                format!("cannot fetch from {}", self.topic.name)
            })?;
            for data in response.responses.iter().flat_map(|t| &t.partitions) {
                let p = data.partition_index;
                match data.error_code {
                    0 => {}
                    OFFSET_OUT_OF_RANGE => {
                        out_of_range.push(p);
                        continue;
                    }
                    code if super::error::is_retriable_code(code) => {
                        refresh = true;
                        continue;
                    }
                    code => ToolError::check(code, None, || {
                        format!("cannot fetch {}-{p}", self.topic.name)
                    })?,
                }
                let Some(position) = self.positions.get(&p).copied() else {
                    continue;
                };
                let Some(bytes) = data.records.clone() else {
                    continue;
                };
                let (fetched, next) = decode_fetched(bytes, position)?;
                self.positions.insert(p, next.max(position));
                records.extend(fetched.into_iter().map(|r| (p, r)));
            }
        }
        if !out_of_range.is_empty() {
            // Like auto.offset.reset: earliest for --from-beginning, else latest.
            let reset = if self.start == Start::Latest {
                Start::Latest
            } else {
                Start::Earliest
            };
            let saved = std::mem::replace(&mut self.start, reset);
            let resolved = self.resolve(client, &out_of_range).await;
            self.start = saved;
            self.positions.extend(resolved?);
        }
        if refresh {
            tokio::time::sleep(super::client::RETRY_BACKOFF).await;
            self.topic = client.topic(&self.topic.name).await?;
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_named_or_numbers() {
        assert_eq!(parse_start("earliest").unwrap(), Start::Earliest);
        assert_eq!(parse_start("latest").unwrap(), Start::Latest);
        assert_eq!(parse_start("42").unwrap(), Start::At(42));
        assert!(parse_start("-3").is_err());
        assert!(parse_start("soon").is_err());
    }
}
