//! Client quotas (KIP-546): rates set per user, client id, both, or client
//! IP, kept in the cluster record and described back with Kafka's filters.
//!
//! klamm stores quotas and does not enforce them: a local broker for tests
//! has no neighbours to protect, and throttling would only slow the tests
//! down. Tools and client suites that set and read quotas see what Kafka
//! would show them. The validation and the filter semantics are those of
//! Kafka's controller (`ClientQuotaControlManager`) and metadata image
//! (`ClientQuotasImage.describe`).

use std::collections::{BTreeMap, BTreeSet};

pub const USER: &str = "user";
pub const CLIENT_ID: &str = "client-id";
pub const IP: &str = "ip";

/// An entity: entity type to name, a `None` name being the type's default.
pub type Entity = BTreeMap<String, Option<String>>;
/// An entity's quota values by key.
pub type Values = BTreeMap<String, f64>;
/// An entity with its values, as a filter finds them.
pub type Described = Vec<(Entity, Values)>;
/// Each altered entity's outcome.
pub type Outcomes = Vec<(Entity, Result<(), QuotaError>)>;

/// A quota key's type, which decides what values it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyType {
    Long,
    Int,
    Double,
}

const USER_CLIENT_KEYS: &[(&str, KeyType)] = &[
    ("producer_byte_rate", KeyType::Long),
    ("consumer_byte_rate", KeyType::Long),
    ("request_percentage", KeyType::Double),
    ("controller_mutation_rate", KeyType::Double),
];
const IP_KEYS: &[(&str, KeyType)] = &[("connection_creation_rate", KeyType::Int)];

/// Why an alteration or a filter was refused: INVALID_REQUEST (Kafka's
/// `InvalidRequestException`), or for a filter on an entity type Kafka does
/// not know, UNSUPPORTED_VERSION.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    Unsupported(String),
}

fn invalid<T>(message: impl Into<String>) -> Result<T, QuotaError> {
    Err(QuotaError::InvalidRequest(message.into()))
}

/// One entity's change: each key to its new value, `None` removing it.
pub struct Alteration {
    /// As sent: (type, name) pairs; a type named twice keeps its last name,
    /// as Kafka's request parsing does.
    pub entity: Vec<(String, Option<String>)>,
    pub ops: Vec<(String, Option<f64>)>,
}

impl Alteration {
    pub fn entity(&self) -> Entity {
        self.entity.iter().cloned().collect()
    }
}

/// Filter components of DescribeClientQuotas.
pub struct Component {
    pub entity_type: String,
    pub match_type: i8,
    pub name: Option<String>,
}

const MATCH_EXACT: i8 = 0;
const MATCH_DEFAULT: i8 = 1;
const MATCH_SPECIFIED: i8 = 2;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientQuotas {
    entities: BTreeMap<Entity, BTreeMap<String, f64>>,
}

impl ClientQuotas {
    pub fn from_stored(stored: impl IntoIterator<Item = (Entity, BTreeMap<String, f64>)>) -> Self {
        Self {
            entities: stored
                .into_iter()
                .filter(|(_, values)| !values.is_empty())
                .collect(),
        }
    }

    pub fn entities(&self) -> &BTreeMap<Entity, BTreeMap<String, f64>> {
        &self.entities
    }

    /// Applies alterations in order, each entity on its own, and gives each
    /// entity's outcome. An entity named twice gets INVALID_REQUEST while its
    /// first alteration stands, as in Kafka. `ip_ok` says whether an IP
    /// entity's name is an address or a resolvable host.
    pub fn alter(&mut self, alterations: &[Alteration], ip_ok: &dyn Fn(&str) -> bool) -> Outcomes {
        let mut results: Outcomes = Vec::new();
        for alteration in alterations {
            let entity = alteration.entity();
            let mut changes: BTreeMap<&str, Option<f64>> = BTreeMap::new();
            let mut duplicate_key = None;
            for (key, value) in &alteration.ops {
                if changes.contains_key(key.as_str()) {
                    duplicate_key = Some(key.clone());
                } else {
                    changes.insert(key, *value);
                }
            }
            let outcome = if results.iter().any(|(e, _)| *e == entity) || duplicate_key.is_some() {
                invalid(format!("Ignoring duplicate entity {}", show(&entity)))
            } else {
                self.alter_one(&alteration.entity, &entity, &changes, ip_ok)
            };
            match results.iter_mut().find(|(e, _)| *e == entity) {
                Some(slot) => slot.1 = outcome,
                None => results.push((entity, outcome)),
            }
        }
        results
    }

    fn alter_one(
        &mut self,
        sent: &[(String, Option<String>)],
        entity: &Entity,
        changes: &BTreeMap<&str, Option<f64>>,
        ip_ok: &dyn Fn(&str) -> bool,
    ) -> Result<(), QuotaError> {
        let keys = keys_for(sent, entity, ip_ok)?;
        let current = self.entities.get(entity).cloned().unwrap_or_default();
        let mut next = current.clone();
        for (key, value) in changes {
            match value {
                None => {
                    next.remove(*key);
                }
                Some(value) => {
                    let Some((_, ty)) = keys.iter().find(|(k, _)| k == key) else {
                        return invalid(format!("Invalid configuration key {key}"));
                    };
                    check_value(key, *ty, *value)?;
                    next.insert(key.to_string(), *value);
                }
            }
        }
        if next.is_empty() {
            self.entities.remove(entity);
        } else {
            self.entities.insert(entity.clone(), next);
        }
        Ok(())
    }

