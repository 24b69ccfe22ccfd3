//! Explanations: why a decision came out as it did, statement by statement and condition by
//! condition. `Display` is a compact human rendering for logs and the CLI; `Serialize` is the
//! JSON form for APIs (the decisions endpoint, policy simulation).

use std::fmt;

use super::condition::{Clause, Outcome};
use super::document::{Effect, Statement};
use super::{Context, Decision, Principal};

/// Which statement of which policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementRef {
    /// Position of the policy in the list evaluated.
    pub policy: usize,
    /// The policy's label (given with `Policy::labelled`), if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_label: Option<String>,
    /// Position of the statement in its policy.
    pub statement: usize,
    /// The statement's `Sid`, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.policy_label {
            Some(label) => write!(f, "{label}")?,
            None => write!(f, "policy #{}", self.policy)?,
        }
        write!(f, " statement #{}", self.statement)?;
        if let Some(sid) = &self.sid {
            write!(f, " ({sid})")?;
        }
        Ok(())
    }
}

/// How one condition clause (one key under one operator) was evaluated.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConditionTrace {
    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    pub operator: String,
    /// The condition key as written in the policy, e.g. `token.dynatrace.com:sub`.
    pub key: String,
    /// The policy's values as written (policy variables not resolved).
    pub policy_values: Vec<String>,
    /// `None` when the key is missing from the request.
    pub request_values: Option<Vec<String>>,
    /// Whether the clause held.
    pub result: bool,
    /// Why the clause came out as it did.
    pub outcome: Outcome,
    /// The same in words, e.g. `key aws:SourceIp missing from request`.
    pub reason: String,
}

impl ConditionTrace {
    pub(super) fn new(clause: &Clause, context: &Context, result: bool, outcome: Outcome) -> Self {
        let request_values = context.get(&clause.key).map(|v| v.to_vec());
        let policy_values: Vec<String> = clause
            .values
            .iter()
            .map(|t| t.source().to_string())
            .collect();
        let reason = match (outcome, result) {
            (Outcome::KeyMissing, true) => format!(
                "key {} missing from request, which {} allows",
                clause.key, clause.operator_text
            ),
            (Outcome::KeyMissing, false) => format!("key {} missing from request", clause.key),
            (Outcome::KeyPresent, _) => format!("key {} present in request", clause.key),
            (_, true) => format!(
                "{} {:?} matches {:?}",
                clause.key,
                request_values.as_deref().unwrap_or_default(),
                policy_values
            ),
            (_, false) => format!(
                "{} {:?} does not satisfy {} {:?}",
                clause.key,
                request_values.as_deref().unwrap_or_default(),
                clause.operator_text,
                policy_values
            ),
        };
        ConditionTrace {
            operator: clause.operator_text.clone(),
            key: clause.key.clone(),
            policy_values,
            request_values,
            result,
            outcome,
            reason,
        }
    }
}

/// How one statement was evaluated: which of its parts matched and whether its effect applies.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatementTrace {
    /// Position of the policy in the list evaluated.
    pub policy: usize,
    /// The policy's label (given with `Policy::labelled`), if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_label: Option<String>,
    /// Position of the statement in its policy.
    pub statement: usize,
    /// The statement's `Sid`, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The statement's `Effect`.
    pub effect: Effect,
    /// `None`: not checked (no Principal element, or no principal in the request).
    pub principal: Option<bool>,
    /// Whether `Action` (or `NotAction`) matched the request's action; `None`: not checked.
    pub action: Option<bool>,
    /// Whether `Resource` (or `NotResource`) matched; `None`: not checked (no Resource element,
    /// as in trust policies, or no resource in the request).
    pub resource: Option<bool>,
    /// One trace per condition clause of the statement.
    pub conditions: Vec<ConditionTrace>,
    /// Whether every part matched, so the statement's effect applies.
    pub applies: bool,
}

