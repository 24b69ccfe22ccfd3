//! The policy grammar: AWS JSON parsed once into typed statements, rejecting what IAM rejects
//! with IAM's `MalformedPolicyDocument` wording plus the JSON path of the offending element.
//!
//! Grammar: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>.

use serde_json::{Map, Value};

use super::condition::{Clause, Operator, SetQualifier};
use super::variables::Template;
use super::{PolicyError, PolicyKind, PrincipalKind};

/// `Version`: policy variables exist only in `2012-10-17`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Version {
    /// `2012-10-17`: the current version, with policy variables.
    #[serde(rename = "2012-10-17")]
    V2012_10_17,
    /// `2008-10-17`: the old version, where `${...}` is literal text.
    #[serde(rename = "2008-10-17")]
    V2008_10_17,
    /// No `Version` element: treated as 2008-10-17.
    Absent,
}

impl Version {
    /// Whether `${...}` in this version's policies are policy variables (only in `2012-10-17`).
    pub fn has_variables(self) -> bool {
        self == Version::V2012_10_17
    }
}

/// A statement's `Effect`: what it does to a request it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    /// `Allow`: allows the request, unless another applying statement denies it.
    Allow,
    /// `Deny`: denies the request explicitly; this overrides any `Allow`.
    Deny,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone)]
pub struct PrincipalBlock {
    pub negated: bool,
    pub spec: PrincipalSpec,
}

