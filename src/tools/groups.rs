//! `klamm groups`: list, describe (members, assignments, committed offsets,
//! lag), reset offsets and delete consumer groups, as
//! `kafka-consumer-groups.sh` does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use kafka_protocol::messages::{DeleteGroupsRequest, DescribeGroupsRequest, ListGroupsRequest};

use super::args::ConnectArgs;
use super::assignor::assigned_partitions;
use super::client::offsets::{EARLIEST, LATEST};
use super::client::{group_id, Client};
use super::error::ToolError;
use super::group_member::{commit_offsets, committed_offsets};

#[derive(Debug, clap::Subcommand)]
pub enum GroupsCommand {
    /// List consumer groups (from every broker) and their states.
    #[command(after_help = "Example:\n  klamm groups list")]
    List {
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Members, their partitions, committed offsets and lag per partition.
    #[command(after_help = "Example:\n  klamm groups describe billing")]
    Describe {
        group: String,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Move a group's committed offsets on a topic; the group must have no
    /// active members.
    #[command(after_help = "Examples:
  klamm groups reset-offsets billing --topic orders --to-earliest
  klamm groups reset-offsets billing --topic orders --partition 0 --to-offset 42")]
    ResetOffsets {
        group: String,
        /// The topic whose offsets move.
        #[arg(long, value_name = "TOPIC")]
        topic: String,
        /// Only this partition [default: every partition of the topic].
        #[arg(long, value_name = "N")]
        partition: Option<i32>,
        /// To the oldest record still in each partition.
        #[arg(long, group = "target")]
        to_earliest: bool,
        /// To the end of each partition (skip everything not yet read).
        #[arg(long, group = "target")]
        to_latest: bool,
        /// To this offset (kept within each partition's range).
        #[arg(long, value_name = "OFFSET", group = "target")]
        to_offset: Option<i64>,
        /// Show the new offsets without committing them.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Delete a group and its committed offsets; it must have no active members.
    #[command(after_help = "Example:\n  klamm groups delete billing")]
    Delete {
        group: String,
        #[command(flatten)]
        connect: ConnectArgs,
    },
}

/// A group member as DescribeGroups tells it.
struct Member {
    id: String,
    client_id: String,
    host: String,
    /// Topic → partitions.
    assigned: BTreeMap<String, Vec<i32>>,
}

/// A group as DescribeGroups tells it.
struct Described {
    state: String,
    members: Vec<Member>,
}

async fn describe_group(client: &mut Client, group: &str) -> Result<Described, ToolError> {
    let request = DescribeGroupsRequest::default().with_groups(vec![group_id(group)]);
    let first = |r: &kafka_protocol::messages::DescribeGroupsResponse| {
        r.groups.first().map_or(0, |g| g.error_code)
    };
    let (response, _) = client.group_call(group, 0, 4, &request, first).await?;
    let described =
        response.groups.into_iter().next().ok_or_else(|| {
            ToolError::Failed(format!("the broker did not describe group {group}"))
        })?;
    ToolError::check(
        described.error_code,
        described.error_message.as_deref(),
        || format!("cannot describe group {group}"),
    )?;
    let consumer = &*described.protocol_type == "consumer";
    Ok(Described {
        state: described.group_state.to_string(),
        members: described
            .members
            .into_iter()
            .map(|m| {
                let assigned = if consumer {
                    assigned_partitions(m.member_assignment)
                } else {
                    BTreeMap::new()
                };
                Member {
                    id: m.member_id.to_string(),
                    client_id: m.client_id.to_string(),
                    host: m.client_host.to_string(),
                    assigned,
                }
            })
            .collect(),
    })
}

impl GroupsCommand {
    pub async fn run(self, out: &mut String) -> Result<(), ToolError> {
        match self {
            GroupsCommand::List { connect } => list(&mut connect.connect().await?, out).await,
            GroupsCommand::Describe { group, connect } => {
                describe(&mut connect.connect().await?, &group, out).await
            }
            GroupsCommand::ResetOffsets {
                group,
                topic,
                partition,
                to_earliest,
                to_latest,
                to_offset,
                dry_run,
                connect,
            } => {
                let target = match (to_earliest, to_latest, to_offset) {
                    (true, _, _) => Target::Earliest,
                    (_, true, _) => Target::Latest,
                    (_, _, Some(offset)) => Target::Offset(offset),
                    _ => {
                        return Err(ToolError::Usage(
                            "say where to: --to-earliest, --to-latest or --to-offset N".into(),
                        ))
                    }
                };
                let mut client = connect.connect().await?;
                reset(&mut client, &group, &topic, partition, target, dry_run, out).await
            }
            GroupsCommand::Delete { group, connect } => {
                let mut client = connect.connect().await?;
                let request =
                    DeleteGroupsRequest::default().with_groups_names(vec![group_id(&group)]);
                let first = |r: &kafka_protocol::messages::DeleteGroupsResponse| {
                    r.results.first().map_or(0, |g| g.error_code)
                };
                let (response, _) = client.group_call(&group, 0, 2, &request, first).await?;
                ToolError::check(first(&response), None, || {
                    format!("cannot delete group {group}")
                })?;
                let _ = writeln!(out, "Deleted group {group}.");
                Ok(())
            }
        }
    }
}

async fn list(client: &mut Client, out: &mut String) -> Result<(), ToolError> {
    // Each broker lists the groups it coordinates.
    let mut groups = BTreeMap::new();
    for node in client.node_ids() {
        let connection = client.broker(node).await?;
        let version = connection.version::<ListGroupsRequest>(0, 4)?;
        let response = connection
            .call(version, &ListGroupsRequest::default())
            .await?;
        ToolError::check(response.error_code, None, || {
            format!("cannot list the groups of broker {node}")
        })?;
        for g in response.groups {
            groups.insert(g.group_id.0.to_string(), g.group_state.to_string());
        }
    }
    for (group, state) in groups {
        if state.is_empty() {
            let _ = writeln!(out, "{group}");
        } else {
            let _ = writeln!(out, "{group}\t{state}");
        }
    }
    Ok(())
}

async fn describe(client: &mut Client, group: &str, out: &mut String) -> Result<(), ToolError> {
    let described = describe_group(client, group).await?;
    let committed = committed_offsets(client, group, None).await?;
    // Every partition the group has an offset for or a member reads.
    let mut partitions: BTreeMap<String, BTreeSet<i32>> = committed
        .iter()
        .map(|(t, ps)| (t.clone(), ps.keys().copied().collect()))
        .collect();
    let mut owner: BTreeMap<(String, i32), usize> = BTreeMap::new();
    for (i, member) in described.members.iter().enumerate() {
        for (topic, ps) in &member.assigned {
            for &p in ps {
                partitions.entry(topic.clone()).or_default().insert(p);
                owner.insert((topic.clone(), p), i);
            }
        }
    }
    let _ = writeln!(
        out,
        "Group {group} is {} with {} member(s).",
        described.state,
        described.members.len()
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "TOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG\tCONSUMER-ID\tHOST\tCLIENT-ID"
    );
    for (topic, ps) in &partitions {
        let info = client.topic(topic).await?;
        let ps: Vec<i32> = ps.iter().copied().collect();
        let ends = client.list_offsets(&info, &ps, LATEST).await?;
        for p in ps {
            let current = committed.get(topic).and_then(|c| c.get(&p)).copied();
            let end = ends.get(&p).copied();
            let lag = match (current, end) {
                (Some(c), Some(e)) => (e - c).max(0).to_string(),
                _ => "-".to_string(),
            };
            let (member, host, client_id) = owner
                .get(&(topic.clone(), p))
                .map(|&i| &described.members[i])
                .map_or(("-", "-", "-"), |m| {
                    (m.id.as_str(), m.host.as_str(), m.client_id.as_str())
                });
            let show = |v: Option<i64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
            let _ = writeln!(
                out,
                "{topic}\t{p}\t{}\t{}\t{lag}\t{member}\t{host}\t{client_id}",
                show(current),
                show(end)
            );
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum Target {
    Earliest,
    Latest,
    Offset(i64),
}

async fn reset(
    client: &mut Client,
    group: &str,
    topic: &str,
    partition: Option<i32>,
    target: Target,
    dry_run: bool,
    out: &mut String,
) -> Result<(), ToolError> {
    let described = describe_group(client, group).await?;
    if !described.members.is_empty() {
        return Err(ToolError::Failed(format!(
            "group {group} has {} active member(s) ({}); stop them before resetting its offsets",
            described.members.len(),
            described.state
        )));
    }
    let info = client.topic(topic).await?;
    let partitions: Vec<i32> = match partition {
        Some(p) if info.partitions.iter().any(|i| i.index == p) => vec![p],
        Some(p) => {
            return Err(ToolError::Usage(format!(
                "topic {topic} has no partition {p}"
            )))
        }
        None => info.partitions.iter().map(|p| p.index).collect(),
    };
    let earliest = client.list_offsets(&info, &partitions, EARLIEST).await?;
    let latest = client.list_offsets(&info, &partitions, LATEST).await?;
    let mut offsets = BTreeMap::new();
    for &p in &partitions {
        let (low, high) = (
            earliest.get(&p).copied().unwrap_or(0),
            latest.get(&p).copied().unwrap_or(0),
        );
        let offset = match target {
            Target::Earliest => low,
            Target::Latest => high,
            Target::Offset(n) => n.clamp(low, high.max(low)),
        };
        offsets.insert(p, offset);
    }
    if !dry_run {
        commit_offsets(client, group, -1, "", topic, &offsets).await?;
    }
    let _ = writeln!(out, "TOPIC\tPARTITION\tNEW-OFFSET");
    for (p, offset) in &offsets {
        let _ = writeln!(out, "{topic}\t{p}\t{offset}");
    }
    if dry_run {
        let _ = writeln!(out, "(dry run: nothing committed)");
    }
    Ok(())
}
