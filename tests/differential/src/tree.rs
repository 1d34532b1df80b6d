//! A decoded response as a plain tree of values, so one generic walk can
//! normalise and compare the answers of every API and version.
//!
//! kafka-protocol gives each response its own Rust type, all deriving
//! `Debug`; parsing that `Debug` text is the one thing they have in common.
//! Newtypes (`TopicName("a")`, `Some(x)`) collapse to what they hold, so a
//! path reads as the protocol's field names.

use std::fmt::{self, Debug, Write};

#[derive(Clone, PartialEq, Eq)]
pub enum Tree {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Bytes(Vec<u8>),
    /// A bare token: a UUID, an enum variant, or a placeholder put in by
    /// normalisation (`<cluster-id>`, `<member 1>`).
    Atom(String),
    List(Vec<Tree>),
    /// A message: fields in declaration order.
    Struct(Vec<(String, Tree)>),
    /// A map (unknown tagged fields): keys as text.
    Map(Vec<(String, Tree)>),
}

impl Tree {
    /// The tree of any value whose `Debug` is derived.
    pub fn of<T: Debug>(value: &T) -> Result<Tree, String> {
        parse(&format!("{value:?}"))
    }

    pub fn field(&self, name: &str) -> Option<&Tree> {
        match self {
            Tree::Struct(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a dotted path of field names (`topics.0.name` indexes
    /// a list).
    pub fn at(&self, path: &str) -> Option<&Tree> {
        let mut node = self;
        for part in path.split('.').filter(|p| !p.is_empty()) {
            node = match (node, part.parse::<usize>()) {
                (Tree::List(items), Ok(i)) => items.get(i)?,
                _ => node.field(part)?,
            };
        }
        Some(node)
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Tree::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Tree::Str(s) | Tree::Atom(s) => Some(s),
            _ => None,
        }
    }

    /// One line, shortened, for the report.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out, 240);
        if out.chars().count() > 200 {
            let cut: String = out.chars().take(197).collect();
            return format!("{cut}...");
        }
        out
    }

    fn render_into(&self, out: &mut String, limit: usize) {
        match self {
            Tree::Null => out.push_str("null"),
            Tree::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Tree::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Tree::Str(s) => {
                let _ = write!(out, "{s:?}");
            }
            Tree::Bytes(b) => {
                let _ = write!(out, "b\"{}\"", b.escape_ascii());
            }
            Tree::Atom(a) => out.push_str(a),
            Tree::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.render_into(out, limit);
                    if out.len() > limit {
                        break;
                    }
                }
                out.push(']');
            }
            Tree::Struct(fields) | Tree::Map(fields) => {
                out.push('{');
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{name}: ");
                    value.render_into(out, limit);
                    if out.len() > limit {
                        break;
                    }
                }
                out.push('}');
            }
        }
    }
}

impl Debug for Tree {
    /// The whole tree on one line (`render` shortens it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.render_into(&mut out, usize::MAX);
        f.write_str(&out)
    }
}

