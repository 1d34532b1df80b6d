//! AlterClientQuotas (key 49): sets and removes quota values per entity
//! (user, client id, both, or IP), validated as Kafka's controller does and
//! kept in `cluster.json`; `validate_only` checks without storing. Each
//! entity gets its own outcome. An IP entity's name must be an address or
//! a host name that resolves, as in Kafka.

use std::net::{IpAddr, ToSocketAddrs};

use kafka_protocol::messages::alter_client_quotas_response::{EntityData, EntryData};
use kafka_protocol::messages::{AlterClientQuotasRequest, AlterClientQuotasResponse, ApiKey};
use kafka_protocol::protocol::StrBytes;

use crate::cluster::quotas::{Alteration, IP};
use crate::protocol::error_codes::{for_cluster, for_quota};
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

/// The IP entity names of a request that are addresses or resolve, looked
/// up off the async threads (a name lookup may block).
async fn resolvable(alterations: &[Alteration]) -> Vec<String> {
    let names: Vec<String> = alterations
        .iter()
        .flat_map(|a| &a.entity)
        .filter(|(ty, _)| ty == IP)
        .filter_map(|(_, name)| name.clone())
        .collect();
    if names.iter().all(|n| n.parse::<IpAddr>().is_ok()) {
        return names;
    }
    tokio::task::spawn_blocking(move || {
        names
            .into_iter()
            .filter(|n| n.parse::<IpAddr>().is_ok() || (n.as_str(), 0).to_socket_addrs().is_ok())
            .collect()
    })
    .await
    .unwrap_or_default()
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::AlterClientQuotas;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 1;
    type Request = AlterClientQuotasRequest;
    type Response = AlterClientQuotasResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: AlterClientQuotasRequest,
    ) -> Outcome<AlterClientQuotasResponse> {
        let alterations: Vec<Alteration> = request
            .entries
            .iter()
            .map(|e| Alteration {
                entity: e
                    .entity
                    .iter()
                    .map(|d| {
                        (
                            d.entity_type.to_string(),
                            d.entity_name.as_ref().map(|n| n.to_string()),
                        )
                    })
                    .collect(),
                ops: e
                    .ops
                    .iter()
                    .map(|op| (op.key.to_string(), (!op.remove).then_some(op.value)))
                    .collect(),
            })
            .collect();
        let good_ips = resolvable(&alterations).await;
        let outcome =
            ctx.state
                .cluster
                .alter_client_quotas(&alterations, request.validate_only, &|ip| {
                    good_ips.iter().any(|g| g == ip)
                });
        let results = match outcome {
            Ok(results) => results,
            Err(e) => {
                // The record could not be written: every entity failed.
                let entries = request
                    .entries
                    .iter()
                    .map(|entry| {
                        EntryData::default()
                            .with_error_code(for_cluster(&e).code())
                            .with_error_message(Some(StrBytes::from_string(e.to_string())))
                            .with_entity(
                                entry
                                    .entity
                                    .iter()
                                    .map(|d| {
                                        EntityData::default()
                                            .with_entity_type(d.entity_type.clone())
                                            .with_entity_name(d.entity_name.clone())
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
                return Outcome::Respond(
                    AlterClientQuotasResponse::default().with_entries(entries),
                );
            }
        };
        let entries = results
            .into_iter()
            .map(|(entity, result)| {
                let entry = EntryData::default().with_entity(
                    entity
                        .into_iter()
                        .map(|(ty, name)| {
                            EntityData::default()
                                .with_entity_type(StrBytes::from_string(ty))
                                .with_entity_name(name.map(StrBytes::from_string))
                        })
                        .collect(),
                );
                match result {
                    Ok(()) => entry.with_error_message(None),
                    Err(e) => {
                        let error = for_quota(&e);
                        ctx.refused(Self::KEY, error, &e.to_string());
                        entry
                            .with_error_code(error.code())
                            .with_error_message(Some(StrBytes::from_string(e.to_string())))
                    }
                }
            })
            .collect();
        Outcome::Respond(AlterClientQuotasResponse::default().with_entries(entries))
    }
}
