//! `sts-mock explain`: checks a trust policy offline, the way STS would for a web-identity
//! request, and says why. AWS's own simulator cannot test trust policies; this lets a CI
//! pipeline do it before deploying one (the CLI exits non-zero on deny).
//!
//! The request context is built from a token's claims by the STS's own builder
//! ([`crate::context::web_identity`]), and decided by the STS's own trust decision (session
//! tags need `sts:TagSession`, a source identity `sts:SetSourceIdentity`), without verifying
//! the token's signature or expiry (offline: that is STS's job, not the policy's). Explicit
//! `KEY=VALUE` pairs override the token's keys or stand in for a token.

use serde_json::Value;

use crate::context::{self, WebIdentityRequest};
use crate::model::provider_arn;
use crate::oidc;
use crate::policy::{
    evaluate_explained, Context, Decision, Explanation, Policy, PolicyKind, Principal,
    PrincipalKind, Request,
};

/// The question: which token (or context) asks to assume the role, in which account.
#[derive(Debug, Clone, Default)]
pub struct ExplainInput {
    /// A JWT; its claims fill the context and its `iss` names the federated principal.
    pub token: Option<String>,
    /// Extra or overriding context keys (`KEY=VALUE`; a key given twice becomes multi-valued).
    pub context: Vec<(String, String)>,
    /// The account the role (and so the OIDC provider) lives in; default `000000000000`.
    pub account: Option<String>,
    /// The federated principal when there is no token (an OIDC provider ARN).
    pub federated: Option<String>,
    /// The action asked for; default `sts:AssumeRoleWithWebIdentity`.
    pub action: Option<String>,
    /// `RoleSessionName`; default `explain`.
    pub session_name: Option<String>,
}

/// The answer: the decision and the engine's explanation of it.
#[derive(Debug, Clone)]
pub struct ExplainOutput {
    /// Allowed or not.
    pub decision: Decision,
    /// Why.
    pub explanation: Explanation,
    /// The federated principal asked for.
    pub principal: Option<Principal>,
    /// The action refused (`sts:TagSession` when the token's tags are not allowed, ...).
    pub refused_action: Option<String>,
}

/// The default session name of `sts-mock explain`.
pub const DEFAULT_SESSION_NAME: &str = "explain";

/// Evaluates `trust_policy` (JSON) for `input`. Errors are the user's: a policy that is not a
/// valid trust policy (IAM's `MalformedPolicyDocument` message), an unreadable token, a token
/// STS would refuse before reading the trust policy.
pub fn explain(trust_policy: &str, input: &ExplainInput) -> Result<ExplainOutput, String> {
    let policy = Policy::parse(trust_policy, PolicyKind::Trust)
        .map_err(|e| format!("MalformedPolicyDocument: {} (at {})", e.message, e.path))?
        .labelled("trust policy");
    let account = input
        .account
        .clone()
        .unwrap_or_else(|| crate::model::DEFAULT_ACCOUNT.to_string());
    let action = input
        .action
        .clone()
        .unwrap_or_else(|| "sts:AssumeRoleWithWebIdentity".to_string());
    let session_name = input
        .session_name
        .as_deref()
        .unwrap_or(DEFAULT_SESSION_NAME);

    let Some(token) = &input.token else {
        // No token: the context is exactly the pairs given.
        let mut context = Context::new();
        context::override_pairs(&mut context, &input.context);
        let principal = input.federated.clone().map(|id| Principal {
            kind: PrincipalKind::Federated,
            id,
        });
        let request = Request {
            principal: principal.as_ref(),
            action: &action,
            resource: None,
            context: &context,
        };
        let (decision, explanation) = evaluate_explained(&[&policy], &request);
        return Ok(ExplainOutput {
            decision,
            explanation,
            principal,
            refused_action: (decision != Decision::Allow).then(|| action.clone()),
        });
    };

    let decoded = oidc::decode(token).map_err(|e| format!("--token: {e}"))?;
    let iss = decoded
        .claim("iss")
        .ok_or("--token: the token has no iss claim")?;
    // As STS: an issuer that is not https names no IAM provider.
    let provider = iss.strip_prefix("https://").ok_or_else(|| {
        format!("--token: STS would refuse this token before the trust policy: InvalidIdentityToken: No OpenIDConnect provider found in your account for {iss} (IAM providers are https URLs)")
    })?;
    let provider = provider.to_string();
    let arn = input
        .federated
        .clone()
        .unwrap_or_else(|| provider_arn(&account, iss));
    // As STS, the audience is the first `aud` (or `azp`) that is a client ID; offline there
    // is no provider to choose among several, so the first.
    let audience = match decoded.claims.get("aud") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => items.iter().find_map(Value::as_str).map(str::to_string),
        _ => None,
    }
    .or_else(|| decoded.claim("azp").map(str::to_string))
    .unwrap_or_default();
    let mut request = context::web_identity(&WebIdentityRequest {
        provider: &provider,
        provider_arn: &arn,
        audience: &audience,
        claims: &decoded.claims,
        session_name,
        source_ip: None,
        now: rig_core::Clock::real().now(),
    })
    .map_err(|e| format!("--token: STS would refuse this token: {e}"))?;
    context::override_pairs(&mut request.context, &input.context);
    let decision = context::decide_trust(&policy, &request, &action);
    Ok(ExplainOutput {
        decision: decision.decision,
        explanation: decision.explanation,
        principal: Some(request.principal),
        refused_action: decision.refused_action,
    })
}

/// Parses `KEY=VALUE` (the first `=` splits; values may contain `=`).
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}
