//! The one request-context builder: what AWS puts in the request context of a web-identity
//! request, and the trust decision over it. `AssumeRoleWithWebIdentity`, `sts-mock explain`
//! and every other place that asks "would STS let this token assume this role?" call
//! [`web_identity`] and [`decide_trust`], so their answers agree by construction.
//!
//! Keys (IAM User Guide, "Available keys for AWS OIDC federation" and "IAM and AWS STS condition
//! context keys"): `<provider>:aud` (the audience that matched a client ID), `<provider>:sub`,
//! `<provider>:azp`, `<provider>:email`, `<provider>:amr` when the token has them;
//! `aws:FederatedProvider`, `aws:CurrentTime`, `aws:EpochTime`, `aws:TokenIssueTime`,
//! `aws:SourceIp`, `aws:SecureTransport`, `sts:RoleSessionName`; session tags from the
//! `https://aws.amazon.com/tags` claim (`aws:RequestTag/*`, `aws:TagKeys`,
//! `sts:TransitiveTagKeys`) and `sts:SourceIdentity` from `https://aws.amazon.com/source_identity`.
//!
//! Provider-specific keys (STS, January 2026: "AWS STS supports validation of identity provider
//! claims"): for the providers AWS lists, more of the token's claims reach the context under
//! the provider's prefix, `token.actions.githubusercontent.com:repository` and so on. The
//! table is [`PROVIDER_CLAIMS`], after the condition keys the Service Authorization Reference
//! lists for `sts:AssumeRoleWithWebIdentity`; a claim the token lacks is a key the context
//! lacks.

use std::net::IpAddr;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{AwsError, ErrorCode};
use crate::policy::{
    evaluate_explained, Context, Decision, Explanation, Policy, Principal, PrincipalKind, Request,
};
use crate::time_format::iso8601;

/// The claim carrying session tags.
pub const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The claim carrying a source identity.
pub const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

/// What a web-identity request consists of, as STS reads it.
#[derive(Debug, Clone)]
pub struct WebIdentityRequest<'a> {
    /// The provider's URL without scheme, the prefix of its keys: `token.dynatrace.com`.
    pub provider: &'a str,
    /// The provider's ARN, the federated principal.
    pub provider_arn: &'a str,
    /// The token's audience that matched one of the provider's client IDs.
    pub audience: &'a str,
    /// The token's claims.
    pub claims: &'a Map<String, Value>,
    /// `RoleSessionName`.
    pub session_name: &'a str,
    /// Where the request came from (absent offline).
    pub source_ip: Option<IpAddr>,
    /// The time of the request.
    pub now: OffsetDateTime,
}

/// Session tags from the tags claim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionTags {
    /// `principal_tags`, in claim order.
    pub tags: Vec<(String, String)>,
    /// `transitive_tag_keys`.
    pub transitive_keys: Vec<String>,
}

/// The request context of a web-identity request, and what it carries beyond keys.
#[derive(Debug, Clone)]
pub struct WebIdentityContext {
    /// The condition keys.
    pub context: Context,
    /// The federated principal (the provider's ARN).
    pub principal: Principal,
    /// Session tags, when the token has the tags claim.
    pub tags: Option<SessionTags>,
    /// The source identity, when the token has the claim.
    pub source_identity: Option<String>,
}

