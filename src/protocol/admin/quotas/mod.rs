//! Client quotas (KIP-546): stored in the cluster record and described
//! back, not enforced (see `cluster/quotas.rs` for why).

pub(crate) mod alter_client_quotas;
pub(crate) mod describe_client_quotas;
