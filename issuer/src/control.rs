//! The issuer's run-time controls, for tests of how a relying party (sts-mock, as STS) copes
//! with an identity provider that misbehaves or rotates its keys:
//!
//! - faults of the issuer's own endpoints, per issuer and separately for its discovery
//!   document and its JWKS (`GET`/`PUT /_issuer/faults`): `ok`, `down` (503), `slow` (the
//!   answer after `delay_ms`), `garbage` (not JSON), `empty` (a JWKS without keys, a discovery
//!   document without fields) and `wrong-issuer` (a discovery document naming another issuer);
//! - keys added and removed while it runs (`GET`/`POST /_issuer/keys`,
//!   `DELETE /_issuer/keys/{kid}`): the JWKS and the discovery document's algorithms follow at
//!   once, nothing is written to a keys directory unless a request asks (`"persist": true`).
//!
//! The same controls are methods of [`ServedIssuer`] for Rust tests. Everything a client can
//! ask for is bounded: a delay by [`MAX_DELAY_MS`], an issuer's keys by [`MAX_KEYS`].

use std::sync::{Mutex, RwLock};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use rig_core::http::{self, Body, Limits};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::issuers::KeySource;
use crate::keys::{write_new_key, KeyAlg, KeyError, SigningKey};
use crate::mint::{Minter, WRONG_ISSUER};
use crate::server::{
    error, json_bytes, json_value, not_allowed, not_found, ServedIssuer, StartError,
};

/// Where the faults of the issuers' endpoints are read (`GET`, `?issuer=NAME`) and set (`PUT`).
pub const FAULTS_PATH: &str = "/_issuer/faults";
/// Where the issuers' keys are listed (`GET`, `?issuer=NAME`) and added (`POST`); a key is
/// removed with `DELETE /_issuer/keys/{kid}`.
pub const KEYS_PATH: &str = "/_issuer/keys";
/// The longest `delay_ms` a `slow` fault may ask for (30 s): well past the 5 s STS allows an
/// identity provider, short enough that no request is held for long.
pub const MAX_DELAY_MS: u64 = 30_000;
/// The most keys one issuer publishes after run-time additions (the keys it started with
/// count): enough for any rotation, a bound on what clients can make it hold and generate.
pub const MAX_KEYS: usize = 16;
/// The longest kid a run-time key may have.
const MAX_KID_LEN: usize = 64;

/// How one of an issuer's endpoints answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdpFault {
    /// As it should.
    #[default]
    Ok,
    /// `503 Service Unavailable`.
    Down,
    /// As it should, after [`IdpFaults::delay_ms`].
    Slow,
    /// `200` with a body that is not JSON.
    Garbage,
    /// A JWKS with no keys (`{"keys": []}`); a discovery document with no fields (`{}`).
    Empty,
    /// A discovery document naming another issuer ([`WRONG_ISSUER`]); discovery only.
    WrongIssuer,
}

impl IdpFault {
    /// Every fault, in the documentation's order.
    pub const ALL: [IdpFault; 6] = [
        IdpFault::Ok,
        IdpFault::Down,
        IdpFault::Slow,
        IdpFault::Garbage,
        IdpFault::Empty,
        IdpFault::WrongIssuer,
    ];

    /// The wire name: `ok`, `down`, `slow`, `garbage`, `empty`, `wrong-issuer`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdpFault::Ok => "ok",
            IdpFault::Down => "down",
            IdpFault::Slow => "slow",
            IdpFault::Garbage => "garbage",
            IdpFault::Empty => "empty",
            IdpFault::WrongIssuer => "wrong-issuer",
        }
    }
}

impl std::str::FromStr for IdpFault {
    type Err = String;
    fn from_str(text: &str) -> Result<IdpFault, String> {
        IdpFault::ALL
            .into_iter()
            .find(|f| f.as_str() == text)
            .ok_or_else(|| {
                let all: Vec<&str> = IdpFault::ALL.iter().map(|f| f.as_str()).collect();
                format!(
                    "unknown fault `{text}`, expected one of: {}",
                    all.join(", ")
                )
            })
    }
}

/// How an issuer's discovery document and JWKS answer: the state `GET /_issuer/faults` shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IdpFaults {
    /// The discovery document's fault.
    pub discovery: IdpFault,
    /// The JWKS's fault.
    pub jwks: IdpFault,
    /// How long a `slow` endpoint waits before answering, in milliseconds (at most
    /// [`MAX_DELAY_MS`]); needed when either is `slow`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

