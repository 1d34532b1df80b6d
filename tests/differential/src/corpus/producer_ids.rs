//! Producer ids: InitProducerId (22) for idempotent and transactional
//! producers, then an idempotent producer's batches: in order, retried,
//! with a gap, with another epoch, from a producer id never handed out.

use std::time::Duration;

use kafka_protocol::messages::{
    ApiKey, FindCoordinatorRequest, InitProducerIdRequest, TransactionalId,
};

use super::ctx::text;
use super::fetch::fetch_one;
use super::fixtures::*;
use super::{case, produce, Case};
use crate::tree::Tree;
use crate::versions::Versions;

fn init(transactional_id: Option<&str>) -> InitProducerIdRequest {
    InitProducerIdRequest::default()
        .with_transactional_id(transactional_id.map(|t| TransactionalId(text(t))))
        .with_transaction_timeout_ms(60_000)
}

/// The transaction coordinator is ready, or the broker refuses transactions
/// outright (klamm: INVALID_REQUEST at once, by design).
fn coordinator_ready_or_refused(answer: &Tree) -> bool {
    let code = answer
        .at("coordinators.0.error_code")
        .or_else(|| answer.at("error_code"))
        .and_then(Tree::as_int);
    matches!(code, Some(0) | Some(42))
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    if let Some(fv) = v.newest(ApiKey::FindCoordinator).filter(|fv| *fv >= 1) {
        cases.push(
            case("settle: transaction coordinator", fv, move |_| {
                let request = FindCoordinatorRequest::default().with_key_type(1);
                if fv >= 4 {
                    request.with_coordinator_keys(vec![text("diff-txn")])
                } else {
                    request.with_key(text("diff-txn"))
                }
            })
            .until(coordinator_ready_or_refused),
        );
    }
    for version in v
        .compared(ApiKey::FindCoordinator)
        .into_iter()
        .filter(|v| *v >= 1)
    {
        cases.push(case("transaction", version, move |_| {
            let request = FindCoordinatorRequest::default().with_key_type(1);
            if version >= 4 {
                request.with_coordinator_keys(vec![text("diff-txn")])
            } else {
                request.with_key(text("diff-txn"))
            }
        }));
    }
    // FindCoordinator answers once the coordinator is elected; the
    // coordinator answers InitProducerId once it has loaded its state.
    if let Some(iv) = v.newest(ApiKey::InitProducerId) {
        cases.push(
            case("settle: transaction coordinator has loaded", iv, |_| {
                init(Some("diff-txn-settle"))
            })
            .until(|answer| {
                matches!(
                    answer.at("error_code").and_then(Tree::as_int),
                    Some(0) | Some(42)
                )
            }),
        );
    }
    for version in v.compared(ApiKey::InitProducerId) {
        let pid = format!("pid.v{version}");
        cases.push(
            case("idempotent", version, |_| init(None))
                .capture("producer_id", &pid)
                .capture("producer_epoch", &format!("{pid}.epoch")),
        );
        cases.push(
            case("transactional", version, |_| init(Some("diff-txn")))
                .wait(Duration::from_secs(10)),
        );
        cases.push(case("transactional-zero-timeout", version, |_| {
            init(Some("diff-txn")).with_transaction_timeout_ms(0)
        }));
        cases.push(case("empty-transactional-id", version, |_| init(Some(""))));
        cases.push(case("trailing-bytes", version, |_| init(None)).trailing(&[0, 0, 0]));
        if version >= 2 {
            cases.push(case("unknown-tagged-field", version, |_| init(None)).body_tag());
        }
        if version >= 3 {
            let p = pid.clone();
            cases.push(case("idempotent-with-producer-id", version, move |ctx| {
                init(None)
                    .with_producer_id(ctx.int(&p).into())
                    .with_producer_epoch(0)
            }));
            cases.push(case("unknown-producer-id", version, |_| {
                init(None)
                    .with_producer_id(424_242.into())
                    .with_producer_epoch(0)
            }));
        }
    }
    // An idempotent producer's batches, with the newest producer id.
    let (Some(iv), Some(pv)) = (v.newest(ApiKey::InitProducerId), v.newest(ApiKey::Produce)) else {
        return cases;
    };
    let pid = format!("pid.v{iv}");
    let t = t0() + 500_000;
    let idempotent =
        move |label: &str, epoch: i16, sequence: i32, count: i64, fixed_pid: Option<i64>| {
            let pid = pid.clone();
            case(label.to_string(), pv, move |ctx| {
                let id = fixed_pid.unwrap_or_else(|| ctx.int(&pid));
                produce::request(
                    ctx,
                    pv,
                    -1,
                    &[(
                        TOPIC_PRODUCE,
                        1,
                        Some(batch(count, t, Some((id, epoch, sequence)))),
                    )],
                )
            })
        };
    cases.push(idempotent("idempotent-first", 0, 0, 2, None));
    cases.push(idempotent("idempotent-retry", 0, 0, 2, None));
    cases.push(idempotent("idempotent-next", 0, 2, 1, None));
    cases.push(idempotent("idempotent-older-batch", 0, 0, 2, None));
    cases.push(idempotent("idempotent-gap", 0, 9, 1, None));
    cases.push(idempotent("idempotent-new-epoch", 1, 0, 1, None));
    cases.push(idempotent("idempotent-old-epoch", 0, 3, 1, None));
    cases.push(idempotent(
        "never-issued-producer-id",
        0,
        5,
        1,
        Some(7_777_777),
    ));
    cases.extend(fetch_one("idempotent-records", v, TOPIC_PRODUCE, 1));
    cases
}
