//! Condition operators and the rules that combine them, as the IAM User Guide states them
//! ("IAM JSON policy elements: Condition operators", "Multivalued context keys"):
//! - several values for one key are ORed; a negated operator matches only if no value matches;
//! - a missing key makes a positive operator false and a negated one true, `...IfExists` true,
//!   `Null: true` true;
//! - `ForAllValues` over a missing or empty key is true, `ForAnyValue` false.

use std::net::IpAddr;

use super::variables::Template;
use super::wildcard::Pattern;
use super::{Context, PolicyError};

/// A condition operator: how a clause compares the request's values for a key with the
/// policy's values. Named without its `ForAnyValue:`/`ForAllValues:` prefix and `IfExists` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Operator {
    /// `StringEquals`: exact, case-sensitive match.
    StringEquals,
    /// `StringNotEquals`: negated `StringEquals`.
    StringNotEquals,
    /// `StringEqualsIgnoreCase`: exact match ignoring case.
    StringEqualsIgnoreCase,
    /// `StringNotEqualsIgnoreCase`: negated `StringEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// `StringLike`: case-sensitive match with the `*` and `?` wildcards.
    StringLike,
    /// `StringNotLike`: negated `StringLike`.
    StringNotLike,
    /// `NumericEquals`: the request value equals the policy value, as numbers.
    NumericEquals,
    /// `NumericNotEquals`: negated `NumericEquals`.
    NumericNotEquals,
    /// `NumericLessThan`: the request value is less than the policy value.
    NumericLessThan,
    /// `NumericLessThanEquals`: the request value is less than or equal to the policy value.
    NumericLessThanEquals,
    /// `NumericGreaterThan`: the request value is greater than the policy value.
    NumericGreaterThan,
    /// `NumericGreaterThanEquals`: the request value is greater than or equal to the policy value.
    NumericGreaterThanEquals,
    /// `DateEquals`: the request date equals the policy date (ISO 8601 or epoch seconds).
    DateEquals,
    /// `DateNotEquals`: negated `DateEquals`.
    DateNotEquals,
    /// `DateLessThan`: the request date is before the policy date.
    DateLessThan,
    /// `DateLessThanEquals`: the request date is at or before the policy date.
    DateLessThanEquals,
    /// `DateGreaterThan`: the request date is after the policy date.
    DateGreaterThan,
    /// `DateGreaterThanEquals`: the request date is at or after the policy date.
    DateGreaterThanEquals,
    /// `Bool`: the request value is the policy's `true` or `false`, ignoring case.
    Bool,
    /// `BinaryEquals`: the request value, as base64 text, is exactly the policy value.
    BinaryEquals,
    /// `IpAddress`: the request value is an IP address in the policy's CIDR block (or equal to a
    /// single address).
    IpAddress,
    /// `NotIpAddress`: negated `IpAddress`.
    NotIpAddress,
    /// `ArnEquals`: ARN match part by part, with the `*` and `?` wildcards (AWS documents it as
    /// behaving like `ArnLike`).
    ArnEquals,
    /// `ArnLike`: ARN match, each of the six colon-separated parts separately, with the `*` and `?`
    /// wildcards, case-sensitive.
    ArnLike,
    /// `ArnNotEquals`: negated `ArnEquals`.
    ArnNotEquals,
    /// `ArnNotLike`: negated `ArnLike`.
    ArnNotLike,
    /// `Null`: whether the key is absent (policy value `true`) or present (`false`); a key with
    /// no values counts as absent.
    Null,
}

impl Operator {
    /// The operator called `name` (e.g. `StringLike`, case-sensitive, without prefix or
    /// `IfExists`), or `None` if IAM has no such operator.
    pub fn from_name(name: &str) -> Option<Operator> {
        use Operator::*;
        Some(match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "BinaryEquals" => BinaryEquals,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => return None,
        })
    }

    /// Negated operators are true when no value matches (and when the key is missing).
    pub fn is_negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// Operators whose values may hold policy variables (string and ARN operators).
    fn takes_variables(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringEquals
                | StringNotEquals
                | StringEqualsIgnoreCase
                | StringNotEqualsIgnoreCase
                | StringLike
                | StringNotLike
                | ArnEquals
                | ArnLike
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

/// The set operator that may prefix a condition operator, for multivalued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SetQualifier {
    /// No prefix: a positive operator needs some request value to match, a negated one needs none
    /// to.
    None,
    /// `ForAnyValue:`: at least one request value must satisfy the operator; a missing or empty key
    /// is false (true with `IfExists`).
    ForAnyValue,
    /// `ForAllValues:`: every request value must satisfy the operator; a missing or empty key is
    /// true.
    ForAllValues,
}

