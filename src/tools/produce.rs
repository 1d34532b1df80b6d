//! `klamm produce`: one record per line of stdin or a file, batched per
//! partition and sent to each partition's leader.
//!
//! Lines are read on a thread of their own and handed over one by one; the
//! sender takes whatever has arrived since its last request. Piped input
//! thus goes out in large batches, while a line typed at a terminal goes
//! out at once — the console producer's behaviour without a linger timer.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::ProduceRequest;
use tokio::sync::mpsc;

use super::args::{key_value, ConnectArgs};
use super::client::{topic_name, Client, Retries, TopicInfo};
use super::error::ToolError;
use super::partitioner::partition_for_key;
use super::records::{encode_batch, OutgoingRecord};
use crate::storage::now_ms;

/// A partition's batch stays below Kafka's default max.message.bytes (1 MiB).
const BATCH_BYTES: usize = 900 * 1024;
/// One produce request carries at most this much.
const REQUEST_BYTES: usize = 8 << 20;
/// How long the broker may take to replicate and acknowledge.
const PRODUCE_TIMEOUT_MS: i32 = 30_000;
/// Inputs that take longer than this get a progress line (on a terminal).
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  echo 'Hello Kafka' | klamm produce my-first-topic
  printf 'k1:hello\\nk2:world\\n' | klamm produce greetings --key-separator :
  klamm produce events --file events.jsonl --header source=import --acks 1")]
pub struct ProduceArgs {
    /// The topic to produce to (created if the broker auto-creates topics).
    pub topic: String,
    /// Split each line at the first occurrence into key and value; lines
    /// without it are an error. Keyed records go to the partition Kafka's
    /// default partitioner picks (murmur2 of the key).
    #[arg(long, value_name = "TEXT")]
    pub key_separator: Option<String>,
    /// A header added to every record, `name=value` (repeatable).
    #[arg(long = "header", value_name = "NAME=VALUE", value_parser = key_value)]
    pub headers: Vec<(String, String)>,
    /// Send every record to this partition.
    #[arg(long, value_name = "N")]
    pub partition: Option<i32>,
    /// Acknowledgements to wait for: all (-1), 1 or 0 (none; nothing is
    /// confirmed) [default: all].
    #[arg(long, value_name = "ACKS", default_value = "all", value_parser = parse_acks)]
    pub acks: i16,
    /// Read lines from this file instead of stdin.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

fn parse_acks(text: &str) -> Result<i16, String> {
    match text {
        "all" | "-1" => Ok(-1),
        "1" => Ok(1),
        "0" => Ok(0),
        _ => Err(format!("`{text}` is not all, -1, 1 or 0")),
    }
}

/// What the reader thread hands over.
type Line = Result<OutgoingRecord, ToolError>;

/// One line (without its end) as a record.
fn parse_line(
    line: &[u8],
    number: u64,
    separator: Option<&[u8]>,
    headers: &[(String, Bytes)],
) -> Line {
    let (key, value) = match separator {
        None => (None, line),
        Some(sep) => match line.windows(sep.len()).position(|w| w == sep) {
            Some(at) => (
                Some(Bytes::copy_from_slice(&line[..at])),
                &line[at + sep.len()..],
            ),
            None => {
                return Err(ToolError::Usage(format!(
                    "line {number} has no key separator `{}`",
                    String::from_utf8_lossy(sep)
                )))
            }
        },
    };
    Ok(OutgoingRecord {
        key,
        value: Bytes::copy_from_slice(value),
        headers: headers.to_vec(),
    })
}

/// Reads lines on a blocking thread until the input ends or the receiver
/// is gone.
fn spawn_reader(
    input: Box<dyn Read + Send>,
    separator: Option<String>,
    headers: Vec<(String, Bytes)>,
) -> mpsc::Receiver<Line> {
    let (tx, rx) = mpsc::channel(64 * 1024);
    std::thread::spawn(move || {
        let mut reader = BufReader::with_capacity(256 * 1024, input);
        let mut line = Vec::new();
        let separator = separator.filter(|s| !s.is_empty());
        for number in 1u64.. {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(ToolError::Io {
                        what: "cannot read the input".into(),
                        source: e,
                    }));
                    return;
                }
            }
            let mut text: &[u8] = &line;
            text = text.strip_suffix(b"\n").unwrap_or(text);
            text = text.strip_suffix(b"\r").unwrap_or(text);
            let record = parse_line(
                text,
                number,
                separator.as_deref().map(str::as_bytes),
                &headers,
            );
            let failed = record.is_err();
            if tx.blocking_send(record).is_err() || failed {
                return;
            }
        }
    });
    rx
}

