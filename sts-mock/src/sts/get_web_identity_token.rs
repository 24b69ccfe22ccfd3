//! `GetWebIdentityToken` (outbound identity federation, re:Invent 2025): the caller gets a JWT
//! signed by its account's issuer for an external service. The account must have the feature
//! enabled (IAM `EnableOutboundWebIdentityFederation`); the caller needs
//! `sts:GetWebIdentityToken` (with `sts:IdentityTokenAudience` and `sts:DurationSeconds` in the
//! context, checked by the dispatcher); the token cannot outlive the session.
//!
//! Claims (IAM User Guide, "Understanding token claims"): `iss` (the account's issuer URL),
//! `aud`, `sub` (the role's ARN), `iat`, `exp`, `jti`, and under `https://sts.amazonaws.com/`
//! `aws_account`, `source_region`, `principal_tags` and `request_tags` (the `Tags` given).

use serde_json::{json, Map, Value};

use crate::call::{Call, Reply};
use crate::caller::Caller;
use crate::error::{AwsError, ErrorCode};
use crate::model::OUTBOUND_ISSUER_SUFFIX;
use crate::outbound::ALGORITHMS;
use crate::query::Xml;
use crate::time_format::iso8601;

/// `DurationSeconds` when absent (FACTS-2026: default 300).
const DEFAULT_DURATION: i64 = 300;
/// The largest payload signed. Guess: AWS does not publish its limit; this is what 50 request
/// tags of the longest keys and values do not fit in.
const MAX_PAYLOAD: usize = 8 * 1024;
/// The claims namespace of AWS's own claims.
pub const AWS_CLAIMS: &str = "https://sts.amazonaws.com/";

/// Whether `iss` is an outbound issuer (`https://<id>.tokens.sts.global.api.aws`).
pub fn is_outbound_issuer(iss: &str) -> bool {
    iss.strip_prefix("https://")
        .is_some_and(|rest| rest.ends_with(OUTBOUND_ISSUER_SUFFIX))
}

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let services = call.services;
    let account = call.account.as_str();
    let algorithm = call.required("SigningAlgorithm");
    if !ALGORITHMS.contains(&algorithm) {
        // Guess: AWS's wording for an algorithm of the right length but not served.
        return Err(AwsError::validation(&[format!(
            "Value '{algorithm}' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ES384, RS256]"
        )]));
    }
    let federation = services
        .model
        .outbound_federation(account)
        .filter(|f| f.enabled)
        .ok_or_else(AwsError::outbound_disabled)?;
    let now = services.clock.now();
    let duration = call.integer("DurationSeconds").unwrap_or(DEFAULT_DURATION);
    let expiration = now + time::Duration::seconds(duration);
    let (subject, principal_tags) = match &call.caller {
        Caller::Session(session) => {
            if expiration > session.expiration {
                // Guess: the message is the service model's description of the error.
                return Err(AwsError::new(
                    ErrorCode::SessionDurationEscalationException,
                    "The requested token duration would extend the session beyond its original expiration time. You cannot use this operation to extend the lifetime of a session beyond what was granted when the session was originally created.",
                ));
            }
            let role = services
                .model
                .role(&session.account_id, &session.role_name)
                .filter(|r| r.role_id == session.role_id);
            let tags = crate::context::principal_tags(
                role.as_ref().map(|r| r.tags.as_slice()).unwrap_or_default(),
                &session.tags,
            );
            let subject = role
                .map(|r| r.arn())
                .unwrap_or_else(|| session.role_arn_without_path());
            (subject, tags)
        }
        // Guess: an account's root user gets tokens about itself.
        other => (other.arn(&services.default_account), Vec::new()),
    };
    let audiences = call.list("Audience");
    let aud = match audiences.as_slice() {
        [one] => Value::String(one.clone()),
        many => json!(many),
    };
    let mut aws = Map::new();
    aws.insert("aws_account".into(), json!(account));
    aws.insert(
        "source_region".into(),
        json!(call.region.as_deref().unwrap_or("us-east-1")),
    );
    if !principal_tags.is_empty() {
        aws.insert(
            "principal_tags".into(),
            Value::Object(
                principal_tags
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ),
        );
    }
    let request_tags = call.params.tags("Tags");
    if !request_tags.is_empty() {
        aws.insert(
            "request_tags".into(),
            Value::Object(
                request_tags
                    .into_iter()
                    .map(|t| (t.key, Value::String(t.value)))
                    .collect(),
            ),
        );
    }
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(federation.issuer_identifier));
    claims.insert("aud".into(), aud);
    claims.insert("sub".into(), json!(subject));
    claims.insert("iat".into(), json!(now.unix_timestamp()));
    claims.insert("exp".into(), json!(expiration.unix_timestamp()));
    claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    claims.insert(AWS_CLAIMS.into(), Value::Object(aws));
    if serde_json::to_vec(&claims)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
        > MAX_PAYLOAD
    {
        // Guess: the message is the service model's description of the error.
        return Err(AwsError::new(
            ErrorCode::JWTPayloadSizeExceededException,
            "The requested token payload size exceeds the maximum allowed size. Reduce the number of request tags included in the GetWebIdentityToken API call to reduce the token payload size.",
        ));
    }
    let token = services
        .outbound
        .sign(account, algorithm, &claims)
        .map_err(|e| {
            tracing::error!(error = %e, "cannot sign an outbound web identity token");
            AwsError::new(ErrorCode::ServiceFailure, "The token could not be signed.")
        })?;
    let mut xml = Xml::new();
    xml.leaf("WebIdentityToken", &token)
        .leaf("Expiration", &iso8601(expiration));
    Ok(xml.into_string())
}
