//! OIDC token verification as STS does it: find the issuer's keys through its discovery
//! document (openidconnect), keep them cached, verify the JWS with josekit.
//!
//! - `--oidc-endpoint ISSUER=BASE` rewrites where an issuer's documents are fetched from while
//!   keeping its identity, so `https://token.dynatrace.com` can be served locally.
//! - Keys are cached per issuer. Fetches are single-flight (one per issuer at a time), and a
//!   request whose `kid` is cached never waits on the network. An unknown `kid` triggers one
//!   refetch, at most once per [`REFETCH_INTERVAL`] per issuer.
//! - Only asymmetric algorithms are accepted: `none` and HMAC (the algorithm-confusion attack)
//!   are refused before any key is looked at.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use josekit::jwk::Jwk;
use josekit::jws::JwsVerifier;
use openidconnect::core::CoreProviderMetadata;
use openidconnect::IssuerUrl;
use serde_json::{Map, Value};

/// How long fetched keys are trusted before they are fetched again.
/// Guess: AWS does not document its JWKS cache lifetime.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(3600);
/// An unknown `kid` refetches the keys at most this often per issuer.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// A token split into its parts, decoded but not yet verified.
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

impl UnverifiedToken {
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a compact JWS with JSON header and claims.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// `none`, HMAC, or an algorithm STS does not support.
    #[error("unsupported signing algorithm {0}")]
    Algorithm(String),
    /// No published key has the token's `kid`.
    #[error("no key with kid {0:?} in the issuer's JWKS")]
    UnknownKey(Option<String>),
    #[error("signature verification failed")]
    BadSignature,
    /// The issuer's discovery document or JWKS could not be fetched or understood.
    #[error("identity provider unreachable or broken: {0}")]
    Idp(String),
}

/// Decodes a compact JWS without verifying it.
pub fn decode(token: &str) -> Result<UnverifiedToken, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed(
            "not three dot-separated parts".into(),
        ));
    };
    let object = |part: &str, what: &str| -> Result<Map<String, Value>, TokenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed(format!("{what} is not base64url")))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(TokenError::Malformed(format!(
                "{what} is not a JSON object"
            ))),
        }
    };
    Ok(UnverifiedToken {
        header: object(header, "header")?,
        claims: object(claims, "payload")?,
    })
}

/// The asymmetric algorithms STS accepts. Guess: AWS documents RS256 and the RSA/ECDSA family
/// for OIDC federation; HMAC and `none` are never acceptable for a public-key IdP.
fn verifier_for(alg: &str, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, TokenError> {
    use josekit::jws::{ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384, RS512};
    let bad = |_| TokenError::BadSignature;
    Ok(match alg {
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk).map_err(bad)?),
        "RS384" => Box::new(RS384.verifier_from_jwk(jwk).map_err(bad)?),
        "RS512" => Box::new(RS512.verifier_from_jwk(jwk).map_err(bad)?),
        "PS256" => Box::new(PS256.verifier_from_jwk(jwk).map_err(bad)?),
        "PS384" => Box::new(PS384.verifier_from_jwk(jwk).map_err(bad)?),
        "PS512" => Box::new(PS512.verifier_from_jwk(jwk).map_err(bad)?),
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk).map_err(bad)?),
        "ES384" => Box::new(ES384.verifier_from_jwk(jwk).map_err(bad)?),
        "ES512" => Box::new(ES512.verifier_from_jwk(jwk).map_err(bad)?),
        other => return Err(TokenError::Algorithm(other.to_string())),
    })
}

pub fn is_supported_alg(alg: &str) -> bool {
    matches!(
        alg,
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512"
    )
}

/// A published key, with its verifier ready when the key names its algorithm.
#[derive(Debug, Clone)]
struct CachedKey {
    jwk: Jwk,
    verifier: Option<Arc<dyn JwsVerifier>>,
}

impl CachedKey {
    fn new(jwk: Jwk) -> CachedKey {
        let verifier = jwk
            .algorithm()
            .filter(|alg| is_supported_alg(alg))
            .and_then(|alg| verifier_for(alg, &jwk).ok())
            .map(Arc::from);
        CachedKey { jwk, verifier }
    }
}