/// Builds the context STS builds for `request`. Fails only on a tags claim of the wrong shape
/// (the answers STS gives for those).
pub fn web_identity(request: &WebIdentityRequest<'_>) -> Result<WebIdentityContext, AwsError> {
    let claims = request.claims;
    let prefix = request.provider;
    let mut context = Context::new();
    context.insert(format!("{prefix}:aud"), request.audience);
    // Guess: the other claims AWS documents as provider keys reach the context when present.
    for claim in STANDARD_CLAIMS {
        match (*claim, claims.get(*claim)) {
            // `amr` is a list in most tokens (Cognito's), a multivalued key.
            ("amr", Some(Value::Array(items))) => context.insert_multi(
                format!("{prefix}:amr"),
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            ),
            (_, Some(Value::String(value))) => {
                context.insert(format!("{prefix}:{claim}"), value.clone())
            }
            _ => {}
        }
    }
    for claim in provider_claims(prefix) {
        if let Some(values) = claim_values(claims, claim) {
            context.insert_multi(format!("{prefix}:{claim}"), values);
        }
    }
    context.insert("aws:FederatedProvider", request.provider_arn);
    context.insert("sts:RoleSessionName", request.session_name);
    let now = iso8601(request.now);
    context.insert("aws:CurrentTime", now.clone());
    context.insert("aws:EpochTime", request.now.unix_timestamp().to_string());
    context.insert("aws:TokenIssueTime", now);
    if let Some(ip) = request.source_ip {
        context.insert("aws:SourceIp", ip.to_string());
    }
    context.insert("aws:SecureTransport", "false");

    let tags = session_tags(claims.get(TAGS_CLAIM))?;
    if let Some(tags) = &tags {
        for (key, value) in &tags.tags {
            context.insert(format!("aws:RequestTag/{key}"), value.clone());
        }
        context.insert_multi(
            "aws:TagKeys",
            tags.tags.iter().map(|(k, _)| k.clone()).collect(),
        );
        context.insert_multi("sts:TransitiveTagKeys", tags.transitive_keys.clone());
    }
    let source_identity = claims
        .get(SOURCE_IDENTITY_CLAIM)
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(source_identity) = &source_identity {
        context.insert("sts:SourceIdentity", source_identity.clone());
    }
    Ok(WebIdentityContext {
        context,
        principal: Principal {
            kind: PrincipalKind::Federated,
            id: request.provider_arn.to_string(),
        },
        tags,
        source_identity,
    })
}

/// The claims every provider's tokens bring into the context as `<provider>:<claim>` when the
/// token has them (IAM User Guide, "Available keys for AWS OIDC federation"), besides `aud`,
/// which is always there (the audience that matched a client ID).
pub const STANDARD_CLAIMS: &[&str] = &["sub", "azp", "email", "amr"];

/// Whether a provider (its URL without scheme) is one of an issuer's.
pub type ProviderTest = fn(&str) -> bool;

/// What a known issuer's tokens carry, for checks that read a trust policy without a token
/// (`sts-mock lint`): a condition on a claim the issuer never sends is a key the context never
/// has, and an issuer that serves many customers from one URL needs the claims that tell them
/// apart. AWS's own list of such shared issuers, which IAM enforces, is
/// [`crate::model::idp_controls::SHARED_PROVIDERS`]; `tenancy` here is for the issuers that
/// list leaves out.
#[derive(Debug, Clone, Copy)]
pub struct IssuerFacts {
    /// A name for messages: `Dynatrace`.
    pub name: &'static str,
    /// Which providers are this issuer's.
    pub matches: ProviderTest,
    /// Every claim its tokens carry (some only in some tokens).
    pub sends: &'static [&'static str],
    /// Claims that separate the issuer's tenants: one claim of each group must be scoped.
    pub tenancy: &'static [&'static [&'static str]],
}

