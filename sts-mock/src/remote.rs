//! sts-mock's HTTP client for its own small JSON calls: the CLI asking a running sts-mock
//! (`sts-mock lint --role`, `sts-mock coverage`), and the page's "try it" asking a mapped
//! issuer to mint. Plain HTTP only, bounded in time and size, so a wrong URL fails with a
//! message instead of hanging.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// How long a call may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read (coverage of many roles stays far below).
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// `GET base + path` (`base` is sts-mock's URL, e.g. `http://127.0.0.1:9401`): the status and
/// the answer parsed as JSON.
pub async fn get_json(base: &str, path: &str) -> Result<(u16, serde_json::Value), String> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    call_json(hyper::Method::GET, &url, None).await
}

/// `POST url` with a JSON body: the status and the answer parsed as JSON.
pub async fn post_json(
    url: &str,
    body: &serde_json::Value,
) -> Result<(u16, serde_json::Value), String> {
    call_json(hyper::Method::POST, url, Some(body.to_string())).await
}

async fn call_json(
    method: hyper::Method,
    url: &str,
    body: Option<String>,
) -> Result<(u16, serde_json::Value), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("{url}: only http:// URLs are served"));
    }
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(uri)
        .header("accept", "application/json");
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| format!("{url}: {e}"))?;
    let exchange = async {
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok::<_, String>((status, body))
    };
    let (status, body) = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| format!("{url}: no answer within {}s", TIMEOUT.as_secs()))?
        .map_err(|e| format!("{url}: {e}"))?;
    match serde_json::from_slice(&body) {
        Ok(value) => Ok((status, value)),
        // An error page that is not JSON is still an answer: its status says what happened.
        Err(_) if !(200..300).contains(&status) => Ok((
            status,
            serde_json::json!({"message": String::from_utf8_lossy(&body[..body.len().min(200)])}),
        )),
        Err(e) => Err(format!(
            "{url}: the answer (HTTP {status}) is not JSON: {e}"
        )),
    }
}

/// Percent-encodes a query value.
pub fn query_value(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
