//! Evaluation: a request against bound policies, to a decision. Pure: no I/O, no clock (the
//! request carries its time for the global date and time conditions).
//!
//! Order, from "IAM policy statement syntax and examples", DENY statement: "1. Check for an
//! unconditional DENY … 2. … a conditional DENY … that matches the request … 3. … an
//! unconditional ALLOW … 4. … a conditional ALLOW … 5. If nothing matches, reject access."
//! A statement matches when it names the requested permission (exactly: the language has no
//! permission wildcards) and all its conditions hold.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::bind::{BoundCondition, BoundPart, BoundPolicy, BoundValue, Effective};
use crate::global;
use crate::policy::{Effect, Global, Operator};

/// The value of a request attribute: one string, or several (an array field such as a
/// record's `dt.security_context`, which only `MATCH` tests: "Permissions in Grail").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// A single string.
    One(String),
    /// Several strings.
    Many(Vec<String>),
}

/// What is asked: may the caller use `permission` on something with these attributes?
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// `service:resource:action`, e.g. `settings:objects:read`.
    pub permission: String,
    /// Condition attributes of the thing acted on, e.g. `settings:schemaId`.
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeValue>,
    /// The time of the request, for `global:date`, `global:date-time`, `global:time-of-day`
    /// and `global:week-day`; without it those conditions do not hold.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<OffsetDateTime>,
}

impl Request {
    /// A request for `permission` with no attributes.
    pub fn new(permission: impl Into<String>) -> Request {
        Request {
            permission: permission.into(),
            ..Request::default()
        }
    }

    /// Adds a single-valued attribute.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Request {
        self.attributes
            .insert(key.into(), AttributeValue::One(value.into()));
        self
    }

    /// Adds a multi-valued attribute.
    pub fn with_values<I, S>(mut self, key: impl Into<String>, values: I) -> Request
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values = values.into_iter().map(Into::into).collect();
        self.attributes
            .insert(key.into(), AttributeValue::Many(values));
        self
    }

    /// Sets the time of the request.
    pub fn at(mut self, time: OffsetDateTime) -> Request {
        self.time = Some(time);
        self
    }
}

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// An `ALLOW` statement matched and no `DENY` did.
    Allow,
    /// A `DENY` statement matched.
    ExplicitDeny,
    /// Nothing matched: "If nothing matches, reject access."
    DefaultDeny,
}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// How a condition came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The condition holds.
    Passed,
    /// The request's value does not satisfy it.
    Failed,
    /// The request lacks the attribute. Guess: a condition on a missing attribute never
    /// holds, whatever the operator (the documents say a condition limits a permission, e.g.
    /// "Now the user has access only to the management zones with names starting with
    /// \[Kubernetes\]"; none says what happens without one).
    AttributeMissing,
    /// The request's attribute has several values and the operator is not `MATCH`: "Using
    /// `=`, `STARTSWITH` or `IN` when the field holds an array will always return `false`"
    /// ("Permissions in Grail"). Guess: so do `!=`, `NOT IN` and `NOT startsWith`.
    SeveralValues,
    /// A value refers to `${global:userId}` or `${global:userGroup}` and the request lacks
    /// `global:userId` / `global:userGroup`.
    GlobalMissing,
    /// A global date or time condition, and the request has no time.
    TimeMissing,
    /// A global date or time condition whose (bound) value is not of the documented form.
    InvalidTime,
}

/// `*` in a `MATCH` pattern stands for any run of characters; everything else is literal.
/// Guess: no `?` and no escape (the documentation shows only `*`).
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
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

/// The concrete policy values of `value`: its text, or, with global attributes, every way of
/// filling them from the request (`${global:userGroup}` has one value per group).
fn concrete<'a>(value: &'a BoundValue, request: &Request) -> Result<Vec<Cow<'a, str>>, Outcome> {
    let parts = match value {
        BoundValue::Literal(t) => return Ok(vec![Cow::Borrowed(t.as_str())]),
        BoundValue::Template(parts) => parts,
    };
    let mut out = vec![String::new()];
    for part in parts {
        match part {
            BoundPart::Text(t) => out.iter_mut().for_each(|s| s.push_str(t)),
            BoundPart::Global(g) => {
                let fill: Vec<&str> = match request.attributes.get(g.attribute()) {
                    Some(AttributeValue::One(v)) => vec![v.as_str()],
                    Some(AttributeValue::Many(vs)) => vs.iter().map(String::as_str).collect(),
                    None => return Err(Outcome::GlobalMissing),
                };
                if *g == Global::UserId && fill.len() != 1 {
                    return Err(Outcome::GlobalMissing);
                }
                out = out
                    .iter()
                    .flat_map(|prefix| fill.iter().map(move |f| format!("{prefix}{f}")))
                    .collect();
            }
        }
    }
    Ok(out.into_iter().map(Cow::Owned).collect())
}

