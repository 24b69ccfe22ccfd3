//! The issuer's HTTP server: several issuers in one process, each at its own path prefix with
//! its discovery document, JWKS and `POST mint` (the one at `/` also answers `/healthz`,
//! `/_issuer/clock`, and the run-time controls of `/_issuer/faults` and `/_issuer/keys` that
//! [`crate::control`] serves), on rig-core's server plumbing (the limits, graceful shutdown and 405s
//! both servers share). Starts on any address (port 0 picks a free one), answers at once, and
//! stops when the [`Issuer`] is dropped.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use rig_core::http::{self, Body, BodyError, Limits};
use rig_core::Clock;
use serde_json::json;
use tokio::net::TcpListener;

use crate::issuers::{check_unique, IssuerSpec, KeySource, ROOT_ISSUER};
use crate::keys::KeySet;
use crate::mint::{MintError, MintRequest, MintedToken, Minter};
use crate::profile::Profile;

/// Where the issuer at `/` serves its JWKS (named in its discovery document).
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
/// Where the issuer at `/` serves its OIDC discovery document (every issuer serves its own at
/// `PREFIX.well-known/openid-configuration`).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Where the issuer at `/` mints tokens (`POST`; every issuer mints at `PREFIX` + `mint`).
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
    /// The issuers served next to the Dynatrace one at `/`, each at its own prefix (none by
    /// default; [`IssuerConfig::builtin_issuers`] adds the built-in ones).
    pub issuers: Vec<IssuerSpec>,
    /// The directory `keys` were loaded from, if any: where `POST /_issuer/keys` with
    /// `"persist": true` writes a key of the issuer at `/`.
    pub keys_dir: Option<std::path::PathBuf>,
    /// The Dynatrace world the issuer at `/` stands in for (the built-in default unless set).
    pub dynatrace: crate::DynatraceSetup,
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
    /// Two issuers share a name or a prefix, or a name or prefix is not allowed.
    #[error("{0}")]
    Issuers(String),
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
            issuers: Vec::new(),
            keys_dir: None,
            dynatrace: crate::DynatraceSetup::builtin(),
        }
    }
    /// Starts the Dynatrace side from `setup` instead of the built-in default.
    pub fn dynatrace(mut self, setup: crate::DynatraceSetup) -> Self {
        self.dynatrace = setup;
        self
    }
    /// Also serves `spec` at its prefix.
    pub fn issuer(mut self, spec: IssuerSpec) -> Self {
        self.issuers.push(spec);
        self
    }
    /// Also serves the built-in issuers (GitHub Actions at `/github/`, GitLab CI at
    /// `/gitlab/`, an EKS cluster at `/eks/`), with the keys of `keys_dir/NAME/` (see
    /// [`IssuerSpec::builtin`]).
    pub fn builtin_issuers(mut self, keys_dir: &std::path::Path) -> Result<Self, crate::KeyError> {
        self.issuers
            .extend(crate::issuers::builtin_specs(keys_dir)?);
        Ok(self)
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
    /// Records that the keys of the issuer at `/` came from `dir` (see
    /// [`IssuerConfig::keys_dir`](IssuerConfig#structfield.keys_dir)).
    pub fn keys_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.keys_dir = Some(dir.into());
        self
    }
}

/// One issuer as served: its identity, its minter and its documents (rebuilt when its keys
/// change), and the faults its endpoints answer with ([`ServedIssuer::faults`]).
#[derive(Debug)]
pub struct ServedIssuer {
    name: String,
    prefix: String,
    base_url: String,
    jwks_url: String,
    jwks_path: String,
    key_source: KeySource,
    minter: Minter,
    pub(crate) live: crate::control::Live,
}

impl ServedIssuer {
    /// Its name (`dynatrace` for the one at `/`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its path prefix: `/` or `/NAME/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    /// Its local base URL, prefix included, without a trailing `/`: what sts-mock's
    /// `--oidc-endpoint ISSUER=BASE` maps its identity to (e.g. `http://127.0.0.1:9400/github`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// Its identity (`iss`).
    pub fn issuer_url(&self) -> &str {
        self.minter.issuer_url()
    }
    /// Its claims.
    pub fn profile(&self) -> Profile {
        self.minter.profile()
    }
    /// The URL of its discovery document on this server.
    pub fn discovery_url(&self) -> String {
        format!("{}{DISCOVERY_PATH}", self.base_url)
    }
    /// The JWKS URL its discovery document names.
    pub fn jwks_url(&self) -> &str {
        &self.jwks_url
    }
    /// The URL it mints at (`POST`).
    pub fn mint_url(&self) -> String {
        format!("{}{MINT_PATH}", self.base_url)
    }
    /// Where its keys came from.
    pub fn key_source(&self) -> &KeySource {
        &self.key_source
    }
    /// Its minter, for minting in-process.
    pub fn minter(&self) -> &Minter {
        &self.minter
    }
    /// Mints in-process, exactly as its `POST mint` would.
    pub fn mint(&self, request: &MintRequest) -> Result<MintedToken, MintError> {
        self.minter.mint(request)
    }
}

