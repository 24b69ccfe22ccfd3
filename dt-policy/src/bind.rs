//! Binding: a policy bound to a group, with the binding's parameter values and boundaries,
//! becomes the list of effective statements that evaluation reads.
//!
//! Parameters: "Policy templating" — values written `${bindParam:NAME}` are filled from the
//! binding's `parameters` (the Policy management API's bindings carry `"parameters": {}`).
//! Boundaries' values may use them too (the API's own example boundary is
//! `storage:dt.security_context = '${bindParam:bucket-name-param}';`).
//!
//! Boundaries: "When a policy binding contains boundaries the effective policy is calculated
//! according to the following rules" ("Policy boundaries"), which [`Policy::bind_within`]
//! follows: statements are split into one statement per permission; each boundary's
//! conditions that apply to the permission are added to the statement's own; a condition
//! name repeated in a boundary multiplies the statement (one copy per repetition); several
//! boundaries give one set of effective statements each; `DENY` statements are left alone.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::catalog;
use crate::global::TimeKey;
use crate::policy::{quote, Boundary, Condition, Effect, Global, Operator, Part, Policy, Position};

/// Bind-parameter values of one binding: `NAME` → value for `${bindParam:NAME}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bindings {
    values: BTreeMap<String, String>,
}

impl Bindings {
    /// No parameters.
    pub fn new() -> Bindings {
        Bindings::default()
    }

    /// Adds (or replaces) a parameter value.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Bindings {
        self.insert(name, value);
        self
    }

    /// Sets a parameter value, replacing an earlier one.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    /// The value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Bindings {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Bindings {
        Bindings {
            values: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// Why a policy could not be bound.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    /// A `${bindParam:NAME}` has no value in the binding.
    #[error("{place} uses ${{bindParam:{name}}}, but the binding gives no value for `{name}`")]
    MissingParameter {
        /// The parameter.
        name: String,
        /// Where it is used, e.g. `statement 2 at 3:41` or `boundary "K8s" condition 1 at 1:1`.
        place: String,
        /// Position of the condition that uses it.
        position: Position,
    },
}

/// A resolved value: literal text, or text with global attributes still to fill from the
/// request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BoundValue {
    Literal(String),
    Template(Vec<BoundPart>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BoundPart {
    Text(String),
    Global(Global),
}

impl fmt::Display for BoundValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoundValue::Literal(t) => f.write_str(&quote(t)),
            BoundValue::Template(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        BoundPart::Text(t) => s.push_str(t),
                        BoundPart::Global(g) => {
                            s.push_str("${");
                            s.push_str(g.attribute());
                            s.push('}');
                        }
                    }
                }
                f.write_str(&quote(&s))
            }
        }
    }
}

/// A condition with its parameters filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BoundCondition {
    pub(crate) key: String,
    pub(crate) operator: Operator,
    pub(crate) values: Vec<BoundValue>,
    pub(crate) position: Position,
    /// Added by a boundary rather than written in the statement.
    pub(crate) from_boundary: bool,
    pub(crate) time: Option<TimeKey>,
}

impl fmt::Display for BoundCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.key, self.operator)?;
        if self.operator.takes_list() {
            f.write_str("(")?;
            for (i, v) in self.values.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(")")
        } else {
            match self.values.first() {
                Some(v) => write!(f, "{v}"),
                None => f.write_str("\"\""),
            }
        }
    }
}

/// One statement as evaluation sees it.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    /// Index of the statement in its policy.
    pub(crate) origin: usize,
    /// Index of the boundary that produced it.
    pub(crate) boundary: Option<usize>,
    pub(crate) effect: Effect,
    pub(crate) permissions: Vec<String>,
    pub(crate) conditions: Vec<BoundCondition>,
}

impl Effective {
    pub(crate) fn names(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// The effective statement as text.
    pub(crate) fn render(&self) -> String {
        let mut s = format!("{} {}", self.effect, self.permissions.join(", "));
        for (i, c) in self.conditions.iter().enumerate() {
            s.push_str(if i == 0 { " WHERE " } else { " AND " });
            s.push_str(&c.to_string());
        }
        s
    }
}

/// A policy as bound to a group: parameters filled, boundaries applied. What
/// [`crate::evaluate`] takes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BoundPolicy {
    pub(crate) inner: Arc<BoundInner>,
}

#[derive(Debug)]
pub(crate) struct BoundInner {
    pub(crate) policy: Policy,
    /// Names of the boundaries, for explanations (`"K8s DEV"` or `boundary #2`).
    pub(crate) boundaries: Vec<String>,
    pub(crate) statements: Vec<Effective>,
}

impl BoundPolicy {
    /// The policy that was bound.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// How many effective statements binding produced (boundaries split and multiply them).
    pub fn effective_statement_count(&self) -> usize {
        self.inner.statements.len()
    }

    /// The effective statements as text, one per entry: what Dynatrace calls the effective
    /// policy of the binding.
    pub fn effective_statements(&self) -> Vec<String> {
        self.inner
            .statements
            .iter()
            .map(Effective::render)
            .collect()
    }
}