#[derive(Debug, Clone)]
pub enum PrincipalSpec {
    /// `"*"` (or `{"AWS": "*"}`): everyone.
    Any,
    Map(Vec<(PrincipalKind, Vec<String>)>),
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: patterns, and whether they are negated.
#[derive(Debug, Clone)]
pub struct Matcher<T> {
    pub negated: bool,
    pub items: Vec<T>,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub index: usize,
    /// Its JSON path: `$.Statement[0]`, or `$.Statement` when `Statement` is one object.
    pub path: String,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<PrincipalBlock>,
    /// Lower-cased action patterns (action matching is case-insensitive).
    pub action: Option<Matcher<super::wildcard::Pattern>>,
    /// The actions as written (what checks quote back to the author).
    pub action_texts: Vec<String>,
    pub resource: Option<Matcher<Template>>,
    pub conditions: Vec<Clause>,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub version: Version,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

fn err(message: impl Into<String>, path: impl Into<String>) -> PolicyError {
    PolicyError {
        message: message.into(),
        path: path.into(),
    }
}

// IAM's messages. Confirmed from real AWS answers quoted in public issue threads:
// "This policy contains invalid Json" (aws-recorded), "Syntax errors in policy.",
// "Has prohibited field Principal", "The policy failed legacy parsing" (e.g. Effect "allow"),
// "Policy statement must contain resources". Others are marked `Guess:` where used.
const SYNTAX: &str = "Syntax errors in policy.";

/// Parses a document as `kind`. Size limits are the caller's (see [`super::limits`]).
pub fn parse(json: &str, kind: PolicyKind) -> Result<Document, PolicyError> {
    let value: Value =
        serde_json::from_str(json).map_err(|_| err("This policy contains invalid Json", "$"))?;
    let Value::Object(top) = value else {
        return Err(err(SYNTAX, "$"));
    };
    let mut version = Version::Absent;
    let mut id = None;
    let mut statement_value = None;
    for (name, value) in &top {
        match name.as_str() {
            "Version" => {
                version = match value.as_str() {
                    Some("2012-10-17") => Version::V2012_10_17,
                    Some("2008-10-17") => Version::V2008_10_17,
                    // Guess: IAM's wording for an unknown version date.
                    _ => return Err(err("The policy failed legacy parsing", "$.Version")),
                }
            }
            "Id" => {
                id = Some(
                    value
                        .as_str()
                        .ok_or_else(|| err(SYNTAX, "$.Id"))?
                        .to_string(),
                )
            }
            "Statement" => statement_value = Some(value),
            _ => return Err(err(SYNTAX, format!("$.{name}"))),
        }
    }
    // Guess: IAM's wording when `Statement` is absent.
    let statement_value =
        statement_value.ok_or_else(|| err("Missing required field Statement", "$"))?;
    let raw_statements: Vec<&Value> = match statement_value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![statement_value],
        _ => return Err(err(SYNTAX, "$.Statement")),
    };
    let single = !statement_value.is_array();
    let mut statements = Vec::with_capacity(raw_statements.len());
    for (index, raw) in raw_statements.into_iter().enumerate() {
        let path = if single {
            "$.Statement".to_string()
        } else {
            format!("$.Statement[{index}]")
        };
        statements.push(parse_statement(raw, index, &path, kind, version)?);
    }
    Ok(Document {
        version,
        id,
        statements,
    })
}

fn parse_statement(
    raw: &Value,
    index: usize,
    path: &str,
    kind: PolicyKind,
    version: Version,
) -> Result<Statement, PolicyError> {
    let Value::Object(map) = raw else {
        return Err(err(SYNTAX, path));
    };
    for name in map.keys() {
        if !matches!(
            name.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(err(SYNTAX, format!("{path}.{name}")));
        }
    }
    let sid = match map.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(err(SYNTAX, format!("{path}.Sid"))),
    };
    let effect = match map.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(_) => {
            return Err(err(
                "The policy failed legacy parsing",
                format!("{path}.Effect"),
            ))
        }
        // Guess: IAM's wording for a statement without Effect.
        None => {
            return Err(err(
                "Missing required field Effect",
                format!("{path}.Effect"),
            ))
        }
    };

    let principal = both_or_either(map, path, "Principal", "NotPrincipal")?
        .map(|(negated, name, value)| parse_principal(value, &format!("{path}.{name}"), negated))
        .transpose()?;
    match kind {
        PolicyKind::Trust if principal.is_none() => {
            // Guess: reported for trust policies that name nobody.
            return Err(err("Missing required field Principal", path));
        }
        PolicyKind::Identity | PolicyKind::Session if principal.is_some() => {
            let name = if map.contains_key("Principal") {
                "Principal"
            } else {
                "NotPrincipal"
            };
            return Err(err(
                format!("Has prohibited field {name}"),
                format!("{path}.{name}"),
            ));
        }
        _ => {}
    }

    let action = both_or_either(map, path, "Action", "NotAction")?;
    let mut action_texts = Vec::new();
    let action = match action {
        // Guess: "Policy statement must contain actions." mirrors the confirmed resources one.
        None => return Err(err("Policy statement must contain actions.", path)),
        Some((negated, name, value)) => {
            let items = string_or_strings(value, &format!("{path}.{name}"))?;
            action_texts.clone_from(&items);
            let patterns = items
                .iter()
                .map(|a| {
                    validate_action(a, &format!("{path}.{name}"))?;
                    Ok(super::wildcard::Pattern::wild(&a.to_lowercase()))
                })
                .collect::<Result<Vec<_>, PolicyError>>()?;
            Some(Matcher {
                negated,
                items: patterns,
            })
        }
    };

    let resource = both_or_either(map, path, "Resource", "NotResource")?;
    let resource = match (kind, resource) {
        (PolicyKind::Trust, Some((_, name, _))) => {
            return Err(err(
                format!("Has prohibited field {name}"),
                format!("{path}.{name}"),
            ))
        }
        (PolicyKind::Identity | PolicyKind::Session, None) => {
            return Err(err("Policy statement must contain resources.", path))
        }
        (_, None) => None,
        (_, Some((negated, name, value))) => {
            let items = string_or_strings(value, &format!("{path}.{name}"))?;
            Some(Matcher {
                negated,
                items: items
                    .iter()
                    .map(|r| Template::parse(r, version.has_variables()))
                    .collect(),
            })
        }
    };

    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(value) => parse_conditions(value, &format!("{path}.Condition"), version)?,
    };

    Ok(Statement {
        index,
        path: path.to_string(),
        sid,
        effect,
        principal,
        action,
        action_texts,
        resource,
        conditions,
    })
}

/// Returns which of a positive/negated element pair is present; both at once is an error.
fn both_or_either<'a>(
    map: &'a Map<String, Value>,
    path: &str,
    positive: &'static str,
    negative: &'static str,
) -> Result<Option<(bool, &'static str, &'a Value)>, PolicyError> {
    match (map.get(positive), map.get(negative)) {
        (Some(_), Some(_)) => Err(err(SYNTAX, format!("{path}.{negative}"))),
        (Some(v), None) => Ok(Some((false, positive, v))),
        (None, Some(v)) => Ok(Some((true, negative, v))),
        (None, None) => Ok(None),
    }
}