/// One key under one operator: `"StringEquals": {"token.dynatrace.com:sub": [...]}`.
#[derive(Debug, Clone)]
pub struct Clause {
    pub operator: Operator,
    pub qualifier: SetQualifier,
    pub if_exists: bool,
    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    pub operator_text: String,
    pub key: String,
    pub values: Vec<Template>,
    /// For `Null`: whether the policy asks for absence.
    null_wants_absent: bool,
}

impl Clause {
    pub fn new(
        operator: Operator,
        qualifier: SetQualifier,
        if_exists: bool,
        key: &str,
        values: Vec<String>,
        variables: bool,
        path: &str,
    ) -> Result<Clause, PolicyError> {
        let variables = variables && operator.takes_variables();
        let mut null_wants_absent = false;
        if operator == Operator::Null {
            // Guess: IAM rejects a Null value other than true/false as a syntax error.
            let wanted: Vec<bool> = values
                .iter()
                .map(|v| match v.to_ascii_lowercase().as_str() {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err(PolicyError {
                        message: "Syntax errors in policy.".into(),
                        path: path.to_string(),
                    }),
                })
                .collect::<Result<_, _>>()?;
            null_wants_absent = wanted.first().copied().unwrap_or(true);
        }
        let mut operator_text = String::new();
        match qualifier {
            SetQualifier::ForAnyValue => operator_text.push_str("ForAnyValue:"),
            SetQualifier::ForAllValues => operator_text.push_str("ForAllValues:"),
            SetQualifier::None => {}
        }
        operator_text.push_str(&format!("{operator:?}"));
        if if_exists {
            operator_text.push_str("IfExists");
        }
        Ok(Clause {
            operator,
            qualifier,
            if_exists,
            operator_text,
            key: key.to_string(),
            values: values
                .iter()
                .map(|v| Template::parse(v, variables))
                .collect(),
            null_wants_absent,
        })
    }

    /// Whether the clause holds for `context`, and why (cheap: the reason is a small enum).
    pub fn evaluate(&self, context: &Context) -> (bool, Outcome) {
        let request = context.get(&self.key);
        if self.operator == Operator::Null {
            let absent = request.is_none_or(|v| v.is_empty());
            let ok = absent == self.null_wants_absent;
            return (
                ok,
                if absent {
                    Outcome::KeyMissing
                } else {
                    Outcome::KeyPresent
                },
            );
        }
        let values = match request {
            None | Some([]) => {
                let ok = match self.qualifier {
                    SetQualifier::ForAllValues => true,
                    SetQualifier::ForAnyValue => self.if_exists,
                    SetQualifier::None => self.if_exists || self.operator.is_negated(),
                };
                return (ok, Outcome::KeyMissing);
            }
            Some(values) => values,
        };
        let ok = match self.qualifier {
            SetQualifier::None => {
                if self.operator.is_negated() {
                    values.iter().all(|v| self.value_ok(v, context))
                } else {
                    values.iter().any(|v| self.value_ok(v, context))
                }
            }
            SetQualifier::ForAnyValue => values.iter().any(|v| self.value_ok(v, context)),
            SetQualifier::ForAllValues => values.iter().all(|v| self.value_ok(v, context)),
        };
        (
            ok,
            if ok {
                Outcome::Matched
            } else {
                Outcome::NotMatched
            },
        )
    }

    /// One request value against the policy's values: positive operators need some policy value
    /// to match; negated ones need none to.
    fn value_ok(&self, request: &str, context: &Context) -> bool {
        let any = self
            .values
            .iter()
            .any(|policy| self.positive_match(policy, request, context));
        any != self.operator.is_negated()
    }

