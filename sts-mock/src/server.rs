//! The HTTP server: the AWS Query protocol on `/` (POST form or GET query string), handed to
//! the action table's dispatcher, plus sts-mock's own `/_sts-mock/*` endpoints. Starts on any
//! address (port 0 picks a free one) and stops when the [`StsMock`] is dropped.
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
use hyper::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rig_core::Clock;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::credentials::CredentialSealer;
use crate::decisions::Decisions;
use crate::error::{AwsError, ErrorCode};
use crate::model::Model;
use crate::oidc::KeyStore;
use crate::query::Params;
use crate::services::Services;
use crate::shape::Service;
use crate::state::StateFile;

/// Default listen address (the issuer defaults to 9400).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9401";
/// Largest accepted request body: a bound no legal request reaches. The largest single legal
/// member is a 131,072-character policy document, which URL-encodes to at most 786,432 bytes;
/// each service then checks its own limits (STS's and IAM's member lengths, IAM's quotas) and
/// answers them as AWS does. Guess: AWS's front end has a bound of its own, undocumented.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole request (body included) must arrive within this.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The header that carries a short reason on denials (AWS clients ignore unknown headers).
pub const REASON_HEADER: &str = "x-sts-mock-reason";

/// How to run sts-mock.
#[derive(Debug, Clone)]
pub struct StsMockConfig {
    /// Where to listen (port 0 picks a free port).
    pub listen: SocketAddr,
    /// `--oidc-endpoint ISSUER=BASE`: fetch `ISSUER`'s documents from `BASE`.
    pub oidc_endpoints: Vec<(String, String)>,
    /// The secret that seals session credentials; `None` picks a random one.
    pub secret: Option<Vec<u8>>,
    /// The world served.
    pub model: Model,
    /// The account of IAM calls whose access key ID is not an account ID.
    pub default_account: String,
    /// Where every change is saved (`--state FILE`).
    pub state_file: Option<StateFile>,
    /// The one clock (shared with an in-process issuer in tests).
    pub clock: Clock,
}

impl Default for StsMockConfig {
    fn default() -> Self {
        StsMockConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            oidc_endpoints: Vec::new(),
            secret: None,
            model: Model::new(),
            default_account: crate::model::DEFAULT_ACCOUNT.to_string(),
            state_file: None,
            clock: Clock::real(),
        }
    }
}

impl StsMockConfig {
    /// Listen on `addr`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// Fetch `issuer`'s documents from `base`.
    pub fn oidc_endpoint(mut self, issuer: impl Into<String>, base: impl Into<String>) -> Self {
        self.oidc_endpoints.push((issuer.into(), base.into()));
        self
    }
    /// Seal credentials with `secret`.
    pub fn secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.secret = Some(secret.into());
        self
    }
    /// Serve `model`.
    pub fn model(mut self, model: Model) -> Self {
        self.model = model;
        self
    }
    /// Read time from `clock`.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

/// A running sts-mock. Dropping it stops the server.
pub struct StsMock {
    url: String,
    addr: SocketAddr,
    services: Arc<Services>,
    shutdown: watch::Sender<bool>,
}

impl StsMock {
    /// Binds and starts serving in the background.
    pub async fn start(config: StsMockConfig) -> std::io::Result<StsMock> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let credentials = match &config.secret {
            Some(secret) => CredentialSealer::new(secret),
            None => CredentialSealer::random(),
        };
        config.model.use_clock(config.clock.clone());
        if let Some(file) = config.state_file {
            config
                .model
                .persist_to(file)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        let services = Arc::new(Services {
            model: config.model,
            keys: KeyStore::new(config.oidc_endpoints, config.clock.clone()),
            credentials,
            clock: config.clock,
            decisions: Decisions::default(),
            default_account: config.default_account,
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        tokio::spawn(accept_loop(listener, services.clone(), shutdown_rx));
        Ok(StsMock {
            url: format!("http://{addr}"),
            addr,
            services,
            shutdown,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:9401`: the STS (and IAM) endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The model behind the server: register providers and roles here.
    pub fn model(&self) -> &Model {
        &self.services.model
    }
    /// The decision log.
    pub fn decisions(&self) -> &Decisions {
        &self.services.decisions
    }
    /// The identity providers' key cache.
    pub fn key_store(&self) -> &KeyStore {
        &self.services.keys
    }
    /// The clock it reads.
    pub fn clock(&self) -> &Clock {
        &self.services.clock
    }
}

impl Drop for StsMock {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    services: Arc<Services>,
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
        let services = services.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(services.clone(), peer.ip(), req));
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
    services: Arc<Services>,
    peer: IpAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let path = req.uri().path().to_string();
    if let Some(own) = path.strip_prefix("/_sts-mock/") {
        return Ok(own_endpoint(&services, own, req.method()));
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
            let error = AwsError::new(
                ErrorCode::RequestEntityTooLarge,
                format!("Request body must not exceed {MAX_BODY_BYTES} bytes"),
            );
            return Ok(closing(error_response(&error, &request_id)));
        }
        Err(_) => {
            let error = AwsError::new(ErrorCode::RequestTimeout, "Request body not received in time");
            return Ok(closing(error_response(&error, &request_id)));
        }
    };
    if parts.method == Method::POST {
        params.extend(Params::parse(&body));
    }
    let signed = crate::sigv4::SignedRequest {
        method: parts.method.as_str(),
        uri: &parts.uri,
        headers: &parts.headers,
        body: &body,
    };
    let answer = crate::action::dispatch(&services, &params, signed, peer, &request_id).await;
    let mut response = xml_response(
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST),
        answer.body,
        &request_id,
    );
    if let Some(reason) = answer.reason {
        set_reason(&mut response, &reason);
    }
    Ok(response)
}

fn closing(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

fn own_endpoint(services: &Services, path: &str, method: &Method) -> Response<Full<Bytes>> {
    let (status, body) = match (method, path) {
        (&Method::GET, "decisions") => (
            StatusCode::OK,
            serde_json::json!({ "decisions": services.decisions.recent() }),
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
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET"));
    }
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

fn error_response(error: &AwsError, request_id: &str) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    xml_response(
        status,
        error.document(Service::Sts.namespace(), request_id),
        request_id,
    )
}

/// The short reason header: visible ASCII only, at most 512 characters.
fn set_reason(response: &mut Response<Full<Bytes>>, reason: &str) {
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
