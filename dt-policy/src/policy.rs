//! The typed form of a policy: statements, permissions, conditions and values, each with the
//! position it was written at. `Display` renders the canonical text (keywords upper case, one
//! statement per line), which parses back to the same policy.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Where something was written: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// `ALLOW` or `DENY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Effect {
    /// Grants the permissions when the conditions hold.
    Allow,
    /// Refuses them; a matching `DENY` always overrules an `ALLOW`.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "ALLOW",
            Effect::Deny => "DENY",
        })
    }
}

/// A condition operator, as listed in "IAM policy statement syntax and examples" (`=`, `!=`,
/// `<`, `>`, `IN`, `startsWith`, `NOT IN`, `NOT startsWith`) and "Permissions in Grail"
/// (`MATCH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Operator {
    /// `=`: equal to the value.
    Equals,
    /// `!=`: not equal to the value.
    NotEquals,
    /// `IN (…)`: equal to one of the values.
    In,
    /// `NOT IN (…)`: equal to none of the values.
    NotIn,
    /// `startsWith`: begins with the value.
    StartsWith,
    /// `NOT startsWith`: does not begin with the value.
    NotStartsWith,
    /// `MATCH (…)`: matches one of the patterns (`*` is any run of characters), for any
    /// value of a multi-valued attribute.
    Match,
    /// `<`: before (global date and time conditions only).
    LessThan,
    /// `>`: after (global date and time conditions only).
    GreaterThan,
}

impl Operator {
    /// Whether the operator takes a parenthesised list of values.
    pub fn takes_list(self) -> bool {
        matches!(self, Operator::In | Operator::NotIn | Operator::Match)
    }

    /// The operator as written in canonical text.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::NotEquals => "!=",
            Operator::In => "IN",
            Operator::NotIn => "NOT IN",
            Operator::StartsWith => "startsWith",
            Operator::NotStartsWith => "NOT startsWith",
            Operator::Match => "MATCH",
            Operator::LessThan => "<",
            Operator::GreaterThan => ">",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A global attribute a value may refer to ("Policy global attributes"): filled from the
/// request at evaluation, not from the binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Global {
    /// `${global:userId}`: the user's UUID.
    UserId,
    /// `${global:userGroup}`: the UUIDs of the user's groups (several values).
    UserGroup,
}

impl Global {
    pub(crate) fn from_name(name: &str) -> Option<Global> {
        match name {
            "userId" => Some(Global::UserId),
            "userGroup" => Some(Global::UserGroup),
            _ => None,
        }
    }
    /// The request attribute that carries it.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Global::UserId => "global:userId",
            Global::UserGroup => "global:userGroup",
        }
    }
}

/// One piece of a quoted value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Part {
    Text(String),
    /// `${bindParam:NAME}`, filled when the policy is bound.
    BindParam(String),
    /// `${global:NAME}`, filled from the request.
    Global(Global),
}

/// A quoted condition value: literal text, possibly with `${bindParam:NAME}` parameters
/// ("Policy templating") and `${global:userId}` / `${global:userGroup}` attributes ("Policy
/// global attributes") in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Value {
    pub(crate) parts: Vec<Part>,
}

impl Value {
    /// The text, if the value has no parameters.
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// Names of the bind parameters in the value, in order.
    pub fn bind_params(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::BindParam(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The value as written between the quotes (parameters as `${…}`).
    pub fn source(&self) -> String {
        let mut s = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => s.push_str(t),
                Part::BindParam(n) => {
                    s.push_str("${bindParam:");
                    s.push_str(n);
                    s.push('}');
                }
                Part::Global(g) => {
                    s.push_str("${");
                    s.push_str(g.attribute());
                    s.push('}');
                }
            }
        }
        s
    }
}

/// Quotes `text` for canonical output: double quotes unless the text holds one (there are no
/// escapes in the language, so a value with `"` was written in single quotes).
pub(crate) fn quote(text: &str) -> String {
    if text.contains('"') {
        format!("'{text}'")
    } else {
        format!("\"{text}\"")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&quote(&self.source()))
    }
}

