//! The issuer's HTTP server: discovery, JWKS and `POST /mint`, on rig-core's server plumbing
//! (the limits, graceful shutdown and 405s both servers share). Starts on any address (port 0
//! picks a free one), answers at once, and stops when the [`Issuer`] is dropped.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use openidconnect::core::{
    CoreClaimName, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthUrl, EmptyAdditionalProviderMetadata, IssuerUrl, JsonWebKeySetUrl, ResponseTypes,
};
use rig_core::http::{self, Body, BodyError, Limits};
use rig_core::Clock;
use serde_json::json;
use tokio::net::TcpListener;

use crate::keys::{KeyAlg, KeySet};
use crate::mint::{MintError, MintRequest, MintedToken, Minter};

/// Where the JWKS is served (named in the discovery document).
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
/// Where the OIDC discovery document is served.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Where tokens are minted (`POST`).
pub const MINT_PATH: &str = "/mint";
/// Where the issuer's clock is read and moved.
pub const CLOCK_PATH: &str = "/_issuer/clock";
/// The default bound on `/mint` bodies: they are small JSON objects, and a token larger than
/// STS accepts (20,000 characters) needs far fewer claims than this; anything bigger is a
/// mistake or abuse.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How to run an issuer.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The identity: `iss` of every token and `issuer` of the discovery document.
    pub issuer_url: String,
    /// Where clients fetch the JWKS; `None` means this server's own JWKS URL.
    pub jwks_uri: Option<String>,
    /// Use the local base URL (`http://127.0.0.1:PORT`) as the identity instead of `issuer_url`,
    /// for plain OIDC clients that discover the issuer at its own address.
    pub local_issuer_url: bool,
    /// The published keys and the one that signs.
    pub keys: KeySet,
    /// The clock `iat`, `nbf` and `exp` are read from; real time by default.
    pub clock: Clock,
    /// What the server tolerates from clients: body size ([`MAX_BODY_BYTES`] by default),
    /// header and body timeouts, connections at once.
    pub limits: Limits,
}

/// Why an issuer could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The identity is not a URL an OIDC client accepts (the URL, then why).
    #[error("invalid issuer URL `{0}`: {1}")]
    IssuerUrl(String, String),
    /// The JWKS URI is not a valid URL (the URI, then why).
    #[error("invalid JWKS URI `{0}`: {1}")]
    JwksUri(String, String),
}

impl IssuerConfig {
    /// An issuer on 127.0.0.1 with a free port, the Dynatrace issuer URL and the given keys.
    pub fn new(keys: KeySet) -> IssuerConfig {
        IssuerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            issuer_url: crate::DEFAULT_ISSUER_URL.to_string(),
            jwks_uri: None,
            local_issuer_url: false,
            keys,
            clock: Clock::real(),
            limits: Limits::default().max_body_bytes(MAX_BODY_BYTES),
        }
    }
    /// Listens on `addr` (port 0 picks a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// Sets the identity (`iss`).
    pub fn issuer_url(mut self, url: impl Into<String>) -> Self {
        self.issuer_url = url.into();
        self
    }
    /// Makes the identity the server's own URL, known once it listens.
    pub fn local_issuer_url(mut self) -> Self {
        self.local_issuer_url = true;
        self
    }
    /// Advertises `url` as the JWKS location in discovery.
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks_uri = Some(url.into());
        self
    }
    /// Reads time from `clock`: pass a clone of a handle the test keeps (and shares with
    /// sts-mock) to freeze or move the issuer's "now".
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
    /// Sets the limits on what clients may send.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

struct State {
    minter: Minter,
    discovery: Bytes,
    jwks: Bytes,
    limits: Limits,
}

/// A running issuer. Dropping it stops the server.
pub struct Issuer {
    url: String,
    jwks_url: String,
    addr: SocketAddr,
    state: Arc<State>,
    server: http::Server,
}

