//! The IAM policy engine: parses AWS JSON policies once into typed structures and evaluates
//! requests against them exactly as AWS does. Pure: no I/O, no async, data in, decision out.
//!
//! Evaluation follows "Policy evaluation logic" in the IAM User Guide for a single account: an
//! explicit `Deny` in any statement wins; otherwise an `Allow` allows; otherwise the request is
//! implicitly denied. A statement applies when its principal, action, resource and every
//! condition match.

mod condition;
mod document;
mod explain;
mod variables;
pub mod wildcard;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use condition::{arn_like, parse_date, Operator, Outcome, SetQualifier};
pub use document::{Effect, Version};
pub use explain::{ConditionTrace, Explanation, StatementRef, StatementTrace};

use document::{Document, PrincipalSpec, Statement};

/// Which kind of policy a document is; decides which IAM rules apply when parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PolicyKind {
    /// An identity (permission) policy attached to a user or role: no `Principal`.
    Identity,
    /// A role trust policy: `Principal` required, `Resource` forbidden.
    Trust,
    /// A session policy passed to STS (`Policy` parameter): identity-policy grammar.
    Session,
}

/// IAM's size limits, in characters (IAM quotas, "IAM and AWS STS quotas"). IAM does not count
/// white space towards these limits.
pub mod limits {
    /// Role trust policy: 2,048 by default (a quota AWS can raise to 4,096).
    pub const TRUST_POLICY: usize = 2048;
    /// All inline policies of a role together.
    pub const ROLE_INLINE_POLICIES: usize = 10_240;
    /// Session policy passed to STS (`Policy` parameter; the API itself also caps it at 2,048).
    pub const SESSION_POLICY: usize = 2048;

    /// The length IAM counts: characters other than white space.
    pub fn counted_length(document: &str) -> usize {
        document.chars().filter(|c| !c.is_whitespace()).count()
    }
}

/// A parsed policy document. Cheap to clone; evaluation never re-reads JSON.
#[derive(Debug, Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    document: Document,
    label: Option<String>,
}

/// Why a document is not a valid policy, worded as IAM's `MalformedPolicyDocument` message,
/// with the JSON path (e.g. `$.Statement[0].Condition.StringEqualz`) of the offending element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    /// IAM's message, e.g. `Syntax errors in policy.`.
    pub message: String,
    /// The JSON path of the offending element, e.g. `$.Statement[0].Effect`.
    pub path: String,
}

impl Policy {
    /// Parses `json` as a policy of the given kind, applying IAM's grammar.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let document = document::parse(json, kind)?;
        Ok(Policy {
            inner: Arc::new(Inner {
                document,
                label: None,
            }),
        })
    }

    /// Names the policy (e.g. `trust-policy`, `inline:list-regions`) in explanations.
    pub fn labelled(self, label: impl Into<String>) -> Policy {
        Policy {
            inner: Arc::new(Inner {
                document: self.inner.document.clone(),
                label: Some(label.into()),
            }),
        }
    }

    /// The policy's label, if [`labelled`](Self::labelled) gave it one.
    pub fn label(&self) -> Option<&str> {
        self.inner.label.as_deref()
    }
    /// The document's `Version` element.
    pub fn version(&self) -> Version {
        self.inner.document.version
    }
    /// The document's `Id` element, if it has one.
    pub fn id(&self) -> Option<&str> {
        self.inner.document.id.as_deref()
    }
    /// How many statements the document has.
    pub fn statement_count(&self) -> usize {
        self.inner.document.statements.len()
    }
    /// Whether any statement names a principal (identity-policy lists must not).
    pub fn has_principal(&self) -> bool {
        self.inner
            .document
            .statements
            .iter()
            .any(|s| s.principal.is_some())
    }
    /// Every condition key the policy refers to (as written), for "missing context" reports.
    pub fn condition_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .inner
            .document
            .statements
            .iter()
            .flat_map(|s| s.conditions.iter().map(|c| c.key.as_str()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
    fn statements(&self) -> &[Statement] {
        &self.inner.document.statements
    }

    /// The `Allow` statements that grant `action` (by `Action`, or by a `NotAction` that does
    /// not exclude it) to principals of `kind` they name, with those principals and their
    /// conditions as written: what IAM's write-time checks on trust policies read.
    pub fn grants(&self, action: &str, kind: PrincipalKind) -> Vec<Grant<'_>> {
        let mut grants = Vec::new();
        for statement in self.statements() {
            if statement.effect != Effect::Allow {
                continue;
            }
            let grants_action = statement
                .action
                .as_ref()
                .is_none_or(|m| m.items.iter().any(|p| p.matches_ignore_case(action)) != m.negated);
            let principals: Vec<&str> = match &statement.principal {
                Some(block) if !block.negated => match &block.spec {
                    PrincipalSpec::Map(entries) => entries
                        .iter()
                        .filter(|(k, _)| *k == kind)
                        .flat_map(|(_, ids)| ids.iter().map(String::as_str))
                        .collect(),
                    PrincipalSpec::Any => Vec::new(),
                },
                _ => Vec::new(),
            };
            if !grants_action || principals.is_empty() {
                continue;
            }
            grants.push(Grant {
                statement: statement.index,
                principals,
                conditions: statement.conditions.iter().map(ConditionView::of).collect(),
            });
        }
        grants
    }

    /// Every statement as written, in order: what checks that read a policy rather than
    /// evaluate it (the lint) see.
    pub fn statement_views(&self) -> Vec<StatementView<'_>> {
        self.statements()
            .iter()
            .map(|statement| StatementView {
                index: statement.index,
                path: &statement.path,
                sid: statement.sid.as_deref(),
                effect: statement.effect,
                principal: statement.principal.as_ref().map(|block| PrincipalView {
                    negated: block.negated,
                    any: matches!(block.spec, PrincipalSpec::Any),
                    entries: match &block.spec {
                        PrincipalSpec::Any => Vec::new(),
                        PrincipalSpec::Map(entries) => entries
                            .iter()
                            .map(|(kind, ids)| (*kind, ids.iter().map(String::as_str).collect()))
                            .collect(),
                    },
                }),
                action: statement.action.as_ref().map(|matcher| ActionView {
                    negated: matcher.negated,
                    written: statement.action_texts.iter().map(String::as_str).collect(),
                    matcher,
                }),
                conditions: statement.conditions.iter().map(ConditionView::of).collect(),
            })
            .collect()
    }
}

