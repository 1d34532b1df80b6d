//! DescribeClientQuotas (key 48): the quota entities matching a filter,
//! with their values. Filters follow Kafka's metadata image: exact name,
//! the default entity (`match_type` 1), or any name of a type (2); `strict`
//! keeps only entities of exactly the filtered types. A filter Kafka
//! refuses gets its error and message at the top, with no entries.

use kafka_protocol::messages::describe_client_quotas_response::{EntityData, EntryData, ValueData};
use kafka_protocol::messages::{ApiKey, DescribeClientQuotasRequest, DescribeClientQuotasResponse};
use kafka_protocol::protocol::StrBytes;

use crate::cluster::quotas::Component;
use crate::protocol::error_codes::for_quota;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DescribeClientQuotas;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 1;
    type Request = DescribeClientQuotasRequest;
    type Response = DescribeClientQuotasResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: DescribeClientQuotasRequest,
    ) -> Outcome<DescribeClientQuotasResponse> {
        let components: Vec<Component> = request
            .components
            .iter()
            .map(|c| Component {
                entity_type: c.entity_type.to_string(),
                match_type: c.match_type,
                name: c._match.as_ref().map(|m| m.to_string()),
            })
            .collect();
        match ctx
            .state
            .cluster
            .describe_client_quotas(&components, request.strict)
        {
            Ok(found) => {
                let entries = found
                    .into_iter()
                    .map(|(entity, values)| {
                        EntryData::default()
                            .with_entity(
                                entity
                                    .into_iter()
                                    .map(|(ty, name)| {
                                        EntityData::default()
                                            .with_entity_type(StrBytes::from_string(ty))
                                            .with_entity_name(name.map(StrBytes::from_string))
                                    })
                                    .collect(),
                            )
                            .with_values(
                                values
                                    .into_iter()
                                    .map(|(key, value)| {
                                        ValueData::default()
                                            .with_key(StrBytes::from_string(key))
                                            .with_value(value)
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
                Outcome::Respond(
                    DescribeClientQuotasResponse::default()
                        .with_error_message(Some(StrBytes::default()))
                        .with_entries(Some(entries)),
                )
            }
            Err(e) => {
                let error = for_quota(&e);
                ctx.refused(Self::KEY, error, &e.to_string());
                Outcome::Respond(
                    DescribeClientQuotasResponse::default()
                        .with_error_code(error.code())
                        .with_error_message(Some(StrBytes::from_string(e.to_string())))
                        .with_entries(None),
                )
            }
        }
    }
}
