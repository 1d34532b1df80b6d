//! UpdateFeatures (key 57): finalizes feature levels (KIP-584), checked
//! against what klamm supports (`cluster/features.rs`) with the rules of
//! Kafka's controller: a downgrade needs a downgrade type (v0:
//! `allow_downgrade`), a level outside the supported range or of an
//! unknown feature above 0 is INVALID_UPDATE_VERSION, and metadata.version
//! is never downgraded. All updates apply or none; `validate_only` (v1+)
//! checks without applying. As Kafka 4.4 does, a refusal is one top-level
//! error naming the first feature that failed, and success lists each
//! feature (up to v1) with the message "NONE".

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::update_features_response::UpdatableFeatureResult;
use kafka_protocol::messages::{ApiKey, UpdateFeaturesRequest, UpdateFeaturesResponse};
use kafka_protocol::protocol::StrBytes;

use crate::cluster::features::UpgradeType;
use crate::protocol::error_codes::{for_cluster, for_feature};
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::UpdateFeatures;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;
    type Request = UpdateFeaturesRequest;
    type Response = UpdateFeaturesResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: UpdateFeaturesRequest,
    ) -> Outcome<UpdateFeaturesResponse> {
        let version = ctx.api_version;
        let updates: Vec<(String, i16, UpgradeType)> = request
            .feature_updates
            .iter()
            .map(|u| {
                let upgrade = if version == 0 {
                    if u.allow_downgrade {
                        UpgradeType::SafeDowngrade
                    } else {
                        UpgradeType::Upgrade
                    }
                } else {
                    UpgradeType::from_wire(u.upgrade_type)
                };
                (u.feature.to_string(), u.max_version_level, upgrade)
            })
            .collect();
        let validate_only = version >= 1 && request.validate_only;
        let results = match ctx.state.cluster.update_features(&updates, validate_only) {
            Ok(results) => results,
            Err(e) => {
                return Outcome::Respond(
                    UpdateFeaturesResponse::default()
                        .with_error_code(for_cluster(&e).code())
                        .with_error_message(Some(StrBytes::from_string(e.to_string()))),
                )
            }
        };
        if let Some(e) = results.iter().find_map(|(_, r)| r.as_ref().err()) {
            let message = format!(
                "The update failed for all features since the following feature had an error: {e}"
            );
            ctx.refused(Self::KEY, ResponseError::InvalidUpdateVersion, &message);
            return Outcome::Respond(
                UpdateFeaturesResponse::default()
                    .with_error_code(for_feature(e).code())
                    .with_error_message(Some(StrBytes::from_string(message))),
            );
        }
        let mut response = UpdateFeaturesResponse::default().with_error_message(None);
        if version < 2 {
            // Kafka names the success of each feature "NONE".
            response.results = results
                .into_iter()
                .map(|(feature, _)| {
                    UpdatableFeatureResult::default()
                        .with_feature(StrBytes::from_string(feature))
                        .with_error_message(Some(StrBytes::from_static_str("NONE")))
                })
                .collect();
        }
        Outcome::Respond(response)
    }
}
