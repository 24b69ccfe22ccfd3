//! `AssumeRoleWithWebIdentity`: verify the token against its provider's keys, evaluate the
//! role's trust policy over the context AWS builds for web identity, and hand out sealed
//! temporary credentials, or the exact error AWS would send. The parameters' constraints were
//! checked against the model before this runs.

use serde_json::Value;

use crate::call::{BoxFuture, Call, Reply};
use crate::context::{self, WebIdentityRequest};
use crate::credentials::SessionClaims;
use crate::error::{AwsError, ErrorCode};
use crate::oidc::{self, TokenError};
use crate::policy::{limits, Policy, PolicyKind};
use crate::query::Xml;
use crate::time_format::iso8601;

/// The action, as trust policies name it.
pub const IAM_ACTION: &str = "sts:AssumeRoleWithWebIdentity";
/// Default session length when `DurationSeconds` is absent.
const DEFAULT_DURATION: i64 = 3600;
/// Clock skew tolerated for `nbf` and `iat` in the future. Guess: AWS does not document it;
/// five minutes is what AWS allows for SigV4 request times.
const CLOCK_SKEW_SECS: i64 = 300;
/// Managed session policies per request (STS API reference: "up to 10 managed policies").
const MAX_POLICY_ARNS: usize = 10;

/// The handler (boxed for the action table).
pub fn handle<'a>(call: &'a Call<'a>) -> BoxFuture<'a, Reply> {
    Box::pin(assume(call))
}

/// The audience STS reports and puts in `<provider>:aud`: the first of the token's `aud`
/// values (a string or a list) that is one of `client_ids`. Guess: like AWS for Google-style
/// tokens, a client ID in `azp` is accepted too.
pub fn matching_audience<'a>(
    claims: &'a serde_json::Map<String, Value>,
    client_ids: &[String],
) -> Option<&'a str> {
    let auds: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let azp = claims.get("azp").and_then(Value::as_str);
    auds.into_iter()
        .chain(azp)
        .find(|a| client_ids.iter().any(|c| c == a))
}

