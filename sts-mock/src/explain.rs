//! `sts-mock explain`: checks a trust policy offline, the way STS would for a web-identity
//! request, and says why. AWS's own simulator cannot test trust policies; this lets a CI
//! pipeline do it before deploying one (the CLI exits non-zero on deny).
//!
//! The request context is built from a token's claims as `AssumeRoleWithWebIdentity` builds it
//! (`<provider>:aud`, `:sub`, `:azp`, `:email`, `:amr`, `aws:FederatedProvider`, ...), without
//! verifying the token's signature or expiry (offline: that is STS's job, not the policy's),
//! and/or from explicit `KEY=VALUE` pairs.

use serde_json::Value;

use crate::actions::assume_role_with_web_identity::insert_token_keys;
use crate::model::{provider_arn, provider_key};
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
}

/// The answer: the decision and the engine's explanation of it.
#[derive(Debug, Clone)]
pub struct ExplainOutput {
    pub decision: Decision,
    pub explanation: Explanation,
    pub principal: Option<Principal>,
}

/// Evaluates `trust_policy` (JSON) for `input`. Errors are the user's: a policy that is not a
/// valid trust policy (IAM's `MalformedPolicyDocument` message), an unreadable token.
pub fn explain(trust_policy: &str, input: &ExplainInput) -> Result<ExplainOutput, String> {
    let policy = Policy::parse(trust_policy, PolicyKind::Trust)
        .map_err(|e| format!("MalformedPolicyDocument: {} (at {})", e.message, e.path))?
        .labelled("trust policy");
    let account = input
        .account
        .clone()
        .unwrap_or_else(|| crate::model::DEFAULT_ACCOUNT.to_string());
    let mut context = Context::new();
    let mut principal = input.federated.clone().map(|id| Principal {
        kind: PrincipalKind::Federated,
        id,
    });
    if let Some(token) = &input.token {
        let decoded = oidc::decode(token.trim()).map_err(|e| format!("--token: {e}"))?;
        let claims = &decoded.claims;
        let iss = claims
            .get("iss")
            .and_then(Value::as_str)
            .ok_or("--token: the token has no iss claim")?;
        let prefix = provider_key(iss);
        let provider_arn = provider_arn(&account, iss);
        // As STS: the audience is the first `aud` (or `azp`); offline there is no provider to
        // pick the registered one among several.
        let aud = match claims.get("aud") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(items)) => items.iter().find_map(Value::as_str).map(str::to_string),
            _ => None,
        };
        let azp = claims.get("azp").and_then(Value::as_str);
        let audience = aud.or(azp.map(str::to_string)).unwrap_or_default();
        insert_token_keys(&mut context, &prefix, &provider_arn, &audience, claims);
        if principal.is_none() {
            principal = Some(Principal {
                kind: PrincipalKind::Federated,
                id: provider_arn,
            });
        }
    }
    // Explicit pairs override the token's; a key repeated on the command line is multi-valued.
    let mut explicit: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in &input.context {
        match explicit
            .iter_mut()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
        {
            Some((_, values)) => values.push(v.clone()),
            None => explicit.push((k.clone(), vec![v.clone()])),
        }
    }
    for (k, values) in explicit {
        if values.len() == 1 {
            context.insert(k, values.into_iter().next().unwrap_or_default());
        } else {
            context.insert_multi(k, values);
        }
    }
    let action = input
        .action
        .clone()
        .unwrap_or_else(|| "sts:AssumeRoleWithWebIdentity".to_string());
    let request = Request {
        principal: principal.as_ref(),
        action: &action,
        resource: None,
        context: &context,
    };
    let (decision, explanation) = evaluate_explained(&[&policy], &request);
    Ok(ExplainOutput {
        decision,
        explanation,
        principal,
    })
}

/// Parses `KEY=VALUE` (the first `=` splits; values may contain `=`).
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}