/// A statement as written ([`Policy::statement_views`]).
#[derive(Debug, Clone)]
pub struct StatementView<'a> {
    /// Its position in the document.
    pub index: usize,
    /// Its JSON path: `$.Statement[0]`, or `$.Statement` when `Statement` is a single object.
    pub path: &'a str,
    /// Its `Sid`.
    pub sid: Option<&'a str>,
    /// Its `Effect`.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`.
    pub principal: Option<PrincipalView<'a>>,
    /// `Action` or `NotAction`.
    pub action: Option<ActionView<'a>>,
    /// Its conditions, one per (operator, key), in document order.
    pub conditions: Vec<ConditionView<'a>>,
}

impl StatementView<'_> {
    /// Whether the statement's `Action`/`NotAction` covers `action` (case-insensitive, with
    /// wildcards), as evaluation matches it.
    pub fn covers_action(&self, action: &str) -> bool {
        self.action.as_ref().is_none_or(|a| a.covers(action))
    }
}

/// `Principal` or `NotPrincipal` as written.
#[derive(Debug, Clone)]
pub struct PrincipalView<'a> {
    /// `NotPrincipal`.
    pub negated: bool,
    /// `"*"` or `{"AWS": "*"}`: everyone.
    pub any: bool,
    /// The named principals by kind (empty when `any`).
    pub entries: Vec<(PrincipalKind, Vec<&'a str>)>,
}

impl<'a> PrincipalView<'a> {
    /// The principals of `kind` named, `*` included.
    pub fn ids(&self, kind: PrincipalKind) -> impl Iterator<Item = &'a str> + '_ {
        self.entries
            .iter()
            .filter(move |(k, _)| *k == kind)
            .flat_map(|(_, ids)| ids.iter().copied())
    }
}

/// `Action` or `NotAction` as written.
#[derive(Debug, Clone)]
pub struct ActionView<'a> {
    /// `NotAction`.
    pub negated: bool,
    /// The actions as written.
    pub written: Vec<&'a str>,
    matcher: &'a document::Matcher<wildcard::Pattern>,
}

impl ActionView<'_> {
    /// Whether `action` is covered: matched by `Action`, or not excluded by `NotAction`.
    pub fn covers(&self, action: &str) -> bool {
        self.matcher
            .items
            .iter()
            .any(|p| p.matches_ignore_case(action))
            != self.negated
    }
}

/// An `Allow` statement as [`Policy::grants`] reads it.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    /// The statement's index in the document.
    pub statement: usize,
    /// The principals of the asked kind it names, as written.
    pub principals: Vec<&'a str>,
    /// Its conditions, one per (operator, key).
    pub conditions: Vec<ConditionView<'a>>,
}