/// Whether any concrete value of the condition satisfies `test`.
fn any_value(
    condition: &BoundCondition,
    request: &Request,
    mut test: impl FnMut(&str) -> bool,
) -> Result<bool, Outcome> {
    for value in &condition.values {
        match value {
            BoundValue::Literal(t) => {
                if test(t) {
                    return Ok(true);
                }
            }
            template => {
                if concrete(template, request)?.iter().any(|v| test(v)) {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// Evaluates one condition. Values compare case-sensitively (Guess: the documents show no
/// case folding; schema IDs and zone names are exact names).
pub(crate) fn check(condition: &BoundCondition, request: &Request) -> Outcome {
    if let Some(key) = condition.time {
        let Some(now) = request.time else {
            return Outcome::TimeMissing;
        };
        let mut invalid = false;
        let result = any_value(condition, request, |v| {
            match global::holds(key, condition.operator, v, now) {
                Ok(hit) => hit,
                Err(()) => {
                    invalid = true;
                    false
                }
            }
        });
        return match result {
            Err(outcome) => outcome,
            Ok(_) if invalid => Outcome::InvalidTime,
            Ok(true) => Outcome::Passed,
            Ok(false) => Outcome::Failed,
        };
    }
    let Some(attribute) = request.attributes.get(&condition.key) else {
        return Outcome::AttributeMissing;
    };
    let result = match (attribute, condition.operator) {
        (AttributeValue::Many(items), Operator::Match) => any_value(condition, request, |p| {
            items.iter().any(|item| glob(p, item))
        }),
        (AttributeValue::Many(_), _) => return Outcome::SeveralValues,
        (AttributeValue::One(s), op) => {
            let hit = match op {
                Operator::Equals | Operator::In | Operator::NotEquals | Operator::NotIn => {
                    any_value(condition, request, |v| v == s)
                }
                Operator::StartsWith | Operator::NotStartsWith => {
                    any_value(condition, request, |v| s.starts_with(v))
                }
                Operator::Match => any_value(condition, request, |p| glob(p, s)),
                // `<` and `>` are accepted only for the time keys, handled above.
                Operator::LessThan | Operator::GreaterThan => Ok(false),
            };
            let negated = matches!(
                op,
                Operator::NotEquals | Operator::NotIn | Operator::NotStartsWith
            );
            hit.map(|h| h != negated)
        }
    };
    match result {
        Ok(true) => Outcome::Passed,
        Ok(false) => Outcome::Failed,
        Err(outcome) => outcome,
    }
}

/// Dynatrace's order of checks: 0 unconditional DENY, 1 conditional DENY, 2 unconditional
/// ALLOW, 3 conditional ALLOW.
pub(crate) fn rank(statement: &Effective) -> u8 {
    match (statement.effect, statement.conditions.is_empty()) {
        (Effect::Deny, true) => 0,
        (Effect::Deny, false) => 1,
        (Effect::Allow, true) => 2,
        (Effect::Allow, false) => 3,
    }
}

/// Decides `request` against `policies` (the policies of every binding of the caller's
/// groups). Allocates nothing unless a value uses a global attribute.
pub fn evaluate(policies: &[&BoundPolicy], request: &Request) -> Decision {
    let mut allowed = false;
    let mut denied = false;
    for policy in policies {
        for statement in &policy.inner.statements {
            if !statement.names(&request.permission) {
                continue;
            }
            if statement.effect == Effect::Allow && allowed {
                continue;
            }
            let applies = statement
                .conditions
                .iter()
                .all(|c| check(c, request) == Outcome::Passed);
            if applies {
                match statement.effect {
                    Effect::Deny => denied = true,
                    Effect::Allow => allowed = true,
                }
                if denied {
                    // A DENY overrules everything; no later statement changes that.
                    return Decision::ExplicitDeny;
                }
            }
        }
    }
    if denied {
        Decision::ExplicitDeny
    } else if allowed {
        Decision::Allow
    } else {
        Decision::DefaultDeny
    }
}
