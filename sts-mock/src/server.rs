//! The HTTP server: the AWS Query protocol on `/` (POST form or GET query string), dispatched
//! on `Action`, plus sts-mock's own `/_sts-mock/*` endpoints. Starts on any address (port 0
//! picks a free one) and stops when the [`StsMock`] is dropped.
//!
//! Abuse limits: request bodies are bounded, clients that do not send a request head in time
//! are dropped, and every error becomes an AWS error document, never a panic or a 500.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::actions::{assume_role_with_web_identity as arwwi, iso8601};
use crate::credentials::CredentialSealer;
use crate::decisions::{DecisionRecord, Decisions};
use crate::model::Model;
use crate::oidc::KeyStore;
use crate::query::{AwsError, Params, STS_NAMESPACE};

/// Default listen address (the issuer defaults to 9400).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9401";
/// Largest accepted request body: a 20,000-character token plus a 2,048-character session
/// policy, all URL-encoded, fit with room to spare.
pub const MAX_BODY_BYTES: usize = 128 * 1024;
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole request (body included) must arrive within this.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The STS API version.
pub const STS_VERSION: &str = "2011-06-15";
/// The header that carries a short reason on denials (AWS clients ignore unknown headers).
pub const REASON_HEADER: &str = "x-sts-mock-reason";

/// How to run sts-mock.
#[derive(Debug, Clone)]
pub struct StsMockConfig {
    pub listen: SocketAddr,
    /// `--oidc-endpoint ISSUER=BASE`: fetch `ISSUER`'s documents from `BASE`.
    pub oidc_endpoints: Vec<(String, String)>,
    /// The secret that seals session credentials; `None` picks a random one.
    pub secret: Option<Vec<u8>>,
    pub model: Model,
}

impl Default for StsMockConfig {
    fn default() -> Self {
        StsMockConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            oidc_endpoints: Vec::new(),
            secret: None,
            model: Model::new(),
        }
    }
}

impl StsMockConfig {
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    pub fn oidc_endpoint(mut self, issuer: impl Into<String>, base: impl Into<String>) -> Self {
        self.oidc_endpoints.push((issuer.into(), base.into()));
        self
    }
    pub fn secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.secret = Some(secret.into());
        self
    }
    pub fn model(mut self, model: Model) -> Self {
        self.model = model;
        self
    }
}

/// Shared by every request.
pub struct State {
    pub model: Model,
    pub keys: KeyStore,
    pub sealer: CredentialSealer,
    pub decisions: Decisions,
}

/// A running sts-mock. Dropping it stops the server.
pub struct StsMock {
    url: String,
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
}

