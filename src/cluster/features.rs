//! Cluster features (KIP-584): what klamm supports of each feature Kafka
//! 4.4 knows, the level finalized for the cluster, and the rules by which
//! UpdateFeatures changes it.
//!
//! A feature's level gates behaviour: `group.version` 1 is the KIP-848
//! consumer protocol, `transaction.version` 2 the KIP-890 transactions,
//! `share.version` and `streams.version` share and streams groups. klamm
//! serves none of those yet, so it supports only level 0 of them; a later
//! issue that adds one raises its maximum here. ApiVersions advertises this
//! table (supported ranges, and the finalized levels above 0).

use std::collections::BTreeMap;

/// One feature: the levels klamm supports and the one a new cluster starts at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureSupport {
    pub name: &'static str,
    pub min: i16,
    pub max: i16,
    pub default_level: i16,
}

const fn feature(name: &'static str, min: i16, max: i16, default_level: i16) -> FeatureSupport {
    FeatureSupport {
        name,
        min,
        max,
        default_level,
    }
}

pub const METADATA_VERSION: &str = "metadata.version";

/// Every feature klamm knows, in Kafka 4.4's order.
pub const SUPPORTED: &[FeatureSupport] = &[
    feature("group.version", 0, 0, 0),
    // A static one-voter quorum: no dynamic voters (KIP-853).
    feature("kraft.version", 0, 0, 0),
    // Kafka 4.4's range; klamm's behaviour does not depend on the level.
    feature(METADATA_VERSION, 7, 33, 33),
    feature("share.version", 0, 0, 0),
    feature("streams.version", 0, 0, 0),
    feature("transaction.version", 0, 0, 0),
    // Eligible leader replicas (KIP-966): every replica is always in sync,
    // so the lists are empty either way.
    feature("eligible.leader.replicas.version", 0, 1, 1),
];

pub fn supported(name: &str) -> Option<&'static FeatureSupport> {
    SUPPORTED.iter().find(|f| f.name == name)
}

/// How a client asks for a level below the current one (UpdateFeatures v1+;
/// v0's `allow_downgrade` is SAFE_DOWNGRADE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpgradeType {
    Upgrade,
    SafeDowngrade,
    UnsafeDowngrade,
    Unknown,
}

impl UpgradeType {
    pub fn from_wire(value: i8) -> Self {
        match value {
            1 => Self::Upgrade,
            2 => Self::SafeDowngrade,
            3 => Self::UnsafeDowngrade,
            _ => Self::Unknown,
        }
    }
}

/// Why a level cannot be finalized (INVALID_UPDATE_VERSION), in Kafka's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FeatureError(pub String);

/// The finalized levels: klamm's defaults, overridden by what UpdateFeatures set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FinalizedFeatures {
    changed: BTreeMap<String, i16>,
}

impl FinalizedFeatures {
    pub fn from_stored(changed: BTreeMap<String, i16>) -> Self {
        Self { changed }
    }

    /// The levels that differ from the defaults, for `cluster.json`.
    pub fn changed(&self) -> &BTreeMap<String, i16> {
        &self.changed
    }

    pub fn level(&self, name: &str) -> i16 {
        self.changed
            .get(name)
            .copied()
            .or_else(|| supported(name).map(|f| f.default_level))
            .unwrap_or(0)
    }

    /// Every feature finalized above level 0 (Kafka leaves level 0 out).
    pub fn finalized(&self) -> Vec<(&'static str, i16)> {
        SUPPORTED
            .iter()
            .map(|f| (f.name, self.level(f.name)))
            .filter(|(_, level)| *level > 0)
            .collect()
    }

    /// Checks one update as Kafka's controller does, in its order: upgrade
    /// type, sign, support, direction, then metadata.version's own rules.
    pub fn check(&self, name: &str, level: i16, upgrade: UpgradeType) -> Result<(), FeatureError> {
        let refuse = |reason: &str| {
            Err(FeatureError(format!(
                "Invalid update version {level} for feature {name}. {reason}"
            )))
        };
        if upgrade == UpgradeType::Unknown {
            return refuse("The controller does not support the given upgrade type.");
        }
        if level < 0 {
            return refuse("A feature version cannot be less than 0.");
        }
        let current = self.level(name);
        match supported(name) {
            Some(f) if level < f.min || level > f.max => {
                return refuse(&format!(
                    "Local controller 1 only supports versions {}-{}",
                    f.min, f.max
                ));
            }
            None if level > 0 => {
                return refuse("Local controller 1 does not support this feature.");
            }
            _ => {}
        }
        if level < current && upgrade == UpgradeType::Upgrade {
            return refuse(
                "Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.",
            );
        }
        if level > current && upgrade != UpgradeType::Upgrade {
            return refuse("Can't downgrade to a newer version.");
        }
        if supported(name).is_none() {
            return refuse(&format!("Feature {name} not found."));
        }
        if name == METADATA_VERSION && level < current {
            // klamm keeps no per-version metadata records to drop, but it
            // cannot tell which downgrades Kafka deems safe either: it
            // refuses them all, as Kafka 4.4 refuses a downgrade that may
            // lose metadata.
            let reason = if upgrade == UpgradeType::UnsafeDowngrade {
                "Unsafe metadata downgrade is not supported in this version."
            } else {
                "Refusing to perform the requested downgrade because it might delete metadata information."
            };
            return Err(FeatureError(format!(
                "Unsupported metadata.version downgrade from {current} to {level}. {reason}"
            )));
        }
        Ok(())
    }

    /// Finalizes a checked level.
    pub fn set(&mut self, name: &str, level: i16) {
        let default = supported(name).map_or(0, |f| f.default_level);
        if level == default {
            self.changed.remove(name);
        } else {
            self.changed.insert(name.to_string(), level);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_cluster_finalizes_the_defaults_above_zero() {
        let features = FinalizedFeatures::default();
        assert_eq!(
            features.finalized(),
            vec![
                (METADATA_VERSION, 33),
                ("eligible.leader.replicas.version", 1)
            ]
        );
    }

    #[test]
    fn updates_follow_kafkas_rules() {
        let mut features = FinalizedFeatures::default();
        let elr = "eligible.leader.replicas.version";
        assert!(features.check(elr, 0, UpgradeType::Upgrade).is_err());
        assert!(features.check(elr, 0, UpgradeType::SafeDowngrade).is_ok());
        assert!(features.check(elr, 2, UpgradeType::Upgrade).is_err());
        assert!(features.check(elr, 1, UpgradeType::Unknown).is_err());
        assert!(features.check(elr, -1, UpgradeType::Upgrade).is_err());
        assert!(features.check("no.such", 0, UpgradeType::Upgrade).is_err());
        assert!(features.check("no.such", 1, UpgradeType::Upgrade).is_err());
        assert!(features
            .check("group.version", 1, UpgradeType::Upgrade)
            .is_err());
        assert!(features
            .check(METADATA_VERSION, 30, UpgradeType::SafeDowngrade)
            .is_err());
        features.set(elr, 0);
        assert_eq!(features.level(elr), 0);
        assert_eq!(features.changed().get(elr), Some(&0));
        features.set(elr, 1);
        assert!(features.changed().is_empty());
    }
}
