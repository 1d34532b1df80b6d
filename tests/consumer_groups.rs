//! Consumer groups with librdkafka (the rdkafka crate): sharing partitions,
//! rebalancing, expiry, committed offsets across restarts, cooperative and
//! static membership, and the admin view of groups.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::raw::RawClient;
use common::{
    admin, client_config, create_topic, futures_executor, keyed, produce_all, producer, TestBroker,
};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{GroupId, JoinGroupRequest, SyncGroupRequest};
use kafka_protocol::protocol::StrBytes;
use klamm::group::GroupConfig;
use klamm::Broker;
use rdkafka::admin::AdminOptions;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::Message;
use rdkafka::ClientContext;

/// A group consumer that commits only when told to.
fn group_consumer(bootstrap: &str, group: &str, extra: &[(&str, &str)]) -> BaseConsumer {
    group_consumer_with(
        bootstrap,
        group,
        extra,
        rdkafka::consumer::DefaultConsumerContext,
    )
}

fn group_consumer_with<C: ConsumerContext + 'static>(
    bootstrap: &str,
    group: &str,
    extra: &[(&str, &str)],
    context: C,
) -> BaseConsumer<C> {
    let mut config = client_config(bootstrap);
    config
        .set("group.id", group)
        .set("client.id", "klamm-group-test")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "300")
        .set("fetch.wait.max.ms", "100");
    for (k, v) in extra {
        config.set(*k, *v);
    }
    config.create_with_context(context).expect("consumer")
}

fn assigned<C: ConsumerContext>(consumer: &BaseConsumer<C>) -> HashSet<i32> {
    consumer
        .assignment()
        .map(|list| list.elements().iter().map(|e| e.partition()).collect())
        .unwrap_or_default()
}

/// Polls every consumer round-robin until `done` holds or `limit` passes;
/// returns each consumer's (partition, offset) pairs.
fn poll_until<C: ConsumerContext>(
    consumers: &[&BaseConsumer<C>],
    limit: Duration,
    mut done: impl FnMut(&[Vec<(i32, i64)>], &[&BaseConsumer<C>]) -> bool,
) -> Vec<Vec<(i32, i64)>> {
    let deadline = Instant::now() + limit;
    let mut seen = vec![Vec::new(); consumers.len()];
    while Instant::now() < deadline {
        for (i, consumer) in consumers.iter().enumerate() {
            if let Some(result) = consumer.poll(Duration::from_millis(20)) {
                let message = result.expect("no consumer errors");
                seen[i].push((message.partition(), message.offset()));
            }
        }
        if done(&seen, consumers) {
            break;
        }
    }
    seen
}

#[test]
fn three_consumers_share_a_six_partition_topic_and_each_message_is_consumed_once() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "shared", 6, &[]);
    let consumers: Vec<BaseConsumer> = (0..3)
        .map(|_| {
            let c = group_consumer(&broker.bootstrap, "sharers", &[]);
            c.subscribe(&["shared"]).unwrap();
            c
        })
        .collect();
    let refs: Vec<&BaseConsumer> = consumers.iter().collect();
    poll_until(&refs, Duration::from_secs(30), |_, cs| {
        cs.iter().all(|c| assigned(c).len() == 2)
    });
    let assignments: Vec<HashSet<i32>> = consumers.iter().map(assigned).collect();
    let all: HashSet<i32> = assignments.iter().flatten().copied().collect();
    assert_eq!(
        all.len(),
        6,
        "every partition assigned once: {assignments:?}"
    );

    produce_all(&producer(&broker.bootstrap, &[]), "shared", &keyed(600));
    let seen = poll_until(&refs, Duration::from_secs(30), |seen, _| {
        seen.iter().map(Vec::len).sum::<usize>() >= 600
    });
    let mut everything = HashSet::new();
    for (i, records) in seen.iter().enumerate() {
        assert!(!records.is_empty(), "consumer {i} got a share");
        for record in records {
            assert!(
                assignments[i].contains(&record.0),
                "consumer {i} read a partition it does not own"
            );
            assert!(everything.insert(*record), "{record:?} consumed twice");
        }
    }
    assert_eq!(everything.len(), 600);
}