    /// The entities matching a filter, with their values.
    pub fn describe(
        &self,
        components: &[Component],
        strict: bool,
    ) -> Result<Described, QuotaError> {
        let mut exact: BTreeMap<&str, Option<&str>> = BTreeMap::new();
        let mut specified: BTreeSet<&str> = BTreeSet::new();
        for c in components {
            let ty = c.entity_type.as_str();
            if ty.is_empty() {
                return invalid("Invalid empty entity type.");
            }
            if exact.contains_key(ty) || specified.contains(ty) {
                return invalid(format!(
                    "Entity type {ty} cannot appear more than once in the filter."
                ));
            }
            if ![IP, USER, CLIENT_ID].contains(&ty) {
                return Err(QuotaError::Unsupported(format!(
                    "Unsupported entity type {ty}"
                )));
            }
            match (c.match_type, &c.name) {
                (MATCH_EXACT, None) => {
                    return invalid(
                        "Request specified MATCH_TYPE_EXACT, but set match string to null.",
                    )
                }
                (MATCH_EXACT, Some(name)) => {
                    exact.insert(ty, Some(name.as_str()));
                }
                (MATCH_DEFAULT, Some(_)) => {
                    return invalid(
                        "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.",
                    )
                }
                (MATCH_DEFAULT, None) => {
                    exact.insert(ty, None);
                }
                (MATCH_SPECIFIED, Some(_)) => return invalid(
                    "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.",
                ),
                (MATCH_SPECIFIED, None) => {
                    specified.insert(ty);
                }
                (other, _) => return invalid(format!("Unknown match type {other}")),
            }
        }
        let names = |ty: &str| exact.contains_key(ty) || specified.contains(ty);
        if names(IP) && (names(USER) || names(CLIENT_ID)) {
            return invalid(
                "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.",
            );
        }
        if exact.is_empty() && specified.is_empty() && strict {
            return Ok(Vec::new());
        }
        let wanted = exact.len() + specified.len();
        Ok(self
            .entities
            .iter()
            .filter(|(entity, _)| {
                exact
                    .iter()
                    .all(|(ty, name)| entity.get(*ty).is_some_and(|n| n.as_deref() == *name))
                    && specified.iter().all(|ty| entity.contains_key(*ty))
                    && (!strict || entity.len() == wanted)
            })
            .map(|(entity, values)| (entity.clone(), values.clone()))
            .collect())
    }
}

/// The keys an entity may carry, checking its types as Kafka's controller does.
fn keys_for(
    sent: &[(String, Option<String>)],
    entity: &Entity,
    ip_ok: &dyn Fn(&str) -> bool,
) -> Result<&'static [(&'static str, KeyType)], QuotaError> {
    if sent.is_empty() {
        return invalid("Invalid empty client quota entity");
    }
    for (ty, name) in entity {
        if ![USER, CLIENT_ID, IP].contains(&ty.as_str()) {
            return invalid(format!("Unhandled client quota entity type: {ty}"));
        }
        if name.as_deref() == Some("") {
            return invalid(format!("Empty {ty} not supported"));
        }
    }
    let has = |ty: &str| entity.contains_key(ty);
    if has(IP) {
        if has(USER) || has(CLIENT_ID) {
            // "shouldnot": Kafka's spelling.
            return invalid(
                "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId",
            );
        }
        if let Some(Some(ip)) = entity.get(IP) {
            if !ip_ok(ip) {
                return invalid(format!("{ip} is not a valid IP or resolvable host."));
            }
        }
        return Ok(IP_KEYS);
    }
    Ok(USER_CLIENT_KEYS)
}

fn check_value(key: &str, ty: KeyType, value: f64) -> Result<(), QuotaError> {
    // `!(value > 0.0)` also refuses NaN.
    if value.is_nan() || value <= 0.0 {
        return invalid(format!("Quota {key} must be greater than 0"));
    }
    let limit = match ty {
        KeyType::Double => return Ok(()),
        KeyType::Int => (i32::MAX as f64, "an INT"),
        KeyType::Long => (i64::MAX as f64, "a LONG"),
    };
    if value > limit.0 {
        return invalid(format!(
            "Proposed value for {key} is too large for {}.",
            limit.1
        ));
    }
    if (value % 1.0).abs() > 1e-6 {
        return invalid(format!("{key} cannot be a fractional value."));
    }
    Ok(())
}

