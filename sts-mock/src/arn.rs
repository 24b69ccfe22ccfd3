//! ARNs, parsed as STS and IAM validate them.

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`.
    pub partition: &'a str,
    /// `iam`, `sts`.
    pub service: &'a str,
    /// Empty for IAM.
    pub region: &'a str,
    /// Twelve digits (or empty, or `aws` for AWS managed policies).
    pub account: &'a str,
    /// `role/path/name`.
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
pub fn parse(text: &str) -> Option<Arn<'_>> {
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
            assert!(parse(bad).is_none(), "{bad}");
        }
        let arn = parse("arn:aws:iam::000000000000:role/path/dynatrace").unwrap();
        assert_eq!(arn.account, "000000000000");
        assert_eq!(arn.role_name(), Some("dynatrace"));
    }
}
