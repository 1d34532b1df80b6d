//! What one broker's answers so far have told the corpus: values it
//! generated (member ids, producer ids, topic ids) that later requests to
//! the same broker must carry, and the placeholders they are compared as.

use std::collections::HashMap;

use kafka_protocol::messages::TopicName;
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::normalise::Aliases;
use crate::tree::Tree;

#[derive(Default)]
pub struct Ctx {
    vars: HashMap<String, Tree>,
    pub aliases: Aliases,
}

impl Ctx {
    pub fn set(&mut self, var: &str, value: Tree) {
        self.vars.insert(var.to_string(), value);
    }

    pub fn get(&self, var: &str) -> Option<&Tree> {
        self.vars.get(var)
    }

    /// A captured string; empty if the broker never gave one (the request
    /// then fails visibly on that broker, which the report shows).
    pub fn text(&self, var: &str) -> StrBytes {
        let text = self.get(var).and_then(Tree::as_text).unwrap_or_default();
        StrBytes::from_string(text.to_string())
    }

    /// A captured integer; -1 if the broker never gave one.
    pub fn int(&self, var: &str) -> i64 {
        self.get(var).and_then(Tree::as_int).unwrap_or(-1)
    }

    /// The id this broker gave the topic (learnt from any answer carrying
    /// both); the nil id if none did yet.
    pub fn topic_id(&self, topic: &str) -> Uuid {
        self.aliases.topic_id(topic).unwrap_or(Uuid::nil())
    }
}

pub fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

pub fn text(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}
