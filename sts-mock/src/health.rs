//! Health: `GET /healthz` (and `/_sts-mock/health`, its older name) answers `{"status": "ok"}`
//! while the server serves; `?deep=1` also fetches, now, the keys of every identity provider
//! mapped with `--oidc-endpoint`, so a test (or a compose health check) can wait until the
//! whole rig is ready, and see which issuer is down and why.
//!
//! A deep check fetches each provider's discovery document and JWKS exactly as a token would
//! have them fetched (the same location rules, the same [`IDP_TIMEOUT`]), all at once, without
//! using or changing the key cache: it answers within [`IDP_TIMEOUT`] however many providers
//! there are, and never changes what a later token meets.

use hyper::body::Incoming;
use rig_core::http::{self, Body, Limits, Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::admin::json;
use crate::call::BoxFuture;
#[cfg(doc)]
use crate::oidc::IDP_TIMEOUT;
use crate::services::Services;
use crate::time_format::iso8601;

/// The health path outside `/_sts-mock/`, as both servers answer it.
pub const HEALTHZ_PATH: &str = "/healthz";

/// `GET /healthz[?deep=1]`; any other method is a 405.
pub async fn healthz(services: &Services, request: Request<Incoming>) -> Response<Body> {
    if request.method() != Method::GET {
        let message = http::method_not_allowed_message(HEALTHZ_PATH, &[Method::GET]);
        return http::method_not_allowed(
            &[Method::GET],
            json(StatusCode::METHOD_NOT_ALLOWED, &json!({ "error": message })),
        );
    }
    answer(services, &request).await
}

/// `GET /_sts-mock/health[?deep=1]` (the row of the admin table).
pub fn handle<'a>(
    services: &'a Services,
    request: Request<Incoming>,
    _: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move { answer(services, &request).await })
}

/// Whether the query asks for a deep check: `deep=1` or `deep=true`.
fn deep(request: &Request<Incoming>) -> bool {
    form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .any(|(name, value)| name == "deep" && matches!(value.as_ref(), "1" | "true"))
}

async fn answer(services: &Services, request: &Request<Incoming>) -> Response<Body> {
    if !deep(request) {
        return json(StatusCode::OK, &json!({ "status": "ok" }));
    }
    let keys = &services.keys;
    let mut probes = tokio::task::JoinSet::new();
    for (index, (issuer, _)) in keys.endpoints().iter().enumerate() {
        let (keys, issuer) = (keys.clone(), issuer.clone());
        probes.spawn(async move { (index, keys.probe(&issuer).await) });
    }
    let mut outcomes: Vec<Option<Result<Vec<String>, String>>> = vec![None; keys.endpoints().len()];
    while let Some(done) = probes.join_next().await {
        if let Ok((index, outcome)) = done {
            outcomes[index] = Some(outcome);
        }
    }
    let mut healthy = true;
    let issuers: Vec<Value> = keys
        .endpoints()
        .iter()
        .zip(outcomes)
        .map(|((issuer, base), outcome)| {
            let outcome = outcome.unwrap_or_else(|| Err("the check did not finish".into()));
            healthy &= outcome.is_ok();
            let cached = keys.cached(issuer).map(|c| {
                json!({
                    "kids": c.kids,
                    "fetched_at": at(c.fetched_at),
                    "expires_at": at(c.expires_at),
                })
            });
            let mut entry = json!({
                "issuer": issuer,
                "endpoint": base,
                "keys_fetchable": outcome.is_ok(),
                "cached": cached,
            });
            match outcome {
                Ok(kids) => entry["kids"] = json!(kids),
                Err(why) => entry["error"] = json!(why),
            }
            entry
        })
        .collect();
    let (status, word) = if healthy {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "degraded")
    };
    json(
        status,
        &json!({
            "status": word,
            "jwks_cache_seconds": keys.cache_seconds(),
            "issuers": issuers,
        }),
    )
}

/// Epoch seconds of the shared clock as AWS writes time.
fn at(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map(iso8601)
        .unwrap_or_default()
}