    fn positive_match(&self, policy: &Template, request: &str, context: &Context) -> bool {
        use Operator::*;
        match self.operator {
            StringEquals | StringNotEquals => policy.resolve(context).is_some_and(|p| p == request),
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => policy
                .resolve(context)
                .is_some_and(|p| p.to_lowercase() == request.to_lowercase()),
            StringLike | StringNotLike => {
                policy.pattern(context).is_some_and(|p| p.matches(request))
            }
            NumericEquals | NumericNotEquals => num_cmp(policy, request).is_some_and(|o| o.is_eq()),
            NumericLessThan => num_cmp(policy, request).is_some_and(|o| o.is_gt()),
            NumericLessThanEquals => num_cmp(policy, request).is_some_and(|o| o.is_ge()),
            NumericGreaterThan => num_cmp(policy, request).is_some_and(|o| o.is_lt()),
            NumericGreaterThanEquals => num_cmp(policy, request).is_some_and(|o| o.is_le()),
            DateEquals | DateNotEquals => date_cmp(policy, request).is_some_and(|o| o.is_eq()),
            DateLessThan => date_cmp(policy, request).is_some_and(|o| o.is_gt()),
            DateLessThanEquals => date_cmp(policy, request).is_some_and(|o| o.is_ge()),
            DateGreaterThan => date_cmp(policy, request).is_some_and(|o| o.is_lt()),
            DateGreaterThanEquals => date_cmp(policy, request).is_some_and(|o| o.is_le()),
            Bool => policy.source().eq_ignore_ascii_case(request),
            BinaryEquals => policy.source() == request,
            IpAddress | NotIpAddress => ip_in(policy.source(), request),
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => policy
                .resolve(context)
                .is_some_and(|p| arn_like(&p, request)),
            Null => false,
        }
    }
}

/// Why a clause came out as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The key had values and the clause held.
    Matched,
    /// The key had values and the clause did not hold.
    NotMatched,
    /// The key was absent from the request or had no values; the missing-key rules decided.
    KeyMissing,
    /// For `Null` only: the key was present, with values.
    KeyPresent,
}

/// `policy` compared with `request`: Ordering of policy relative to request.
fn num_cmp(policy: &Template, request: &str) -> Option<std::cmp::Ordering> {
    let p: f64 = policy.source().trim().parse().ok()?;
    let r: f64 = request.trim().parse().ok()?;
    p.partial_cmp(&r)
}

fn date_cmp(policy: &Template, request: &str) -> Option<std::cmp::Ordering> {
    let p = parse_date(policy.source())?;
    let r = parse_date(request)?;
    Some(p.cmp(&r))
}

/// ISO 8601 (with or without time, fractional seconds, `Z` or offset) or epoch seconds, as
/// nanoseconds since the epoch.
pub fn parse_date(text: &str) -> Option<i128> {
    use time::format_description::well_known::Rfc3339;
    use time::{Date, OffsetDateTime, PrimitiveDateTime};
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return Some(secs as i128 * 1_000_000_000);
    }
    if let Ok(dt) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(dt.unix_timestamp_nanos());
    }
    // `2026-11-23T05:00Z` or `2026-11-23T05:00:00` (no offset: UTC).
    let formats = [
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]Z"),
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
    ];
    for format in formats {
        if let Ok(dt) = PrimitiveDateTime::parse(text, &format) {
            return Some(dt.assume_utc().unix_timestamp_nanos());
        }
    }
    let date_only = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = Date::parse(text, &date_only) {
        return Some(date.midnight().assume_utc().unix_timestamp_nanos());
    }
    None
}

fn ip_in(policy: &str, request: &str) -> bool {
    let Ok(addr) = request.trim().parse::<IpAddr>() else {
        return false;
    };
    let policy = policy.trim();
    if let Ok(net) = policy.parse::<ipnet::IpNet>() {
        return net.contains(&addr);
    }
    policy.parse::<IpAddr>().is_ok_and(|p| p == addr)
}

/// ARN matching: each of the six colon-separated parts separately, with `*` and `?`,
/// case-sensitive. AWS documents ArnEquals and ArnLike as behaving the same.
pub fn arn_like(policy: &str, request: &str) -> bool {
    let p: Vec<&str> = policy.splitn(6, ':').collect();
    let r: Vec<&str> = request.splitn(6, ':').collect();
    if p.len() != 6 || r.len() != 6 {
        return false;
    }
    p.iter()
        .zip(r.iter())
        .all(|(p, r)| Pattern::wild(p).matches(r))
}
