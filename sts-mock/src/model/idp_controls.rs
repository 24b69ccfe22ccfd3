//! IAM's identity-provider controls for shared OIDC providers (IAM User Guide,
//! "Identity-provider controls for shared OIDC providers",
//! `id_roles_providers_oidc_secure-by-default.html`): an issuer URL that many customers share
//! (GitHub Actions, GitLab.com, ...) says nothing about who minted a token, so a trust policy
//! that trusts such a provider must evaluate the claim that carries the tenancy. IAM checks it
//! when a role is created and when its trust policy is updated, and never re-checks existing
//! policies; so the model calls [`check`] from `add_role` and `update_trust_policy` only, and
//! a state file's roles load unchecked. Guess: IAM applies the controls after the policy
//! grammar and before the trust policy's size quota.

use super::provider_key;
use crate::error::AwsError;
use crate::policy::{ConditionView, Operator, Policy, PrincipalKind, SetQualifier};

/// The shared providers on AWS's page and the keys one of which a trust policy must scope.
/// The page's table as public tools reproduce it (TrustEdge's audit rubric, an IAM emulator's
/// test table, AWS's "EnforceTrustedOIDCTenant" rules; the page itself could not be read
/// here, so this is a Guess where those agree): `sub` for most, `sub` or
/// `job_workflow_ref` for GitHub Actions (the alternative AWS's own message names), `aud` for
/// those whose tenancy is in the audience, and the global `sts:RoleSessionName` for Azure
/// Sentinel. Keys without a `:` are claims, prefixed with the provider.
pub const SHARED_PROVIDERS: &[(&str, &[&str])] = &[
    (
        "token.actions.githubusercontent.com",
        &["sub", "job_workflow_ref"],
    ),
    ("vstoken.actions.githubusercontent.com", &["sub"]),
    (
        "oidc-configuration.audit-log.githubusercontent.com",
        &["sub"],
    ),
    ("gitlab.com", &["sub"]),
    ("agent.buildkite.com", &["sub"]),
    ("oidc.codefresh.io", &["sub"]),
    ("studio.datachain.ai/api", &["sub"]),
    ("scalr.io", &["sub"]),
    ("tokens.cloud.shisho.dev", &["sub"]),
    ("app.terraform.io", &["sub"]),
    ("proidc.upbound.io", &["sub"]),
    (
        "oidc.op1.openshiftapps.com/2f785sojlpb85i7402pk3qogugim5nfb",
        &["sub"],
    ),
    (
        "oidc.op1.openshiftapps.com/2c51blsaqa9gkjt0o9rt11mle8mmropu",
        &["sub"],
    ),
    (
        "rh-oidc.s3.us-east-1.amazonaws.com/22ejnvnnturfmt6km08idd0nt4hekbn7",
        &["sub"],
    ),
    (
        "rh-oidc.s3.us-east-1.amazonaws.com/23e3sd27sju1hoou6ohfs68vbno607tr",
        &["sub"],
    ),
    (
        "rh-oidc.s3.us-east-1.amazonaws.com/23ne21h005qjl3n33d8dui5dlrmv2tmg",
        &["sub"],
    ),
    (
        "rh-oidc.s3.us-east-1.amazonaws.com/24jrf12m5dj7ljlfb4ta2frhrcoadm26",
        &["sub"],
    ),
    ("cognito-identity.amazonaws.com", &["aud"]),
    ("api.pulumi.com/oidc", &["aud"]),
    ("sandboxes.cloud", &["aud"]),
    ("oidc.vercel.com", &["aud"]),
    (
        "sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d",
        &["sts:RoleSessionName"],
    ),
];

/// The operators that count (AWS's message names exactly these three).
const SCOPING_OPERATORS: [Operator; 3] = [
    Operator::StringEquals,
    Operator::StringLike,
    Operator::StringEqualsIgnoreCase,
];

/// A statement that trusts a shared provider without scoping the key IAM requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unscoped<'a> {
    /// The statement's index.
    pub statement: usize,
    /// The `Federated` principal, as written.
    pub principal: &'a str,
    /// The keys one of which must be scoped (`token.actions.githubusercontent.com:sub`, ...).
    pub keys: Vec<String>,
}

