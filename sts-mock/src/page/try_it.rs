//! `/_sts-mock/try`: the page's "try it" panel. `GET` lists what there is to try (the roles,
//! and the issuers sts-mock maps to a local base, which the rig's `issuer` can mint for);
//! `POST` answers what `AssumeRoleWithWebIdentity` would decide for a token and a role, and
//! why, without assuming anything: no credentials, no entry in the decision log, no coverage.
//!
//! It is the STS's own path, step by step: the parameters against AWS's constraints for the
//! action, the token's checks ([`crate::sts::assume_role_with_web_identity::verify`]: provider,
//! audience, signature, time), the role, then the request context and trust decision
//! ([`crate::context::web_identity`], [`crate::context::decide_trust`]). Steps that need the
//! real call's other parameters (`DurationSeconds`, session policies) are not taken.
//!
//! ```json
//! POST /_sts-mock/try
//! {"role_arn": "arn:aws:iam::000000000000:role/dynatrace-aws-connector",
//!  "token": "eyJ...",                       // or "mint": {"issuer": "https://token.dynatrace.com",
//!                                           //             "fields": {"connection": "my-connection"}}
//!  "session_name": "try-it",                // optional
//!  "tags": {"team": "sre"}, "transitive_tag_keys": ["team"]}   // optional session tags
//! ```
//!
//! Session tags come from the token's `https://aws.amazon.com/tags` claim; tags given here go
//! into a minted token's claims, and for a pasted token replace its claim (the answer says so).
//! The request comes from the page, not from an AWS client, so `aws:SourceIp` is the loopback
//! address.

use std::collections::BTreeMap;

use hyper::body::Incoming;
use rig_core::http::{Body, Limits, Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::admin::json as answer;
use crate::call::BoxFuture;
use crate::context::{self, WebIdentityRequest, TAGS_CLAIM};
use crate::error::AwsError;
use crate::query::Params;
use crate::services::Services;
use crate::shape::{self, Service};
use crate::sts::assume_role_with_web_identity::{decode, verify, Refusal, IAM_ACTION};

/// The session name when the panel gives none.
pub const DEFAULT_SESSION_NAME: &str = "try-it";

/// What the panel asks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TryRequest {
    role_arn: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    mint: Option<Mint>,
    #[serde(default)]
    session_name: Option<String>,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    transitive_tag_keys: Option<Vec<String>>,
}

/// A token to mint from a mapped issuer: `POST BASE/mint` with `fields`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mint {
    issuer: String,
    #[serde(default)]
    fields: Map<String, Value>,
}

/// The handler.
pub fn handle<'a>(
    services: &'a Services,
    request: Request<Incoming>,
    limits: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move {
        if request.method() == Method::GET {
            return answer(StatusCode::OK, &options(services));
        }
        let body = match limits.read_body(request.into_body()).await {
            Ok(body) => body,
            Err(e) => {
                let mut response = answer(
                    e.status(),
                    &json!({"error": "invalid_request", "message": e.to_string()}),
                );
                rig_core::http::close_connection(&mut response);
                return response;
            }
        };
        let asked: TryRequest = match serde_json::from_slice(&body) {
            Ok(asked) => asked,
            Err(e) => return invalid(format!("the body is not a try-it request: {e}")),
        };
        match decide(services, asked).await {
            Ok(decided) => answer(StatusCode::OK, &decided),
            Err((status, message)) => answer(
                status,
                &json!({"error": if status == StatusCode::BAD_GATEWAY { "mint_failed" } else { "invalid_request" }, "message": message}),
            ),
        }
    })
}

fn invalid(message: String) -> Response<Body> {
    answer(
        StatusCode::BAD_REQUEST,
        &json!({"error": "invalid_request", "message": message}),
    )
}

/// What the panel offers: every role, and the mapped issuers.
fn options(services: &Services) -> Value {
    let mut roles = Vec::new();
    for account in services.model.accounts() {
        for role in services.model.roles(&account) {
            roles.push(json!({"arn": role.arn(), "name": role.name, "account": role.account_id}));
        }
    }
    let issuers: Vec<Value> = services
        .keys
        .endpoints()
        .iter()
        .map(|(issuer, base)| json!({"issuer": issuer, "base": base}))
        .collect();
    json!({"roles": roles, "issuers": issuers, "default_session_name": DEFAULT_SESSION_NAME})
}

type Failure = (StatusCode, String);

