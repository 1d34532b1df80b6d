//! KIP-951: a produce or fetch answered NOT_LEADER_OR_FOLLOWER names the
//! partition's current leader and that broker's address, so a client
//! moves to it at once instead of refreshing its metadata first. Only a
//! simulated cluster (`--brokers N`) has partitions led elsewhere.

use std::collections::BTreeMap;

use crate::cluster::Topic;
use crate::protocol::RequestContext;
use crate::storage::LEADER_EPOCH;

/// The leaders named in one response, by node id, with their address on
/// the listener the request came in on.
#[derive(Default)]
pub(crate) struct LeaderHints {
    nodes: BTreeMap<i32, (String, i32)>,
}

impl LeaderHints {
    /// The leader and leader epoch of a partition, remembering the
    /// leader's address for the response's node endpoints.
    pub fn leader(
        &mut self,
        ctx: &RequestContext<'_>,
        topic: &Topic,
        partition: i32,
    ) -> (i32, i32) {
        let cluster = &ctx.state.cluster;
        let leader = cluster.leader(topic, partition);
        if let Some((_, endpoint)) = cluster
            .endpoints(ctx.listener)
            .find(|(id, _)| *id == leader)
        {
            self.nodes
                .insert(leader, (endpoint.host.clone(), i32::from(endpoint.port)));
        }
        (leader, LEADER_EPOCH)
    }

    /// (node id, host, port) of every leader named, in node id order.
    pub fn into_nodes(self) -> impl Iterator<Item = (i32, String, i32)> {
        self.nodes
            .into_iter()
            .map(|(id, (host, port))| (id, host, port))
    }
}