/// The issuers whose tokens are documented (and which the rig's `issuer` mints):
/// - Dynatrace, `token.dynatrace.com`: one issuer for every tenant; `aud` names the tenant
///   (`<tenant>.apps.dynatrace.com/app-id/dynatrace.aws.connector`) and `sub` the connection
///   (`dtid:connection/<name>`, `dt:connection-id/<id>`), so a trust policy must pin both
///   (Dynatrace "Set up AWS Connector"; dynatrace-oss/terraform-provider-dynatrace,
///   `docs/resources/aws_connection.md`). Guess: nothing public lists its claims beyond `iss`,
///   `aud` and `sub` (FACTS-2026); the registered JWT claims are assumed.
/// - GitHub Actions: GitHub Docs, "OpenID Connect reference", the claims of an OIDC token.
/// - GitLab.com: GitLab Docs, "OpenID Connect (OIDC) authentication using ID tokens".
/// - EKS (IRSA): Kubernetes "Service account token volume projection" and the EKS User Guide,
///   "IAM roles for service accounts": `sub` is `system:serviceaccount:NS:NAME`, the rest
///   sits under `kubernetes.io`.
pub const ISSUERS: &[IssuerFacts] = &[
    IssuerFacts {
        name: "Dynatrace",
        matches: |p| p == "token.dynatrace.com",
        sends: &["iss", "sub", "aud", "iat", "nbf", "exp", "jti"],
        tenancy: &[&["aud"], &["sub"]],
    },
    IssuerFacts {
        name: "GitHub Actions",
        matches: is_github,
        sends: &[
            "jti",
            "sub",
            "aud",
            "iss",
            "iat",
            "nbf",
            "exp",
            "environment",
            "ref",
            "ref_type",
            "ref_protected",
            "sha",
            "repository",
            "repository_id",
            "repository_owner",
            "repository_owner_id",
            "repository_visibility",
            "run_id",
            "run_number",
            "run_attempt",
            "runner_environment",
            "actor",
            "actor_id",
            "workflow",
            "workflow_ref",
            "workflow_sha",
            "head_ref",
            "base_ref",
            "event_name",
            "job_workflow_ref",
            "job_workflow_sha",
            "enterprise",
            "enterprise_id",
            "check_run_id",
        ],
        tenancy: &[],
    },
    IssuerFacts {
        name: "GitLab",
        matches: |p| p == "gitlab.com",
        sends: &[
            "jti",
            "sub",
            "aud",
            "iss",
            "iat",
            "nbf",
            "exp",
            "namespace_id",
            "namespace_path",
            "project_id",
            "project_path",
            "project_visibility",
            "user_id",
            "user_login",
            "user_email",
            "user_access_level",
            "user_identities",
            "pipeline_id",
            "pipeline_source",
            "job_id",
            "ref",
            "ref_type",
            "ref_path",
            "ref_protected",
            "groups_direct",
            "environment",
            "environment_protected",
            "deployment_tier",
            "environment_action",
            "runner_id",
            "runner_environment",
            "sha",
            "ci_config_ref_uri",
            "ci_config_sha",
        ],
        tenancy: &[],
    },
    IssuerFacts {
        name: "Amazon EKS",
        matches: |p| {
            p.strip_prefix("oidc.eks.")
                .and_then(|rest| rest.split_once(".amazonaws.com/id/"))
                .is_some_and(|(region, id)| !region.contains('/') && !id.contains('/'))
        },
        sends: &["iss", "sub", "aud", "iat", "nbf", "exp", "kubernetes.io"],
        tenancy: &[],
    },
];

/// What is known about the issuer behind `provider` (its URL without scheme), if anything.
pub fn issuer_facts(provider: &str) -> Option<&'static IssuerFacts> {
    ISSUERS.iter().find(|facts| (facts.matches)(provider))
}

