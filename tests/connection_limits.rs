//! What one client can take from the others: a connection slot up to
//! `max_connections`, and its connection until it falls silent for
//! `connections_max_idle_ms` — including a client that stalls halfway
//! through a request.

mod common;

use std::time::{Duration, Instant};

use common::raw::{raw_frame, RawClient};
use common::TestBroker;
use kafka_protocol::messages::ApiVersionsRequest;
use klamm::Broker;

/// The broker answers this client (the connection is really served).
fn answers(client: &mut RawClient) -> bool {
    client
        .try_send(0, &ApiVersionsRequest::default())
        .is_some_and(|r| r.error_code == 0)
}

#[test]
fn connections_past_max_connections_are_closed_until_a_slot_frees() {
    let broker = TestBroker::start(Broker::builder().max_connections(3).brokers(2));
    let addrs = broker.broker_addrs();
    // The limit counts every listener of every simulated broker.
    let mut open: Vec<RawClient> = (0..3).map(|i| RawClient::connect(&addrs[i % 2])).collect();
    for client in &mut open {
        assert!(answers(client));
    }
    let mut refused = RawClient::connect(&addrs[1]);
    assert!(refused.is_closed(), "a fourth connection is closed at once");

    drop(open.pop());
    // The freed slot comes back once the broker has seen the close.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut admitted = false;
    while !admitted && Instant::now() < deadline {
        let mut client = RawClient::connect(&addrs[0]);
        admitted = answers(&mut client);
        if !admitted {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert!(admitted, "a connection is admitted again after one closed");
    for client in &mut open {
        assert!(
            answers(client),
            "the admitted connections were not disturbed"
        );
    }
}

#[test]
fn idle_connections_are_closed_and_busy_ones_are_not() {
    let idle = Duration::from_millis(300);
    let broker = TestBroker::start(Broker::builder().connections_max_idle(idle));
    let mut quiet = RawClient::connect(&broker.bootstrap);
    let mut busy = RawClient::connect(&broker.bootstrap);
    assert!(answers(&mut quiet));
    // Requests every 100 ms for a second keep a connection open.
    for _ in 0..10 {
        assert!(answers(&mut busy), "an active connection stays open");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        quiet.is_closed(),
        "the quiet connection was closed after 300 ms"
    );
}

#[test]
fn a_client_stalled_halfway_through_a_frame_holds_nothing_others_need() {
    let idle = Duration::from_millis(500);
    let broker = TestBroker::start(
        Broker::builder()
            .connections_max_idle(idle)
            .max_connections(20),
    );
    // Ten clients announce a 1 MiB request and send ten bytes of it.
    let mut stalled: Vec<RawClient> = (0..10)
        .map(|_| {
            let mut client = RawClient::connect(&broker.bootstrap);
            client.send_bytes(&raw_frame(1 << 20, &[0u8; 10]));
            client
        })
        .collect();
    // Everyone else is served as usual meanwhile.
    for _ in 0..5 {
        let mut client = RawClient::connect(&broker.bootstrap);
        assert!(answers(&mut client));
    }
    for client in &mut stalled {
        assert!(
            client.is_closed(),
            "a stalled half frame is closed when idle"
        );
    }
}

/// Sets (`Some`) or deletes (`None`) the cluster-wide `max.connections`
/// through a connection the caller holds, so that it needs no new slot.
fn set_cluster_max_connections(admin: &mut RawClient, value: Option<&str>) -> i16 {
    use kafka_protocol::messages::incremental_alter_configs_request::{
        AlterConfigsResource, AlterableConfig,
    };
    use kafka_protocol::messages::IncrementalAlterConfigsRequest;
    use kafka_protocol::protocol::StrBytes;
    let config = AlterableConfig::default()
        .with_name(StrBytes::from_static_str("max.connections"))
        .with_config_operation(if value.is_some() { 0 } else { 1 })
        .with_value(value.map(|v| StrBytes::from_string(v.to_owned())));
    // Resource "" of type BROKER: the cluster-wide default, as
    // `kafka-configs --entity-default` sets it.
    let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
        AlterConfigsResource::default()
            .with_resource_type(4)
            .with_configs(vec![config]),
    ]);
    admin.send(1, &request).responses[0].error_code
}

#[test]
fn a_dynamic_max_connections_limits_new_connections_at_once() {
    let broker = TestBroker::start(Broker::builder().max_connections(50));
    let mut admin = RawClient::connect(&broker.bootstrap);
    let mut open: Vec<RawClient> = (0..2)
        .map(|_| RawClient::connect(&broker.bootstrap))
        .collect();
    for client in &mut open {
        assert!(answers(client));
    }
    assert_eq!(set_cluster_max_connections(&mut admin, Some("3")), 0);
    assert!(
        RawClient::connect(&broker.bootstrap).is_closed(),
        "a fourth connection is refused under the new limit"
    );
    for client in &mut open {
        assert!(answers(client), "connections already open stay open");
    }
    assert_eq!(set_cluster_max_connections(&mut admin, None), 0);
    let mut more: Vec<RawClient> = (0..5)
        .map(|_| RawClient::connect(&broker.bootstrap))
        .collect();
    for client in &mut more {
        assert!(answers(client), "the static limit of 50 is back");
    }
}