async fn decide(services: &Services, asked: TryRequest) -> Result<Value, Failure> {
    let mut notes: Vec<String> = Vec::new();
    let tags_claim = asked.tags.as_ref().map(|tags| {
        json!({
            "principal_tags": tags.iter().map(|(k, v)| (k.clone(), json!([v]))).collect::<Map<String, Value>>(),
            "transitive_tag_keys": asked.transitive_tag_keys.clone().unwrap_or_default(),
        })
    });
    let (token, minted) = match (asked.token, asked.mint) {
        (Some(token), None) => (token.trim().to_string(), false),
        (None, Some(mint)) => (mint_token(services, mint, tags_claim.as_ref()).await?, true),
        _ => {
            return Err((
                StatusCode::BAD_REQUEST,
                "give either token (a JWT) or mint (an issuer and its fields)".into(),
            ))
        }
    };
    let session_name = asked
        .session_name
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string());
    let refused = |error: AwsError, detail: Option<String>, extra: Value| {
        let mut value = json!({
            "allowed": false,
            "decision": Value::Null,
            "error": {"code": error.code.to_string(), "message": error.message},
            "reason": match &detail {
                Some(detail) => format!("{}: {} ({detail})", error.code, error.message),
                None => format!("{}: {}", error.code, error.message),
            },
            "explanation": Value::Null,
        });
        merge(&mut value, extra);
        value
    };
    let shown_token = if minted { json!(token) } else { Value::Null };

    // The parameters, as the STS checks them (its one copy of AWS's constraints).
    let params = Params::from_pairs(vec![
        ("RoleArn".into(), asked.role_arn.clone()),
        ("RoleSessionName".into(), session_name.clone()),
        ("WebIdentityToken".into(), token.clone()),
    ]);
    if let Some(operation) = shape::operation(Service::Sts, "AssumeRoleWithWebIdentity") {
        if let Err(e) = shape::validate(operation, &params) {
            return Ok(refused(
                e,
                None,
                json!({"token": shown_token, "notes": notes}),
            ));
        }
    }
    let Some(arn) = crate::arn::parse(&asked.role_arn) else {
        return Ok(refused(
            AwsError::invalid_arn_sts(&asked.role_arn),
            None,
            json!({"token": shown_token, "notes": notes}),
        ));
    };
    let decoded = match decode(&token) {
        Ok(decoded) => decoded,
        Err(Refusal { error, detail }) => {
            return Ok(refused(
                error,
                detail,
                json!({"token": shown_token, "notes": notes}),
            ))
        }
    };
    let about = json!({
        "token": shown_token,
        "issuer": decoded.claim("iss"),
        "subject": decoded.claim("sub"),
        "claims": decoded.claims,
    });
    let now = services.clock.now();
    let verified = match verify(services, arn.account, &token, &decoded, now).await {
        Ok(verified) => verified,
        Err(Refusal { error, detail }) => {
            let mut extra = about;
            merge(&mut extra, json!({"notes": notes}));
            return Ok(refused(error, detail, extra));
        }
    };
    // An unknown role is refused like a trust policy that says no, as on AWS.
    let Some(role) = services.model.role_by_arn(&asked.role_arn) else {
        let mut extra = about;
        merge(&mut extra, json!({"notes": notes}));
        return Ok(refused(
            AwsError::not_authorized(IAM_ACTION),
            Some(format!("no role {}", asked.role_arn)),
            extra,
        ));
    };
    let mut claims = decoded.claims.clone();
    if let (Some(tags), false) = (&tags_claim, minted) {
        claims.insert(TAGS_CLAIM.to_string(), tags.clone());
        notes.push(format!(
            "the session tags given here replaced the token's {TAGS_CLAIM} claim (a real request carries the token's)"
        ));
    }
    let request = match context::web_identity(&WebIdentityRequest {
        provider: &verified.provider.url,
        provider_arn: &verified.provider_arn,
        audience: &verified.audience,
        claims: &claims,
        session_name: &session_name,
        // The panel's request comes from the browser; STS would see the caller's address.
        source_ip: Some(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        now,
    }) {
        Ok(request) => request,
        Err(error) => {
            let mut extra = about;
            merge(&mut extra, json!({"notes": notes}));
            return Ok(refused(error, None, extra));
        }
    };
    let decision = context::decide_trust(&role.trust_policy.policy, &request, IAM_ACTION);
    let context_keys: Map<String, Value> = request
        .context
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let mut value = json!({
        "allowed": decision.allowed(),
        "decision": decision.decision,
        "error": match &decision.refused_action {
            Some(action) => {
                let e = AwsError::not_authorized(action);
                json!({"code": e.code.to_string(), "message": e.message})
            }
            None => Value::Null,
        },
        "reason": decision.explanation.summary(),
        "refused_action": decision.refused_action,
        "explanation": decision.explanation,
        "role_arn": role.arn(),
        "session_name": session_name,
        "context": context_keys,
        "notes": notes,
    });
    merge(&mut value, about);
    Ok(value)
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        for (k, v) in from {
            into.insert(k, v);
        }
    }
}

/// Mints a token from a mapped issuer: only a base sts-mock was configured with
/// (`--oidc-endpoint`), never a URL the browser chose.
async fn mint_token(
    services: &Services,
    mint: Mint,
    tags: Option<&Value>,
) -> Result<String, Failure> {
    let Some((_, base)) = services
        .keys
        .endpoints()
        .iter()
        .find(|(issuer, _)| *issuer == mint.issuer)
    else {
        return Err((
            StatusCode::BAD_REQUEST,
            format!(
                "sts-mock maps no local base for {} (--oidc-endpoint), so it cannot mint",
                mint.issuer
            ),
        ));
    };
    let mut fields = mint.fields;
    if let Some(tags) = tags {
        let claims = fields
            .entry("claims")
            .or_insert_with(|| Value::Object(Map::new()));
        match claims.as_object_mut() {
            Some(claims) => {
                claims.insert(TAGS_CLAIM.to_string(), tags.clone());
            }
            None => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    "mint.fields.claims must be an object".into(),
                ))
            }
        }
    }
    let url = format!("{}/mint", base.trim_end_matches('/'));
    let (status, minted) = crate::remote::post_json(&url, &Value::Object(fields))
        .await
        .map_err(|e| {
            (
                StatusCode::BAD_GATEWAY,
                format!("cannot mint from {}: {e}", mint.issuer),
            )
        })?;
    match minted.get("token").and_then(Value::as_str) {
        Some(token) if status == 200 => Ok(token.to_string()),
        _ => Err((
            StatusCode::BAD_GATEWAY,
            format!(
                "{} refused to mint (HTTP {status}): {}",
                mint.issuer,
                minted
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no token in its answer")
            ),
        )),
    }
}