/// The claims that reach the context as provider-specific keys, by provider (the provider's
/// URL without scheme, as the keys' prefix): each entry a test on the provider and its
/// claims. From the Service Authorization Reference's condition keys of
/// `sts:AssumeRoleWithWebIdentity` (2026): GitHub's on github.com, GHE.com
/// (`token.actions.DOMAIN.ghe.com`), enterprise issuers (`token.actions.githubusercontent.com/SLUG`)
/// and `github.com/enterprises/NAME`; GitLab.com's; Buildkite's (`agent.buildkite.com`,
/// `agent.DOMAIN.buildkite.dev`/`.site`); Google's organization number; CircleCI's project
/// (`oidc.circleci.com/org/ORG`); OCI's `rpst_id` (`idcs-ID.identity.oraclecloud.com`).
/// Guess: a GitHub Enterprise Server (`HOST/_services/token`) is not on AWS's list, so its
/// tokens get only the standard keys.
pub const PROVIDER_CLAIMS: &[(ProviderTest, &[&str])] = &[
    (
        is_github,
        &[
            "actor",
            "actor_id",
            "enterprise_id",
            "environment",
            "job_workflow_ref",
            "ref",
            "repository",
            "repository_id",
            "repository_owner_id",
            "workflow",
        ],
    ),
    (
        |p| p == "gitlab.com",
        &[
            "namespace_id",
            "pipeline_source",
            "project_id",
            "ref_protected",
            "runner_environment",
            "user_access_level",
            "user_email",
            "user_id",
            "user_login",
        ],
    ),
    (
        is_buildkite,
        &[
            "build_branch",
            "cluster_id",
            "cluster_name",
            "organization_id",
            "organization_slug",
            "pipeline_id",
            "pipeline_slug",
        ],
    ),
    (
        |p| p == "accounts.google.com",
        &["google/organization_number"],
    ),
    (
        |p| p.starts_with("oidc.circleci.com/org/"),
        &["oidc.circleci.com/project-id"],
    ),
    (
        |p| {
            p.strip_prefix("idcs-")
                .is_some_and(|rest| rest.ends_with(".identity.oraclecloud.com"))
        },
        &["rpst_id"],
    ),
];

fn is_github(provider: &str) -> bool {
    provider == "token.actions.githubusercontent.com"
        || provider.starts_with("token.actions.githubusercontent.com/")
        || provider.starts_with("github.com/enterprises/")
        || provider
            .strip_prefix("token.actions.")
            .is_some_and(|rest| rest.ends_with(".ghe.com") && !rest.contains('/'))
}

fn is_buildkite(provider: &str) -> bool {
    provider == "agent.buildkite.com"
        || provider.strip_prefix("agent.").is_some_and(|rest| {
            !rest.contains('/')
                && (rest.ends_with(".buildkite.dev") || rest.ends_with(".buildkite.site"))
        })
}

/// The provider-specific claims of `provider` (none for most providers).
pub fn provider_claims(provider: &str) -> &'static [&'static str] {
    PROVIDER_CLAIMS
        .iter()
        .find(|(matches, _)| matches(provider))
        .map(|(_, claims)| *claims)
        .unwrap_or(&[])
}

/// A claim's values as condition-key values: a string as it is, a number or boolean as its
/// JSON text, an array's scalar items each. Guess: a claim named with a `/` that is not a
/// claim of its own is looked up nested (`google/organization_number` in `{"google": {...}}`),
/// and AWS drops objects and nulls, as keys hold text.
fn claim_values(claims: &Map<String, Value>, claim: &str) -> Option<Vec<String>> {
    let value = claims.get(claim).or_else(|| {
        let (outer, inner) = claim.split_once('/')?;
        claims.get(outer)?.get(inner)
    })?;
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => Some(items.iter().filter_map(scalar).collect()),
        other => scalar(other).map(|v| vec![v]),
    }
}

/// How the trust policy answered.
#[derive(Debug, Clone)]
pub struct TrustDecision {
    /// Allowed or not.
    pub decision: Decision,
    /// The action that was refused (`sts:TagSession`, `sts:SetSourceIdentity` or the assume
    /// action itself), when refused.
    pub refused_action: Option<String>,
    /// The explanation of the deciding evaluation: the refused action's, or the assume
    /// action's when everything was allowed.
    pub explanation: Explanation,
}