impl IdpFaults {
    /// Healthy: both endpoints `ok`.
    pub fn ok() -> IdpFaults {
        IdpFaults::default()
    }

    fn check(&self) -> Result<(), ControlError> {
        let invalid = |m: String| Err(ControlError::Invalid(m));
        if self.jwks == IdpFault::WrongIssuer {
            return invalid(
                "wrong-issuer is a fault of the discovery document (it names the issuer); a JWKS names none".into(),
            );
        }
        if let Some(delay) = self.delay_ms.filter(|d| *d > MAX_DELAY_MS) {
            return invalid(format!(
                "delay_ms must be at most {MAX_DELAY_MS}, got {delay}"
            ));
        }
        let slow = self.discovery == IdpFault::Slow || self.jwks == IdpFault::Slow;
        if slow && self.delay_ms.is_none() {
            return invalid(format!(
                "slow needs delay_ms, the milliseconds to wait before answering (0 to {MAX_DELAY_MS}; STS waits 5000)"
            ));
        }
        Ok(())
    }
}

/// Why a control request was refused: a 400, 404 or 409, worded to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// The request is wrong (400).
    #[error("{0}")]
    Invalid(String),
    /// No such issuer or key (404).
    #[error("{0}")]
    NotFound(String),
    /// It contradicts the issuer's state: a kid taken, too many keys, the signer (409).
    #[error("{0}")]
    Conflict(String),
}

impl From<KeyError> for ControlError {
    fn from(e: KeyError) -> ControlError {
        match e {
            KeyError::UnknownKid(_) => ControlError::NotFound(e.to_string()),
            KeyError::DuplicateKid(_) | KeyError::RemovingSigner(_) | KeyError::Exists { .. } => {
                ControlError::Conflict(e.to_string())
            }
            other => ControlError::Invalid(other.to_string()),
        }
    }
}

impl ControlError {
    fn response(&self) -> Response<Body> {
        let (status, code) = match self {
            ControlError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            ControlError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ControlError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        };
        error(status, code, self.to_string())
    }
}

/// An issuer's documents as served, rebuilt whenever its keys change.
#[derive(Debug, Clone)]
pub(crate) struct Documents {
    pub(crate) discovery: Bytes,
    pub(crate) jwks: Bytes,
}

