//! Explanations: which statements named the permission, how each condition came out, which
//! statement decided, and a one-line summary. `Serialize` gives the JSON for an HTTP API;
//! `Display` a compact rendering for logs.

use std::fmt;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::bind::{BoundCondition, BoundPart, BoundPolicy, BoundValue, Effective};
use crate::eval::{check, rank, AttributeValue, Decision, Outcome, Request};
use crate::policy::{Effect, Position};

/// Which statement of which policy (and, for a bound boundary, which boundary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    /// Position of the policy in the list evaluated, from 0.
    pub policy: usize,
    /// The policy's label, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_label: Option<String>,
    /// Number of the statement in its policy, from 1.
    pub statement: usize,
    /// Where the statement starts.
    pub position: Position,
    /// `ALLOW` or `DENY`.
    pub effect: Effect,
    /// The statement as written (canonical form).
    pub text: String,
    /// The boundary whose conditions were added to the statement, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary: Option<String>,
    /// With a boundary: the effective statement evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<String>,
    #[serde(skip)]
    show_policy: bool,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.policy_label {
            Some(label) => write!(f, "policy \"{label}\" ")?,
            None if self.show_policy => write!(f, "policy #{} ", self.policy + 1)?,
            None => {}
        }
        write!(
            f,
            "statement {} ({}) at {}",
            self.statement, self.text, self.position
        )?;
        if let Some(b) = &self.boundary {
            write!(f, " within boundary {b}")?;
        }
        Ok(())
    }
}

/// How one condition came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionTrace {
    /// The attribute, e.g. `settings:schemaId`.
    pub key: String,
    /// The operator as written, e.g. `NOT IN`.
    pub operator: String,
    /// The policy's values, parameters filled.
    pub values: Vec<String>,
    /// The request's value; `None` when the request lacks the attribute. For global date and
    /// time conditions, the request time.
    pub request: Option<AttributeValue>,
    /// Added by a boundary rather than written in the statement.
    pub from_boundary: bool,
    /// Where the condition was written (in the policy or the boundary).
    pub position: Position,
    /// How it came out.
    pub outcome: Outcome,
    /// Whether it holds.
    pub passed: bool,
    /// The outcome in words, e.g. "attribute settings:schemaId missing from request".
    pub reason: String,
}

/// One statement that names the requested permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace {
    /// The statement.
    #[serde(flatten)]
    pub statement: StatementRef,
    /// Every condition, in order (all are evaluated, even after one fails).
    pub conditions: Vec<ConditionTrace>,
    /// Whether all conditions hold, so the statement's effect applies.
    pub applies: bool,
}

/// Why the decision came out as it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The decision; the same as [`crate::evaluate`]'s.
    pub decision: Decision,
    /// The permission asked for.
    pub permission: String,
    /// One line, e.g. "denied: no statement allows hyperscaler-authentication:aws:authenticate".
    pub summary: String,
    /// The statement that decided, chosen in Dynatrace's order (unconditional `DENY`,
    /// conditional `DENY`, unconditional `ALLOW`, conditional `ALLOW`; the first of a kind
    /// in policy order); `None` for a default deny.
    pub deciding: Option<StatementRef>,
    /// Statements that name the permission, in order; other statements are not listed.
    pub statements: Vec<StatementTrace>,
}

impl Explanation {
    /// The statements whose effect applied.
    pub fn matched(&self) -> impl Iterator<Item = &StatementTrace> {
        self.statements.iter().filter(|s| s.applies)
    }
}

fn value_text(value: &BoundValue) -> String {
    match value {
        BoundValue::Literal(t) => t.clone(),
        BoundValue::Template(parts) => parts
            .iter()
            .map(|p| match p {
                BoundPart::Text(t) => t.clone(),
                BoundPart::Global(g) => format!("${{{}}}", g.attribute()),
            })
            .collect(),
    }
}

fn show(value: &AttributeValue) -> String {
    match value {
        AttributeValue::One(s) => format!("{s:?}"),
        AttributeValue::Many(items) => format!("{items:?}"),
    }
}

