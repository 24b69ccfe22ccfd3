//! `AssumeRoleWithWebIdentity`: validate the parameters, verify the token against the issuer's
//! keys, evaluate the role's trust policy over the context AWS builds for web identity, and
//! hand out sealed temporary credentials, or the exact error AWS would send.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use time::OffsetDateTime;

use super::{iso8601, parse_arn, validation_errors, Constraint, Outcome};
use crate::credentials::SessionClaims;
use crate::oidc::{self, TokenError};
use crate::policy::{
    evaluate_explained, limits, Context, Decision, Explanation, Policy, PolicyKind, Principal,
    PrincipalKind, Request,
};
use crate::query::{AwsError, Params, Xml};
use crate::server::State;

pub const ACTION: &str = "AssumeRoleWithWebIdentity";
/// Default session length when `DurationSeconds` is absent.
const DEFAULT_DURATION: i64 = 3600;
/// Clock skew tolerated for `nbf` and `iat` in the future. Guess: AWS does not document it;
/// five minutes is what AWS allows for SigV4 request times.
const CLOCK_SKEW_SECS: i64 = 300;
/// The claim carrying session tags, and the one carrying a source identity.
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

fn invalid_token(message: &str) -> AwsError {
    AwsError::new("InvalidIdentityToken", 400, message)
}

fn access_denied(action: &str) -> AwsError {
    AwsError::new(
        "AccessDenied",
        403,
        format!("Not authorized to perform {action}"),
    )
}

/// Everything a decision record needs, filled in as far as the request got.
#[derive(Debug, Default)]
pub struct Attempt {
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub explanation: Option<Explanation>,
}

