//! The API actions, one file each, and what they share: parameter constraints worded as AWS
//! words them, ARN parsing, timestamps, and how an outcome is recorded.

pub mod assume_role_with_web_identity;
pub mod get_caller_identity;

use time::OffsetDateTime;

use crate::query::AwsError;

/// How a request ended, for the decisions log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Refused { code: String, message: String },
}

/// AWS's timestamp form: `2026-11-23T05:00:00Z`.
pub fn iso8601(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The six parts of an ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl Arn<'_> {
    /// The role name of an IAM role ARN (`role/path/name` -> `name`).
    pub fn role_name(&self) -> Option<&str> {
        if self.service != "iam" {
            return None;
        }
        self.resource.strip_prefix("role/")?.rsplit('/').next()
    }
}

/// Parses an ARN as STS validates `RoleArn`: `arn:partition:service:region:account:resource`
/// with partition, service and resource non-empty (aws-recorded: "arn::b:::something/test-role",
/// "arn:a::::something/test-role", "arn:a:::something/test-role" and "arn:a:a::aaaaaaaaaa:" are
/// all invalid).
pub fn parse_arn(text: &str) -> Option<Arn<'_>> {
    let mut parts = text.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if partition.is_empty() || service.is_empty() || resource.is_empty() {
        return None;
    }
    Some(Arn {
        partition,
        service,
        region,
        account,
        resource,
    })
}

/// One parameter's constraints, from the service model, checked in the model's order.
pub struct Constraint<'a> {
    member: &'a str,
    value: Option<&'a str>,
    failures: Vec<String>,
}

impl<'a> Constraint<'a> {
    pub fn required(member: &'a str, value: Option<&'a str>) -> Self {
        let mut c = Constraint {
            member,
            value,
            failures: Vec::new(),
        };
        if value.is_none() {
            c.failures.push("Member must not be null".into());
        }
        c
    }

    pub fn optional(member: &'a str, value: Option<&'a str>) -> Self {
        Constraint {
            member,
            value,
            failures: Vec::new(),
        }
    }

    pub fn length(mut self, min: usize, max: usize) -> Self {
        if let Some(v) = self.value {
            let len = v.chars().count();
            if len < min {
                self.failures.push(format!(
                    "Member must have length greater than or equal to {min}"
                ));
            } else if len > max {
                self.failures.push(format!(
                    "Member must have length less than or equal to {max}"
                ));
            }
        }
        self
    }

    pub fn pattern(mut self, pattern: &str, ok: impl Fn(&str) -> bool) -> Self {
        if let Some(v) = self.value {
            if !ok(v) {
                self.failures.push(format!(
                    "Member must satisfy regular expression pattern: {pattern}"
                ));
            }
        }
        self
    }

    pub fn range(mut self, number: Option<i64>, min: i64, max: i64) -> Self {
        if let Some(n) = number {
            if n < min {
                self.failures.push(format!(
                    "Member must have value greater than or equal to {min}"
                ));
            } else if n > max {
                self.failures.push(format!(
                    "Member must have value less than or equal to {max}"
                ));
            }
        }
        self
    }
}

/// `ValidationError` listing every failed constraint, as AWS does:
/// "2 validation errors detected: Value 'x' at 'a' failed to satisfy constraint: ...; ...".
/// Long values are not echoed (a 20,000-character token would swamp the message).
pub fn validation_errors(constraints: &[Constraint<'_>]) -> Result<(), AwsError> {
    let mut messages = Vec::new();
    for c in constraints {
        for failure in &c.failures {
            let value = match c.value {
                None => "Value null".to_string(),
                Some(v) if v.chars().count() > 256 => "Value".to_string(),
                Some(v) => format!("Value '{v}'"),
            };
            messages.push(format!(
                "{value} at '{}' failed to satisfy constraint: {failure}",
                c.member
            ));
        }
    }
    match crate::query::validation_summary(&messages) {
        None => Ok(()),
        Some(summary) => Err(AwsError::validation(summary)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_as_sts_validates_them() {
        for bad in [
            "nothing-valid-in-here",
            "arn::b:::something/test-role",
            "arn:a::::something/test-role",
            "arn:a:::something/test-role",
            "arn:a:a::aaaaaaaaaa:",
        ] {
            assert!(parse_arn(bad).is_none(), "{bad}");
        }
        let arn = parse_arn("arn:aws:iam::000000000000:role/path/dynatrace").unwrap();
        assert_eq!(arn.account, "000000000000");
        assert_eq!(arn.role_name(), Some("dynatrace"));
    }

    #[test]
    fn timestamps_are_whole_seconds_utc() {
        let at = OffsetDateTime::from_unix_timestamp(1795410000).unwrap();
        assert_eq!(iso8601(at), "2026-11-23T05:00:00Z");
    }
}
