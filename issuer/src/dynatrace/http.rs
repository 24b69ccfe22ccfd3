//! The wire forms the Dynatrace API modules share: a request read whole (within the server's
//! limits) into [`Req`], and the three error shapes Dynatrace answers with:
//!
//! - the platform and environment APIs' error envelope, `{"error": {"code", "message",
//!   "details"?}}` (Settings API "ErrorEnvelope"; Dynatrace's platform error handling:
//!   `details.missingScopes` / `details.missingPermissions` on a 403, `constraintViolations`
//!   on a 400);
//! - the Policy management API's `ErrorDto`, `{"code", "message", "errorsMap"}` (its OpenAPI);
//! - OAuth 2.0's `{"error", "error_description"}` (RFC 6749 §5.2) on the token endpoint.

use bytes::Bytes;
use hyper::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HOST, PRAGMA};
use hyper::{Method, Response, StatusCode};
use rig_core::http::{self, Body};
use serde_json::{json, Map, Value};

/// A request, read whole.
#[derive(Debug)]
pub struct Req {
    /// The method.
    pub method: Method,
    /// The path (no query).
    pub path: String,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// `Authorization`, if sent and readable.
    pub authorization: Option<String>,
    /// `Host`, if sent.
    pub host: Option<String>,
    /// `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// The body.
    pub body: Bytes,
}

impl Req {
    /// Builds a request from its head and body.
    pub fn new(parts: &hyper::http::request::Parts, body: Bytes) -> Req {
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let query = parts
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Req {
            method: parts.method.clone(),
            path: parts.uri.path().to_string(),
            query,
            authorization: header(AUTHORIZATION),
            host: header(HOST),
            content_type: header(CONTENT_TYPE),
            body,
        }
    }

    /// The query parameter `name` (the first, if repeated).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `METHOD /path`, for decision records.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The body as JSON, or what is wrong with it.
    pub fn json(&self) -> Result<Value, String> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err("the request body is empty; it must be JSON".into());
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("the request body is not valid JSON: {e}"))
    }
}

/// A finished answer standing for an error, boxed: responses are large, and handlers pass
/// them up through `Result`s.
pub type Answer = Box<Response<Body>>;

/// A JSON answer.
pub fn json(status: StatusCode, value: &Value) -> Response<Body> {
    let mut response = Response::new(http::full(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `204 No Content`.
pub fn no_content() -> Response<Body> {
    let mut response = Response::new(http::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// The platform/environment error envelope: `{"error": {"code", "message", "details"?}}`.
pub fn envelope(
    status: StatusCode,
    message: impl Into<String>,
    details: Option<Value>,
) -> Response<Body> {
    let mut error = Map::new();
    error.insert("code".into(), status.as_u16().into());
    error.insert("message".into(), Value::String(message.into()));
    if let Some(details) = details {
        error.insert("details".into(), details);
    }
    json(status, &json!({ "error": error }))
}

/// The Policy management API's `ErrorDto`: `{"code", "message", "errorsMap"}`.
pub fn error_dto(
    status: StatusCode,
    message: impl Into<String>,
    errors: Map<String, Value>,
) -> Response<Body> {
    json(
        status,
        &json!({ "code": status.as_u16(), "message": message.into(), "errorsMap": errors }),
    )
}

/// An OAuth 2.0 error (RFC 6749 §5.2), never cached (§5.1).
pub fn oauth_error(
    status: StatusCode,
    code: &str,
    description: impl Into<String>,
) -> Response<Body> {
    let mut response = json(
        status,
        &json!({ "error": code, "error_description": description.into() }),
    );
    response
        .headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Which error shape a family of endpoints answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"error": {...}}`.
    Envelope,
    /// `ErrorDto`.
    Dto,
    /// OAuth's.
    OAuth,
}

/// An error in `shape`.
pub fn error(shape: Shape, status: StatusCode, message: impl Into<String>) -> Response<Body> {
    match shape {
        Shape::Envelope => envelope(status, message, None),
        Shape::Dto => error_dto(status, message, Map::new()),
        Shape::OAuth => oauth_error(status, "invalid_request", message),
    }
}

/// `405` with `Allow`, worded as both servers word it, in `shape`.
pub fn not_allowed(shape: Shape, path: &str, allowed: &[Method]) -> Response<Body> {
    let message = http::method_not_allowed_message(path, allowed);
    http::method_not_allowed(
        allowed,
        error(shape, StatusCode::METHOD_NOT_ALLOWED, message),
    )
}

/// `404` for a path no endpoint answers, in `shape`.
pub fn no_endpoint(shape: Shape, path: &str) -> Response<Body> {
    error(
        shape,
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {path}"),
    )
}