#[test]
fn partitions_move_when_a_consumer_joins_and_leaves() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "moving", 4, &[]);
    let first = group_consumer(&broker.bootstrap, "movers", &[]);
    first.subscribe(&["moving"]).unwrap();
    poll_until(&[&first], Duration::from_secs(20), |_, cs| {
        assigned(cs[0]).len() == 4
    });
    assert_eq!(assigned(&first).len(), 4);
    {
        let second = group_consumer(&broker.bootstrap, "movers", &[]);
        second.subscribe(&["moving"]).unwrap();
        poll_until(&[&first, &second], Duration::from_secs(20), |_, cs| {
            assigned(cs[0]).len() == 2 && assigned(cs[1]).len() == 2
        });
        assert_eq!((assigned(&first).len(), assigned(&second).len()), (2, 2));
        assert!(assigned(&first).is_disjoint(&assigned(&second)));
        second.unsubscribe();
        poll_until(&[&second], Duration::from_millis(500), |_, _| false);
    }
    poll_until(&[&first], Duration::from_secs(20), |_, cs| {
        assigned(cs[0]).len() == 4
    });
    assert_eq!(
        assigned(&first).len(),
        4,
        "the leaver's partitions come back"
    );
}

/// A consumer-protocol subscription to one topic (version 0).
fn subscription(topic: &str) -> Bytes {
    let mut out = vec![0, 0, 0, 0, 0, 1];
    out.extend_from_slice(&(topic.len() as i16).to_be_bytes());
    out.extend_from_slice(topic.as_bytes());
    out.extend_from_slice(&(-1i32).to_be_bytes());
    Bytes::from(out)
}

#[test]
fn a_consumer_killed_without_leaving_is_expelled_after_its_session_timeout() {
    let broker = TestBroker::start(Broker::builder().group_config(GroupConfig {
        min_session_timeout: Duration::from_millis(500),
        ..GroupConfig::default()
    }));
    create_topic(&broker.bootstrap, "abandoned", 4, &[]);
    let survivor = group_consumer(&broker.bootstrap, "expiry", &[]);
    survivor.subscribe(&["abandoned"]).unwrap();
    poll_until(&[&survivor], Duration::from_secs(20), |_, cs| {
        assigned(cs[0]).len() == 4
    });

    // A member that joins and syncs, then goes silent like a killed process.
    let bootstrap = broker.bootstrap.clone();
    let ghost = std::thread::spawn(move || {
        let mut client = RawClient::connect(&bootstrap);
        let join = |member: &str| {
            JoinGroupRequest::default()
                .with_group_id(GroupId(StrBytes::from_static_str("expiry")))
                .with_session_timeout_ms(2_000)
                .with_rebalance_timeout_ms(10_000)
                .with_member_id(StrBytes::from_string(member.to_string()))
                .with_protocol_type(StrBytes::from_static_str("consumer"))
                .with_protocols(vec![JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str("range"))
                    .with_metadata(subscription("abandoned"))])
        };
        let first = client.send(5, &join(""));
        let joined = client.send(5, &join(&first.member_id));
        assert_eq!(joined.error_code, 0);
        let sync = SyncGroupRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("expiry")))
            .with_generation_id(joined.generation_id)
            .with_member_id(joined.member_id.clone())
            .with_assignments(Vec::<SyncGroupRequestAssignment>::new());
        assert_eq!(client.send(3, &sync).error_code, 0);
        Instant::now()
    });
    poll_until(&[&survivor], Duration::from_secs(20), |_, cs| {
        assigned(cs[0]).len() == 2
    });
    assert_eq!(assigned(&survivor).len(), 2, "the ghost took half");
    let silent_since = ghost.join().unwrap();
    poll_until(&[&survivor], Duration::from_secs(20), |_, cs| {
        assigned(cs[0]).len() == 4
    });
    assert_eq!(assigned(&survivor).len(), 4, "the ghost was expelled");
    assert!(
        silent_since.elapsed() >= Duration::from_millis(1_500),
        "not before its 2 s session ran out"
    );
}

#[test]
fn committed_offsets_survive_a_broker_restart_and_the_group_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut committed: HashMap<i32, i64> = HashMap::new();
    {
        let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
        create_topic(&broker.bootstrap, "resumable", 2, &[]);
        produce_all(&producer(&broker.bootstrap, &[]), "resumable", &keyed(100));
        let consumer = group_consumer(&broker.bootstrap, "resumers", &[]);
        consumer.subscribe(&["resumable"]).unwrap();
        let seen = poll_until(&[&consumer], Duration::from_secs(30), |seen, _| {
            seen[0].len() >= 60
        });
        consumer.commit_consumer_state(CommitMode::Sync).unwrap();
        for (partition, offset) in &seen[0] {
            let next = committed.entry(*partition).or_insert(0);
            *next = (*next).max(offset + 1);
        }
        drop(consumer);
        broker.stop();
    }
    let already: i64 = committed.values().sum();
    let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
    produce_all(&producer(&broker.bootstrap, &[]), "resumable", &keyed(50));
    let consumer = group_consumer(&broker.bootstrap, "resumers", &[]);
    consumer.subscribe(&["resumable"]).unwrap();
    let expected = (150 - already) as usize;
    let seen = poll_until(&[&consumer], Duration::from_secs(30), |seen, _| {
        seen[0].len() >= expected
    });
    let distinct: HashSet<(i32, i64)> = seen[0].iter().copied().collect();
    assert_eq!(
        distinct.len(),
        expected,
        "resumed exactly after the committed offsets"
    );
    for (partition, offset) in &distinct {
        assert!(
            *offset >= committed.get(partition).copied().unwrap_or(0),
            "{partition}/{offset} was consumed before"
        );
    }
}