/// Every `Allow` statement for `sts:AssumeRoleWithWebIdentity` that trusts a shared provider
/// without scoping the provider's required key in that same statement: what IAM refuses.
pub fn unscoped(policy: &Policy) -> Vec<Unscoped<'_>> {
    let mut found = Vec::new();
    for grant in policy.grants("sts:AssumeRoleWithWebIdentity", PrincipalKind::Federated) {
        for principal in &grant.principals {
            let Some(keys) = required_keys(principal) else {
                continue;
            };
            if !scoped(&grant.conditions, &keys) {
                found.push(Unscoped {
                    statement: grant.statement,
                    principal,
                    keys,
                });
            }
        }
    }
    found
}

/// Refuses a trust policy that trusts a shared provider in an `Allow` statement for
/// `sts:AssumeRoleWithWebIdentity` without scoping the provider's required key in that same
/// statement, with IAM's `MalformedPolicyDocument`.
pub fn check(policy: &Policy) -> Result<(), AwsError> {
    match unscoped(policy).first() {
        Some(u) => Err(AwsError::idp_control_missing(u.principal, &u.keys)),
        None => Ok(()),
    }
}

/// The keys IAM requires a trust policy to scope for a `Federated` principal that names a
/// shared provider (`None` for any other principal). Keys without a `:` in the table are the
/// provider's claims, prefixed with it.
pub fn required_keys(principal: &str) -> Option<Vec<String>> {
    let (provider, required) = shared_provider(principal)?;
    Some(
        required
            .iter()
            .map(|claim| {
                if claim.contains(':') {
                    claim.to_string()
                } else {
                    format!("{provider}:{claim}")
                }
            })
            .collect(),
    )
}