/// One condition of a statement, as written: `"StringLike": {"KEY": ["VALUE", ...]}`.
#[derive(Debug, Clone)]
pub struct ConditionView<'a> {
    /// The operator as written, with its qualifier and `IfExists`: `ForAnyValue:StringLike`.
    pub operator_text: &'a str,
    /// The operator, without its set qualifier and `IfExists`.
    pub operator: Operator,
    /// `ForAnyValue:` or `ForAllValues:`, if written.
    pub qualifier: SetQualifier,
    /// Whether `IfExists` was written.
    pub if_exists: bool,
    /// The condition key, as written.
    pub key: &'a str,
    /// The values, as written.
    pub values: Vec<&'a str>,
}

impl<'a> ConditionView<'a> {
    fn of(clause: &'a condition::Clause) -> ConditionView<'a> {
        ConditionView {
            operator_text: &clause.operator_text,
            operator: clause.operator,
            qualifier: clause.qualifier,
            if_exists: clause.if_exists,
            key: &clause.key,
            values: clause.values.iter().map(|v| v.source()).collect(),
        }
    }
}

/// The kinds of principal IAM knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PrincipalKind {
    /// `AWS`: an account, IAM user, role or assumed-role session, by account ID or ARN.
    Aws,
    /// `Federated`: a web identity or SAML provider, e.g. an OIDC provider's ARN.
    Federated,
    /// `Service`: an AWS service, e.g. `ec2.amazonaws.com`.
    Service,
    /// `CanonicalUser`: an Amazon S3 canonical user ID.
    CanonicalUser,
}

/// Who is asking: for web identity, `Federated` = the OIDC provider's ARN.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    /// Which kind of principal this is (the key in a policy's `Principal` element).
    pub kind: PrincipalKind,
    /// The principal's identifier: an ARN, account ID, service name or canonical user ID.
    pub id: String,
}

/// The request context: condition keys (case-insensitive names) to one or more string values.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
}

impl Context {
    /// An empty context: no keys.
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
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.values
                .get(&key.to_ascii_lowercase())
                .map(|v| v.as_slice())
        } else {
            self.values.get(key).map(|v| v.as_slice())
        }
    }
    /// All keys (lower-cased) and values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// What is being asked.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `None` for identity policies, where the principal is implied.
    pub principal: Option<&'a Principal>,
    /// The action, e.g. `sts:AssumeRoleWithWebIdentity` (matched ignoring case).
    pub action: &'a str,
    /// `None` for trust policies (the role is the resource and they carry no `Resource`).
    pub resource: Option<&'a str>,
    /// The request's condition keys and their values.
    pub context: &'a Context,
}

/// The result of evaluating a request against a set of policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Decision {
    /// Some statement allows the request and none denies it.
    Allow,
    /// Some statement denies the request; this overrides any allow.
    ExplicitDeny,
    /// No statement allows or denies the request: it is denied by default.
    ImplicitDeny,
}