async fn assume(call: &Call<'_>) -> Reply {
    let services = call.services;
    let role_arn = call.required("RoleArn");
    let session_name = call.required("RoleSessionName");
    let token = call.required("WebIdentityToken");
    let session_policy = call.get("Policy");
    let policy_arns = call.params.list("PolicyArns", ".arn");
    call.note(|a| {
        a.role_arn = Some(role_arn.to_string());
        a.session_name = Some(session_name.to_string());
    });

    if policy_arns.len() > MAX_POLICY_ARNS {
        return Err(AwsError::validation(&[format!(
            "Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to {MAX_POLICY_ARNS}"
        )]));
    }
    for arn in &policy_arns {
        if crate::arn::parse(arn).is_none() {
            return Err(AwsError::invalid_arn_sts(arn));
        }
    }
    let arn = crate::arn::parse(role_arn).ok_or_else(|| AwsError::invalid_arn_sts(role_arn))?;

    // Session policy: parsed like an identity policy (MalformedPolicyDocument otherwise).
    let session_policy_size = match session_policy {
        Some(text) => {
            Policy::parse(text, PolicyKind::Session)?;
            limits::counted_length(text)
        }
        None => 0,
    };

    // 1. The token: decoded, then its issuer must be a provider of the role's account.
    let decoded = oidc::decode(token).map_err(|e| {
        call.note(|a| a.detail = Some(e.to_string()));
        AwsError::not_a_jwt()
    })?;
    let iss = decoded.claim("iss").unwrap_or("");
    call.note(|a| {
        a.issuer = Some(iss.to_string());
        a.subject = decoded.claim("sub").map(str::to_string);
    });
    let account = arn.account;
    let provider = services
        .model
        .provider_for_issuer(account, iss)
        .ok_or_else(|| AwsError::no_provider(iss))?;
    let provider_arn = provider.arn(account);
    let audience = matching_audience(&decoded.claims, &provider.client_ids)
        .ok_or_else(AwsError::incorrect_audience)?
        .to_string();

    // 2. The signature, against the keys the provider publishes.
    services
        .keys
        .verify(&provider.issuer_url(), token, &decoded)
        .await
        .map_err(|e| {
            call.note(|a| a.detail = Some(e.to_string()));
            match e {
                TokenError::Idp(detail) => {
                    tracing::warn!(issuer = iss, %detail, "identity provider unreachable");
                    AwsError::idp_unreachable()
                }
                TokenError::UnknownKey(_) => AwsError::no_verification_key(),
                TokenError::Algorithm(_)
                | TokenError::BadSignature(_)
                | TokenError::Malformed(_) => AwsError::token_not_validated(),
            }
        })?;

    // 3. Time, on the shared clock.
    let now_at = services.clock.now();
    let now = now_at.unix_timestamp();
    let exp = decoded
        .claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| {
            // Guess: AWS's wording for a token without `exp`.
            AwsError::invalid_token("Missing expiration (exp) in the web identity token")
        })?;
    if exp <= now {
        return Err(AwsError::token_expired(now, exp));
    }
    for claim in ["nbf", "iat"] {
        if let Some(at) = decoded.claims.get(claim).and_then(Value::as_i64) {
            if at > now + CLOCK_SKEW_SECS {
                // Guess: AWS's wording for a token that is not valid yet.
                return Err(AwsError::invalid_token(format!(
                    "Token not yet valid: {claim} {at} is after current date/time {now}"
                )));
            }
        }
    }

    // 4. The role, and its trust policy over the web-identity request context. An unknown
    // role is refused exactly like a trust policy that says no, as on AWS.
    let role = services
        .model
        .role_by_arn(role_arn)
        .ok_or_else(|| AwsError::not_authorized(IAM_ACTION))?;
    let request = context::web_identity(&WebIdentityRequest {
        provider: &provider.url,
        provider_arn: &provider_arn,
        audience: &audience,
        claims: &decoded.claims,
        session_name,
        source_ip: Some(call.peer),
        now: now_at,
    })?;
    let decision = context::decide_trust(&role.trust_policy.policy, &request, IAM_ACTION);
    let refused = decision.refused_action;
    call.note(|a| a.explanation = Some(decision.explanation));
    if let Some(action) = refused {
        return Err(AwsError::not_authorized(&action));
    }

    // 5. Duration and packed size.
    let duration = call.integer("DurationSeconds").unwrap_or(DEFAULT_DURATION);
    if duration > i64::from(role.max_session_duration) {
        return Err(AwsError::validation_message(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let tags = request.tags.map(|t| t.tags).unwrap_or_default();
    let tag_size: usize = tags.iter().map(|(k, v)| k.len() + v.len()).sum();
    // Guess: AWS packs session policies and tags in a compressed binary form whose size it
    // reports as a percentage of the limit; this approximates it from the characters used.
    let packed =
        (session_policy_size + policy_arns.iter().map(String::len).sum::<usize>() + tag_size) * 100
            / limits::SESSION_POLICY;
    if packed > 100 {
        return Err(AwsError::new(
            ErrorCode::PackedPolicyTooLarge,
            format!("Packed size of consumed policies exceeds 100% of limit ({packed}%)."),
        ));
    }

    // 6. The credentials.
    let assumed_role_arn = format!(
        "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
        role.name
    );
    let issued = services.credentials.issue(&SessionClaims {
        account_id: account.to_string(),
        role_name: role.name.clone(),
        role_id: role.role_id.clone(),
        session_name: session_name.to_string(),
        assumed_role_arn: assumed_role_arn.clone(),
        expiration: now_at + time::Duration::seconds(duration),
        source_identity: request.source_identity.clone(),
        tags,
    });

    let mut xml = Xml::new();
    xml.open("Credentials")
        .leaf("AccessKeyId", &issued.access_key_id)
        .leaf("SecretAccessKey", &issued.secret_access_key)
        .leaf("SessionToken", &issued.session_token)
        .leaf("Expiration", &iso8601(issued.expiration))
        .close("Credentials")
        .leaf_opt("SubjectFromWebIdentityToken", decoded.claim("sub"))
        .open("AssumedRoleUser")
        .leaf("AssumedRoleId", &format!("{}:{session_name}", role.role_id))
        .leaf("Arn", &assumed_role_arn)
        .close("AssumedRoleUser");
    if session_policy.is_some() || !policy_arns.is_empty() || tag_size > 0 {
        xml.leaf("PackedPolicySize", &packed.to_string());
    }
    xml.leaf("Provider", iss)
        .leaf("Audience", &audience)
        .leaf_opt("SourceIdentity", request.source_identity.as_deref());
    Ok(xml.into_string())
}