impl Issuer {
    /// Binds, builds the discovery document and JWKS once, and starts serving in the background.
    pub async fn start(config: IssuerConfig) -> Result<Issuer, StartError> {
        let bind_error = |source| StartError::Bind {
            addr: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let url = format!("http://{addr}");
        let jwks_url = config
            .jwks_uri
            .clone()
            .unwrap_or_else(|| format!("{url}{JWKS_PATH}"));
        let issuer_url = if config.local_issuer_url {
            url.clone()
        } else {
            config.issuer_url
        };
        let discovery = discovery_document(&issuer_url, &url, &jwks_url, &config.keys)?;
        let state = Arc::new(State {
            jwks: Bytes::from(config.keys.jwks().to_string()),
            discovery: Bytes::from(discovery),
            minter: Minter::new(issuer_url, config.keys).with_clock(config.clock),
            limits: config.limits,
        });
        let served = state.clone();
        let server = http::serve(listener, config.limits, move |request, _peer| {
            handle(served.clone(), request)
        })
        .map_err(bind_error)?;
        Ok(Issuer {
            url,
            jwks_url,
            addr,
            state,
            server,
        })
    }

    /// The local base URL, e.g. `http://127.0.0.1:9400`.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The issuer identity (`iss`).
    pub fn issuer_url(&self) -> &str {
        self.state.minter.issuer_url()
    }
    /// The JWKS URL advertised in discovery.
    pub fn jwks_url(&self) -> &str {
        &self.jwks_url
    }
    /// The URL of the discovery document on this server.
    pub fn discovery_url(&self) -> String {
        format!("{}{DISCOVERY_PATH}", self.url)
    }
    /// The minter behind `/mint`, for minting in-process.
    pub fn minter(&self) -> &Minter {
        &self.state.minter
    }
    /// The clock tokens are minted from (the handle given to [`IssuerConfig::clock`]).
    pub fn clock(&self) -> &Clock {
        self.state.minter.clock()
    }
    /// Mints in-process, exactly as `POST /mint` would.
    pub fn mint(&self, request: &MintRequest) -> Result<MintedToken, MintError> {
        self.state.minter.mint(request)
    }
    /// Stops accepting, lets requests in progress finish and returns once every connection
    /// has closed (dropping the issuer does the same without waiting).
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

fn discovery_document(
    issuer_url: &str,
    local_url: &str,
    jwks_url: &str,
    keys: &KeySet,
) -> Result<Vec<u8>, StartError> {
    let issuer = IssuerUrl::new(issuer_url.to_string())
        .map_err(|e| StartError::IssuerUrl(issuer_url.to_string(), e.to_string()))?;
    let jwks = JsonWebKeySetUrl::new(jwks_url.to_string())
        .map_err(|e| StartError::JwksUri(jwks_url.to_string(), e.to_string()))?;
    // OIDC discovery requires an authorization endpoint; this issuer has no interactive flow,
    // so it names a local path that explains how tokens are really obtained (POST /mint).
    let authorize = AuthUrl::new(format!("{local_url}/authorize"))
        .map_err(|e| StartError::IssuerUrl(local_url.to_string(), e.to_string()))?;
    let mut algs: Vec<CoreJwsSigningAlgorithm> = Vec::new();
    for key in keys.keys() {
        let alg = match key.alg() {
            KeyAlg::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            KeyAlg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        };
        if !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    let claims = [
        "iss", "sub", "aud", "iat", "nbf", "exp", "jti", "azp", "amr", "email",
    ]
    .iter()
    .map(|c| CoreClaimName::new(c.to_string()))
    .collect();
    let metadata = CoreProviderMetadata::new(
        issuer,
        authorize,
        jwks,
        vec![ResponseTypes::new(vec![CoreResponseType::IdToken])],
        vec![CoreSubjectIdentifierType::Public],
        algs,
        EmptyAdditionalProviderMetadata {},
    )
    .set_claims_supported(Some(claims));
    Ok(serde_json::to_vec_pretty(&metadata).unwrap_or_default())
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_string();
    match (req.method(), path.as_str()) {
        (&Method::GET, DISCOVERY_PATH) => json_bytes(StatusCode::OK, state.discovery.clone()),
        (&Method::GET, JWKS_PATH) => json_bytes(StatusCode::OK, state.jwks.clone()),
        (&Method::POST, MINT_PATH) => mint(&state, req).await,
        (&Method::GET, "/healthz") => {
            json_bytes(StatusCode::OK, Bytes::from_static(b"{\"status\":\"ok\"}"))
        }
        (&Method::GET | &Method::PUT, CLOCK_PATH) => clock(&state, req).await,
        (&Method::GET, "/authorize") => error(
            StatusCode::NOT_IMPLEMENTED,
            "unsupported_response_type",
            "this test issuer has no interactive flow: mint tokens with POST /mint".into(),
        ),
        (_, DISCOVERY_PATH | JWKS_PATH | "/healthz" | "/authorize") => {
            not_allowed(&path, &[Method::GET])
        }
        (_, MINT_PATH) => not_allowed(&path, &[Method::POST]),
        (_, CLOCK_PATH) => not_allowed(&path, &[Method::GET, Method::PUT]),
        _ => error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such endpoint: {path}"),
        ),
    }
}

fn not_allowed(path: &str, allowed: &[Method]) -> Response<Body> {
    let message = http::method_not_allowed_message(path, allowed);
    http::method_not_allowed(
        allowed,
        error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            message,
        ),
    )
}

/// `GET /_issuer/clock`: the clock's state; `PUT` with rig-core's [`rig_core::ClockChange`]
/// body (`{"now": RFC3339}`, `{"advance_seconds": N}`, `{"offset_seconds": N}`,
/// `{"real": true}`) changes it, exactly as sts-mock's `/_sts-mock/clock` does.
async fn clock(state: &State, req: Request<Incoming>) -> Response<Body> {
    let put = req.method() == Method::PUT;
    let body = if put {
        match state.limits.read_body(req.into_body()).await {
            Ok(body) => body,
            Err(e) => {
                let mut response = error(e.status(), "invalid_request", e.to_string());
                http::close_connection(&mut response);
                return response;
            }
        }
    } else {
        Default::default()
    };
    let (status, value) = rig_core::clock_http_answer(state.minter.clock(), put, &body);
    json_value(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        &value,
    )
}

fn json_value(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    json_bytes(status, Bytes::from(value.to_string()))
}

async fn mint(state: &State, req: Request<Incoming>) -> Response<Body> {
    let body = match state.limits.read_body(req.into_body()).await {
        Ok(body) => body,
        Err(e) => {
            // Guess: OAuth 2 has no error code for a request that arrives too slowly; a code
            // of its own tells it apart from a malformed request.
            let code = match e {
                BodyError::TimedOut { .. } => "request_timeout",
                BodyError::TooLarge { .. } | BodyError::Broken(_) => "invalid_request",
            };
            let mut response = error(e.status(), code, e.to_string());
            http::close_connection(&mut response);
            return response;
        }
    };
    // An empty body means "the defaults", like `issuer mint` with no options.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let request: MintRequest = if first.is_none() {
        MintRequest::default()
    } else if first != Some(&b'{') {
        // serde would accept `[]` as an empty struct; the body must be an object.
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "invalid mint request: the body must be a JSON object".into(),
        );
    } else {
        match serde_json::from_slice(&body) {
            Ok(request) => request,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("invalid mint request: {e}"),
                )
            }
        }
    };
    match state.minter.mint(&request) {
        Ok(minted) => {
            tracing::info!(
                sub = %claim_text(minted.claims.get("sub")),
                aud = %claim_text(minted.claims.get("aud")),
                kid = minted
                    .header
                    .get("kid")
                    .and_then(|v| v.as_str())
                    .unwrap_or(""),
                fault = request.fault.map(|f| f.as_str()).unwrap_or("none"),
                "minted token"
            );
            json_bytes(
                StatusCode::OK,
                Bytes::from(serde_json::to_vec(&minted).unwrap_or_default()),
            )
        }
        Err(MintError::Invalid(message)) => {
            error(StatusCode::BAD_REQUEST, "invalid_request", message)
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        ),
    }
}

/// A claim for a log line: strings bare, anything else (an `aud` array) as JSON.
fn claim_text(value: Option<&serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn json_bytes(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut response = Response::new(http::full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error(status: StatusCode, code: &str, message: String) -> Response<Body> {
    let body = json!({ "error": code, "message": message }).to_string();
    json_bytes(status, Bytes::from(body))
}
