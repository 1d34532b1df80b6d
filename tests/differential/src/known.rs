//! The known differences (known.toml), each with its reason. A difference
//! no entry covers fails the run, and so does an entry that covers nothing
//! any more: the list stays true in both directions.
//!
//! An entry matches a difference when each of its patterns matches (`*` is
//! any text, `?` one character): `case` the case id ("Metadata v12
//! all-topics"), `path` the field path, and optionally `klamm` / `kafka`
//! the values as the report shows them ("absent", "0 NONE", "null").

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFile {
    #[serde(default, rename = "difference")]
    pub entries: Vec<Known>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    pub case: String,
    #[serde(default = "any")]
    pub path: String,
    #[serde(default = "any")]
    pub klamm: String,
    #[serde(default = "any")]
    pub kafka: String,
    pub reason: String,
}

fn any() -> String {
    "*".into()
}

impl Known {
    pub fn matches(&self, case: &str, path: &str, klamm: &str, kafka: &str) -> bool {
        glob(&self.case, case)
            && glob(&self.path, path)
            && glob(&self.klamm, klamm)
            && glob(&self.kafka, kafka)
    }

    /// How the entry is named in the report.
    pub fn label(&self) -> String {
        let mut out = format!("case `{}`", self.case);
        for (what, pattern) in [
            ("path", &self.path),
            ("klamm", &self.klamm),
            ("kafka", &self.kafka),
        ] {
            if pattern != "*" {
                out.push_str(&format!(", {what} `{pattern}`"));
            }
        }
        out
    }
}

pub fn load(text: &str) -> Result<Vec<Known>, String> {
    let file: KnownFile = toml::from_str(text).map_err(|e| e.to_string())?;
    for entry in &file.entries {
        if entry.reason.trim().is_empty() {
            return Err(format!("{} has no reason", entry.label()));
        }
    }
    Ok(file.entries)
}

/// Whether `text` matches `pattern` (`*` any run of characters, `?` one).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("*", ""));
        assert!(glob("Metadata v* all-topics", "Metadata v12 all-topics"));
        assert!(!glob("Metadata v* all-topics", "Metadata v12 one-topic"));
        assert!(glob(
            "topics[name=__consumer_offsets]*",
            "topics[name=__consumer_offsets]"
        ));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*x*y", "axxbxy"));
        assert!(!glob("*x*y", "axxbxyz"));
        assert!(glob("", ""));
        assert!(!glob("", "a"));
    }

    #[test]
    fn entries_match_on_every_pattern_given() {
        let entries = load(
            r#"
[[difference]]
case = "CreateTopics v*"
path = "*error_message"
klamm = "\"\""
kafka = "null"
reason = "klamm gap: an empty message instead of null"
"#,
        )
        .expect("loads");
        let e = &entries[0];
        assert!(e.matches(
            "CreateTopics v7 ordinary",
            "topics[name=a].error_message",
            "\"\"",
            "null"
        ));
        assert!(!e.matches(
            "CreateTopics v7 ordinary",
            "topics[name=a].error_message",
            "\"x\"",
            "null"
        ));
        assert!(!e.matches(
            "DeleteTopics v6 x",
            "topics[name=a].error_message",
            "\"\"",
            "null"
        ));
    }

    #[test]
    fn an_entry_needs_a_reason_and_known_fields() {
        assert!(load("[[difference]]\ncase = \"x\"\nreason = \" \"\n").is_err());
        assert!(load("[[difference]]\ncase = \"x\"\nreason = \"r\"\nwhy = \"typo\"\n").is_err());
        assert_eq!(load("").expect("empty loads").len(), 0);
    }
}
