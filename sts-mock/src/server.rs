//! The HTTP server: the AWS Query protocol on `/` (POST form or GET query string) and the
//! Account API's REST-JSON `POST /listRegions`, handed to the action table's dispatcher, plus
//! sts-mock's own `/_sts-mock/*` endpoints (among them the outbound issuers' documents). Starts on any
//! address (port 0 picks a free one) and stops when the [`StsMock`] is dropped.
//!
//! Abuse limits: request bodies are bounded, clients that do not send a request head in time
//! are dropped, and every error becomes an AWS error document, never a panic or a 500.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use rig_core::http::{self, Body, BodyError, Limits, Method, Request, Response, StatusCode};
use rig_core::Clock;
use tokio::net::TcpListener;

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
    /// The HTTP limits (body size, timeouts, connections), shared plumbing with the issuer.
    pub limits: Limits,
    /// `--jwks-cache-seconds`: how long an identity provider's keys are used before they are
    /// fetched again, in seconds of `clock` (0: fetched for every token).
    pub jwks_cache_seconds: u64,
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
            limits: Limits::default().max_body_bytes(MAX_BODY_BYTES),
            jwks_cache_seconds: crate::oidc::DEFAULT_JWKS_CACHE_SECS,
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
    /// Use an identity provider's keys for `seconds` of the clock before fetching them again.
    pub fn jwks_cache_seconds(mut self, seconds: u64) -> Self {
        self.jwks_cache_seconds = seconds;
        self
    }
}

/// Why sts-mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The state file could not be written.
    #[error("{0}")]
    State(#[from] crate::state::StateError),
}

/// A running sts-mock. Dropping it stops the server.
pub struct StsMock {
    url: String,
    addr: SocketAddr,
    services: Arc<Services>,
    limits: Limits,
    server: http::Server,
}

impl StsMock {
    /// Binds and starts serving in the background.
    pub async fn start(config: StsMockConfig) -> Result<StsMock, StartError> {
        let bind = |source| StartError::Bind {
            addr: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen).await.map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let credentials = match &config.secret {
            Some(secret) => CredentialSealer::new(secret),
            None => CredentialSealer::random(),
        };
        config.model.use_clock(config.clock.clone());
        if let Some(file) = config.state_file {
            config.model.persist_to(file)?;
        }
        let services = Arc::new(Services {
            model: config.model,
            keys: KeyStore::with_cache_seconds(
                config.oidc_endpoints,
                config.clock.clone(),
                config.jwks_cache_seconds,
            ),
            credentials,
            clock: config.clock,
            decisions: Decisions::default(),
            default_account: config.default_account,
            outbound: crate::outbound::OutboundKeys::default(),
        });
        let limits = config.limits;
        let shared = services.clone();
        let server = http::serve(listener, limits, move |request, peer| {
            let services = shared.clone();
            async move { handle(&services, limits, peer.ip(), request).await }
        })
        .map_err(bind)?;
        Ok(StsMock {
            url: format!("http://{addr}"),
            addr,
            services,
            limits,
            server,
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
    /// Answers one request in process, exactly as the server answers it on a connection from
    /// `peer` (every endpoint, the same limits), without a socket of its own: for fuzzing the
    /// whole request path, and for tools that already hold a parsed request.
    pub async fn answer(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        handle(&self.services, self.limits, peer.ip(), request).await
    }
}

impl StsMock {
    /// Stops accepting and waits for requests in progress (dropping stops without waiting).
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

async fn handle(
    services: &Services,
    limits: Limits,
    peer: IpAddr,
    req: Request<Incoming>,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let path = req.uri().path().to_string();
    if let Some(own) = path.strip_prefix("/_sts-mock/") {
        return crate::admin::handle(services, own, req, limits).await;
    }
    if path == crate::health::HEALTHZ_PATH {
        return crate::health::healthz(services, req).await;
    }
    let (parts, body) = req.into_parts();
    let mut params = Params::parse(parts.uri.query().unwrap_or("").as_bytes());
    let body = match limits.read_body(body).await {
        Ok(body) => body,
        Err(e) => {
            let (code, message) = match &e {
                BodyError::TooLarge { limit } => (
                    ErrorCode::RequestEntityTooLarge,
                    format!("Request body must not exceed {limit} bytes"),
                ),
                BodyError::TimedOut { .. } => (
                    ErrorCode::RequestTimeout,
                    "Request body not received in time".to_string(),
                ),
                // Guess: a body that breaks off is answered like an oversized one, as AWS's
                // front end does not document either.
                BodyError::Broken(reason) => (
                    ErrorCode::RequestTimeout,
                    format!("Request body could not be read: {reason}"),
                ),
            };
            let mut response = error_response(&AwsError::new(code, message), &request_id);
            http::close_connection(&mut response);
            return response;
        }
    };
    let signed = crate::sigv4::SignedRequest {
        method: parts.method.as_str(),
        uri: &parts.uri,
        headers: &parts.headers,
        body: &body,
    };
    // REST-JSON operations (the Account API's `POST /listRegions`) have paths of their own;
    // everything else is the Query protocol on any path.
    let answer = if parts.method == Method::POST && crate::action::find_rest(&path).is_some() {
        let params = crate::rest_json::params(&body);
        crate::action::dispatch_rest(services, &path, params, signed, peer, &request_id).await
    } else {
        if parts.method == Method::POST {
            params.extend(Params::parse(&body));
        }
        crate::action::dispatch(services, &params, signed, peer, &request_id).await
    };
    let mut response = xml_response(
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST),
        answer.body,
        &request_id,
    );
    if answer.content_type != "text/xml" {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    }
    if let Some(kind) = answer.error_type {
        response
            .headers_mut()
            .insert("x-amzn-ErrorType", HeaderValue::from_static(kind));
    }
    if let Some(reason) = answer.reason {
        set_reason(&mut response, &reason);
    }
    response
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response<Body> {
    let mut response = Response::new(http::full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", id);
    }
    response
}

fn error_response(error: &AwsError, request_id: &str) -> Response<Body> {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    xml_response(
        status,
        error.document(Service::Sts.namespace(), request_id),
        request_id,
    )
}

/// The short reason header: visible ASCII only, at most 512 characters.
fn set_reason(response: &mut Response<Body>, reason: &str) {
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
