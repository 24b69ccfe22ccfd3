//! sts-mock's own endpoints under `/_sts-mock/`, as one table: path, methods, handler. Each
//! endpoint sees the narrow [`Services`] and the request; a new endpoint is one row here and a
//! function in its own module. A wrong method gets `405` with `Allow`, an unknown path `404`,
//! both as JSON.

use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use rig_core::http::{self, Body, Limits, Method, Request, Response, StatusCode};

use crate::call::BoxFuture;
use crate::services::Services;

/// What an endpoint gets: the services, the request, the server's limits (to read a body).
pub type Handler =
    for<'a> fn(&'a Services, Request<Incoming>, Limits) -> BoxFuture<'a, Response<Body>>;

/// One endpoint.
pub struct Endpoint {
    /// The path after `/_sts-mock/` (`decisions`); a trailing `*` matches any rest.
    pub path: &'static str,
    /// The methods it answers.
    pub methods: &'static [Method],
    /// What answers.
    pub handler: Handler,
}

/// Every endpoint under `/_sts-mock/`.
pub static ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "",
        methods: &[Method::GET],
        handler: crate::page::index,
    },
    Endpoint {
        path: "assets/*",
        methods: &[Method::GET],
        handler: crate::page::assets,
    },
    Endpoint {
        path: "decisions",
        methods: &[Method::GET],
        handler: decisions,
    },
    Endpoint {
        path: "warnings",
        methods: &[Method::GET],
        handler: warnings,
    },
    Endpoint {
        path: "decisions/stream",
        methods: &[Method::GET],
        handler: crate::page::stream::handle,
    },
    Endpoint {
        path: "coverage",
        methods: &[Method::GET, Method::DELETE],
        handler: crate::coverage::handle,
    },
    Endpoint {
        path: "try",
        methods: &[Method::GET, Method::POST],
        handler: crate::page::try_it::handle,
    },
    Endpoint {
        path: "lint",
        methods: &[Method::GET],
        handler: crate::page::lint::handle,
    },
    Endpoint {
        path: "health",
        methods: &[Method::GET],
        handler: crate::health::handle,
    },
    Endpoint {
        path: "clock",
        methods: &[Method::GET, Method::PUT],
        handler: clock,
    },
    Endpoint {
        path: "outbound/*",
        methods: &[Method::GET],
        handler: outbound,
    },
];

fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// Answers `/_sts-mock/{path}`.
pub async fn handle(
    services: &Services,
    path: &str,
    request: Request<Incoming>,
    limits: Limits,
) -> Response<Body> {
    let Some(endpoint) = ENDPOINTS.iter().find(|e| matches(e.path, path)) else {
        return json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({ "error": format!("no such endpoint: /_sts-mock/{path}") }),
        );
    };
    if !endpoint.methods.contains(request.method()) {
        let message =
            http::method_not_allowed_message(&format!("/_sts-mock/{path}"), endpoint.methods);
        return http::method_not_allowed(
            endpoint.methods,
            json(
                StatusCode::METHOD_NOT_ALLOWED,
                &serde_json::json!({ "error": message }),
            ),
        );
    }
    (endpoint.handler)(services, request, limits).await
}

/// A JSON answer (never cached: it describes the moment).
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(http::full(value.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn decisions<'a>(
    services: &'a Services,
    _: Request<Incoming>,
    _: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move { json_list("decisions", &services.decisions.recent_logged()) })
}

/// `GET /_sts-mock/warnings`: the lint's recent findings on trust policies saved through IAM.
fn warnings<'a>(
    services: &'a Services,
    _: Request<Incoming>,
    _: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move { json_list("warnings", &services.decisions.warnings()) })
}

/// `{"NAME": [...]}`: a list of the log's records as the admin endpoints answer it.
fn json_list<T: serde::Serialize>(name: &str, items: &[std::sync::Arc<T>]) -> Response<Body> {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|item| serde_json::to_value(&**item).unwrap_or_default())
        .collect();
    json(StatusCode::OK, &serde_json::json!({ name: items }))
}

/// `GET /_sts-mock/clock` and `PUT` with a [`rig_core::ClockChange`]: rig-core's one HTTP form
/// of the clock, the issuer's too.
fn clock<'a>(
    services: &'a Services,
    request: Request<Incoming>,
    limits: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move {
        let put = request.method() == Method::PUT;
        let body = if put {
            match limits.read_body(request.into_body()).await {
                Ok(body) => body,
                Err(e) => {
                    let mut response = json(
                        e.status(),
                        &serde_json::json!({ "error": "invalid_request", "message": e.to_string() }),
                    );
                    http::close_connection(&mut response);
                    return response;
                }
            }
        } else {
            Default::default()
        };
        let (status, value) = rig_core::clock_http_answer(&services.clock, put, &body);
        json(
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            &value,
        )
    })
}

/// `GET /_sts-mock/outbound/<id>/.well-known/openid-configuration` and `.../jwks.json`: the
/// documents of the outbound issuer `https://<id>.tokens.sts.global.api.aws` (an account's
/// `GetWebIdentityToken` issuer; its `IssuerIdentifier`), for relying parties under test.
fn outbound<'a>(
    services: &'a Services,
    request: Request<Incoming>,
    _: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move {
        let path = request.uri().path().to_string();
        let rest = path
            .strip_prefix("/_sts-mock/outbound/")
            .unwrap_or_default();
        let not_found =
            |what: String| json(StatusCode::NOT_FOUND, &serde_json::json!({ "error": what }));
        let Some((id, document)) = rest.split_once('/') else {
            return not_found(format!("no such endpoint: {path}"));
        };
        let Some((account, federation)) = services.model.outbound_issuer(id) else {
            return not_found(format!("no account has the outbound issuer {id}"));
        };
        match document {
            ".well-known/openid-configuration" => json(
                StatusCode::OK,
                &crate::outbound::discovery(&federation.issuer_identifier),
            ),
            ".well-known/jwks.json" => match services.outbound.jwks(&account) {
                Ok(jwks) => json(StatusCode::OK, &jwks),
                Err(e) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({ "error": format!("cannot make the signing keys: {e}") }),
                ),
            },
            _ => not_found(format!("no such endpoint: {path}")),
        }
    })
}
