//! One entry of the corpus: a request (built per broker, since ids the
//! broker generated go into later requests), how to decode its answer, and
//! what to keep from that answer.
//!
//! Adding a case is one expression in a family's file:
//!
//! ```ignore
//! case("unknown-topic", v, |_| MetadataRequest::default().with_topics(...))
//!     .trailing(&[1, 2, 3])
//! ```

use std::fmt::Debug;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::Request;

use super::ctx::Ctx;
use crate::tree::Tree;

type BuildBody = Box<dyn Fn(&Ctx) -> Result<Vec<u8>, String> + Send + Sync>;
type DecodeBody = fn(&mut Bytes, i16) -> Result<Tree, String>;
/// When a settling step is done, judged on the raw answer.
pub type Done = Box<dyn Fn(&Tree) -> bool + Send + Sync>;

/// What is done to the encoded request before it is sent.
#[derive(Clone, Debug, PartialEq)]
pub enum Mutation {
    None,
    /// Bytes after the body (librdkafka 2.1x sends 3 with Metadata v12).
    Trailing(Vec<u8>),
    /// An unknown tagged field at the top level of a flexible body.
    BodyTag,
    /// An unknown tagged field in a flexible request header.
    HeaderTag,
    /// The header names this version; the body is encoded at the case's.
    HeaderVersion(i16),
}

pub struct Case {
    pub api: ApiKey,
    pub version: i16,
    pub name: String,
    build: BuildBody,
    decode: DecodeBody,
    /// The version the answer is decoded at (ApiVersions answers an
    /// unknown version with its v0 body).
    pub answer_version: i16,
    pub mutation: Mutation,
    /// (dotted path in the raw answer, variable name) pairs.
    pub captures: Vec<(String, String)>,
    pub wait: Duration,
    /// A settling step: repeated (bounded) until the answer satisfies this,
    /// and not compared (the brokers get there at their own pace).
    pub until: Option<Done>,
}

/// The default wait for an answer.
pub const WAIT: Duration = Duration::from_secs(5);

/// A case sending `build`'s request at `version`.
pub fn case<R, F>(name: impl Into<String>, version: i16, build: F) -> Case
where
    R: Request + 'static,
    R::Response: Debug,
    F: Fn(&Ctx) -> R + Send + Sync + 'static,
{
    Case {
        api: api_key(R::KEY),
        version,
        name: name.into(),
        build: Box::new(move |ctx| crate::newer::encode(&build(ctx), version)),
        decode: crate::newer::decode::<R::Response>,
        answer_version: version,
        mutation: Mutation::None,
        captures: Vec::new(),
        wait: WAIT,
        until: None,
    }
}

/// A case with a hand-written body, for what the typed requests cannot say
/// (a null where the schema has no null).
pub fn raw_case<R>(name: impl Into<String>, version: i16, body: Vec<u8>) -> Case
where
    R: Request + 'static,
    R::Response: Debug,
{
    Case {
        api: api_key(R::KEY),
        version,
        name: name.into(),
        build: Box::new(move |_| Ok(body.clone())),
        decode: crate::newer::decode::<R::Response>,
        answer_version: version,
        mutation: Mutation::None,
        captures: Vec::new(),
        wait: WAIT,
        until: None,
    }
}

/// A case whose body `build` writes by hand from what earlier cases
/// captured (an ApiVersions v5 naming the broker's cluster id).
pub fn bytes_case<R, F>(name: impl Into<String>, version: i16, build: F) -> Case
where
    R: Request + 'static,
    R::Response: Debug,
    F: Fn(&Ctx) -> Vec<u8> + Send + Sync + 'static,
{
    Case {
        api: api_key(R::KEY),
        version,
        name: name.into(),
        build: Box::new(move |ctx| Ok(build(ctx))),
        decode: crate::newer::decode::<R::Response>,
        answer_version: version,
        mutation: Mutation::None,
        captures: Vec::new(),
        wait: WAIT,
        until: None,
    }
}

fn api_key(key: i16) -> ApiKey {
    // Every `Request` type's KEY is a known ApiKey.
    ApiKey::try_from(key).unwrap_or(ApiKey::ApiVersions)
}

impl Case {
    /// "Metadata v12 all-topics": how the case is named in the report and
    /// in known.toml.
    pub fn id(&self) -> String {
        format!("{:?} v{} {}", self.api, self.version, self.name)
    }

    pub fn body(&self, ctx: &Ctx) -> Result<Vec<u8>, String> {
        (self.build)(ctx)
    }

    pub fn decode(&self, body: &mut Bytes) -> Result<Tree, String> {
        (self.decode)(body, self.answer_version)
    }

    pub fn trailing(mut self, bytes: &[u8]) -> Self {
        self.mutation = Mutation::Trailing(bytes.to_vec());
        self
    }

    pub fn body_tag(mut self) -> Self {
        self.mutation = Mutation::BodyTag;
        self
    }

    pub fn header_tag(mut self) -> Self {
        self.mutation = Mutation::HeaderTag;
        self
    }

    /// Sent with `header_version` in the header, answered at `answer_version`.
    pub fn header_says(mut self, header_version: i16, answer_version: i16) -> Self {
        self.mutation = Mutation::HeaderVersion(header_version);
        self.answer_version = answer_version;
        self
    }

    /// Keeps the value at `path` of the raw answer as `var` for later cases.
    pub fn capture(mut self, path: &str, var: &str) -> Self {
        self.captures.push((path.to_string(), var.to_string()));
        self
    }

    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Makes this a settling step: retried until `done` holds on the answer.
    pub fn until(mut self, done: impl Fn(&Tree) -> bool + Send + Sync + 'static) -> Self {
        self.until = Some(Box::new(done));
        self
    }
}