#[test]
fn cooperative_sticky_consumers_share_a_topic() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "cooperative", 4, &[]);
    produce_all(
        &producer(&broker.bootstrap, &[]),
        "cooperative",
        &keyed(400),
    );
    let strategy = [
        ("partition.assignment.strategy", "cooperative-sticky"),
        ("enable.auto.commit", "true"),
        ("auto.commit.interval.ms", "100"),
    ];
    let first = group_consumer(&broker.bootstrap, "cooperators", &strategy);
    first.subscribe(&["cooperative"]).unwrap();
    poll_until(&[&first], Duration::from_secs(20), |_, cs| {
        assigned(cs[0]).len() == 4
    });
    let kept_before: HashSet<i32> = assigned(&first);
    let second = group_consumer(&broker.bootstrap, "cooperators", &strategy);
    second.subscribe(&["cooperative"]).unwrap();
    let seen = poll_until(&[&first, &second], Duration::from_secs(30), |seen, cs| {
        let all: HashSet<(i32, i64)> = seen.iter().flatten().copied().collect();
        assigned(cs[0]).len() == 2 && assigned(cs[1]).len() == 2 && all.len() >= 400
    });
    assert_eq!((assigned(&first).len(), assigned(&second).len()), (2, 2));
    assert!(assigned(&first).is_subset(&kept_before));
    let all: HashSet<(i32, i64)> = seen.iter().flatten().copied().collect();
    assert_eq!(all.len(), 400, "every record was consumed");
    let groups = first
        .fetch_group_list(Some("cooperators"), Duration::from_secs(10))
        .unwrap();
    assert_eq!(groups.groups()[0].protocol(), "cooperative-sticky");
}