/// An entity as Kafka's `ClientQuotaEntity.toString` shows it.
fn show(entity: &Entity) -> String {
    let entries: Vec<String> = entity
        .iter()
        .map(|(ty, name)| format!("{ty}={}", name.as_deref().unwrap_or("null")))
        .collect();
    format!("ClientQuotaEntity(entries={{{}}})", entries.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alteration(entity: &[(&str, Option<&str>)], ops: &[(&str, Option<f64>)]) -> Alteration {
        Alteration {
            entity: entity
                .iter()
                .map(|(t, n)| (t.to_string(), n.map(str::to_string)))
                .collect(),
            ops: ops.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    fn component(ty: &str, match_type: i8, name: Option<&str>) -> Component {
        Component {
            entity_type: ty.into(),
            match_type,
            name: name.map(str::to_string),
        }
    }

    fn any_ip(_: &str) -> bool {
        true
    }

    #[test]
    fn quotas_are_set_described_and_removed() {
        let mut quotas = ClientQuotas::default();
        let results = quotas.alter(
            &[
                alteration(
                    &[("user", Some("alice"))],
                    &[("producer_byte_rate", Some(1024.0))],
                ),
                alteration(
                    &[("user", Some("alice")), ("client-id", None)],
                    &[("request_percentage", Some(12.5))],
                ),
                alteration(
                    &[("client-id", Some("app"))],
                    &[("consumer_byte_rate", Some(10.0))],
                ),
            ],
            &any_ip,
        );
        assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
        let alice = quotas
            .describe(&[component(USER, MATCH_EXACT, Some("alice"))], false)
            .unwrap();
        assert_eq!(alice.len(), 2);
        let strict = quotas
            .describe(&[component(USER, MATCH_EXACT, Some("alice"))], true)
            .unwrap();
        assert_eq!(strict.len(), 1);
        let defaults = quotas
            .describe(&[component(CLIENT_ID, MATCH_DEFAULT, None)], false)
            .unwrap();
        assert_eq!(defaults.len(), 1);
        assert_eq!(quotas.describe(&[], false).unwrap().len(), 3);
        assert!(quotas.describe(&[], true).unwrap().is_empty());
        quotas.alter(
            &[alteration(
                &[("user", Some("alice"))],
                &[("producer_byte_rate", None)],
            )],
            &any_ip,
        );
        assert_eq!(
            quotas.entities().len(),
            2,
            "an entity without values is gone"
        );
    }

    #[test]
    fn bad_alterations_are_refused_with_kafkas_reasons() {
        let mut quotas = ClientQuotas::default();
        let refused = |quotas: &mut ClientQuotas, a: Alteration| {
            let results = quotas.alter(&[a], &|ip: &str| ip.parse::<std::net::IpAddr>().is_ok());
            match &results[0].1 {
                Err(QuotaError::InvalidRequest(m)) => m.clone(),
                other => panic!("{other:?}"),
            }
        };
        let user = [("user", Some("u"))];
        assert!(
            refused(&mut quotas, alteration(&user, &[("nope", Some(1.0))]))
                .contains("Invalid configuration key")
        );
        assert!(refused(
            &mut quotas,
            alteration(&user, &[("producer_byte_rate", Some(0.0))])
        )
        .contains("greater than 0"));
        assert!(refused(
            &mut quotas,
            alteration(&user, &[("producer_byte_rate", Some(1.5))])
        )
        .contains("fractional"));
        assert!(refused(
            &mut quotas,
            alteration(&[("ip", Some("1.2.3.4")), ("user", None)], &[])
        )
        .contains("combined"));
        assert!(
            refused(&mut quotas, alteration(&[("ip", Some("not an ip"))], &[]))
                .contains("resolvable")
        );
        assert!(
            refused(&mut quotas, alteration(&[("group", Some("g"))], &[])).contains("Unhandled")
        );
        assert!(refused(&mut quotas, alteration(&[], &[])).contains("empty"));
        assert!(refused(&mut quotas, alteration(&[("user", Some(""))], &[])).contains("Empty user"));
        assert!(refused(
            &mut quotas,
            alteration(
                &user,
                &[
                    ("producer_byte_rate", Some(1.0)),
                    ("producer_byte_rate", Some(2.0))
                ]
            )
        )
        .contains("duplicate"));
        assert!(quotas.entities().is_empty());
    }

    #[test]
    fn a_bad_filter_is_refused() {
        let quotas = ClientQuotas::default();
        assert!(matches!(
            quotas.describe(&[component("group", MATCH_SPECIFIED, None)], false),
            Err(QuotaError::Unsupported(_))
        ));
        for bad in [
            vec![component(USER, MATCH_EXACT, None)],
            vec![component(USER, MATCH_DEFAULT, Some("x"))],
            vec![component(USER, 7, None)],
            vec![
                component(USER, MATCH_SPECIFIED, None),
                component(USER, MATCH_SPECIFIED, None),
            ],
            vec![
                component(IP, MATCH_SPECIFIED, None),
                component(USER, MATCH_SPECIFIED, None),
            ],
            vec![component("", MATCH_SPECIFIED, None)],
        ] {
            assert!(matches!(
                quotas.describe(&bad, false),
                Err(QuotaError::InvalidRequest(_))
            ));
        }
    }
}