impl StsMock {
    pub async fn start(config: StsMockConfig) -> std::io::Result<StsMock> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let sealer = match &config.secret {
            Some(secret) => CredentialSealer::new(secret),
            None => CredentialSealer::random(),
        };
        let state = Arc::new(State {
            model: config.model,
            keys: KeyStore::new(config.oidc_endpoints),
            sealer,
            decisions: Decisions::default(),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        tokio::spawn(accept_loop(listener, state.clone(), shutdown_rx));
        Ok(StsMock {
            url: format!("http://{addr}"),
            addr,
            state,
            shutdown,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:9401`: the STS (and IAM) endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The model behind the server: register providers and roles here.
    pub fn model(&self) -> &Model {
        &self.state.model
    }
    pub fn decisions(&self) -> &Decisions {
        &self.state.decisions
    }
    pub fn key_store(&self) -> &KeyStore {
        &self.state.keys
    }
}

impl Drop for StsMock {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let state = state.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(state.clone(), peer.ip(), req));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = conn_shutdown.changed() => conn.as_mut().graceful_shutdown(),
            }
        });
    }
}

async fn handle(
    state: Arc<State>,
    peer: IpAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let path = req.uri().path().to_string();
    if let Some(own) = path.strip_prefix("/_sts-mock/") {
        return Ok(own_endpoint(&state, own, req.method()));
    }
    let (parts, body) = req.into_parts();
    let mut params = Params::parse(parts.uri.query().unwrap_or("").as_bytes());
    let body = match tokio::time::timeout(
        BODY_READ_TIMEOUT,
        Limited::new(body, MAX_BODY_BYTES).collect(),
    )
    .await
    {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(_)) => {
            // Guess: AWS's answer to an oversized Query request.
            let error = AwsError::new(
                "RequestEntityTooLarge",
                413,
                format!("Request body must not exceed {MAX_BODY_BYTES} bytes"),
            );
            return Ok(error_response(&error, &request_id, None));
        }
        Err(_) => {
            let error = AwsError::new("RequestTimeout", 408, "Request body not received in time");
            return Ok(error_response(&error, &request_id, None));
        }
    };
    if parts.method == Method::POST {
        params.extend(Params::parse(&body));
    }
    let response = match dispatch(&state, &params, peer, &request_id).await {
        Ok((action, result)) => xml_response(
            StatusCode::OK,
            crate::query::success_document(STS_NAMESPACE, action, &result, &request_id),
            &request_id,
        ),
        Err((error, reason)) => error_response(&error, &request_id, reason.as_deref()),
    };
    Ok(response)
}

type Failure = (AwsError, Option<String>);

/// Routes on `Action`. IAM actions join this table in the IAM issue.
async fn dispatch(
    state: &State,
    params: &Params,
    peer: IpAddr,
    request_id: &str,
) -> Result<(&'static str, String), Failure> {
    let Some(action) = params.get("Action") else {
        // Guess: AWS's wording when a Query request names no action.
        return Err((AwsError::new("MissingAction", 400, "Missing Action"), None));
    };
    if let Some(version) = params.get("Version") {
        if version != STS_VERSION {
            return Err((
                AwsError::new(
                    "InvalidAction",
                    400,
                    format!("Could not find operation {action} for version {version}"),
                ),
                None,
            ));
        }
    }
    match action {
        arwwi::ACTION => {
            let mut attempt = arwwi::Attempt::default();
            let result = arwwi::handle(state, params, peer, &mut attempt).await;
            let reason = match (&result, &attempt.explanation) {
                (_, Some(explanation))
                    if result.as_ref().is_err_and(|e| e.code == "AccessDenied") =>
                {
                    explanation.summary()
                }
                (Err(e), _) => format!("{}: {}", e.code, e.message),
                (Ok(_), Some(explanation)) => explanation.summary(),
                (Ok(_), None) => "allowed".to_string(),
            };
            state.decisions.record(DecisionRecord {
                time: iso8601(time::OffsetDateTime::now_utc()),
                request_id: request_id.to_string(),
                action: arwwi::ACTION.to_string(),
                source_ip: peer.to_string(),
                role_arn: attempt.role_arn,
                session_name: attempt.session_name,
                issuer: attempt.issuer,
                subject: attempt.subject,
                outcome: arwwi::outcome(&result),
                reason: reason.clone(),
                explanation: attempt.explanation,
            });
            result
                .map(|xml| (arwwi::ACTION, xml))
                .map_err(|e| (e, Some(reason)))
        }
        other => Err((
            AwsError::new(
                "InvalidAction",
                400,
                format!(
                    "Could not find operation {other} for version {}",
                    params.get("Version").unwrap_or(STS_VERSION)
                ),
            ),
            None,
        )),
    }
}

fn own_endpoint(state: &State, path: &str, method: &Method) -> Response<Full<Bytes>> {
    let (status, body) = match (method, path) {
        (&Method::GET, "decisions") => (
            StatusCode::OK,
            serde_json::json!({ "decisions": state.decisions.recent() }),
        ),
        (&Method::GET, "health") => (StatusCode::OK, serde_json::json!({ "status": "ok" })),
        (_, "decisions" | "health") => (
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({ "error": "method not allowed: GET only" }),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": format!("no such endpoint: /_sts-mock/{path}") }),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", id);
    }
    response
}

fn error_response(
    error: &AwsError,
    request_id: &str,
    reason: Option<&str>,
) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = xml_response(
        status,
        error.document(STS_NAMESPACE, request_id),
        request_id,
    );
    if let Some(reason) = reason {
        // Header values must be visible ASCII: keep it short and printable.
        let printable: String = reason
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .take(512)
            .collect();
        if let Ok(value) = HeaderValue::from_str(&printable) {
            response.headers_mut().insert(REASON_HEADER, value);
        }
    }
    response
}