/// Picks partitions: the given one, the key's, or one partition per
/// request for unkeyed records (sticky, moving on after each request).
struct Partitioner {
    fixed: Option<i32>,
    partitions: i32,
    sticky: i32,
}

impl Partitioner {
    fn pick(&self, record: &OutgoingRecord) -> i32 {
        match (self.fixed, &record.key) {
            (Some(p), _) => p,
            (None, Some(key)) => partition_for_key(key, self.partitions),
            (None, None) => self.sticky,
        }
    }

    fn next_request(&mut self) {
        self.sticky = (self.sticky + 1) % self.partitions.max(1);
    }
}

/// Counts for the summary and the progress line.
#[derive(Default)]
struct Progress {
    sent: u64,
    acknowledged: u64,
    shown: bool,
    last_shown: Option<Instant>,
}

impl Progress {
    fn show(&mut self, started: Instant, acks: i16) {
        let terminal = std::io::stderr().is_terminal();
        let due = self
            .last_shown
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(500));
        if terminal && started.elapsed() >= PROGRESS_AFTER && due {
            let count = if acks == 0 {
                self.sent
            } else {
                self.acknowledged
            };
            eprint!(
                "\r{count} records {}...",
                if acks == 0 { "sent" } else { "acknowledged" }
            );
            self.shown = true;
            self.last_shown = Some(Instant::now());
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        "record"
    } else {
        "records"
    }
}

impl ProduceArgs {
    pub async fn run(self) -> Result<(), ToolError> {
        let input: Box<dyn Read + Send> = match &self.file {
            Some(path) => Box::new(std::fs::File::open(path).map_err(|source| ToolError::Io {
                what: format!("cannot open {}", path.display()),
                source,
            })?),
            None => Box::new(std::io::stdin()),
        };
        let mut client = self.connect.connect().await?;
        let topic = client.topic_creating(&self.topic, true).await?;
        let partitions = topic.partitions.len() as i32;
        if let Some(p) = self.partition.filter(|&p| p < 0 || p >= partitions) {
            return Err(ToolError::Usage(format!(
                "topic {} has partitions 0..{}, not {p}",
                self.topic,
                partitions - 1
            )));
        }
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Bytes::from(v.clone())))
            .collect();
        let mut lines = spawn_reader(input, self.key_separator.clone(), headers);
        let mut partitioner = Partitioner {
            fixed: self.partition,
            partitions,
            sticky: (now_ms() % i64::from(partitions.max(1))) as i32,
        };
        let mut sender = Sender {
            client,
            topic,
            acks: self.acks,
        };
        let started = Instant::now();
        let mut progress = Progress::default();
        let mut failure = None;
        while let Some(first) = lines.recv().await {
            let mut pending: BTreeMap<i32, Vec<OutgoingRecord>> = BTreeMap::new();
            let mut request_bytes = 0;
            // Bytes per partition so far, so a batch never needs re-summing.
            let mut batch_bytes: BTreeMap<i32, usize> = BTreeMap::new();
            let mut next = Some(first);
            while let Some(line) = next.take() {
                let record = match line {
                    Ok(record) => record,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                };
                let size = record.size_estimate();
                let partition = partitioner.pick(&record);
                request_bytes += size;
                let partition_bytes = batch_bytes.entry(partition).or_default();
                *partition_bytes += size;
                pending.entry(partition).or_default().push(record);
                if request_bytes >= REQUEST_BYTES || *partition_bytes >= BATCH_BYTES {
                    break;
                }
                next = lines.try_recv().ok();
            }
            let count: u64 = pending.values().map(|b| b.len() as u64).sum();
            sender.send(pending).await?;
            progress.sent += count;
            if self.acks != 0 {
                progress.acknowledged += count;
            }
            partitioner.next_request();
            progress.show(started, self.acks);
            if failure.is_some() {
                break;
            }
        }
        if progress.shown {
            eprintln!();
        }
        let topic = &self.topic;
        if self.acks == 0 {
            eprintln!(
                "{} {} sent to {topic} (acks=0: not acknowledged)",
                progress.sent,
                plural(progress.sent)
            );
        } else {
            eprintln!(
                "{} {} acknowledged by {topic}",
                progress.acknowledged,
                plural(progress.acknowledged)
            );
        }
        failure.map_or(Ok(()), Err)
    }
}

