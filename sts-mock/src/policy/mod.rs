//! The IAM policy engine: parses AWS JSON policies once into typed structures and evaluates
//! requests against them exactly as AWS does. Pure: no I/O, no async, data in, decision out.
//!
//! This file is the public contract the rest of the crate codes against; the policy-engine
//! issue fills in the implementation behind it (sub-modules are private details).

use std::collections::BTreeMap;
use std::fmt;

/// Which kind of policy a document is; decides which IAM limits apply when parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PolicyKind {
    /// An identity (permission) policy attached to a user or role: no `Principal`.
    Identity,
    /// A role trust policy: `Principal` required, `Resource` forbidden.
    Trust,
    /// A session policy passed to STS (`Policy` parameter): identity-policy grammar.
    Session,
}

/// A parsed policy document. Evaluation never re-reads JSON.
#[derive(Debug, Clone)]
pub struct Policy {
    _private: (),
}

/// Why a document is not a valid policy, worded as IAM's `MalformedPolicyDocument` message,
/// with the JSON path (e.g. `Statement[0].Condition.StringEqualz`) of the offending element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    pub message: String,
    pub path: String,
}

impl Policy {
    /// Parses `json` as a policy of the given kind, applying IAM's grammar and limits.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let _ = (json, kind);
        todo!("policy engine issue")
    }
}

/// The kinds of principal IAM knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PrincipalKind {
    Aws,
    Federated,
    Service,
    CanonicalUser,
}

/// Who is asking: for web identity, `Federated` = the OIDC provider's ARN.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub id: String,
}

/// The request context: condition keys (case-insensitive names) to one or more string values.
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets a single-valued key (replacing any earlier value).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.values
            .insert(key.into().to_ascii_lowercase(), vec![value.into()]);
    }
    /// Sets a multi-valued key (an empty list is "present but empty").
    pub fn insert_multi(&mut self, key: impl Into<String>, values: Vec<String>) {
        self.values.insert(key.into().to_ascii_lowercase(), values);
    }
    /// The values of `key` (case-insensitive), or `None` if the key is absent.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values
            .get(&key.to_ascii_lowercase())
            .map(|v| v.as_slice())
    }
}

/// What is being asked.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `None` for identity policies, where the principal is implied.
    pub principal: Option<&'a Principal>,
    pub action: &'a str,
    /// `None` for trust policies (the role is the resource and they carry no `Resource`).
    pub resource: Option<&'a str>,
    pub context: &'a Context,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// Why a decision came out as it did: per policy, per statement, per condition.
/// `Display` is a compact human rendering; `Serialize` is the JSON form for APIs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    _private: (),
}

impl fmt::Display for Explanation {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("policy engine issue")
    }
}

/// Evaluates `request` against `policies` (explicit deny wins, then allow, else implicit deny).
/// Costs nothing extra for explanations.
pub fn evaluate(policies: &[&Policy], request: &Request<'_>) -> Decision {
    let _ = (policies, request);
    todo!("policy engine issue")
}

/// Like [`evaluate`], but also says why.
pub fn evaluate_explained(policies: &[&Policy], request: &Request<'_>) -> (Decision, Explanation) {
    let _ = (policies, request);
    todo!("policy engine issue")
}