/// Evaluates `request` against `policies`. Allocates nothing for explanations.
pub fn evaluate(policies: &[&Policy], request: &Request<'_>) -> Decision {
    let mut allowed = false;
    for policy in policies {
        for statement in policy.statements() {
            if statement_applies(statement, request, None) {
                match statement.effect {
                    Effect::Deny => return Decision::ExplicitDeny,
                    Effect::Allow => allowed = true,
                }
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// Like [`evaluate`], but also says why: every statement is traced in full.
pub fn evaluate_explained(policies: &[&Policy], request: &Request<'_>) -> (Decision, Explanation) {
    let mut traces = Vec::new();
    let mut first_allow = None;
    let mut first_deny = None;
    for (policy_index, policy) in policies.iter().enumerate() {
        for statement in policy.statements() {
            let mut trace = StatementTrace::new(policy_index, policy.label(), statement);
            let applies = statement_applies(statement, request, Some(&mut trace));
            trace.applies = applies;
            if applies {
                let slot = match statement.effect {
                    Effect::Deny => &mut first_deny,
                    Effect::Allow => &mut first_allow,
                };
                if slot.is_none() {
                    *slot = Some(trace.reference());
                }
            }
            traces.push(trace);
        }
    }
    let (decision, deciding) = match (first_deny, first_allow) {
        (Some(deny), _) => (Decision::ExplicitDeny, Some(deny)),
        (None, Some(allow)) => (Decision::Allow, Some(allow)),
        (None, None) => (Decision::ImplicitDeny, None),
    };
    (
        decision,
        Explanation {
            decision,
            deciding,
            action: request.action.to_string(),
            principal: request.principal.cloned(),
            resource: request.resource.map(str::to_string),
            statements: traces,
        },
    )
}

/// Whether `statement` applies to `request`. With a trace, every part is checked and
/// recorded; without one, the first mismatch ends the check.
fn statement_applies(
    statement: &Statement,
    request: &Request<'_>,
    mut trace: Option<&mut StatementTrace>,
) -> bool {
    let tracing = trace.is_some();
    let mut applies = true;

    if let (Some(block), Some(principal)) = (&statement.principal, request.principal) {
        let hit = match &block.spec {
            PrincipalSpec::Any => true,
            PrincipalSpec::Map(entries) => entries.iter().any(|(kind, ids)| {
                *kind == principal.kind
                    && ids
                        .iter()
                        .any(|id| principal_id_matches(*kind, id, &principal.id))
            }),
        };
        let ok = hit != block.negated;
        if let Some(t) = trace.as_deref_mut() {
            t.principal = Some(ok);
        }
        applies &= ok;
        if !applies && !tracing {
            return false;
        }
    }

    if let Some(matcher) = &statement.action {
        let hit = matcher
            .items
            .iter()
            .any(|p| p.matches_ignore_case(request.action));
        let ok = hit != matcher.negated;
        if let Some(t) = trace.as_deref_mut() {
            t.action = Some(ok);
        }
        applies &= ok;
        if !applies && !tracing {
            return false;
        }
    }

    if let (Some(matcher), Some(resource)) = (&statement.resource, request.resource) {
        let hit = matcher.items.iter().any(|template| {
            template
                .pattern(request.context)
                .is_some_and(|p| p.matches(resource))
        });
        let ok = hit != matcher.negated;
        if let Some(t) = trace.as_deref_mut() {
            t.resource = Some(ok);
        }
        applies &= ok;
        if !applies && !tracing {
            return false;
        }
    }

    for clause in &statement.conditions {
        let (ok, outcome) = clause.evaluate(request.context);
        if let Some(t) = trace.as_deref_mut() {
            t.conditions
                .push(ConditionTrace::new(clause, request.context, ok, outcome));
        }
        applies &= ok;
        if !applies && !tracing {
            return false;
        }
    }
    applies
}

/// An assumed-role session (`arn:aws:sts::A:assumed-role/R/S`) is its role
/// (`arn:aws:iam::A:role/PATH/R`) to a policy that names the role (IAM User Guide, "AWS JSON
/// policy elements: Principal": a role principal stands for its sessions). Role names are unique
/// in an account whatever the path, so the name decides. Guess: AWS resolves the role ARN to
/// the role's unique ID when the policy is saved; a path that names no role would be refused
/// there, and is matched by name here.
fn assumed_role_matches_role(policy_id: &str, request_id: &str) -> bool {
    let Some(session) = request_id.strip_prefix("arn:aws:sts::") else {
        return false;
    };
    let Some((account, rest)) = session.split_once(':') else {
        return false;
    };
    let Some(role) = rest
        .strip_prefix("assumed-role/")
        .and_then(|r| r.split('/').next())
    else {
        return false;
    };
    policy_id
        .strip_prefix("arn:aws:iam::")
        .and_then(|p| p.split_once(':'))
        .is_some_and(|(a, resource)| {
            a == account
                && resource
                    .strip_prefix("role/")
                    .and_then(|r| r.rsplit('/').next())
                    == Some(role)
        })
}

/// AWS principals: an account (`123456789012` or `arn:aws:iam::123456789012:root`) stands for
/// every principal in it; anything else must match exactly. Service names compare
/// case-insensitively (Guess: AWS normalises them).
fn principal_id_matches(kind: PrincipalKind, policy_id: &str, request_id: &str) -> bool {
    if policy_id == "*" || policy_id == request_id {
        return true;
    }
    match kind {
        PrincipalKind::Aws => {
            let account = if policy_id.len() == 12 && policy_id.bytes().all(|b| b.is_ascii_digit())
            {
                Some(policy_id)
            } else {
                policy_id
                    .strip_prefix("arn:")
                    .and_then(|rest| rest.split_once(":iam::"))
                    .and_then(|(_, rest)| rest.strip_suffix(":root"))
            };
            match account {
                Some(account) => {
                    request_id == account || request_id.split(':').nth(4) == Some(account)
                }
                None => assumed_role_matches_role(policy_id, request_id),
            }
        }
        PrincipalKind::Service => policy_id.eq_ignore_ascii_case(request_id),
        _ => false,
    }
}