/// Parses the single-line `{:?}` output of derived `Debug` impls.
pub fn parse(text: &str) -> Result<Tree, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let tree = p.value()?;
    p.skip_space();
    if p.i != p.s.len() {
        return Err(p.error("text after the value"));
    }
    Ok(tree)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        let end = (self.i + 40).min(self.s.len());
        format!(
            "{what} at byte {}: {:?}",
            self.i,
            String::from_utf8_lossy(&self.s[self.i..end])
        )
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_space(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected {:?}", byte as char)))
        }
    }

    /// Consumes `close` (after optional spaces) if it is next.
    fn closes(&mut self, close: u8) -> bool {
        self.skip_space();
        if self.peek() == Some(close) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Items separated by ", " up to `close`.
    fn sequence(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        if self.closes(close) {
            return Ok(());
        }
        loop {
            item(self)?;
            if self.closes(close) {
                return Ok(());
            }
            self.expect(b',')?;
            if self.closes(close) {
                return Ok(());
            }
        }
    }

    fn token(&mut self) -> String {
        let start = self.i;
        while let Some(c) = self.peek() {
            if b" ,()[]{}:\"".contains(&c) {
                break;
            }
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn value(&mut self) -> Result<Tree, String> {
        self.skip_space();
        match self.peek() {
            None => Err(self.error("expected a value")),
            Some(b'"') => self.string().map(Tree::Str),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.sequence(b']', |p| {
                    items.push(p.value()?);
                    Ok(())
                })?;
                Ok(Tree::List(items))
            }
            Some(b'{') => {
                self.i += 1;
                let mut entries = Vec::new();
                self.sequence(b'}', |p| {
                    let key = p.value()?;
                    p.expect(b':')?;
                    let value = p.value()?;
                    let key = match key {
                        Tree::Str(s) | Tree::Atom(s) => s,
                        other => other.render(),
                    };
                    entries.push((key, value));
                    Ok(())
                })?;
                Ok(Tree::Map(entries))
            }
            Some(b'b') if self.s.get(self.i + 1) == Some(&b'"') => {
                self.i += 1;
                self.byte_string().map(Tree::Bytes)
            }
            Some(_) => {
                let token = self.token();
                if token.is_empty() {
                    return Err(self.error("unexpected character"));
                }
                self.after_token(token)
            }
        }
    }

    fn after_token(&mut self, token: String) -> Result<Tree, String> {
        // `Name { ... }` and `Name(...)` are only ever one space or none
        // away from their name.
        let save = self.i;
        self.skip_space();
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.sequence(b'}', |p| {
                    p.skip_space();
                    let name = p.token();
                    p.expect(b':')?;
                    fields.push((name, p.value()?));
                    Ok(())
                })?;
                return Ok(Tree::Struct(fields));
            }
            Some(b'(') => {
                self.i += 1;
                let mut items = Vec::new();
                self.sequence(b')', |p| {
                    items.push(p.value()?);
                    Ok(())
                })?;
                return Ok(if items.len() == 1 {
                    items.pop().unwrap_or(Tree::Null)
                } else {
                    Tree::List(items)
                });
            }
            _ => self.i = save,
        }
        Ok(match token.as_str() {
            "None" => Tree::Null,
            "true" => Tree::Bool(true),
            "false" => Tree::Bool(false),
            _ => match token.parse::<i64>() {
                Ok(i) => Tree::Int(i),
                Err(_) => Tree::Atom(token),
            },
        })
    }

    fn string(&mut self) -> Result<String, String> {
        let bytes = self.quoted()?;
        String::from_utf8(bytes).map_err(|_| self.error("string is not UTF-8"))
    }

    fn byte_string(&mut self) -> Result<Vec<u8>, String> {
        self.quoted()
    }

    /// The contents of a quoted literal, escapes resolved.
    fn quoted(&mut self) -> Result<Vec<u8>, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated escape"));
                    };
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'0' => out.push(0),
                        b'\\' | b'"' | b'\'' => out.push(e),
                        b'x' => {
                            let hex = self
                                .s
                                .get(self.i..self.i + 2)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u8::from_str_radix(h, 16).ok())
                                .ok_or_else(|| self.error("bad \\x escape"))?;
                            self.i += 2;
                            out.push(hex);
                        }
                        b'u' => {
                            self.expect(b'{')?;
                            let start = self.i;
                            while self.peek().is_some_and(|c| c != b'}') {
                                self.i += 1;
                            }
                            let code = std::str::from_utf8(&self.s[start..self.i])
                                .ok()
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.error("bad \\u escape"))?;
                            self.expect(b'}')?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(code.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.error("unknown escape")),
                    }
                }
                _ => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use kafka_protocol::messages::metadata_response::{
        MetadataResponseBroker, MetadataResponseTopic,
    };
    use kafka_protocol::messages::{BrokerId, MetadataResponse, TopicName};
    use kafka_protocol::protocol::StrBytes;
    use std::collections::BTreeMap;

    #[test]
    fn a_response_becomes_fields_with_newtypes_unwrapped() {
        let mut tagged = BTreeMap::new();
        tagged.insert(7, Bytes::from_static(b"\x00\x01\"q\\\n"));
        let response = MetadataResponse::default()
            .with_cluster_id(Some(StrBytes::from_static_str("c\"l\u{e9}")))
            .with_brokers(vec![MetadataResponseBroker::default()
                .with_node_id(BrokerId(1))
                .with_host(StrBytes::from_static_str("127.0.0.1"))
                .with_port(9092)])
            .with_topics(vec![MetadataResponseTopic::default()
                .with_name(Some(TopicName(StrBytes::from_static_str("a"))))
                .with_topic_id(uuid::Uuid::from_u128(0x1234))
                .with_unknown_tagged_fields(tagged)]);
        let tree = Tree::of(&response).expect("parses");
        assert_eq!(tree.at("cluster_id"), Some(&Tree::Str("c\"l\u{e9}".into())));
        assert_eq!(tree.at("brokers.0.node_id"), Some(&Tree::Int(1)));
        assert_eq!(tree.at("brokers.0.rack"), Some(&Tree::Null));
        assert_eq!(tree.at("topics.0.name"), Some(&Tree::Str("a".into())));
        assert_eq!(
            tree.at("topics.0.topic_id"),
            Some(&Tree::Atom("00000000-0000-0000-0000-000000001234".into()))
        );
        assert_eq!(
            tree.at("topics.0.unknown_tagged_fields"),
            Some(&Tree::Map(vec![(
                "7".into(),
                Tree::Bytes(b"\x00\x01\"q\\\n".to_vec())
            )]))
        );
        assert_eq!(tree.at("topics.0.is_internal"), Some(&Tree::Bool(false)));
        assert_eq!(tree.at("controller_id"), Some(&Tree::Int(-1)));
    }

    #[test]
    fn negative_numbers_empty_lists_and_nulls() {
        let tree = parse("X { a: -1, b: [], c: None, d: Some([1, 2]), e: {} }").expect("parses");
        assert_eq!(tree.at("a"), Some(&Tree::Int(-1)));
        assert_eq!(tree.at("b"), Some(&Tree::List(vec![])));
        assert_eq!(tree.at("c"), Some(&Tree::Null));
        assert_eq!(tree.at("d.1"), Some(&Tree::Int(2)));
        assert_eq!(tree.at("e"), Some(&Tree::Map(vec![])));
    }

    #[test]
    fn malformed_text_is_an_error_not_a_panic() {
        for bad in ["X { a: ", "[1, 2", "\"abc", "b\"\\x4\"", "X { a: 1 } y", ""] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn render_is_one_short_line() {
        let tree = Tree::List((0..500).map(Tree::Int).collect());
        let text = tree.render();
        assert!(text.len() <= 200, "{}", text.len());
        assert!(text.ends_with("..."));
        assert_eq!(Tree::Bytes(b"a\x01".to_vec()).render(), "b\"a\\x01\"");
        assert_eq!(Tree::Str("x".into()).render(), "\"x\"");
    }
}
