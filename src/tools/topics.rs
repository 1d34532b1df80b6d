//! `klamm topics`: list, create, describe, alter and delete topics, as
//! `kafka-topics.sh` and `kafka-configs.sh` do, over the Kafka protocol.

use std::fmt::Write as _;

use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::{
    CreateTopicsRequest, DeleteTopicsRequest, DescribeConfigsRequest,
    IncrementalAlterConfigsRequest,
};

use super::args::{key_value, ConnectArgs};
use super::client::{str_bytes, topic_name, Client, TopicInfo};
use super::error::ToolError;

/// ConfigResource type of a topic.
const TOPIC_RESOURCE: i8 = 2;
/// DescribeConfigs source of a config set on the topic itself.
const DYNAMIC_TOPIC_CONFIG: i8 = 1;
/// How long the broker may take to create or delete a topic.
const ADMIN_TIMEOUT_MS: i32 = 30_000;

#[derive(Debug, clap::Subcommand)]
pub enum TopicsCommand {
    /// List topic names.
    #[command(after_help = "Example:\n  klamm topics list --bootstrap-server localhost:9092")]
    List {
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Create a topic.
    #[command(
        after_help = "Example:\n  klamm topics create orders --partitions 3 --replication-factor 1 --config retention.ms=86400000"
    )]
    Create {
        /// The topic's name.
        name: String,
        /// Partitions [default: the broker's num.partitions].
        #[arg(long, value_name = "N")]
        partitions: Option<i32>,
        /// Replicas of each partition [default: the broker's default.replication.factor].
        #[arg(long, value_name = "N")]
        replication_factor: Option<i16>,
        /// A topic config, `name=value` (repeatable).
        #[arg(long = "config", value_name = "NAME=VALUE", value_parser = key_value)]
        configs: Vec<(String, String)>,
        /// Succeed if the topic exists already.
        #[arg(long)]
        if_not_exists: bool,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Show partitions, leaders, replicas, in-sync replicas and the configs
    /// set on a topic (those that differ from the broker's defaults).
    #[command(after_help = "Example:\n  klamm topics describe orders")]
    Describe {
        /// The topic [default: every topic].
        name: Option<String>,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Delete a topic and its data.
    #[command(after_help = "Example:\n  klamm topics delete orders")]
    Delete {
        name: String,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Set or remove topic configs (IncrementalAlterConfigs).
    #[command(
        after_help = "Example:\n  klamm topics alter orders --config retention.ms=3600000 --delete-config cleanup.policy"
    )]
    Alter {
        name: String,
        /// A config to set, `name=value` (repeatable).
        #[arg(long = "config", value_name = "NAME=VALUE", value_parser = key_value)]
        configs: Vec<(String, String)>,
        /// A config to remove, so the default applies again (repeatable).
        #[arg(long = "delete-config", value_name = "NAME")]
        delete_configs: Vec<String>,
        #[command(flatten)]
        connect: ConnectArgs,
    },
}

