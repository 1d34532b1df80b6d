//! FindCoordinator answered as Kafka 4.4 answers it: the empty group id is a
//! key like any other (the coordinator is named; joining it is what fails),
//! and a found coordinator carries error_message "NONE" before v4 and ""
//! from v4. Transactional keys stay refused with INVALID_REQUEST until
//! transactions exist, so a transactional producer fails at once.

mod common;

use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

const INVALID_REQUEST: i16 = 42;

fn key(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

#[test]
fn the_empty_group_id_has_a_coordinator_and_success_says_none() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    for v in 0..=3 {
        let response = client.send(v, &FindCoordinatorRequest::default().with_key(key("")));
        assert_eq!(
            (response.error_code, response.node_id.0),
            (0, 1),
            "FindCoordinator v{v}"
        );
        if v >= 1 {
            assert_eq!(response.error_message.as_deref(), Some("NONE"), "v{v}");
        }
    }
    for v in 4..=6 {
        let request =
            FindCoordinatorRequest::default().with_coordinator_keys(vec![key(""), key("g")]);
        let response = client.send(v, &request);
        for coordinator in &response.coordinators {
            assert_eq!(
                (coordinator.error_code, coordinator.node_id.0),
                (0, 1),
                "FindCoordinator v{v} {:?}",
                coordinator.key
            );
            assert_eq!(coordinator.error_message.as_deref(), Some(""), "v{v}");
        }
    }
}

#[test]
fn a_transactional_key_is_refused_at_once() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let response = client.send(
        3,
        &FindCoordinatorRequest::default()
            .with_key(key("txn"))
            .with_key_type(1),
    );
    assert_eq!(
        (response.error_code, response.node_id.0),
        (INVALID_REQUEST, -1)
    );
    assert!(response
        .error_message
        .as_deref()
        .is_some_and(|m| m.contains("transactions")));
}