impl TrustDecision {
    /// Whether the role may be assumed.
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// Evaluates `trust_policy` for `request` as STS does: session tags need `sts:TagSession`, a
/// source identity needs `sts:SetSourceIdentity`, and the assume needs `action`
/// (`sts:AssumeRoleWithWebIdentity`); the first refusal decides.
pub fn decide_trust(
    trust_policy: &Policy,
    request: &WebIdentityContext,
    action: &str,
) -> TrustDecision {
    decide_trust_for(
        trust_policy,
        &request.principal,
        &request.context,
        request.tags.is_some(),
        request.source_identity.is_some(),
        action,
    )
}

/// The trust decision of every assume action (web identity for a federated principal,
/// `AssumeRole` for an AWS principal): `sts:TagSession` when the request passes session tags,
/// `sts:SetSourceIdentity` when the new session carries a source identity, then `action`; the
/// first refusal decides.
pub fn decide_trust_for(
    trust_policy: &Policy,
    principal: &Principal,
    context: &Context,
    tags: bool,
    source_identity: bool,
    action: &str,
) -> TrustDecision {
    let mut actions: Vec<&str> = Vec::with_capacity(3);
    if tags {
        actions.push("sts:TagSession");
    }
    if source_identity {
        actions.push("sts:SetSourceIdentity");
    }
    actions.push(action);
    let mut last = None;
    for action in actions {
        let (decision, explanation) = evaluate_explained(
            &[trust_policy],
            &Request {
                principal: Some(principal),
                action,
                resource: None,
                context,
            },
        );
        if decision != Decision::Allow {
            return TrustDecision {
                decision,
                refused_action: Some(action.to_string()),
                explanation,
            };
        }
        last = Some(explanation);
    }
    TrustDecision {
        decision: Decision::Allow,
        refused_action: None,
        explanation: last.expect("at least the assume action is evaluated"),
    }
}

/// Session tags from the `https://aws.amazon.com/tags` claim:
/// `{"principal_tags": {"key": ["value"]}, "transitive_tag_keys": ["key"]}`.
fn session_tags(claim: Option<&Value>) -> Result<Option<SessionTags>, AwsError> {
    let Some(claim) = claim else {
        return Ok(None);
    };
    // Guess: AWS's wording for a tags claim of the wrong shape.
    let bad =
        || AwsError::invalid_token("The session tags in the web identity token are malformed");
    let map = claim.as_object().ok_or_else(bad)?;
    let mut tags: Vec<(String, String)> = Vec::new();
    if let Some(principal_tags) = map.get("principal_tags") {
        for (key, values) in principal_tags.as_object().ok_or_else(bad)? {
            let value = match values {
                Value::Array(items) if items.len() == 1 => items[0].as_str().ok_or_else(bad)?,
                Value::String(s) => s.as_str(),
                _ => return Err(bad()),
            };
            if tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                // aws-recorded (STS).
                return Err(AwsError::duplicate_tag_keys(
                    ErrorCode::InvalidParameterValue,
                ));
            }
            tags.push((key.clone(), value.to_string()));
        }
    }
    if tags.len() > 50 {
        return Err(AwsError::validation(&[
            "Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50".to_string(),
        ]));
    }
    let transitive_keys: Vec<String> = match map.get("transitive_tag_keys") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad()),
    };
    if transitive_keys
        .iter()
        .any(|k| !tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)))
    {
        // aws-recorded (STS).
        return Err(AwsError::new(
            ErrorCode::InvalidParameterValue,
            "The specified transitive tag key must be included in the requested tags.",
        ));
    }
    Ok(Some(SessionTags {
        tags,
        transitive_keys,
    }))
}

/// A context from IAM's simulation `ContextEntries` (`ContextKeyName`, `ContextKeyValues`,
/// `ContextKeyType`): list types are multi-valued, the others take the first value.
pub fn from_entries(entries: &[(String, Vec<String>, String)]) -> Context {
    let mut context = Context::new();
    for (name, values, kind) in entries {
        if kind.ends_with("List") {
            context.insert_multi(name.clone(), values.clone());
        } else if let Some(v) = values.first() {
            context.insert(name.clone(), v.clone());
        }
    }
    context
}