/// Builds an issuer's discovery document and JWKS from its current keys: `base` is its local
/// URL (prefix included, no trailing `/`), `jwks_url` the JWKS URL its discovery names.
pub(crate) fn documents(
    minter: &Minter,
    base: &str,
    jwks_url: &str,
) -> Result<Documents, StartError> {
    let keys = minter.keys();
    let mut algs: Vec<&str> = Vec::new();
    for key in keys.keys() {
        let alg = key.alg().as_str();
        if !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    let discovery = minter
        .profile()
        .discovery(minter.issuer_url(), base, jwks_url, &algs)?;
    Ok(Documents {
        jwks: Bytes::from(keys.jwks().to_string()),
        discovery: Bytes::from(serde_json::to_vec_pretty(&discovery).unwrap_or_default()),
    })
}

/// What can change while an issuer runs: its documents (following its keys) and its faults.
#[derive(Debug)]
pub(crate) struct Live {
    documents: RwLock<Documents>,
    faults: Mutex<IdpFaults>,
    /// Held while keys change, so the documents always match the key set.
    changing: Mutex<()>,
    /// Held by a `POST /_issuer/keys` from its checks to its insertion (a key is generated in
    /// between), so one issuer generates one key at a time.
    adding: tokio::sync::Mutex<()>,
}

impl Live {
    pub(crate) fn new(documents: Documents) -> Live {
        Live {
            documents: RwLock::new(documents),
            faults: Mutex::new(IdpFaults::ok()),
            changing: Mutex::new(()),
            adding: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn documents(&self) -> Documents {
        self.documents
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl ServedIssuer {
    /// How its discovery document and JWKS answer now.
    pub fn faults(&self) -> IdpFaults {
        *self.live.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes its discovery document and JWKS answer with `faults` from now on
    /// ([`IdpFaults::ok`] heals both). Refused, changing nothing, for `wrong-issuer` on the
    /// JWKS, a `slow` without `delay_ms` or a delay past [`MAX_DELAY_MS`].
    pub fn set_faults(&self, faults: IdpFaults) -> Result<(), ControlError> {
        faults.check()?;
        *self.live.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
        tracing::info!(
            issuer = self.name(),
            discovery = faults.discovery.as_str(),
            jwks = faults.jwks.as_str(),
            delay_ms = faults.delay_ms,
            "faults set"
        );
        Ok(())
    }

    /// Publishes `key` from now on (its kid must be new, and the issuer holds at most
    /// [`MAX_KEYS`]); `signer: true` makes it sign every token minted from now on.
    pub fn add_key(&self, key: SigningKey, signer: bool) -> Result<(), ControlError> {
        let kid = key.kid().to_string();
        self.change_keys(|keys| {
            if keys.keys().len() >= MAX_KEYS {
                return Err(self.too_many_keys());
            }
            Ok(keys.add(key, signer)?)
        })?;
        tracing::info!(issuer = self.name(), kid, signer, "key added");
        Ok(())
    }

    /// Stops publishing the key `kid` (it cannot be the one that signs).
    pub fn remove_key(&self, kid: &str) -> Result<(), ControlError> {
        self.change_keys(|keys| Ok(keys.remove(kid).map(drop)?))?;
        tracing::info!(issuer = self.name(), kid, "key removed");
        Ok(())
    }

    fn too_many_keys(&self) -> ControlError {
        ControlError::Conflict(format!(
            "issuer {} already publishes {MAX_KEYS} keys, the most it may: remove one first",
            self.name()
        ))
    }

    fn change_keys(
        &self,
        change: impl FnOnce(&mut crate::KeySet) -> Result<(), ControlError>,
    ) -> Result<(), ControlError> {
        let _changing = self.live.changing.lock().unwrap_or_else(|e| e.into_inner());
        self.minter().change_keys(change)?;
        // The URLs were checked when the issuer started; only the algorithms can change here.
        let rebuilt = documents(self.minter(), self.base_url(), self.jwks_url())
            .map_err(|e| ControlError::Invalid(e.to_string()))?;
        *self
            .live
            .documents
            .write()
            .unwrap_or_else(|e| e.into_inner()) = rebuilt;
        Ok(())
    }
}

/// Which document an issuer serves.
#[derive(Debug, Clone, Copy)]
enum Document {
    Discovery,
    Jwks,
}

/// `GET PREFIX.well-known/openid-configuration`, as its faults say.
pub(crate) async fn discovery(issuer: &ServedIssuer) -> Response<Body> {
    serve(issuer, Document::Discovery).await
}

/// `GET` of an issuer's JWKS, as its faults say.
pub(crate) async fn jwks(issuer: &ServedIssuer) -> Response<Body> {
    serve(issuer, Document::Jwks).await
}

async fn serve(issuer: &ServedIssuer, document: Document) -> Response<Body> {
    let faults = issuer.faults();
    let (fault, what) = match document {
        Document::Discovery => (faults.discovery, "discovery document"),
        Document::Jwks => (faults.jwks, "JWKS"),
    };
    if fault != IdpFault::Ok {
        tracing::info!(
            issuer = issuer.name(),
            document = what,
            fault = fault.as_str(),
            "answering with an injected fault"
        );
    }
    if fault == IdpFault::Slow {
        let delay = faults.delay_ms.unwrap_or(0).min(MAX_DELAY_MS);
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let documents = issuer.live.documents();
    let ok = match document {
        Document::Discovery => documents.discovery,
        Document::Jwks => documents.jwks,
    };
    match fault {
        IdpFault::Ok | IdpFault::Slow => json_bytes(StatusCode::OK, ok),
        IdpFault::Down => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            format!(
                "the {what} of issuer {} is down: an injected fault (PUT {FAULTS_PATH} heals it)",
                issuer.name()
            ),
        ),
        IdpFault::Garbage => json_bytes(
            StatusCode::OK,
            Bytes::from_static(
                b"<html><body>502 Bad Gateway</body></html> (not JSON: an injected fault)",
            ),
        ),
        IdpFault::Empty => json_bytes(
            StatusCode::OK,
            Bytes::from_static(match document {
                Document::Discovery => b"{}",
                Document::Jwks => b"{\"keys\":[]}",
            }),
        ),
        IdpFault::WrongIssuer => {
            let mut doc: Value = serde_json::from_slice(&ok).unwrap_or_else(|_| json!({}));
            doc["issuer"] = json!(WRONG_ISSUER);
            json_bytes(
                StatusCode::OK,
                Bytes::from(serde_json::to_vec_pretty(&doc).unwrap_or_default()),
            )
        }
    }
}

/// Whether `path` is one of the controls.
pub(crate) fn owns(path: &str) -> bool {
    path == FAULTS_PATH
        || path == KEYS_PATH
        || path
            .strip_prefix(KEYS_PATH)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Answers a control request: `issuers` are the process's, the one at `/` first.
pub(crate) async fn handle(
    issuers: &[ServedIssuer],
    limits: Limits,
    req: Request<Incoming>,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let answer = if path == FAULTS_PATH {
        match method {
            Method::GET => query_issuer(issuers, &req).map(faults_answer),
            Method::PUT => match read_json::<FaultsChange>(limits, req).await {
                Ok(change) => put_faults(issuers, change),
                Err(response) => return response,
            },
            _ => return not_allowed(&path, &[Method::GET, Method::PUT]),
        }
    } else if path == KEYS_PATH {
        match method {
            Method::GET => query_issuer(issuers, &req).map(keys_answer),
            Method::POST => match read_json::<NewKey>(limits, req).await {
                Ok(new) => post_key(issuers, new).await,
                Err(response) => return response,
            },
            _ => return not_allowed(&path, &[Method::GET, Method::POST]),
        }
    } else {
        let kid = path_kid(&path[KEYS_PATH.len() + 1..]);
        if kid.is_empty() || kid.contains('/') {
            return not_found(&path);
        }
        if method != Method::DELETE {
            return not_allowed(&path, &[Method::DELETE]);
        }
        query_issuer(issuers, &req).and_then(|issuer| {
            issuer.remove_key(&kid)?;
            Ok(keys_answer(issuer))
        })
    };
    match answer {
        Ok(response) => response,
        Err(e) => e.response(),
    }
}

/// The kid in a `DELETE /_issuer/keys/{kid}` path, percent-decoded (`+` stays a `+`).
fn path_kid(segment: &str) -> String {
    let escaped = segment.replace('+', "%2B");
    url::form_urlencoded::parse(format!("k={escaped}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The issuer called `name`, or the one at `/` without a name.
fn find<'a>(
    issuers: &'a [ServedIssuer],
    name: Option<&str>,
) -> Result<&'a ServedIssuer, ControlError> {
    let Some(name) = name else {
        return Ok(&issuers[0]);
    };
    issuers.iter().find(|i| i.name() == name).ok_or_else(|| {
        let names: Vec<&str> = issuers.iter().map(ServedIssuer::name).collect();
        ControlError::NotFound(format!(
            "no issuer called `{name}`; the issuers are: {}",
            names.join(", ")
        ))
    })
}

/// The issuer a `?issuer=NAME` query names (the one at `/` without one).
fn query_issuer<'a>(
    issuers: &'a [ServedIssuer],
    req: &Request<Incoming>,
) -> Result<&'a ServedIssuer, ControlError> {
    let mut name = None;
    for (key, value) in url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "issuer" => name = Some(value.into_owned()),
            other => {
                return Err(ControlError::Invalid(format!(
                    "unknown query parameter `{other}`: only issuer=NAME is understood"
                )))
            }
        }
    }
    find(issuers, name.as_deref())
}

/// Reads a JSON object body, or the answer refusing it.
async fn read_json<T: serde::de::DeserializeOwned>(
    limits: Limits,
    req: Request<Incoming>,
) -> Result<T, Response<Body>> {
    let body = match limits.read_body(req.into_body()).await {
        Ok(body) => body,
        Err(e) => {
            let mut response = error(e.status(), "invalid_request", e.to_string());
            http::close_connection(&mut response);
            return Err(response);
        }
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ControlError::Invalid("the body must be a JSON object".into()).response());
    }
    serde_json::from_slice(&body)
        .map_err(|e| ControlError::Invalid(format!("invalid body: {e}")).response())
}

/// The body of `PUT /_issuer/faults`: what is absent keeps its value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsChange {
    issuer: Option<String>,
    discovery: Option<IdpFault>,
    jwks: Option<IdpFault>,
    delay_ms: Option<u64>,
}

fn put_faults(
    issuers: &[ServedIssuer],
    change: FaultsChange,
) -> Result<Response<Body>, ControlError> {
    let issuer = find(issuers, change.issuer.as_deref())?;
    let mut faults = issuer.faults();
    if let Some(fault) = change.discovery {
        faults.discovery = fault;
    }
    if let Some(fault) = change.jwks {
        faults.jwks = fault;
    }
    if change.delay_ms.is_some() {
        faults.delay_ms = change.delay_ms;
    }
    issuer.set_faults(faults)?;
    Ok(faults_answer(issuer))
}

fn faults_answer(issuer: &ServedIssuer) -> Response<Body> {
    let mut state = json!(issuer.faults());
    state["issuer"] = json!(issuer.name());
    json_value(StatusCode::OK, &state)
}

/// The body of `POST /_issuer/keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    alg: String,
    kid: Option<String>,
    #[serde(default)]
    signer: bool,
    issuer: Option<String>,
    /// Also write the private key to the issuer's keys directory.
    #[serde(default)]
    persist: bool,
}

fn check_kid(kid: &str) -> Result<(), ControlError> {
    let fine = !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && !kid.starts_with('.')
        && kid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if fine {
        Ok(())
    } else {
        Err(ControlError::Invalid(format!(
            "kid `{kid}` must be 1 to {MAX_KID_LEN} letters, digits, `-`, `_` and `.`, not starting with `.`"
        )))
    }
}

async fn post_key(issuers: &[ServedIssuer], new: NewKey) -> Result<Response<Body>, ControlError> {
    let issuer = find(issuers, new.issuer.as_deref())?;
    let alg = match new.alg.to_ascii_uppercase().as_str() {
        "RS256" => KeyAlg::Rs256,
        "ES256" => KeyAlg::Es256,
        _ => {
            return Err(ControlError::Invalid(format!(
                "alg `{}` is not one the issuer signs with: RS256 or ES256",
                new.alg
            )))
        }
    };
    let kid = match new.kid {
        Some(kid) => kid,
        None => format!(
            "{}-{}",
            alg.as_str().to_ascii_lowercase(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ),
    };
    check_kid(&kid)?;
    let dir = match (new.persist, issuer.key_source()) {
        (false, _) => None,
        (true, KeySource::Dir(dir)) => Some(dir.clone()),
        (true, _) => {
            return Err(ControlError::Invalid(format!(
                "issuer {}'s keys were not loaded from a directory, so there is none to persist the key to",
                issuer.name()
            )))
        }
    };
    // One addition per issuer at a time: the checks below still hold when the key is added.
    let _adding = issuer.live.adding.lock().await;
    let existing = issuer.minter().keys();
    if existing.keys().iter().any(|k| k.kid() == kid) {
        return Err(KeyError::DuplicateKid(kid).into());
    }
    if existing.keys().len() >= MAX_KEYS {
        return Err(issuer.too_many_keys());
    }
    // RSA generation takes a while: off the async threads.
    let made = {
        let (kid, dir) = (kid.clone(), dir.clone());
        tokio::task::spawn_blocking(move || -> Result<_, KeyError> {
            match dir {
                None => Ok((SigningKey::generate(kid, alg)?, None)),
                Some(dir) => {
                    let path = write_new_key(&dir, &kid, alg)?;
                    let pem = std::fs::read(&path).map_err(|source| KeyError::ReadFile {
                        path: path.clone(),
                        source,
                    })?;
                    let key = SigningKey::from_pem(kid, &pem)
                        .ok_or_else(|| KeyError::Unsupported { path: path.clone() })?;
                    Ok((key, Some(path)))
                }
            }
        })
        .await
        .map_err(|e| ControlError::Invalid(format!("key generation failed: {e}")))??
    };
    let (key, file) = made;
    let public_jwk = Value::Object(key.public_jwk().as_ref().clone());
    issuer.add_key(key, new.signer)?;
    let mut answer = json!({
        "issuer": issuer.name(),
        "kid": kid,
        "alg": alg.as_str(),
        "signer": new.signer,
        "public_jwk": public_jwk,
    });
    if let Some(file) = file {
        answer["file"] = json!(file.display().to_string());
    }
    Ok(json_value(StatusCode::CREATED, &answer))
}

fn keys_answer(issuer: &ServedIssuer) -> Response<Body> {
    let keys = issuer.minter().keys();
    let signer = keys.signing_key().kid().to_string();
    let listed: Vec<Value> = keys
        .keys()
        .iter()
        .map(|k| json!({ "kid": k.kid(), "alg": k.alg().as_str(), "signer": k.kid() == signer }))
        .collect();
    json_value(
        StatusCode::OK,
        &json!({ "issuer": issuer.name(), "keys": listed }),
    )
}
