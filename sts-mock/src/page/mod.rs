//! The decisions page, `GET /_sts-mock/`: the decision log live in a browser (newest first,
//! each decision opening into the policy engine's explanation), filters kept in the URL, the
//! lint's warnings about trust policies saved through IAM, the trust policies' coverage, and a
//! "try it" panel that asks what STS would decide for a token without assuming anything.
//!
//! One HTML document, one script and one style sheet, compiled into the binary: nothing is
//! fetched from the network, so it works offline. The page's only data are sts-mock's own
//! JSON endpoints ([`stream`], [`try_it`], [`crate::coverage`], [`lint`]); everything it shows
//! is set as text, never as markup, and a strict Content-Security-Policy forbids anything
//! else.

pub mod lint;
pub mod stream;
pub mod try_it;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use rig_core::http::{self, Body, Limits, Request, Response, StatusCode};

use crate::admin::json;
use crate::call::BoxFuture;
use crate::services::Services;

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("page.js");
const STYLE: &str = include_str!("page.css");

/// The page may only load its own script and style and talk to this server.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, text: &'static str) -> Response<Body> {
    let mut response = Response::new(http::full(text));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Rebuilt binaries serve a new page: never cached.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

/// `GET /_sts-mock/`: the page.
pub fn index<'a>(
    _: &'a Services,
    _: Request<Incoming>,
    _: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async { asset("text/html; charset=utf-8", INDEX) })
}

/// `GET /_sts-mock/assets/page.js` and `page.css`.
pub fn assets<'a>(
    _: &'a Services,
    request: Request<Incoming>,
    _: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move {
        match request.uri().path() {
            "/_sts-mock/assets/page.js" => asset("text/javascript; charset=utf-8", SCRIPT),
            "/_sts-mock/assets/page.css" => asset("text/css; charset=utf-8", STYLE),
            other => json(
                StatusCode::NOT_FOUND,
                &serde_json::json!({ "error": format!("no such endpoint: {other}") }),
            ),
        }
    })
}
