//! Listeners in Kafka's notation: `NAME://host:port`, comma-separated.
//!
//! A connection's Metadata answer advertises the addresses of the listener it
//! came in on, which is how one compose file serves clients inside and outside
//! a container. klamm speaks PLAINTEXT only and says so when asked for more.

/// One `NAME://host:port` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerAddr {
    pub name: String,
    pub host: String,
    pub port: u16,
}

/// A listener to bind, and what to advertise for it (`None`: derive from
/// the bound address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerConfig {
    pub name: String,
    pub bind_host: String,
    pub bind_port: u16,
    pub advertised: Option<(String, u16)>,
}

const DEFAULT_NAME: &str = "PLAINTEXT";
const UNSUPPORTED_PROTOCOLS: &[&str] = &["SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/// Parses one `[NAME://]host:port`; an empty host means all interfaces.
pub fn parse_addr(entry: &str) -> Result<ListenerAddr, String> {
    let entry = entry.trim();
    let (name, rest) = match entry.split_once("://") {
        Some((name, rest)) => (name.trim().to_ascii_uppercase(), rest),
        None => (DEFAULT_NAME.to_string(), entry),
    };
    if name.is_empty() {
        return Err(format!("`{entry}` has an empty listener name"));
    }
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| format!("`{entry}` has an unclosed '['"))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| format!("`{entry}` has no port"))?;
        (host.to_string(), port)
    } else {
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("`{entry}` has no port (expected host:port)"))?;
        (host.to_string(), port)
    };
    let port = port
        .trim()
        .parse::<u16>()
        .map_err(|_| format!("`{entry}` has an invalid port `{port}`"))?;
    Ok(ListenerAddr {
        name,
        host: host.trim().to_string(),
        port,
    })
}

pub fn parse_list(list: &str) -> Result<Vec<ListenerAddr>, String> {
    list.split(',')
        .filter(|e| !e.trim().is_empty())
        .map(parse_addr)
        .collect()
}

fn protocol_of(name: &str, map: &[(String, String)]) -> String {
    map.iter()
        .find(|(n, _)| n == name)
        .map_or_else(|| name.to_string(), |(_, p)| p.clone())
}

/// Combines the listener, advertised, protocol-map and controller settings
/// into the listeners to bind.
pub fn resolve(
    listeners: Option<&str>,
    advertised: Option<&str>,
    protocol_map: Option<&str>,
    controller_names: Option<&str>,
) -> Result<Vec<ListenerConfig>, String> {
    let map: Vec<(String, String)> = protocol_map
        .unwrap_or_default()
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(n, p)| (n.trim().to_ascii_uppercase(), p.trim().to_ascii_uppercase()))
        .collect();
    let controllers: Vec<String> = controller_names
        .unwrap_or("CONTROLLER")
        .split(',')
        .map(|n| n.trim().to_ascii_uppercase())
        .collect();
    let keep = |addr: &ListenerAddr| !controllers.contains(&addr.name);
    let advertised: Vec<ListenerAddr> = match advertised {
        Some(list) => parse_list(list)?.into_iter().filter(keep).collect(),
        None => Vec::new(),
    };
    let bound: Vec<ListenerAddr> = match listeners {
        Some(list) => parse_list(list)?.into_iter().filter(keep).collect(),
        // Like Kafka's images: without listeners, listen on every advertised
        // port on all interfaces.
        None if !advertised.is_empty() => advertised
            .iter()
            .map(|a| ListenerAddr {
                host: String::new(),
                ..a.clone()
            })
            .collect(),
        None => vec![ListenerAddr {
            name: DEFAULT_NAME.into(),
            host: "0.0.0.0".into(),
            port: 9092,
        }],
    };
    if bound.is_empty() {
        return Err("no listeners left to serve (all are controller listeners)".into());
    }
    let mut configs: Vec<ListenerConfig> = Vec::new();
    for addr in &bound {
        let protocol = protocol_of(&addr.name, &map);
        if UNSUPPORTED_PROTOCOLS.contains(&protocol.as_str()) {
            return Err(format!(
                "listener {} uses {protocol}; klamm serves PLAINTEXT only",
                addr.name
            ));
        }
        if configs.iter().any(|c| c.name == addr.name) {
            return Err(format!("listener name {} is used twice", addr.name));
        }
        configs.push(ListenerConfig {
            name: addr.name.clone(),
            bind_host: addr.host.clone(),
            bind_port: addr.port,
            advertised: None,
        });
    }
    for addr in advertised {
        let config = configs
            .iter_mut()
            .find(|c| c.name == addr.name)
            .ok_or_else(|| format!("advertised listener {} has no matching listener", addr.name))?;
        config.advertised = Some((addr.host, addr.port));
    }
    Ok(configs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_kafkas_notation() {
        assert_eq!(
            parse_addr("PLAINTEXT://0.0.0.0:9092").unwrap(),
            ListenerAddr {
                name: "PLAINTEXT".into(),
                host: "0.0.0.0".into(),
                port: 9092
            }
        );
        assert_eq!(parse_addr("127.0.0.1:0").unwrap().name, "PLAINTEXT");
        assert_eq!(parse_addr("EXTERNAL://:29092").unwrap().host, "");
        assert_eq!(parse_addr("PLAINTEXT://[::1]:9092").unwrap().host, "::1");
        assert!(parse_addr("localhost").is_err());
        assert!(parse_addr("PLAINTEXT://host:99999").is_err());
    }

    #[test]
    fn a_two_listener_compose_setup() {
        let configs = resolve(
            Some(
                "PLAINTEXT://0.0.0.0:29092,PLAINTEXT_HOST://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
            ),
            Some("PLAINTEXT://kafka:29092,PLAINTEXT_HOST://localhost:9092"),
            Some("PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT,CONTROLLER:PLAINTEXT"),
            None,
        )
        .unwrap();
        assert_eq!(configs.len(), 2);
        assert_eq!(configs[1].advertised, Some(("localhost".into(), 9092)));
    }

    #[test]
    fn advertised_alone_derives_listeners() {
        let configs = resolve(None, Some("PLAINTEXT://localhost:9092"), None, None).unwrap();
        assert_eq!(configs[0].bind_host, "");
        assert_eq!(configs[0].bind_port, 9092);
    }

    #[test]
    fn tls_and_sasl_are_refused_by_name() {
        let err = resolve(Some("SSL://:9093"), None, None, None).unwrap_err();
        assert!(err.contains("SSL"), "{err}");
        let err = resolve(Some("CLIENT://:9093"), None, Some("CLIENT:SASL_SSL"), None).unwrap_err();
        assert!(err.contains("SASL_SSL"), "{err}");
        assert!(resolve(Some("A://:1"), Some("B://x:1"), None, None).is_err());
    }
}