#[derive(Debug)]
struct CachedKeys {
    keys: Vec<CachedKey>,
    fetched_at: Instant,
}

#[derive(Debug, Default)]
struct IssuerEntry {
    keys: RwLock<Option<Arc<CachedKeys>>>,
    /// Held while fetching: one fetch per issuer at a time.
    fetching: tokio::sync::Mutex<()>,
}

impl IssuerEntry {
    fn current(&self) -> Option<Arc<CachedKeys>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Fetches, caches and applies issuers' keys. Cheap to clone (a handle).
#[derive(Clone)]
pub struct KeyStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client<HttpConnector, Full<Bytes>>,
    /// (issuer prefix without trailing `/`, base URL without trailing `/`).
    overrides: Vec<(String, String)>,
    issuers: Mutex<HashMap<String, Arc<IssuerEntry>>>,
    fetches: std::sync::atomic::AtomicU64,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(String);

impl KeyStore {
    /// `overrides`: issuer URL to the base URL its documents are fetched from instead.
    pub fn new(overrides: Vec<(String, String)>) -> KeyStore {
        let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        KeyStore {
            inner: Arc::new(Inner {
                client,
                overrides: overrides
                    .into_iter()
                    .map(|(i, b)| {
                        (
                            i.trim_end_matches('/').to_string(),
                            b.trim_end_matches('/').to_string(),
                        )
                    })
                    .collect(),
                issuers: Mutex::new(HashMap::new()),
                fetches: Default::default(),
            }),
        }
    }

