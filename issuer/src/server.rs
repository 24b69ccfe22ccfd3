//! The issuer's HTTP server: discovery, JWKS and `POST /mint` over hyper. Starts on any
//! address (port 0 picks a free one), answers at once, and stops when the [`Issuer`] is dropped.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use openidconnect::core::{
    CoreClaimName, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthUrl, EmptyAdditionalProviderMetadata, IssuerUrl, JsonWebKeySetUrl, ResponseTypes,
};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::keys::{KeyAlg, KeySet};
use crate::mint::{MintRequest, Minter};

/// Where the JWKS is served (named in the discovery document).
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const MINT_PATH: &str = "/mint";
/// `/mint` bodies are small JSON objects; anything bigger is a mistake or abuse.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Idle or slow clients are dropped after this long without a complete request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

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
    pub keys: KeySet,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid issuer URL `{0}`: {1}")]
    IssuerUrl(String, String),
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
        }
    }
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    pub fn issuer_url(mut self, url: impl Into<String>) -> Self {
        self.issuer_url = url.into();
        self
    }
    /// Makes the identity the server's own URL, known once it listens.
    pub fn local_issuer_url(mut self) -> Self {
        self.local_issuer_url = true;
        self
    }
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks_uri = Some(url.into());
        self
    }
}

struct State {
    minter: Minter,
    discovery: Bytes,
    jwks: Bytes,
}

/// A running issuer. Dropping it stops the server.
pub struct Issuer {
    url: String,
    jwks_url: String,
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
}

impl Issuer {
    /// Binds, builds the discovery document and JWKS once, and starts serving in the background.
    pub async fn start(config: IssuerConfig) -> Result<Issuer, StartError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
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
            minter: Minter::new(issuer_url, config.keys),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        tokio::spawn(accept_loop(listener, state.clone(), shutdown_rx));
        Ok(Issuer {
            url,
            jwks_url,
            addr,
            state,
            shutdown,
        })
    }

    /// The local base URL, e.g. `http://127.0.0.1:9400`.
    pub fn url(&self) -> &str {
        &self.url
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The issuer identity (`iss`).
    pub fn issuer_url(&self) -> &str {
        self.state.minter.issuer_url()
    }
    pub fn jwks_url(&self) -> &str {
        &self.jwks_url
    }
    pub fn discovery_url(&self) -> String {
        format!("{}{DISCOVERY_PATH}", self.url)
    }
    /// The minter behind `/mint`, for minting in-process.
    pub fn minter(&self) -> &Minter {
        &self.state.minter
    }
    /// Mints in-process, exactly as `POST /mint` would.
    pub fn mint(
        &self,
        request: &MintRequest,
    ) -> Result<crate::mint::MintedToken, crate::mint::MintError> {
        self.state.minter.mint(request)
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
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

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let (stream, _) = tokio::select! {
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
            let service = service_fn(move |req| handle(state.clone(), req));
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
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let response = match (req.method(), path.as_str()) {
        (&Method::GET, DISCOVERY_PATH) => json_bytes(StatusCode::OK, state.discovery.clone()),
        (&Method::GET, JWKS_PATH) => json_bytes(StatusCode::OK, state.jwks.clone()),
        (&Method::POST, MINT_PATH) => mint(&state, req).await,
        (&Method::GET, "/healthz") => {
            json_bytes(StatusCode::OK, Bytes::from_static(b"{\"status\":\"ok\"}"))
        }
        (&Method::GET, "/authorize") => error(
            StatusCode::NOT_IMPLEMENTED,
            "unsupported_response_type",
            "this test issuer has no interactive flow: mint tokens with POST /mint".into(),
        ),
        (_, DISCOVERY_PATH | JWKS_PATH | "/healthz" | "/authorize") => {
            let mut response = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{path} answers GET only"),
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET"));
            response
        }
        (_, MINT_PATH) => {
            let mut response = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "/mint answers POST only".into(),
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            response
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such endpoint: {path}"),
        ),
    };
    Ok(response)
}

async fn mint(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let body = match Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                format!("request body larger than {MAX_BODY_BYTES} bytes"),
            )
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
        Err(crate::mint::MintError::Invalid(message)) => {
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

fn json_bytes(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error(status: StatusCode, code: &str, message: String) -> Response<Full<Bytes>> {
    let body = json!({ "error": code, "message": message }).to_string();
    json_bytes(status, Bytes::from(body))
}
