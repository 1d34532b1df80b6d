//! What the cluster's controller keeps beside the topics: client quotas,
//! finalized features, the metadata quorum. Changes go to `cluster.json`
//! under the metadata lock like every topic change, and are undone if the
//! record cannot be written.

use std::sync::PoisonError;

use tracing::info;

use super::features::{FeatureError, FinalizedFeatures, UpgradeType};
use super::quorum::Quorum;
use super::quotas::{Alteration, ClientQuotas, Component, Described, Outcomes, QuotaError};
use super::{Cluster, ClusterError};

/// The outcome of one feature update.
pub type FeatureResult = Result<(), FeatureError>;

impl Cluster {
    fn quotas_now(&self) -> ClientQuotas {
        self.quotas
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Applies quota alterations (AlterClientQuotas); with `validate_only`
    /// only the outcomes are computed.
    pub fn alter_client_quotas(
        &self,
        alterations: &[Alteration],
        validate_only: bool,
        ip_ok: &dyn Fn(&str) -> bool,
    ) -> Result<Outcomes, ClusterError> {
        let map = self.write();
        let before = self.quotas_now();
        let mut after = before.clone();
        let results = after.alter(alterations, ip_ok);
        if validate_only || after == before {
            return Ok(results);
        }
        *self.quotas.write().unwrap_or_else(PoisonError::into_inner) = after;
        if let Err(e) = self.persist(&map) {
            *self.quotas.write().unwrap_or_else(PoisonError::into_inner) = before;
            return Err(e.into());
        }
        info!(entities = alterations.len(), "changed client quotas");
        Ok(results)
    }

    pub fn describe_client_quotas(
        &self,
        components: &[Component],
        strict: bool,
    ) -> Result<Described, QuotaError> {
        self.quotas
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .describe(components, strict)
    }

    pub fn features(&self) -> FinalizedFeatures {
        self.features
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The metadata offset at which the finalized features were read, as
    /// Kafka's ApiVersions reports it (`finalized_features_epoch`).
    pub fn features_epoch(&self) -> i64 {
        self.metadata_log.end_offset()
    }

    /// Checks every update, then applies all of them or none
    /// (UpdateFeatures). Each feature gets its own outcome.
    pub fn update_features(
        &self,
        updates: &[(String, i16, UpgradeType)],
        validate_only: bool,
    ) -> Result<Vec<(String, FeatureResult)>, ClusterError> {
        let map = self.write();
        let before = self.features();
        let results: Vec<(String, FeatureResult)> = updates
            .iter()
            .map(|(name, level, upgrade)| (name.clone(), before.check(name, *level, *upgrade)))
            .collect();
        if validate_only || results.iter().any(|(_, r)| r.is_err()) {
            return Ok(results);
        }
        let mut after = before.clone();
        for (name, level, _) in updates {
            after.set(name, *level);
        }
        if after == before {
            return Ok(results);
        }
        *self
            .features
            .write()
            .unwrap_or_else(PoisonError::into_inner) = after;
        if let Err(e) = self.persist(&map) {
            *self
                .features
                .write()
                .unwrap_or_else(PoisonError::into_inner) = before;
            return Err(e.into());
        }
        info!(?updates, "finalized feature levels");
        Ok(results)
    }

    /// The one-voter metadata quorum (see `quorum.rs`).
    pub fn quorum(&self) -> Quorum {
        let leader_id = self.controller_id();
        Quorum {
            leader_id,
            epoch: self.metadata_log.epoch(),
            high_watermark: self.metadata_log.end_offset(),
            voters: vec![leader_id],
            observers: self
                .brokers()
                .iter()
                .map(|b| b.node_id)
                .filter(|id| *id != leader_id)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::settings;
    use super::*;
    use crate::storage::Storage;

    #[test]
    fn quotas_features_and_the_quorum_epoch_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let open =
            || Cluster::open(Storage::open(dir.path(), false).unwrap(), settings(2)).unwrap();
        {
            let cluster = open();
            assert_eq!(cluster.quorum().epoch, 1);
            let results = cluster
                .alter_client_quotas(
                    &[Alteration {
                        entity: vec![("user".into(), Some("alice".into()))],
                        ops: vec![("producer_byte_rate".into(), Some(2048.0))],
                    }],
                    false,
                    &|_| true,
                )
                .unwrap();
            assert!(results[0].1.is_ok());
            let updated = cluster
                .update_features(
                    &[(
                        "eligible.leader.replicas.version".into(),
                        0,
                        UpgradeType::SafeDowngrade,
                    )],
                    false,
                )
                .unwrap();
            assert!(updated[0].1.is_ok());
            assert_eq!(cluster.quorum().high_watermark, 2);
            cluster.shutdown();
        }
        let cluster = open();
        let quorum = cluster.quorum();
        assert_eq!((quorum.epoch, quorum.high_watermark), (2, 2));
        assert_eq!((quorum.voters, quorum.observers), (vec![1], vec![2]));
        assert_eq!(cluster.describe_client_quotas(&[], false).unwrap().len(), 1);
        assert_eq!(
            cluster.features().level("eligible.leader.replicas.version"),
            0
        );
    }

    #[test]
    fn one_refused_feature_update_applies_none() {
        let cluster = Cluster::open(Storage::in_memory(), settings(1)).unwrap();
        let results = cluster
            .update_features(
                &[
                    (
                        "eligible.leader.replicas.version".into(),
                        0,
                        UpgradeType::SafeDowngrade,
                    ),
                    ("group.version".into(), 1, UpgradeType::Upgrade),
                ],
                false,
            )
            .unwrap();
        assert!(results[0].1.is_ok() && results[1].1.is_err());
        assert_eq!(
            cluster.features().level("eligible.leader.replicas.version"),
            1
        );
    }
}