/// Sends batches to their partitions' leaders, following leader moves.
struct Sender {
    client: Client,
    topic: TopicInfo,
    acks: i16,
}

impl Sender {
    async fn send(
        &mut self,
        mut pending: BTreeMap<i32, Vec<OutgoingRecord>>,
    ) -> Result<(), ToolError> {
        let now = now_ms();
        let mut retries = Retries::default();
        while !pending.is_empty() {
            let by_leader = self.topic.by_leader(pending.keys().copied());
            let mut last_error = None;
            for (leader, partitions) in by_leader {
                if leader < 0 {
                    continue;
                }
                let mut data = Vec::with_capacity(partitions.len());
                for &p in &partitions {
                    let records = pending.get(&p).map(Vec::as_slice).unwrap_or_default();
                    data.push(
                        PartitionProduceData::default()
                            .with_index(p)
                            .with_records(Some(encode_batch(records, now)?)),
                    );
                }
                let request = ProduceRequest::default()
                    .with_acks(self.acks)
                    .with_timeout_ms(PRODUCE_TIMEOUT_MS)
                    .with_topic_data(vec![TopicProduceData::default()
                        .with_name(topic_name(&self.topic.name))
                        .with_partition_data(data)]);
                let connection = self.client.broker(leader).await?;
                let version = connection.version::<ProduceRequest>(3, 8)?;
                if self.acks == 0 {
                    connection.send_only(version, &request).await?;
                    partitions.iter().for_each(|p| drop(pending.remove(p)));
                    continue;
                }
                let response = connection.call(version, &request).await?;
                for answer in response
                    .responses
                    .iter()
                    .flat_map(|t| &t.partition_responses)
                {
                    let result = ToolError::check(
                        answer.error_code,
                        answer.error_message.as_deref(),
                        || format!("cannot produce to {}-{}", self.topic.name, answer.index),
                    );
                    match result {
                        Ok(()) => drop(pending.remove(&answer.index)),
                        Err(e) if e.is_retriable() => last_error = Some(e),
                        Err(e) => return Err(e),
                    }
                }
            }
            if pending.is_empty() {
                break;
            }
            retries.wait(&self.topic.name, last_error).await?;
            self.topic = self.client.topic(&self.topic.name).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_at_the_first_separator_only() {
        let record = parse_line(b"k1:a:b", 1, Some(b":"), &[]).unwrap();
        assert_eq!(record.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(&record.value[..], b"a:b");
        let error = parse_line(b"no key here", 7, Some(b":"), &[]).unwrap_err();
        assert_eq!(error.to_string(), "line 7 has no key separator `:`");
        let record = parse_line(b"plain", 1, None, &[]).unwrap();
        assert_eq!(record.key, None);
    }

    #[test]
    fn unkeyed_records_stick_to_one_partition_per_request() {
        let mut partitioner = Partitioner {
            fixed: None,
            partitions: 3,
            sticky: 2,
        };
        let unkeyed = OutgoingRecord::default();
        assert_eq!(partitioner.pick(&unkeyed), 2);
        partitioner.next_request();
        assert_eq!(partitioner.pick(&unkeyed), 0);
    }
}