struct State {
    /// The issuer at `/` first, then the others.
    issuers: Vec<ServedIssuer>,
    limits: Limits,
    dynatrace: crate::dynatrace::Dynatrace,
}

impl State {
    fn root(&self) -> &ServedIssuer {
        &self.issuers[0]
    }

    /// The issuer other than the one at `/` whose prefix `path` is under, and the rest of
    /// the path (`""` for the prefix itself, with or without its trailing `/`).
    fn prefixed<'p>(&self, path: &'p str) -> Option<(&ServedIssuer, &'p str)> {
        self.issuers[1..].iter().find_map(|issuer| {
            if let Some(rest) = path.strip_prefix(issuer.prefix.as_str()) {
                return Some((issuer, rest));
            }
            (path == issuer.prefix.trim_end_matches('/')).then_some((issuer, ""))
        })
    }
}

/// A running issuer process: the issuer at `/` and every other one it serves. Dropping it
/// stops the server. Its own methods are the `/` issuer's (`issuer_url()`, `mint()`, ...), as
/// before there were others; [`Issuer::get`] finds any of them.
pub struct Issuer {
    url: String,
    addr: SocketAddr,
    state: Arc<State>,
    server: http::Server,
}

impl Issuer {
    /// Binds, builds every issuer's discovery document and JWKS once, and starts serving in
    /// the background.
    pub async fn start(config: IssuerConfig) -> Result<Issuer, StartError> {
        let names: Vec<(&str, &str)> = config
            .issuers
            .iter()
            .map(|s| (s.name.as_str(), s.prefix.as_str()))
            .collect();
        check_unique(&names).map_err(StartError::Issuers)?;
        let bind_error = |source| StartError::Bind {
            addr: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let url = format!("http://{addr}");
        let root_identity = if config.local_issuer_url {
            url.clone()
        } else {
            config.issuer_url
        };
        let mut issuers = vec![serve_issuer(
            ROOT_ISSUER,
            "/",
            url.clone(),
            config.jwks_uri,
            config.keys_dir.map_or(KeySource::Memory, KeySource::Dir),
            Minter::new(root_identity, config.keys).with_clock(config.clock.clone()),
        )?];
        for spec in config.issuers {
            let base = format!("{url}{}", spec.prefix.trim_end_matches('/'));
            let minter = Minter::new(spec.issuer_url, spec.keys)
                .with_clock(config.clock.clone())
                .with_profile(spec.profile)
                .with_default_claims(spec.default_claims);
            issuers.push(serve_issuer(
                &spec.name,
                &spec.prefix,
                base,
                None,
                spec.key_source,
                minter,
            )?);
        }
        let state = Arc::new(State {
            issuers,
            limits: config.limits,
            dynatrace: crate::dynatrace::Dynatrace::new(config.dynatrace, &config.clock),
        });
        let served = state.clone();
        let server = http::serve(listener, config.limits, move |request, _peer| {
            handle(served.clone(), request)
        })
        .map_err(bind_error)?;
        Ok(Issuer {
            url,
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
    /// The identity (`iss`) of the issuer at `/`.
    pub fn issuer_url(&self) -> &str {
        self.state.root().issuer_url()
    }
    /// The JWKS URL the discovery document of the issuer at `/` names.
    pub fn jwks_url(&self) -> &str {
        self.state.root().jwks_url()
    }
    /// The URL of the discovery document of the issuer at `/`.
    pub fn discovery_url(&self) -> String {
        self.state.root().discovery_url()
    }
    /// The minter behind `/mint`, for minting in-process.
    pub fn minter(&self) -> &Minter {
        self.state.root().minter()
    }
    /// The clock tokens are minted from (the handle given to [`IssuerConfig::clock`]), shared
    /// by every issuer of the process.
    pub fn clock(&self) -> &Clock {
        self.state.root().minter().clock()
    }
    /// Mints in-process for the issuer at `/`, exactly as `POST /mint` would.
    pub fn mint(&self, request: &MintRequest) -> Result<MintedToken, MintError> {
        self.state.root().mint(request)
    }
    /// The Dynatrace side of the issuer at `/`: its world and its decision log.
    pub fn dynatrace(&self) -> &crate::dynatrace::Dynatrace {
        &self.state.dynatrace
    }
    /// Every issuer served, the one at `/` first.
    pub fn issuers(&self) -> &[ServedIssuer] {
        &self.state.issuers
    }
    /// The issuer called `name` (`dynatrace`, `github`, `gitlab`, `eks`, or one of the
    /// configuration's), if served.
    pub fn get(&self, name: &str) -> Option<&ServedIssuer> {
        self.state.issuers.iter().find(|i| i.name == name)
    }
    /// Answers one request in process, exactly as the server answers it on a connection
    /// (every issuer, the controls and the Dynatrace side, the same limits), without a socket
    /// of its own: for fuzzing the whole request path, and for tools that already hold a
    /// parsed request.
    pub async fn answer(&self, request: Request<Incoming>) -> Response<Body> {
        handle(self.state.clone(), request).await
    }
    /// Stops accepting, lets requests in progress finish and returns once every connection
    /// has closed (dropping the issuer does the same without waiting).
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Builds one issuer's documents: `base` is its local URL (prefix included, no trailing `/`).
fn serve_issuer(
    name: &str,
    prefix: &str,
    base: String,
    jwks_uri: Option<String>,
    key_source: KeySource,
    minter: Minter,
) -> Result<ServedIssuer, StartError> {
    let profile = minter.profile();
    let jwks_path = format!("{prefix}{}", profile.jwks_path());
    let jwks_url = jwks_uri.unwrap_or_else(|| format!("{base}/{}", profile.jwks_path()));
    openidconnect::IssuerUrl::new(minter.issuer_url().to_string())
        .map_err(|e| StartError::IssuerUrl(minter.issuer_url().to_string(), e.to_string()))?;
    openidconnect::JsonWebKeySetUrl::new(jwks_url.clone())
        .map_err(|e| StartError::JwksUri(jwks_url.clone(), e.to_string()))?;
    let documents = crate::control::documents(&minter, &base, &jwks_url)?;
    Ok(ServedIssuer {
        name: name.to_string(),
        prefix: prefix.to_string(),
        live: crate::control::Live::new(documents),
        base_url: base,
        jwks_url,
        jwks_path,
        key_source,
        minter,
    })
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_string();
    if let Some((issuer, rest)) = state.prefixed(&path) {
        return handle_prefixed(&state, issuer, rest, req).await;
    }
    if crate::control::owns(&path) {
        return crate::control::handle(&state.issuers, state.limits, req).await;
    }
    let root = state.root();
    // The Dynatrace API (OAuth, IAM, Settings, the connector's token request, decisions).
    if crate::dynatrace::owns(&path) {
        return crate::dynatrace::handle(&state.dynatrace, root.minter(), &state.limits, req).await;
    }
    match (req.method(), path.as_str()) {
        (&Method::GET, DISCOVERY_PATH) => crate::control::discovery(root).await,
        (&Method::GET, p) if p == root.jwks_path => crate::control::jwks(root).await,
        (&Method::POST, MINT_PATH) => mint(&state, root, req).await,
        (&Method::GET, "/healthz") => {
            json_bytes(StatusCode::OK, Bytes::from_static(b"{\"status\":\"ok\"}"))
        }
        (&Method::GET | &Method::PUT, CLOCK_PATH) => clock(&state, req).await,
        (&Method::GET, "/authorize") => authorize(MINT_PATH),
        (_, DISCOVERY_PATH | JWKS_PATH | "/healthz" | "/authorize") => {
            not_allowed(&path, &[Method::GET])
        }
        (_, MINT_PATH) => not_allowed(&path, &[Method::POST]),
        (_, CLOCK_PATH) => not_allowed(&path, &[Method::GET, Method::PUT]),
        _ => not_found(&path),
    }
}

/// The endpoints of an issuer at a prefix: `rest` is the path after the prefix.
async fn handle_prefixed(
    state: &State,
    issuer: &ServedIssuer,
    rest: &str,
    req: Request<Incoming>,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    let dynatrace = issuer.profile() == Profile::Dynatrace;
    let get = req.method() == Method::GET;
    match rest {
        ".well-known/openid-configuration" if get => crate::control::discovery(issuer).await,
        r if r == issuer.profile().jwks_path() && get => crate::control::jwks(issuer).await,
        "mint" if req.method() == Method::POST => mint(state, issuer, req).await,
        "authorize" if dynatrace && get => authorize(&issuer.mint_url()),
        ".well-known/openid-configuration" => not_allowed(&path, &[Method::GET]),
        r if r == issuer.profile().jwks_path() => not_allowed(&path, &[Method::GET]),
        "authorize" if dynatrace => not_allowed(&path, &[Method::GET]),
        "mint" => not_allowed(&path, &[Method::POST]),
        _ => not_found(&path),
    }
}

fn authorize(mint: &str) -> Response<Body> {
    error(
        StatusCode::NOT_IMPLEMENTED,
        "unsupported_response_type",
        format!("this test issuer has no interactive flow: mint tokens with POST {mint}"),
    )
}

pub(crate) fn not_found(path: &str) -> Response<Body> {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such endpoint: {path}"),
    )
}

pub(crate) fn not_allowed(path: &str, allowed: &[Method]) -> Response<Body> {
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
    // Every issuer of the process mints from the same clock.
    let (status, value) = rig_core::clock_http_answer(state.root().minter.clock(), put, &body);
    json_value(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        &value,
    )
}

pub(crate) fn json_value(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    json_bytes(status, Bytes::from(value.to_string()))
}

async fn mint(state: &State, issuer: &ServedIssuer, req: Request<Incoming>) -> Response<Body> {
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
    match issuer.minter.mint(&request) {
        Ok(minted) => {
            tracing::info!(
                issuer = %issuer.name,
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

pub(crate) fn json_bytes(status: StatusCode, body: Bytes) -> Response<Body> {
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

pub(crate) fn error(status: StatusCode, code: &str, message: String) -> Response<Body> {
    let body = json!({ "error": code, "message": message }).to_string();
    json_bytes(status, Bytes::from(body))
}