fn string_or_strings(value: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err(SYNTAX, format!("{path}[{i}]")))
            })
            .collect(),
        _ => Err(err(SYNTAX, path)),
    }
}

/// An action is `*` or `service:action-pattern`.
fn validate_action(action: &str, path: &str) -> Result<(), PolicyError> {
    if action == "*" {
        return Ok(());
    }
    match action.split_once(':') {
        Some((service, name)) if !service.is_empty() && !name.is_empty() => Ok(()),
        // Guess: IAM reports "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb,
        // ec2, etc." for an action without a service prefix.
        _ => Err(err(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
            path,
        )),
    }
}

fn parse_principal(
    value: &Value,
    path: &str,
    negated: bool,
) -> Result<PrincipalBlock, PolicyError> {
    let invalid = |detail: &str| err(format!("Invalid principal in policy: {detail}"), path);
    let spec = match value {
        Value::String(s) if s == "*" => PrincipalSpec::Any,
        Value::Object(map) if !map.is_empty() => {
            let mut entries = Vec::new();
            for (name, ids) in map {
                let kind = match name.as_str() {
                    "AWS" => PrincipalKind::Aws,
                    "Federated" => PrincipalKind::Federated,
                    "Service" => PrincipalKind::Service,
                    "CanonicalUser" => PrincipalKind::CanonicalUser,
                    _ => return Err(err(SYNTAX, format!("{path}.{name}"))),
                };
                let ids = string_or_strings(ids, &format!("{path}.{name}"))?;
                for id in &ids {
                    if id.is_empty() {
                        return Err(invalid(&format!("\"{name}\":\"\"")));
                    }
                    // Wildcards are only allowed as the whole value `*`.
                    if id != "*" && id.contains(['*', '?']) {
                        return Err(invalid(&format!("\"{name}\":\"{id}\"")));
                    }
                    if kind == PrincipalKind::Aws && id != "*" && !valid_aws_principal(id) {
                        return Err(invalid(&format!("\"{name}\":\"{id}\"")));
                    }
                }
                if kind == PrincipalKind::Aws && ids.iter().any(|i| i == "*") {
                    // `{"AWS": "*"}` is documented as equivalent to `"*"`.
                    return Ok(PrincipalBlock {
                        negated,
                        spec: PrincipalSpec::Any,
                    });
                }
                entries.push((kind, ids));
            }
            PrincipalSpec::Map(entries)
        }
        _ => return Err(err(SYNTAX, path)),
    };
    Ok(PrincipalBlock { negated, spec })
}

/// An AWS principal is a 12-digit account ID or an IAM/STS ARN.
fn valid_aws_principal(id: &str) -> bool {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && matches!(parts[2], "iam" | "sts")
        && !parts[5].is_empty()
}

fn parse_conditions(
    value: &Value,
    path: &str,
    version: Version,
) -> Result<Vec<Clause>, PolicyError> {
    let Value::Object(operators) = value else {
        return Err(err(SYNTAX, path));
    };
    let mut clauses = Vec::new();
    for (op_name, keys) in operators {
        let op_path = format!("{path}.{op_name}");
        let (qualifier, rest) = if let Some(rest) = op_name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, rest)
        } else if let Some(rest) = op_name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, rest)
        } else {
            (SetQualifier::None, op_name.as_str())
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let operator = Operator::from_name(base)
            .filter(|op| !(if_exists && *op == Operator::Null))
            // Guess: IAM's wording for an unknown condition operator.
            .ok_or_else(|| err(format!("Invalid Condition type : {op_name}"), &op_path))?;
        let Value::Object(keys) = keys else {
            return Err(err(SYNTAX, op_path));
        };
        if keys.is_empty() {
            return Err(err(SYNTAX, op_path));
        }
        for (key, values) in keys {
            let key_path = format!("{op_path}.{key}");
            let raw_values: Vec<&Value> = match values {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            let mut texts = Vec::with_capacity(raw_values.len());
            for (i, v) in raw_values.iter().enumerate() {
                texts.push(match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(err(SYNTAX, format!("{key_path}[{i}]"))),
                });
            }
            if key.is_empty() {
                return Err(err(SYNTAX, key_path));
            }
            clauses.push(Clause::new(
                operator,
                qualifier,
                if_exists,
                key,
                texts,
                version.has_variables(),
                &key_path,
            )?);
        }
    }
    Ok(clauses)
}