impl StatementTrace {
    pub(super) fn new(policy: usize, label: Option<&str>, statement: &Statement) -> Self {
        StatementTrace {
            policy,
            policy_label: label.map(str::to_string),
            statement: statement.index,
            sid: statement.sid.clone(),
            effect: statement.effect,
            principal: None,
            action: None,
            resource: None,
            conditions: Vec::new(),
            applies: false,
        }
    }

    /// Which statement this trace is about.
    pub fn reference(&self) -> StatementRef {
        StatementRef {
            policy: self.policy,
            policy_label: self.policy_label.clone(),
            statement: self.statement,
            sid: self.sid.clone(),
        }
    }

    /// Whether principal, action and resource matched (conditions aside): the statement is
    /// relevant to the request.
    pub fn targets_request(&self) -> bool {
        self.principal != Some(false) && self.action != Some(false) && self.resource != Some(false)
    }
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    /// The decision reached.
    pub decision: Decision,
    /// The statement that decided: the first applying Deny, else the first applying Allow.
    pub deciding: Option<StatementRef>,
    /// The action asked for, e.g. `sts:AssumeRoleWithWebIdentity`.
    pub action: String,
    /// Who asked, when the request names a principal (trust policies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// The resource asked for, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// One trace per statement of every policy, in the order evaluated.
    pub statements: Vec<StatementTrace>,
}

impl Explanation {
    /// Statements whose effect applied (IAM simulation's `MatchedStatements`).
    pub fn matched_statements(&self) -> impl Iterator<Item = &StatementTrace> {
        self.statements.iter().filter(|s| s.applies)
    }

    /// Condition keys that statements relevant to the request asked for but the request lacked
    /// (IAM simulation's `MissingContextValues`), deduplicated, in order of appearance.
    pub fn missing_context_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for statement in self.statements.iter().filter(|s| s.targets_request()) {
            for condition in &statement.conditions {
                if condition.request_values.is_none()
                    && !keys.iter().any(|k| k.eq_ignore_ascii_case(&condition.key))
                {
                    keys.push(condition.key.clone());
                }
            }
        }
        keys
    }

    /// A one-line summary, e.g. for a response header.
    pub fn summary(&self) -> String {
        match (&self.decision, &self.deciding) {
            (Decision::Allow, Some(by)) => format!("allowed by {by}"),
            (Decision::ExplicitDeny, Some(by)) => format!("explicitly denied by {by}"),
            _ => {
                // The most useful failure: the first failing part of a statement that
                // otherwise targets the request.
                let failing = self.statements.iter().find_map(|s| {
                    if s.effect != Effect::Allow {
                        return None;
                    }
                    if s.principal == Some(false) {
                        return Some(format!("{}: principal does not match", s.reference()));
                    }
                    if s.action == Some(false) {
                        return Some(format!("{}: action does not match", s.reference()));
                    }
                    if s.resource == Some(false) {
                        return Some(format!("{}: resource does not match", s.reference()));
                    }
                    s.conditions
                        .iter()
                        .find(|c| !c.result)
                        .map(|c| format!("{}: {}", s.reference(), c.reason))
                });
                match failing {
                    Some(reason) => format!("implicitly denied: {reason}"),
                    None => "implicitly denied: no statement allows the request".to_string(),
                }
            }
        }
    }
}

fn mark(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "n/a",
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "decision: {:?} ({})", self.decision, self.summary())?;
        writeln!(f, "action: {}", self.action)?;
        if let Some(p) = &self.principal {
            writeln!(f, "principal: {:?} {}", p.kind, p.id)?;
        }
        if let Some(r) = &self.resource {
            writeln!(f, "resource: {r}")?;
        }
        for s in &self.statements {
            writeln!(
                f,
                "  {} {:?}: principal {}, action {}, resource {} => {}",
                s.reference(),
                s.effect,
                mark(s.principal),
                mark(s.action),
                mark(s.resource),
                if s.applies {
                    "applies"
                } else {
                    "does not apply"
                }
            )?;
            for c in &s.conditions {
                writeln!(
                    f,
                    "    [{}] {} {}: {}",
                    if c.result { "true" } else { "FALSE" },
                    c.operator,
                    c.key,
                    c.reason
                )?;
            }
        }
        Ok(())
    }
}