/// Counts the rebalances a consumer goes through.
struct CountingContext(Arc<AtomicUsize>);
impl ClientContext for CountingContext {}
impl ConsumerContext for CountingContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, _: &Rebalance<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_static_member_rejoins_without_a_rebalance() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "static", 2, &[]);
    let rebalances = Arc::new(AtomicUsize::new(0));
    let watcher = group_consumer_with(
        &broker.bootstrap,
        "statics",
        &[("group.instance.id", "watcher")],
        CountingContext(Arc::clone(&rebalances)),
    );
    watcher.subscribe(&["static"]).unwrap();
    let member = group_consumer(
        &broker.bootstrap,
        "statics",
        &[("group.instance.id", "pod-1")],
    );
    member.subscribe(&["static"]).unwrap();
    poll_until(&[&member], Duration::from_millis(1), |_, _| false);
    let both = |w: &BaseConsumer<CountingContext>, m: &BaseConsumer| {
        assigned(w).len() == 1 && assigned(m).len() == 1
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !both(&watcher, &member) && Instant::now() < deadline {
        watcher.poll(Duration::from_millis(20));
        member.poll(Duration::from_millis(20));
    }
    assert!(both(&watcher, &member));
    for _ in 0..25 {
        watcher.poll(Duration::from_millis(20));
        member.poll(Duration::from_millis(20));
    }
    let before = rebalances.load(Ordering::SeqCst);
    let partition = assigned(&member);

    // A static member closes without leaving the group (KIP-345) ...
    drop(member);
    let restarted = group_consumer(
        &broker.bootstrap,
        "statics",
        &[("group.instance.id", "pod-1")],
    );
    restarted.subscribe(&["static"]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while assigned(&restarted) != partition && Instant::now() < deadline {
        watcher.poll(Duration::from_millis(20));
        restarted.poll(Duration::from_millis(20));
    }
    // ... and its restart takes the same partition back, unseen by the others.
    assert_eq!(assigned(&restarted), partition);
    for _ in 0..20 {
        watcher.poll(Duration::from_millis(20));
    }
    assert_eq!(
        rebalances.load(Ordering::SeqCst),
        before,
        "the other member saw no rebalance"
    );
}

#[test]
fn groups_are_described_listed_and_deleted() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "admin", 1, &[]);
    produce_all(&producer(&broker.bootstrap, &[]), "admin", &keyed(10));
    let consumer = group_consumer(&broker.bootstrap, "described", &[]);
    consumer.subscribe(&["admin"]).unwrap();
    poll_until(&[&consumer], Duration::from_secs(20), |seen, _| {
        seen[0].len() >= 10
    });
    consumer.commit_consumer_state(CommitMode::Sync).unwrap();

    let list = consumer
        .fetch_group_list(Some("described"), Duration::from_secs(10))
        .unwrap();
    let group = &list.groups()[0];
    assert_eq!(
        (group.state(), group.protocol_type(), group.protocol()),
        ("Stable", "consumer", "range")
    );
    assert_eq!(group.members().len(), 1);
    assert_eq!(group.members()[0].client_id(), "klamm-group-test");
    assert_eq!(group.members()[0].client_host(), "/127.0.0.1");
    let all = consumer
        .fetch_group_list(None, Duration::from_secs(10))
        .unwrap();
    assert!(all.groups().iter().any(|g| g.name() == "described"));

    let admin = admin(&broker.bootstrap);
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let busy = futures_executor(admin.delete_groups(&["described"], &options)).unwrap();
    assert!(busy[0].is_err(), "a group with members cannot be deleted");
    consumer.unsubscribe();
    drop(consumer);
    let deleted = futures_executor(admin.delete_groups(&["described"], &options)).unwrap();
    assert!(deleted[0].is_ok(), "{deleted:?}");

    // The group's offsets went with it: a new member starts from the beginning.
    let fresh = group_consumer(&broker.bootstrap, "described", &[]);
    fresh.subscribe(&["admin"]).unwrap();
    let seen = poll_until(&[&fresh], Duration::from_secs(20), |seen, _| {
        seen[0].len() >= 10
    });
    assert_eq!(seen[0].first().map(|r| r.1), Some(0));
}

/// The committed offsets of a group, read with OffsetFetch v8.
fn committed_offsets(bootstrap: &str, group: &str) -> HashMap<(String, i32), i64> {
    use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
    use kafka_protocol::messages::OffsetFetchRequest;
    let mut client = RawClient::connect(bootstrap);
    let request =
        OffsetFetchRequest::default().with_groups(vec![OffsetFetchRequestGroup::default()
            .with_group_id(GroupId(StrBytes::from_string(group.into())))
            .with_topics(None)]);
    let response = client.send(8, &request);
    response.groups[0]
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(move |p| {
                (
                    (t.name.0.to_string(), p.partition_index),
                    p.committed_offset,
                )
            })
        })
        .collect()
}

#[test]
fn committed_offsets_survive_a_crash() {
    use common::process::KlammProcess;
    let dir = tempfile::tempdir().unwrap();
    let broker = KlammProcess::start(dir.path(), &[]);
    create_topic(&broker.bootstrap, "crashed", 2, &[]);
    produce_all(&producer(&broker.bootstrap, &[]), "crashed", &keyed(40));
    let consumer = group_consumer(&broker.bootstrap, "survivors", &[]);
    consumer.subscribe(&["crashed"]).unwrap();
    let seen = poll_until(&[&consumer], Duration::from_secs(20), |seen, _| {
        seen[0].len() >= 40
    });
    consumer.commit_consumer_state(CommitMode::Sync).unwrap();
    drop(consumer);
    let mut expected: HashMap<(String, i32), i64> = HashMap::new();
    for (partition, offset) in &seen[0] {
        let next = expected
            .entry(("crashed".to_string(), *partition))
            .or_insert(0);
        *next = (*next).max(offset + 1);
    }
    assert_eq!(committed_offsets(&broker.bootstrap, "survivors"), expected);
    broker.crash();

    let broker = KlammProcess::start(dir.path(), &[]);
    assert_eq!(
        committed_offsets(&broker.bootstrap, "survivors"),
        expected,
        "committed offsets are durable across SIGKILL"
    );
    let consumer = group_consumer(&broker.bootstrap, "survivors", &[]);
    consumer.subscribe(&["crashed"]).unwrap();
    let again = poll_until(&[&consumer], Duration::from_secs(3), |_, _| false);
    assert!(
        again[0].is_empty(),
        "nothing is consumed twice: {:?}",
        again[0]
    );
    drop(consumer);
    broker.stop();
}