pub async fn handle(
    state: &State,
    params: &Params,
    source_ip: IpAddr,
    attempt: &mut Attempt,
) -> Result<String, AwsError> {
    let role_arn = params.get("RoleArn");
    let session_name = params.get("RoleSessionName");
    let token = params.get("WebIdentityToken");
    let duration_text = params.get("DurationSeconds");
    let session_policy = params.get("Policy");
    let policy_arns = params.list("PolicyArns", ".arn");
    attempt.role_arn = role_arn.map(str::to_string);
    attempt.session_name = session_name.map(str::to_string);

    // 1. Parameter constraints, from the botocore model, all reported at once as AWS does.
    let duration: Option<i64> = match duration_text {
        None => None,
        Some(text) => Some(text.trim().parse().map_err(|_| {
            // Guess: the Query protocol's wording for a non-integer integer member.
            AwsError::constraint(Some(text), "durationSeconds", "Member must be a number")
        })?),
    };
    let duration_string = duration.map(|d| d.to_string());
    validation_errors(&[
        Constraint::required("roleArn", role_arn).length(20, 2048),
        Constraint::required("roleSessionName", session_name)
            .length(2, 64)
            .pattern(r"[\w+=,.@-]*", is_session_name),
        Constraint::required("webIdentityToken", token).length(4, 20000),
        Constraint::optional("providerId", params.get("ProviderId")).length(4, 2048),
        Constraint::optional("policy", session_policy)
            .length(1, 2048)
            .pattern(r"[\u0009\u000A\u000D\u0020-\u00FF]+", |p| {
                p.chars()
                    .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}'))
            }),
        Constraint::optional("durationSeconds", duration_string.as_deref())
            .range(duration, 900, 43200),
    ])?;
    let (role_arn, session_name, token) = (
        role_arn.unwrap_or_default(),
        session_name.unwrap_or_default(),
        token.unwrap_or_default(),
    );
    if policy_arns.len() > 10 {
        // Guess: AWS allows up to 10 managed session policies.
        return Err(AwsError::constraint(
            None,
            "policyArns",
            "Member must have length less than or equal to 10",
        ));
    }
    for arn in &policy_arns {
        if parse_arn(arn).is_none() {
            return Err(AwsError::validation(format!("{arn} is invalid")));
        }
    }
    let arn = parse_arn(role_arn)
        .ok_or_else(|| AwsError::validation(format!("{role_arn} is invalid")))?;

    // Session policy: parsed like an identity policy (MalformedPolicyDocument otherwise).
    let session_policy_size = match session_policy {
        Some(text) => {
            Policy::parse(text, PolicyKind::Session)
                .map_err(|e| AwsError::new("MalformedPolicyDocument", 400, e.message))?;
            limits::counted_length(text)
        }
        None => 0,
    };

    // 2. The token: decoded, then its issuer must be a provider of the role's account.
    let decoded = oidc::decode(token).map_err(|_| {
        invalid_token(
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
        )
    })?;
    let claims = &decoded.claims;
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    attempt.issuer = Some(iss.to_string());
    attempt.subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .map(str::to_string);
    let account = arn.account;
    let provider = state.model.provider(account, iss).ok_or_else(|| {
        invalid_token(&format!(
            "No OpenIDConnect provider found in your account for {iss}"
        ))
    })?;
    let provider_arn = provider.arn(account);

    // `aud` (a string or a list) must hold one of the provider's client IDs. Guess: like AWS
    // for Google-style tokens, a client ID in `azp` is accepted too.
    let auds: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let azp = claims.get("azp").and_then(Value::as_str);
    let audience = auds
        .iter()
        .copied()
        .chain(azp)
        .find(|a| provider.client_ids.iter().any(|c| c == a))
        .ok_or_else(|| invalid_token("Incorrect token audience"))?
        .to_string();

    // 3. The signature, against the issuer's published keys.
    state
        .keys
        .verify(iss, token, &decoded)
        .await
        .map_err(|e| match e {
            TokenError::Idp(detail) => {
                tracing::warn!(issuer = iss, %detail, "identity provider unreachable");
                AwsError::new(
                    "IDPCommunicationError",
                    400,
                    // Guess: AWS's message for an unreachable IdP, from the service model's
                    // description of IDPCommunicationError.
                    "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached.",
                )
            }
            TokenError::UnknownKey(_) => invalid_token(
                "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
            ),
            // Guess: AWS's wording for a signature that does not verify or an unusable `alg`.
            TokenError::Algorithm(_) | TokenError::BadSignature | TokenError::Malformed(_) => {
                invalid_token("The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token from the identity provider and then retry the request.")
            }
        })?;

    // 4. Time.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid_token("Missing expiration (exp) in the web identity token"))?;
    if exp <= now {
        return Err(AwsError::new(
            "ExpiredTokenException",
            400,
            format!(
                "Token expired: current date/time {now} must be before the expiration date/time {exp}"
            ),
        ));
    }
    for claim in ["nbf", "iat"] {
        if let Some(at) = claims.get(claim).and_then(Value::as_i64) {
            if at > now + CLOCK_SKEW_SECS {
                // Guess: AWS's wording for a token that is not valid yet.
                return Err(invalid_token(&format!(
                    "Token not yet valid: {claim} {at} is after current date/time {now}"
                )));
            }
        }
    }

    // 5. The role, and its trust policy over the web-identity request context. An unknown
    // role is refused exactly like a trust policy that says no, as on AWS.
    let role = state
        .model
        .role(account, arn.role_name().unwrap_or(""))
        .filter(|r| arn.service == "iam" && format!("role{}{}", r.path, r.name) == arn.resource)
        .ok_or_else(|| access_denied("sts:AssumeRoleWithWebIdentity"))?;

    let tags = session_tags(claims.get(TAGS_CLAIM))?;
    let source_identity = claims
        .get(SOURCE_IDENTITY_CLAIM)
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut context = Context::new();
    insert_token_keys(
        &mut context,
        &provider.url,
        &provider_arn,
        &audience,
        claims,
    );
    context.insert("sts:RoleSessionName", session_name);
    let current = OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    context.insert("aws:CurrentTime", iso8601(current));
    context.insert("aws:EpochTime", now.to_string());
    context.insert("aws:SourceIp", source_ip.to_string());
    context.insert("aws:SecureTransport", "false");
    context.insert("aws:TokenIssueTime", iso8601(current));
    if let Some(tags) = &tags {
        for (key, value) in &tags.principal_tags {
            context.insert(format!("aws:RequestTag/{key}"), value.clone());
        }
        context.insert_multi(
            "aws:TagKeys",
            tags.principal_tags.iter().map(|(k, _)| k.clone()).collect(),
        );
        context.insert_multi("sts:TransitiveTagKeys", tags.transitive_keys.clone());
    }
    if let Some(source_identity) = &source_identity {
        context.insert("sts:SourceIdentity", source_identity.clone());
    }

    let principal = Principal {
        kind: PrincipalKind::Federated,
        id: provider_arn.clone(),
    };
    let mut check = |action: &'static str| -> Result<(), AwsError> {
        let request = Request {
            principal: Some(&principal),
            action,
            resource: None,
            context: &context,
        };
        let (decision, explanation) = evaluate_explained(&[&role.trust_policy], &request);
        let allowed = decision == Decision::Allow;
        attempt.explanation = Some(explanation);
        if allowed {
            Ok(())
        } else {
            Err(access_denied(action))
        }
    };
    // Session tags and a source identity need their own permissions in the trust policy.
    if tags.is_some() {
        check("sts:TagSession")?;
    }
    if source_identity.is_some() {
        check("sts:SetSourceIdentity")?;
    }
    check("sts:AssumeRoleWithWebIdentity")?;

    // 6. Duration and packed size.
    let duration = duration.unwrap_or(DEFAULT_DURATION);
    if duration > i64::from(role.max_session_duration) {
        return Err(AwsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let tag_size: usize = tags
        .as_ref()
        .map(|t| {
            t.principal_tags
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum()
        })
        .unwrap_or(0);
    // Guess: AWS packs session policies and tags in a compressed binary form whose size it
    // reports as a percentage of the limit; this approximates it from the characters used.
    let packed =
        (session_policy_size + policy_arns.iter().map(String::len).sum::<usize>() + tag_size) * 100
            / limits::SESSION_POLICY;
    if packed > 100 {
        return Err(AwsError::new(
            "PackedPolicyTooLarge",
            400,
            format!("Packed size of consumed policies exceeds 100% of limit ({packed}%)."),
        ));
    }

    // 7. The credentials.
    let assumed_role_arn = format!(
        "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
        role.name
    );
    let expiration =
        OffsetDateTime::from_unix_timestamp(now + duration).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let issued = state.sealer.issue(&SessionClaims {
        account_id: account.to_string(),
        role_name: role.name.clone(),
        role_id: role.role_id.clone(),
        session_name: session_name.to_string(),
        assumed_role_arn: assumed_role_arn.clone(),
        expiration,
        source_identity: source_identity.clone(),
        tags: tags.map(|t| t.principal_tags).unwrap_or_default(),
    });

    let mut xml = Xml::new();
    xml.open("Credentials")
        .leaf("AccessKeyId", &issued.access_key_id)
        .leaf("SecretAccessKey", &issued.secret_access_key)
        .leaf("SessionToken", &issued.session_token)
        .leaf("Expiration", &iso8601(issued.expiration))
        .close("Credentials")
        .leaf_opt(
            "SubjectFromWebIdentityToken",
            claims.get("sub").and_then(Value::as_str),
        )
        .open("AssumedRoleUser")
        .leaf("AssumedRoleId", &format!("{}:{session_name}", role.role_id))
        .leaf("Arn", &assumed_role_arn)
        .close("AssumedRoleUser");
    if session_policy.is_some() || !policy_arns.is_empty() || tag_size > 0 {
        xml.leaf("PackedPolicySize", &packed.to_string());
    }
    xml.leaf("Provider", iss)
        .leaf("Audience", &audience)
        .leaf_opt("SourceIdentity", source_identity.as_deref());
    Ok(xml.into_string())
}

/// The keys a web-identity token puts in the request context: `<provider>:aud` (the audience
/// that matched), `<provider>:sub`, and `aws:FederatedProvider`. Shared with `sts-mock explain`
/// so that the offline answer is the STS's by construction.
/// Guess: the other claims AWS documents as provider keys (`azp`, `email`, `amr`) reach the
/// context when present.
pub fn insert_token_keys(
    context: &mut Context,
    prefix: &str,
    provider_arn: &str,
    audience: &str,
    claims: &serde_json::Map<String, Value>,
) {
    context.insert(format!("{prefix}:aud"), audience);
    for claim in ["sub", "azp", "email"] {
        if let Some(value) = claims.get(claim).and_then(Value::as_str) {
            context.insert(format!("{prefix}:{claim}"), value);
        }
    }
    match claims.get("amr") {
        Some(Value::String(s)) => context.insert(format!("{prefix}:amr"), s.clone()),
        Some(Value::Array(items)) => context.insert_multi(
            format!("{prefix}:amr"),
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        _ => {}
    }
    context.insert("aws:FederatedProvider", provider_arn);
}

fn is_session_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_alphanumeric() || c == '_' || "+=,.@-".contains(c))
}