/// Whether `conditions` (one statement's) scope one of `keys` the way IAM's controls count:
/// `StringEquals`, `StringLike` or `StringEqualsIgnoreCase` on the key with a value that is
/// not only a wildcard.
pub fn scoped(conditions: &[ConditionView<'_>], keys: &[String]) -> bool {
    conditions.iter().any(|c| {
        // Guess: only a plain operator scopes: `...IfExists` holds when the claim is
        // absent and a `ForAllValues:` qualifier over an absent key is true; AWS's
        // message names the three bare operators.
        SCOPING_OPERATORS.contains(&c.operator)
            && c.qualifier == SetQualifier::None
            && !c.if_exists
            && keys.iter().any(|k| k.eq_ignore_ascii_case(c.key))
            && c.values.iter().any(|v| scopes(v))
    })
}

/// Whether a condition value scopes anything. A value that is only wildcards ("*") or blank
/// is "scoped to all"; one scoped value is enough: AWS checks that the condition is there and
/// not all-wildcard, not what the other values of its list allow (a probe of CreateRole with
/// `["repo:acme/x", "*"]` was accepted, and `repo:*` too: it judges the text, not what it
/// matches).
fn scopes(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty() && !value.chars().all(|c| c == '*')
}

/// The shared provider a `Federated` principal names, with its required keys: an OIDC
/// provider ARN (`arn:aws:iam::ACCOUNT:oidc-provider/URL`, any partition) or, for Cognito,
/// the bare service name.
fn shared_provider(principal: &str) -> Option<(&'static str, &'static [&'static str])> {
    let url = match principal.split_once(":oidc-provider/") {
        Some((head, url)) if head.starts_with("arn:") => url,
        Some(_) => return None,
        None => principal,
    };
    let key = provider_key(url);
    SHARED_PROVIDERS
        .iter()
        .find(|(provider, _)| *provider == key)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyKind;

    fn trust(principal: &str, condition: &str) -> Policy {
        let text = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
              "Principal": {{"Federated": "{principal}"}},
              "Action": "sts:AssumeRoleWithWebIdentity"{condition}}}]}}"#
        );
        Policy::parse(&text, PolicyKind::Trust).unwrap()
    }

    const GITHUB: &str =
        "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com";

    fn with(operator: &str, key: &str, values: &str) -> String {
        format!(r#", "Condition": {{"{operator}": {{"{key}": {values}}}}}"#)
    }

    #[test]
    fn a_github_trust_policy_must_scope_sub_or_job_workflow_ref() {
        let refused = |condition: &str| check(&trust(GITHUB, condition)).is_err();
        let sub = "token.actions.githubusercontent.com:sub";
        assert!(refused(""));
        assert!(refused(&with(
            "StringEquals",
            "token.actions.githubusercontent.com:aud",
            r#""sts.amazonaws.com""#
        )));
        assert!(refused(&with(
            "StringEquals",
            "token.actions.githubusercontent.com:repository",
            r#""o/r""#
        )));
        assert!(refused(&with("StringLike", sub, r#""*""#)));
        assert!(refused(&with("StringLike", sub, r#"["*", "**"]"#)));
        assert!(refused(&with("StringNotEquals", sub, r#""repo:o/r:*""#)));
        assert!(refused(&with("StringLikeIfExists", sub, r#""repo:o/r:*""#)));
        assert!(refused(&with(
            "ForAnyValue:StringLike",
            sub,
            r#""repo:o/r:*""#
        )));
        assert!(refused(&with("Null", sub, r#""false""#)));
        for ok in [
            with("StringEquals", sub, r#""repo:o/r:ref:refs/heads/main""#),
            with("StringLike", sub, r#""repo:o/r:*""#),
            with("StringLike", sub, r#""repo:*""#),
            with(
                "StringEqualsIgnoreCase",
                "Token.Actions.GitHubUserContent.com:SUB",
                r#""repo:o/r:pull_request""#,
            ),
            with("StringLike", sub, r#"["repo:o/r:*", "*"]"#),
            with(
                "StringLike",
                "token.actions.githubusercontent.com:job_workflow_ref",
                r#""o/r/.github/workflows/d.yml@*""#,
            ),
        ] {
            assert!(check(&trust(GITHUB, &ok)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn the_message_is_iams() {
        let error = check(&trust(GITHUB, "")).unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::MalformedPolicyDocument);
        assert_eq!(
            error.message,
            "Trust policy with trusted principal arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, token.actions.githubusercontent.com:sub or token.actions.githubusercontent.com:job_workflow_ref which is not scoped to all."
        );
        let gitlab = "arn:aws:iam::000000000000:oidc-provider/gitlab.com";
        let error = check(&trust(gitlab, "")).unwrap_err();
        assert!(
            error
                .message
                .ends_with(", gitlab.com:sub which is not scoped to all."),
            "{}",
            error.message
        );
        let vercel = "arn:aws:iam::000000000000:oidc-provider/oidc.vercel.com";
        assert!(check(&trust(
            vercel,
            &with("StringEquals", "oidc.vercel.com:sub", r#""x""#)
        ))
        .is_err());
        assert!(check(&trust(
            vercel,
            &with(
                "StringEquals",
                "oidc.vercel.com:aud",
                r#""https://vercel.com/team""#
            )
        ))
        .is_ok());
        let sentinel = "arn:aws:iam::000000000000:oidc-provider/sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d";
        assert!(check(&trust(
            sentinel,
            &with(
                "StringLike",
                "sts:RoleSessionName",
                r#""MicrosoftSentinel_*""#
            )
        ))
        .is_ok());
        assert!(check(&trust("cognito-identity.amazonaws.com", "")).is_err());
    }

    #[test]
    fn private_providers_deny_statements_and_other_actions_are_not_checked() {
        for private in [
            "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com",
            "arn:aws:iam::000000000000:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B",
            "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com/octocat-inc",
            "arn:aws:iam::000000000000:oidc-provider/gitlab.example.com",
        ] {
            assert!(check(&trust(private, "")).is_ok(), "{private}");
        }
        let deny = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Deny",
              "Principal": {{"Federated": "{GITHUB}"}}, "Action": "sts:AssumeRoleWithWebIdentity"}}]}}"#
        );
        assert!(check(&Policy::parse(&deny, PolicyKind::Trust).unwrap()).is_ok());
        let other_action = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
              "Principal": {{"Federated": "{GITHUB}"}}, "Action": "sts:TagSession"}}]}}"#
        );
        assert!(check(&Policy::parse(&other_action, PolicyKind::Trust).unwrap()).is_ok());
        // A wildcard action grants the assume too.
        let wildcard = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
              "Principal": {{"Federated": "{GITHUB}"}}, "Action": "sts:*"}}]}}"#
        );
        assert!(check(&Policy::parse(&wildcard, PolicyKind::Trust).unwrap()).is_err());
    }
}
