//! klamm's own Kafka tools: `klamm topics`, `produce`, `consume` and
//! `groups`, so nobody needs Java and a Kafka download to poke at a broker.
//!
//! They speak only the Kafka protocol (through the same `kafka-protocol`
//! codec the broker uses), so they work against any broker, real Kafka
//! included, and follow Metadata and FindCoordinator like any client.
//! `client/` is the small connection and routing layer; each command has a
//! file of its own.

mod args;
mod assignor;
mod client;
mod consume;
mod error;
mod group_member;
mod groups;
mod output;
mod partitioner;
mod produce;
mod records;
mod topics;

use std::io::Write;
use std::process::ExitCode;

pub use error::ToolError;
pub use partitioner::{murmur2, partition_for_key};

/// The subcommands of `klamm`.
#[derive(Debug, clap::Subcommand)]
pub enum Tool {
    /// List, create, describe, alter and delete topics.
    #[command(subcommand)]
    Topics(topics::TopicsCommand),
    /// Produce one record per line of stdin (or a file).
    Produce(produce::ProduceArgs),
    /// Print a topic's records, alone or as a member of a consumer group.
    Consume(consume::ConsumeArgs),
    /// List, describe, reset the offsets of, and delete consumer groups.
    #[command(subcommand)]
    Groups(groups::GroupsCommand),
}

impl Tool {
    async fn run(self) -> Result<(), ToolError> {
        let mut out = String::new();
        match self {
            Tool::Topics(command) => command.run(&mut out).await?,
            Tool::Groups(command) => command.run(&mut out).await?,
            Tool::Produce(args) => args.run().await?,
            Tool::Consume(args) => args.run().await?,
        }
        let mut stdout = std::io::stdout().lock();
        // A closed stdout (`| head`) is not worth an error.
        let _ = stdout
            .write_all(out.as_bytes())
            .and_then(|()| stdout.flush());
        Ok(())
    }
}

/// Runs a tool to completion; errors are one line on stderr and exit code 1.
pub fn run(tool: Tool) -> ExitCode {
    // One thread is plenty for a client that does one thing at a time.
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ToolError::Failed(format!("cannot start the async runtime: {e}")))
        .and_then(|runtime| runtime.block_on(tool.run()));
    if let Err(e) = result {
        eprintln!("klamm: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