/// `attribute operator value(s)`, e.g. `settings:schemaId = "builtin:container.monitoring-rule"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Condition {
    /// The attribute, `service:attribute` (e.g. `settings:schemaId`,
    /// `environment:management-zone`, `storage:bucket-name`).
    pub key: String,
    /// The operator.
    pub operator: Operator,
    /// One value, or the list of `IN`, `NOT IN` and `MATCH`.
    pub values: Vec<Value>,
    /// Where the attribute was written.
    pub position: Position,
}

impl fmt::Display for Condition {
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

/// `ALLOW|DENY permission[, …] [WHERE condition [AND …]]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Statement {
    /// `ALLOW` or `DENY`.
    pub effect: Effect,
    /// `service:resource:action` permissions, as written.
    pub permissions: Vec<String>,
    /// Conditions, all of which must hold (`AND`); empty without `WHERE` or with `WHERE null`.
    pub conditions: Vec<Condition>,
    /// Where the statement's keyword was written.
    pub position: Position,
}

impl Statement {
    /// Whether the statement names `permission`.
    pub fn names(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.effect, self.permissions.join(", "))?;
        for (i, c) in self.conditions.iter().enumerate() {
            f.write_str(if i == 0 { " WHERE " } else { " AND " })?;
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// A parsed policy: up to 100 statements. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) inner: Arc<PolicyInner>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PolicyInner {
    pub(crate) statements: Vec<Statement>,
    pub(crate) label: Option<String>,
}

impl Policy {
    /// Parses policy text; the same as [`crate::parse`].
    pub fn parse(text: &str) -> Result<Policy, crate::ParseError> {
        crate::parse(text)
    }

    pub(crate) fn from_statements(statements: Vec<Statement>) -> Policy {
        Policy {
            inner: Arc::new(PolicyInner {
                statements,
                label: None,
            }),
        }
    }

    /// The statements, in the order written.
    pub fn statements(&self) -> &[Statement] {
        &self.inner.statements
    }

    /// Names the policy (e.g. `Settings Reader`) in explanations.
    pub fn labelled(self, label: impl Into<String>) -> Policy {
        Policy {
            inner: Arc::new(PolicyInner {
                statements: self.inner.statements.clone(),
                label: Some(label.into()),
            }),
        }
    }

    /// The label given with [`Policy::labelled`].
    pub fn label(&self) -> Option<&str> {
        self.inner.label.as_deref()
    }

    /// Every `${bindParam:NAME}` the policy uses, sorted, each once: what a binding must fill.
    pub fn bind_params(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .statements()
            .iter()
            .flat_map(|s| s.conditions.iter())
            .flat_map(|c| c.values.iter())
            .flat_map(|v| v.bind_params())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

impl std::str::FromStr for Policy {
    type Err = crate::ParseError;
    fn from_str(s: &str) -> Result<Policy, crate::ParseError> {
        crate::parse(s)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.statements().iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{s};")?;
        }
        Ok(())
    }
}

/// A policy boundary ("Policy boundaries"): up to 10 conditions, one per line, that restrict
/// the `ALLOW` statements of the policies bound with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    pub(crate) conditions: Vec<Condition>,
    pub(crate) name: Option<String>,
}

impl Boundary {
    /// Parses boundary text; the same as [`crate::parse_boundary`].
    pub fn parse(text: &str) -> Result<Boundary, crate::ParseError> {
        crate::parse_boundary(text)
    }

    /// The conditions, in the order written.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Names the boundary (e.g. `K8s DEV`) in explanations.
    pub fn named(mut self, name: impl Into<String>) -> Boundary {
        self.name = Some(name.into());
        self
    }

    /// The name given with [`Boundary::named`].
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Display for Boundary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.conditions.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{c};")?;
        }
        Ok(())
    }
}