fn resolve_condition(
    condition: &Condition,
    params: &Bindings,
    from_boundary: bool,
    place: &dyn Fn() -> String,
) -> Result<BoundCondition, BindError> {
    let mut values = Vec::with_capacity(condition.values.len());
    for value in &condition.values {
        let mut parts: Vec<BoundPart> = Vec::new();
        for part in &value.parts {
            let text = match part {
                Part::Text(t) => t.as_str(),
                Part::BindParam(name) => match params.get(name) {
                    Some(v) => v,
                    None => {
                        return Err(BindError::MissingParameter {
                            name: name.clone(),
                            place: place(),
                            position: condition.position,
                        })
                    }
                },
                Part::Global(g) => {
                    parts.push(BoundPart::Global(*g));
                    continue;
                }
            };
            match parts.last_mut() {
                Some(BoundPart::Text(prev)) => prev.push_str(text),
                _ => parts.push(BoundPart::Text(text.to_string())),
            }
        }
        values.push(if parts.len() > 1 {
            BoundValue::Template(parts)
        } else {
            match parts.pop() {
                None => BoundValue::Literal(String::new()),
                Some(BoundPart::Text(t)) => BoundValue::Literal(t),
                Some(global) => BoundValue::Template(vec![global]),
            }
        });
    }
    Ok(BoundCondition {
        key: condition.key.clone(),
        operator: condition.operator,
        values,
        position: condition.position,
        from_boundary,
        time: TimeKey::from_attribute(&condition.key),
    })
}

/// All ways of picking one condition from each group.
fn combinations<'a>(groups: &[Vec<&'a BoundCondition>]) -> Vec<Vec<&'a BoundCondition>> {
    let mut out: Vec<Vec<&BoundCondition>> = vec![Vec::new()];
    for group in groups {
        let mut next = Vec::with_capacity(out.len() * group.len());
        for prefix in &out {
            for c in group {
                let mut v = prefix.clone();
                v.push(*c);
                next.push(v);
            }
        }
        out = next;
    }
    out
}

pub(crate) fn bind(
    policy: &Policy,
    params: &Bindings,
    boundaries: &[&Boundary],
) -> Result<BoundPolicy, BindError> {
    let names: Vec<String> = boundaries
        .iter()
        .enumerate()
        .map(|(i, b)| match b.name() {
            Some(n) => format!("\"{n}\""),
            None => format!("#{}", i + 1),
        })
        .collect();
    let mut resolved_boundaries = Vec::with_capacity(boundaries.len());
    for (j, boundary) in boundaries.iter().enumerate() {
        let mut conditions = Vec::new();
        for (k, c) in boundary.conditions().iter().enumerate() {
            let place = || {
                format!(
                    "boundary {} condition {} at {}",
                    names[j],
                    k + 1,
                    c.position
                )
            };
            conditions.push(resolve_condition(c, params, true, &place)?);
        }
        resolved_boundaries.push(conditions);
    }

    let mut statements = Vec::new();
    for (i, s) in policy.statements().iter().enumerate() {
        let mut own = Vec::with_capacity(s.conditions.len());
        for c in &s.conditions {
            let place = || format!("statement {} at {}", i + 1, s.position);
            own.push(resolve_condition(c, params, false, &place)?);
        }
        // "Boundaries don't apply to DENY statements."
        if s.effect == Effect::Deny || boundaries.is_empty() {
            statements.push(Effective {
                origin: i,
                boundary: None,
                effect: s.effect,
                permissions: s.permissions.clone(),
                conditions: own,
            });
            continue;
        }
        // "When a policy statement contains multiple permissions, then such a statement will
        // be split into single permission statements."
        for permission in &s.permissions {
            // "When more than one boundary applies to a policy, then effective statements are
            // calculated for each boundary separately."
            for (j, conditions) in resolved_boundaries.iter().enumerate() {
                // "Only conditions added to service configuration will be applied to relative
                // permissions", grouped by name: "When a boundary contains repeated condition
                // names, then each policy statement is multiplied by such conditions."
                let mut groups: Vec<Vec<&BoundCondition>> = Vec::new();
                for c in conditions
                    .iter()
                    .filter(|c| catalog::boundary_applies(permission, &c.key))
                {
                    match groups.iter_mut().find(|g| g[0].key == c.key) {
                        Some(g) => g.push(c),
                        None => groups.push(vec![c]),
                    }
                }
                // "Boundaries are applied to policy statements without evaluating the
                // statement's condition": the boundary's conditions are simply added.
                for combination in combinations(&groups) {
                    let mut all = own.clone();
                    all.extend(combination.into_iter().cloned());
                    statements.push(Effective {
                        origin: i,
                        boundary: Some(j),
                        effect: s.effect,
                        permissions: vec![permission.clone()],
                        conditions: all,
                    });
                }
            }
        }
    }
    Ok(BoundPolicy {
        inner: Arc::new(BoundInner {
            policy: policy.clone(),
            boundaries: names,
            statements,
        }),
    })
}

impl Policy {
    /// Binds the policy with parameter values and no boundaries.
    pub fn bind(&self, params: &Bindings) -> Result<BoundPolicy, BindError> {
        bind(self, params, &[])
    }

    /// Binds the policy with parameter values and boundaries ("Policy boundaries").
    pub fn bind_within(
        &self,
        params: &Bindings,
        boundaries: &[&Boundary],
    ) -> Result<BoundPolicy, BindError> {
        bind(self, params, boundaries)
    }
}
