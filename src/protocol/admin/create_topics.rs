//! CreateTopics (key 19): check each topic (name, existence, partitions,
//! replication, configs, in Kafka's order) and create it, or only check it
//! with `validate_only`. From v5 each result carries the topic's effective
//! configs with their sources, as Kafka's does.

use std::collections::{HashMap, HashSet};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{ApiKey, CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::cluster::topic_config::{BrokerDefaults, ConfigSource, TopicConfigs, TOPIC_CONFIGS};
use crate::cluster::NewTopic;
use crate::protocol::error_codes::for_cluster;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

/// Kafka's DescribeConfigs source codes.
pub(crate) fn source_code(source: ConfigSource) -> i8 {
    match source {
        ConfigSource::Topic => 1,
        ConfigSource::DynamicBroker => 2,
        ConfigSource::DynamicDefaultBroker => 3,
        ConfigSource::StaticBroker => 4,
        ConfigSource::Default => 5,
    }
}

fn effective_configs(
    configs: &TopicConfigs,
    defaults: &BrokerDefaults,
) -> Vec<CreatableTopicConfigs> {
    TOPIC_CONFIGS
        .iter()
        .map(|def| {
            let (value, source) = configs.effective(def, defaults);
            CreatableTopicConfigs::default()
                .with_name(StrBytes::from_static_str(def.name))
                .with_value(Some(StrBytes::from_string(value)))
                .with_config_source(source_code(source))
        })
        .collect()
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::CreateTopics;
    const MIN_VERSION: i16 = 2;
    const MAX_VERSION: i16 = 7;
    type Request = CreateTopicsRequest;
    type Response = CreateTopicsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: CreateTopicsRequest,
    ) -> Outcome<CreateTopicsResponse> {
        let cluster = &ctx.state.cluster;
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for topic in &request.topics {
            *counts.entry(&topic.name.0).or_default() += 1;
        }
        let mut reported_duplicates = HashSet::new();
        let mut results = Vec::with_capacity(request.topics.len());
        for topic in &request.topics {
            let name: &str = &topic.name.0;
            let result = CreatableTopicResult::default().with_name(topic.name.clone());
            if counts.get(name).copied().unwrap_or(0) > 1 {
                if reported_duplicates.insert(name) {
                    let message =
                        format!("Create topics request contains multiple entries for topic {name}");
                    ctx.refused(Self::KEY, ResponseError::InvalidRequest, &message);
                    results.push(
                        result
                            .with_error_code(ResponseError::InvalidRequest.code())
                            .with_error_message(Some(StrBytes::from_string(message))),
                    );
                }
                continue;
            }
            let new_topic = NewTopic {
                name: name.to_string(),
                num_partitions: topic.num_partitions,
                replication_factor: topic.replication_factor,
                assignments: topic
                    .assignments
                    .iter()
                    .map(|a| {
                        (
                            a.partition_index,
                            a.broker_ids.iter().map(|b| b.0).collect(),
                        )
                    })
                    .collect(),
                configs: topic
                    .configs
                    .iter()
                    .map(|c| (c.name.to_string(), c.value.as_ref().map(|v| v.to_string())))
                    .collect(),
            };
            let outcome = cluster.plan_topic(&new_topic).and_then(|plan| {
                if request.validate_only {
                    // Kafka answers the id the topic would get (a v4 UUID,
                    // never the nil "no id"); nothing keeps it.
                    Ok((
                        plan.partitions,
                        plan.replication_factor,
                        plan.configs,
                        Uuid::new_v4(),
                    ))
                } else {
                    let created = cluster.create_topic(plan)?;
                    Ok((
                        created.partition_count(),
                        created.replication_factor,
                        created.configs(),
                        created.id,
                    ))
                }
            });
            results.push(match outcome {
                Ok((partitions, replication_factor, configs, id)) => result
                    .with_error_message(None)
                    .with_topic_id(id)
                    .with_num_partitions(partitions)
                    .with_replication_factor(replication_factor)
                    .with_configs(
                        (ctx.api_version >= 5)
                            .then(|| effective_configs(&configs, &cluster.defaults())),
                    ),
                Err(e) => {
                    let error = for_cluster(&e);
                    if error == ResponseError::InvalidRequest {
                        ctx.refused(Self::KEY, error, &format!("topic {name}: {e}"));
                    }
                    result
                        .with_error_code(error.code())
                        .with_error_message(Some(StrBytes::from_string(e.to_string())))
                }
            });
        }
        Outcome::Respond(CreateTopicsResponse::default().with_topics(results))
    }
}