/// Adds `KEY=VALUE` pairs over a context (a key given twice becomes multi-valued), as
/// `sts-mock explain --context` does.
pub fn override_pairs(context: &mut Context, pairs: &[(String, String)]) {
    let mut explicit: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in pairs {
        match explicit
            .iter_mut()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
        {
            Some((_, values)) => values.push(v.clone()),
            None => explicit.push((k.clone(), vec![v.clone()])),
        }
    }
    for (k, mut values) in explicit {
        if values.len() == 1 {
            context.insert(k, values.remove(0));
        } else {
            context.insert_multi(k, values);
        }
    }
}

/// What a call made with a role session's credentials consists of, for its request context.
#[derive(Debug, Clone)]
pub struct PermissionRequest<'a> {
    /// The session.
    pub session: &'a crate::credentials::SessionClaims,
    /// The role's ARN, path included (`aws:PrincipalArn` of an assumed role is its role's).
    pub role_arn: &'a str,
    /// The role's IAM tags (principal tags, which session tags override).
    pub role_tags: &'a [crate::model::Tag],
    /// The region the request was signed for (`aws:RequestedRegion`).
    pub region: Option<&'a str>,
    /// Where the request came from.
    pub source_ip: Option<IpAddr>,
    /// The time of the request.
    pub now: OffsetDateTime,
}

/// A session's principal tags: the role's tags, overridden by session tags with the same key
/// regardless of case ("Passing session tags in AWS STS": session tags take precedence). The one
/// merge, for the permission context and for the claims of `GetWebIdentityToken`.
pub fn principal_tags(
    role_tags: &[crate::model::Tag],
    session_tags: &[(String, String)],
) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = role_tags
        .iter()
        .filter(|t| {
            !session_tags
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(&t.key))
        })
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    tags.extend(session_tags.iter().cloned());
    tags
}

