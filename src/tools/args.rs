//! Arguments every tool shares, and parsing of `k=v` pairs.

use super::client::Client;
use super::error::ToolError;

/// Where the cluster is.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// Brokers to bootstrap from, `host:port,...`; any one that answers is
    /// enough, the rest of the cluster comes from its metadata.
    #[arg(
        long,
        short = 'b',
        visible_alias = "broker-list",
        value_name = "HOST:PORT,...",
        default_value = "localhost:9092"
    )]
    pub bootstrap_server: String,
}

impl ConnectArgs {
    pub async fn connect(&self) -> Result<Client, ToolError> {
        Client::connect(&self.bootstrap_server).await
    }
}

/// `name=value` as given to `--config` or `--header`.
pub fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not name=value")),
    }
}