/// Session tags from the `https://aws.amazon.com/tags` claim:
/// `{"principal_tags": {"key": ["value"]}, "transitive_tag_keys": ["key"]}`.
struct SessionTags {
    principal_tags: Vec<(String, String)>,
    transitive_keys: Vec<String>,
}

fn session_tags(claim: Option<&Value>) -> Result<Option<SessionTags>, AwsError> {
    let Some(claim) = claim else {
        return Ok(None);
    };
    // Guess: AWS's wording for a tags claim of the wrong shape.
    let bad = || invalid_token("The session tags in the web identity token are malformed");
    let map = claim.as_object().ok_or_else(bad)?;
    let mut principal_tags = Vec::new();
    if let Some(tags) = map.get("principal_tags") {
        for (key, values) in tags.as_object().ok_or_else(bad)? {
            let value = match values {
                Value::Array(items) if items.len() == 1 => items[0].as_str().ok_or_else(bad)?,
                Value::String(s) => s.as_str(),
                _ => return Err(bad()),
            };
            if principal_tags
                .iter()
                .any(|(k, _): &(String, String)| k.eq_ignore_ascii_case(key))
            {
                return Err(AwsError::new(
                    "InvalidParameterValue",
                    400,
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
                ));
            }
            principal_tags.push((key.clone(), value.to_string()));
        }
    }
    if principal_tags.len() > 50 {
        return Err(AwsError::constraint(
            None,
            "tags",
            "Member must have length less than or equal to 50",
        ));
    }
    let transitive_keys: Vec<String> = match map.get("transitive_tag_keys") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad()),
    };
    if transitive_keys.iter().any(|k| {
        !principal_tags
            .iter()
            .any(|(t, _)| t.eq_ignore_ascii_case(k))
    }) {
        return Err(AwsError::new(
            "InvalidParameterValue",
            400,
            "The specified transitive tag key must be included in the requested tags.",
        ));
    }
    Ok(Some(SessionTags {
        principal_tags,
        transitive_keys,
    }))
}

/// How this action's outcome is recorded.
pub fn outcome(result: &Result<String, AwsError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Allowed,
        Err(e) => Outcome::Refused {
            code: e.code.to_string(),
            message: e.message.clone(),
        },
    }
}