    /// How many discovery+JWKS fetches were made (for tests of the cache).
    pub fn fetch_count(&self) -> u64 {
        self.inner
            .fetches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Where a URL is really fetched from, after `--oidc-endpoint` overrides.
    pub fn rewrite(&self, url: &str) -> String {
        for (issuer, base) in &self.inner.overrides {
            if let Some(rest) = url.strip_prefix(issuer.as_str()) {
                if rest.is_empty() || rest.starts_with('/') {
                    return format!("{base}{rest}");
                }
            }
        }
        url.to_string()
    }

    /// Verifies `token` (already decoded as `decoded`) against `issuer`'s published keys.
    pub async fn verify(
        &self,
        issuer: &str,
        token: &str,
        decoded: &UnverifiedToken,
    ) -> Result<(), TokenError> {
        let alg = decoded.alg();
        if !is_supported_alg(alg) {
            return Err(TokenError::Algorithm(alg.to_string()));
        }
        let key = self.key(issuer, decoded.kid(), alg).await?;
        if key.jwk.algorithm().is_some_and(|a| a != alg) {
            return Err(TokenError::BadSignature);
        }
        // The verifier built when the keys were fetched, if the key names its algorithm;
        // rebuilding it parses the key material, which costs more than verifying.
        let built;
        let verifier: &dyn JwsVerifier = match &key.verifier {
            Some(cached) => cached.as_ref(),
            None => {
                built = verifier_for(alg, &key.jwk)?;
                built.as_ref()
            }
        };
        josekit::jws::deserialize_compact(token, verifier)
            .map(|_| ())
            .map_err(|_| TokenError::BadSignature)
    }

    fn entry(&self, issuer: &str) -> Arc<IssuerEntry> {
        let mut issuers = self.inner.issuers.lock().unwrap_or_else(|e| e.into_inner());
        issuers.entry(issuer.to_string()).or_default().clone()
    }

    async fn key(
        &self,
        issuer: &str,
        kid: Option<&str>,
        alg: &str,
    ) -> Result<CachedKey, TokenError> {
        let entry = self.entry(issuer);
        let cached = entry.current();
        if let Some(cached) = &cached {
            if cached.fetched_at.elapsed() < KEY_CACHE_TTL {
                if let Some(key) = pick(&cached.keys, kid, alg) {
                    return Ok(key);
                }
            }
        }
        let _fetching = entry.fetching.lock().await;
        // Someone may have fetched while we waited.
        let seen = cached.as_ref().map(|c| c.fetched_at);
        if let Some(now_cached) = entry.current() {
            let newer = seen != Some(now_cached.fetched_at);
            let fresh = now_cached.fetched_at.elapsed() < KEY_CACHE_TTL;
            if newer || fresh {
                if let Some(key) = pick(&now_cached.keys, kid, alg) {
                    return Ok(key);
                }
                if fresh && now_cached.fetched_at.elapsed() < REFETCH_INTERVAL {
                    // Unknown kid, and the keys are brand new: do not hammer the IdP.
                    return Err(TokenError::UnknownKey(kid.map(str::to_string)));
                }
            }
        }
        let keys = self.fetch_keys(issuer).await?;
        let fetched = Arc::new(CachedKeys {
            keys: keys.into_iter().map(CachedKey::new).collect(),
            fetched_at: Instant::now(),
        });
        *entry.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(fetched.clone());
        pick(&fetched.keys, kid, alg).ok_or_else(|| TokenError::UnknownKey(kid.map(str::to_string)))
    }

    /// Discovery (openidconnect validates that the document names this issuer), then the JWKS.
    async fn fetch_keys(&self, issuer: &str) -> Result<Vec<Jwk>, TokenError> {
        self.inner
            .fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let issuer_url =
            IssuerUrl::new(issuer.to_string()).map_err(|e| TokenError::Idp(e.to_string()))?;
        let http = |request: openidconnect::HttpRequest| {
            let store = self.clone();
            async move { store.http(request).await }
        };
        let metadata = tokio::time::timeout(
            FETCH_TIMEOUT * 2,
            CoreProviderMetadata::discover_async(issuer_url, &http),
        )
        .await
        .map_err(|_| TokenError::Idp("timed out".into()))?
        .map_err(|e| TokenError::Idp(error_chain(&e)))?;
        let keys = metadata
            .jwks()
            .keys()
            .iter()
            .filter_map(|k| {
                let value = serde_json::to_value(k).ok()?;
                let Value::Object(map) = value else {
                    return None;
                };
                Jwk::from_map(map).ok()
            })
            .collect();
        Ok(keys)
    }

    async fn http(
        &self,
        request: openidconnect::HttpRequest,
    ) -> Result<openidconnect::HttpResponse, FetchError> {
        let url = self.rewrite(&request.uri().to_string());
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| FetchError(format!("bad URL {url}: {e}")))?;
        if uri.scheme_str() != Some("http") {
            // TLS is not built in: real issuers are reached through --oidc-endpoint overrides.
            return Err(FetchError(format!(
                "cannot fetch {url}: only http is supported; map the issuer to a local URL with --oidc-endpoint"
            )));
        }
        let (parts, body) = request.into_parts();
        let mut outgoing = hyper::Request::builder().method(parts.method).uri(uri);
        for (name, value) in parts.headers.iter() {
            outgoing = outgoing.header(name, value);
        }
        let outgoing = outgoing
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| FetchError(e.to_string()))?;
        let response = tokio::time::timeout(FETCH_TIMEOUT, self.inner.client.request(outgoing))
            .await
            .map_err(|_| FetchError(format!("{url}: timed out")))?
            .map_err(|e| FetchError(format!("{url}: {e}")))?;
        let (parts, body) = response.into_parts();
        let body = tokio::time::timeout(
            FETCH_TIMEOUT,
            Limited::new(body, MAX_DOCUMENT_BYTES).collect(),
        )
        .await
        .map_err(|_| FetchError(format!("{url}: timed out reading the body")))?
        .map_err(|e| FetchError(format!("{url}: {e}")))?
        .to_bytes();
        let mut response = http::Response::builder().status(parts.status);
        for (name, value) in parts.headers.iter() {
            response = response.header(name, value);
        }
        response
            .body(body.to_vec())
            .map_err(|e| FetchError(e.to_string()))
    }
}

/// The key for `kid` (or, with no `kid`, the only key usable with `alg`).
fn pick(keys: &[CachedKey], kid: Option<&str>, alg: &str) -> Option<CachedKey> {
    let kty = if alg.starts_with("ES") { "EC" } else { "RSA" };
    match kid {
        Some(kid) => keys.iter().find(|k| k.jwk.key_id() == Some(kid)).cloned(),
        None => {
            let mut usable = keys.iter().filter(|k| k.jwk.key_type() == kty);
            match (usable.next(), usable.next()) {
                (Some(only), None) => Some(only.clone()),
                _ => None,
            }
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
