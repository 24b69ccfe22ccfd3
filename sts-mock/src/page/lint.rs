//! `GET /_sts-mock/lint?role=ARN`: the lint's findings on a role's trust policy, against the
//! OIDC providers of the role's account, with the policy's text and those providers, so that
//! `sts-mock lint --role ARN --url URL` reports them like a file's (lines and columns
//! included).

use hyper::body::Incoming;
use rig_core::http::{Body, Limits, Request, Response, StatusCode};
use serde_json::json;

use crate::admin::json as answer;
use crate::call::BoxFuture;
use crate::services::Services;

/// The handler.
pub fn handle<'a>(
    services: &'a Services,
    request: Request<Incoming>,
    _: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move {
        let role_arn = form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
            .find(|(k, _)| k == "role")
            .map(|(_, v)| v.into_owned());
        let Some(role_arn) = role_arn else {
            return answer(
                StatusCode::BAD_REQUEST,
                &json!({"error": "invalid_request", "message": "give the role: /_sts-mock/lint?role=ARN"}),
            );
        };
        let Some(role) = services.model.role_by_arn(&role_arn) else {
            return answer(
                StatusCode::NOT_FOUND,
                &json!({"error": "no_such_role", "message": format!("no role {role_arn}")}),
            );
        };
        let findings = crate::lint::lint_role(&services.model, &role);
        let providers: Vec<String> = services
            .model
            .providers(&role.account_id)
            .into_iter()
            .map(|p| p.issuer_url())
            .collect();
        answer(
            StatusCode::OK,
            &json!({
                "role_arn": role.arn(),
                "trust_policy": role.trust_policy.text,
                "providers": providers,
                "findings": findings,
            }),
        )
    })
}