fn trace_condition(c: &BoundCondition, request: &Request) -> ConditionTrace {
    let outcome = check(c, request);
    let request_value = match c.time {
        Some(_) => request
            .time
            .and_then(|t| t.format(&Rfc3339).ok())
            .map(AttributeValue::One),
        None => request.attributes.get(&c.key).cloned(),
    };
    let condition = c.to_string();
    let reason = match (outcome, &request_value) {
        (Outcome::Passed, Some(v)) => format!("{condition} holds for {}", show(v)),
        (Outcome::Failed, Some(v)) => format!("{condition} does not hold for {}", show(v)),
        (Outcome::SeveralValues, _) => format!(
            "{condition} does not hold: the request's {} has several values, which only MATCH \
             tests",
            c.key
        ),
        (Outcome::GlobalMissing, _) => format!(
            "{condition} does not hold: the request lacks the global attribute its value uses"
        ),
        (Outcome::TimeMissing, _) => {
            format!("{condition} does not hold: the request has no time")
        }
        (Outcome::InvalidTime, _) => format!(
            "{condition} does not hold: its value is not {}",
            c.time.map(crate::global::expected).unwrap_or("a date")
        ),
        _ => format!("attribute {} missing from request", c.key),
    };
    ConditionTrace {
        key: c.key.clone(),
        operator: c.operator.to_string(),
        values: c.values.iter().map(value_text).collect(),
        request: request_value,
        from_boundary: c.from_boundary,
        position: c.position,
        outcome,
        passed: outcome == Outcome::Passed,
        reason,
    }
}

fn reference(
    index: usize,
    policy: &BoundPolicy,
    statement: &Effective,
    show_policy: bool,
) -> StatementRef {
    let written = &policy.inner.policy.statements()[statement.origin];
    let boundary = statement
        .boundary
        .map(|b| policy.inner.boundaries[b].clone());
    StatementRef {
        policy: index,
        policy_label: policy.inner.policy.label().map(str::to_string),
        statement: statement.origin + 1,
        position: written.position,
        effect: statement.effect,
        text: written.to_string(),
        effective: boundary.as_ref().map(|_| statement.render()),
        boundary,
        show_policy,
    }
}

/// Like [`crate::evaluate`], but says why.
pub fn evaluate_explained(policies: &[&BoundPolicy], request: &Request) -> Explanation {
    let show_policy = policies.len() > 1;
    let mut statements = Vec::new();
    let mut best: Option<(u8, usize)> = None;
    for (index, policy) in policies.iter().enumerate() {
        for statement in &policy.inner.statements {
            if !statement.names(&request.permission) {
                continue;
            }
            let conditions: Vec<ConditionTrace> = statement
                .conditions
                .iter()
                .map(|c| trace_condition(c, request))
                .collect();
            let applies = conditions.iter().all(|c| c.passed);
            if applies {
                let r = rank(statement);
                if best.is_none_or(|(b, _)| r < b) {
                    best = Some((r, statements.len()));
                }
            }
            statements.push(StatementTrace {
                statement: reference(index, policy, statement, show_policy),
                conditions,
                applies,
            });
        }
    }
    let deciding = best.map(|(_, i)| statements[i].statement.clone());
    let decision = match &deciding {
        Some(s) if s.effect == Effect::Deny => Decision::ExplicitDeny,
        Some(_) => Decision::Allow,
        None => Decision::DefaultDeny,
    };
    let summary = match (&deciding, decision) {
        (Some(s), Decision::Allow) => format!("allowed by {s}"),
        (Some(s), _) => format!("denied by {s}"),
        (None, _) => {
            let failing = statements
                .iter()
                .filter(|s| s.statement.effect == Effect::Allow)
                .find_map(|s| {
                    s.conditions
                        .iter()
                        .find(|c| !c.passed)
                        .map(|c| format!("{}: {}", s.statement, c.reason))
                });
            match failing {
                Some(why) => format!(
                    "denied: no statement allows {} for this request; {why}",
                    request.permission
                ),
                None => format!("denied: no statement allows {}", request.permission),
            }
        }
    };
    Explanation {
        decision,
        permission: request.permission.clone(),
        summary,
        deciding,
        statements,
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary)?;
        for s in &self.statements {
            writeln!(
                f,
                "  {} => {}",
                s.statement,
                if s.applies {
                    "applies"
                } else {
                    "does not apply"
                }
            )?;
            for c in &s.conditions {
                writeln!(
                    f,
                    "    [{}] {}{}",
                    if c.passed { "pass" } else { "FAIL" },
                    if c.from_boundary { "boundary: " } else { "" },
                    c.reason
                )?;
            }
        }
        Ok(())
    }
}