/// The request context AWS builds for a call made with a role session's credentials (IAM User
/// Guide, "AWS global condition context keys"): `aws:PrincipalArn` (the role's ARN),
/// `aws:PrincipalAccount`, `aws:PrincipalType` (`AssumedRole`), `aws:userid`
/// (`ROLEID:SESSION`; `aws:username` is not present for roles), `aws:PrincipalTag/*` (the
/// role's tags, overridden by session tags with the same key regardless of case: "Passing
/// session tags in AWS STS"), `aws:SourceIdentity` when the session has one,
/// `aws:FederatedProvider` for web-identity sessions, `aws:RequestedRegion`,
/// `aws:CurrentTime`, `aws:EpochTime`, `aws:TokenIssueTime`, `aws:SourceIp`,
/// `aws:SecureTransport`, `aws:PrincipalIsAWSService` and `aws:ViaAWSService` (`false`).
pub fn permission_context(request: &PermissionRequest<'_>) -> Context {
    let session = request.session;
    let mut context = Context::new();
    context.insert("aws:PrincipalArn", request.role_arn);
    context.insert("aws:PrincipalAccount", session.account_id.clone());
    context.insert("aws:PrincipalType", "AssumedRole");
    context.insert("aws:userid", session.user_id());
    let tags = principal_tags(request.role_tags, &session.tags);
    for (key, value) in &tags {
        context.insert(format!("aws:PrincipalTag/{key}"), value.clone());
    }
    if let Some(source_identity) = &session.source_identity {
        context.insert("aws:SourceIdentity", source_identity.clone());
    }
    if let Some(provider) = &session.federated_provider {
        context.insert("aws:FederatedProvider", provider.clone());
    }
    if let Some(region) = request.region {
        context.insert("aws:RequestedRegion", region);
    }
    let now = iso8601(request.now);
    context.insert("aws:CurrentTime", now);
    context.insert("aws:EpochTime", request.now.unix_timestamp().to_string());
    if let Some(issued) = session.issued_at {
        context.insert("aws:TokenIssueTime", iso8601(issued));
    }
    if let Some(ip) = request.source_ip {
        context.insert("aws:SourceIp", ip.to_string());
    }
    context.insert("aws:SecureTransport", "false");
    context.insert("aws:PrincipalIsAWSService", "false");
    context.insert("aws:ViaAWSService", "false");
    context
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_on_aws_list_get_their_claims() {
        for github in [
            "token.actions.githubusercontent.com",
            "token.actions.githubusercontent.com/octocat-inc",
            "token.actions.octocorp.ghe.com",
            "github.com/enterprises/octocorp",
        ] {
            assert!(
                provider_claims(github).contains(&"job_workflow_ref"),
                "{github}"
            );
        }
        assert!(provider_claims("gitlab.com").contains(&"project_id"));
        assert!(provider_claims("agent.eu.buildkite.dev").contains(&"pipeline_slug"));
        assert_eq!(
            provider_claims("oidc.circleci.com/org/abc"),
            ["oidc.circleci.com/project-id"]
        );
        assert_eq!(
            provider_claims("idcs-1a2b.identity.oraclecloud.com"),
            ["rpst_id"]
        );
        for other in [
            "token.dynatrace.com",
            "ghe.example.com/_services/token",
            "oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B",
            "gitlab.example.com",
            "token.actions.githubusercontent.com.evil.example",
            "token.actions.x.ghe.com/extra",
        ] {
            assert!(provider_claims(other).is_empty(), "{other}");
        }
    }

    #[test]
    fn claims_become_text_values_and_absent_claims_absent_keys() {
        let claims: Map<String, Value> = serde_json::from_str(
            r#"{"s": "x", "n": 12, "b": true, "a": ["p", 2], "o": {"k": "v"},
                "google": {"organization_number": 123}, "oidc.circleci.com/project-id": "p1"}"#,
        )
        .unwrap();
        let v = |claim: &str| claim_values(&claims, claim);
        assert_eq!(v("s"), Some(vec!["x".to_string()]));
        assert_eq!(v("n"), Some(vec!["12".to_string()]));
        assert_eq!(v("b"), Some(vec!["true".to_string()]));
        assert_eq!(v("a"), Some(vec!["p".to_string(), "2".to_string()]));
        assert_eq!(v("o"), None);
        assert_eq!(v("missing"), None);
        assert_eq!(
            v("google/organization_number"),
            Some(vec!["123".to_string()])
        );
        assert_eq!(
            v("oidc.circleci.com/project-id"),
            Some(vec!["p1".to_string()])
        );
    }

    #[test]
    fn the_context_carries_the_providers_keys() {
        let claims: Map<String, Value> = serde_json::from_str(
            r#"{"sub": "repo:o/r:ref:refs/heads/main", "repository": "o/r",
                "repository_owner_id": "65", "head_ref": "", "event_name": "push"}"#,
        )
        .unwrap();
        let request = |provider| WebIdentityRequest {
            provider,
            provider_arn: "arn",
            audience: "sts.amazonaws.com",
            claims: &claims,
            session_name: "s",
            source_ip: None,
            now: OffsetDateTime::UNIX_EPOCH,
        };
        let github = web_identity(&request("token.actions.githubusercontent.com")).unwrap();
        let get = |key: &str| github.context.get(key).map(|v| v.to_vec());
        assert_eq!(
            get("token.actions.githubusercontent.com:repository"),
            Some(vec!["o/r".to_string()])
        );
        assert_eq!(
            get("token.actions.githubusercontent.com:repository_owner_id"),
            Some(vec!["65".to_string()])
        );
        // Not on AWS's list, or not in the token: no key.
        assert_eq!(get("token.actions.githubusercontent.com:event_name"), None);
        assert_eq!(get("token.actions.githubusercontent.com:environment"), None);
        // Another provider with the same claims gets only the standard keys.
        let other = web_identity(&request("token.dynatrace.com")).unwrap();
        assert!(other
            .context
            .get("token.dynatrace.com:repository")
            .is_none());
        assert!(other.context.get("token.dynatrace.com:sub").is_some());
    }
}