impl TopicsCommand {
    pub async fn run(self, out: &mut String) -> Result<(), ToolError> {
        match self {
            TopicsCommand::List { connect } => {
                let mut client = connect.connect().await?;
                for topic in client.topics().await? {
                    let _ = writeln!(out, "{}", topic.name);
                }
                Ok(())
            }
            TopicsCommand::Create {
                name,
                partitions,
                replication_factor,
                configs,
                if_not_exists,
                connect,
            } => {
                let mut client = connect.connect().await?;
                let topic = CreatableTopic::default()
                    .with_name(topic_name(&name))
                    .with_num_partitions(partitions.unwrap_or(-1))
                    .with_replication_factor(replication_factor.unwrap_or(-1))
                    .with_configs(
                        configs
                            .iter()
                            .map(|(k, v)| {
                                CreatableTopicConfig::default()
                                    .with_name(str_bytes(k))
                                    .with_value(Some(str_bytes(v)))
                            })
                            .collect(),
                    );
                let request = CreateTopicsRequest::default()
                    .with_topics(vec![topic])
                    .with_timeout_ms(ADMIN_TIMEOUT_MS);
                let controller = client.controller().await?;
                let version = controller.version::<CreateTopicsRequest>(2, 5)?;
                let response = controller.call(version, &request).await?;
                let result = answer_for(response.topics.first(), &name)?;
                // TOPIC_ALREADY_EXISTS
                if result.error_code == 36 && if_not_exists {
                    return Ok(());
                }
                ToolError::check(result.error_code, result.error_message.as_deref(), || {
                    format!("cannot create topic {name}")
                })?;
                let _ = writeln!(out, "Created topic {name}.");
                Ok(())
            }
            TopicsCommand::Describe { name, connect } => {
                let mut client = connect.connect().await?;
                let topics = match name {
                    Some(name) => vec![client.topic(&name).await?],
                    None => client.topics().await?,
                };
                for topic in &topics {
                    let configs = topic_overrides(&mut client, &topic.name).await?;
                    describe(out, topic, &configs);
                }
                Ok(())
            }
            TopicsCommand::Delete { name, connect } => {
                let mut client = connect.connect().await?;
                let request = DeleteTopicsRequest::default()
                    .with_topic_names(vec![topic_name(&name)])
                    .with_timeout_ms(ADMIN_TIMEOUT_MS);
                let controller = client.controller().await?;
                let version = controller.version::<DeleteTopicsRequest>(1, 4)?;
                let response = controller.call(version, &request).await?;
                let result = answer_for(response.responses.first(), &name)?;
                ToolError::check(result.error_code, result.error_message.as_deref(), || {
                    format!("cannot delete topic {name}")
                })?;
                let _ = writeln!(out, "Deleted topic {name}.");
                Ok(())
            }
            TopicsCommand::Alter {
                name,
                configs,
                delete_configs,
                connect,
            } => {
                if configs.is_empty() && delete_configs.is_empty() {
                    return Err(ToolError::Usage(
                        "nothing to alter: give --config NAME=VALUE or --delete-config NAME".into(),
                    ));
                }
                let mut client = connect.connect().await?;
                let set = configs.iter().map(|(k, v)| {
                    AlterableConfig::default()
                        .with_name(str_bytes(k))
                        .with_config_operation(0)
                        .with_value(Some(str_bytes(v)))
                });
                let delete = delete_configs.iter().map(|k| {
                    AlterableConfig::default()
                        .with_name(str_bytes(k))
                        .with_config_operation(1)
                });
                let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
                    AlterConfigsResource::default()
                        .with_resource_type(TOPIC_RESOURCE)
                        .with_resource_name(str_bytes(&name))
                        .with_configs(set.chain(delete).collect()),
                ]);
                let controller = client.controller().await?;
                let version = controller.version::<IncrementalAlterConfigsRequest>(0, 1)?;
                let response = controller.call(version, &request).await?;
                for result in &response.responses {
                    ToolError::check(result.error_code, result.error_message.as_deref(), || {
                        format!("cannot alter topic {name}")
                    })?;
                }
                let _ = writeln!(out, "Altered topic {name}.");
                Ok(())
            }
        }
    }
}

/// The one result a single-topic admin request must have.
fn answer_for<'a, T>(result: Option<&'a T>, topic: &str) -> Result<&'a T, ToolError> {
    result.ok_or_else(|| ToolError::Failed(format!("the broker did not answer for topic {topic}")))
}

/// The configs set on the topic itself, sorted by name.
async fn topic_overrides(
    client: &mut Client,
    topic: &str,
) -> Result<Vec<(String, String)>, ToolError> {
    let request =
        DescribeConfigsRequest::default().with_resources(vec![DescribeConfigsResource::default()
            .with_resource_type(TOPIC_RESOURCE)
            .with_resource_name(str_bytes(topic))
            .with_configuration_keys(None)]);
    let connection = client.controller().await?;
    let version = connection.version::<DescribeConfigsRequest>(1, 3)?;
    let response = connection.call(version, &request).await?;
    let mut configs = Vec::new();
    for result in response.results {
        ToolError::check(result.error_code, result.error_message.as_deref(), || {
            format!("cannot describe the configs of topic {topic}")
        })?;
        for config in result.configs {
            if config.config_source == DYNAMIC_TOPIC_CONFIG {
                let value = if config.is_sensitive {
                    "(sensitive)".to_string()
                } else {
                    config.value.map(|v| v.to_string()).unwrap_or_default()
                };
                configs.push((config.name.to_string(), value));
            }
        }
    }
    configs.sort();
    Ok(configs)
}

fn ids(nodes: &[i32]) -> String {
    nodes
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The layout `kafka-topics.sh --describe` prints.
fn describe(out: &mut String, topic: &TopicInfo, configs: &[(String, String)]) {
    let replication = topic.partitions.first().map_or(0, |p| p.replicas.len());
    let configs = configs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let _ = writeln!(
        out,
        "Topic: {}\tTopicId: {}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}",
        topic.name,
        topic.id,
        topic.partitions.len(),
        replication,
        configs
    );
    for p in &topic.partitions {
        let _ = writeln!(
            out,
            "\tTopic: {}\tPartition: {}\tLeader: {}\tReplicas: {}\tIsr: {}",
            topic.name,
            p.index,
            if p.leader < 0 {
                "none".to_string()
            } else {
                p.leader.to_string()
            },
            ids(&p.replicas),
            ids(&p.isr)
        );
    }
}
