//! OIDC token verification as STS does it: find a registered provider's keys through its
//! discovery document, keep them cached, verify the JWS with josekit.
//!
//! - Keys are fetched only from where a registered provider says: the provider's own issuer
//!   URL (never a URL a token chose), rewritten by `--oidc-endpoint ISSUER=BASE` to a local
//!   base, so `https://token.dynatrace.com` can be served by a local issuer. A provider without
//!   a mapping is not fetched at all (this rig has no TLS client and must not reach out).
//!   The discovery document's `jwks_uri` is followed only if it is under the issuer URL
//!   (rewritten too) or under the mapped base itself.
//! - Discovery is read as STS reads it: `issuer` (which must name the provider exactly) and
//!   `jwks_uri` are needed; nothing a browser login needs is (GitHub's document has no
//!   `authorization_endpoint`).
//! - Keys are cached per provider. Fetches are single-flight (one per provider at a time), and
//!   a request whose `kid` is cached never waits on the network. An unknown `kid` triggers one
//!   refetch, at most once per [`REFETCH_INTERVAL`] of real time per provider. The cache's
//!   lifetime is read on the shared clock, so a test can expire it without sleeping.
//! - Only asymmetric algorithms are accepted: `none` and HMAC (the algorithm-confusion attack)
//!   are refused before any key is looked at.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use josekit::jwk::Jwk;
use josekit::jws::JwsVerifier;
use rig_core::Clock;
use serde::Deserialize;
use serde_json::{Map, Value};

/// How long fetched keys are trusted before they are fetched again, in seconds of the shared
/// clock. Guess: AWS does not document its JWKS cache lifetime.
pub const KEY_CACHE_TTL_SECS: i64 = 3600;
/// An unknown `kid` refetches the keys at most this often per provider.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// A token split into its parts, decoded but not yet verified.
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
}

impl UnverifiedToken {
    /// The header's `alg`.
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }
    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
    /// A string claim.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// Why a token did not verify. `Display` is the precise reason, for the decision log; the
/// answer to the client is AWS's (often generic) message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a compact JWS with JSON header and claims.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// `none`, HMAC, or an algorithm STS does not support.
    #[error("unsupported signing algorithm {0:?}")]
    Algorithm(String),
    /// No published key has the token's `kid`.
    #[error("no key with kid {0:?} in the identity provider's JWKS")]
    UnknownKey(Option<String>),
    /// The signature does not verify with the published key.
    #[error("the signature does not verify with the published key {0:?}")]
    BadSignature(Option<String>),
    /// The provider's discovery document or JWKS could not be fetched or understood.
    #[error("identity provider unreachable or broken: {0}")]
    Idp(String),
}

/// Decodes a compact JWS without verifying it, naming exactly what is wrong with one that is
/// not one.
pub fn decode(token: &str) -> Result<UnverifiedToken, TokenError> {
    let bad = |reason: String| Err(TokenError::Malformed(reason));
    if token.trim_end() != token {
        return bad("trailing whitespace after the signature (a token file must hold exactly the token, without a newline)".into());
    }
    if token.trim_start() != token {
        return bad("whitespace before the header".into());
    }
    let parts: Vec<&str> = token.split('.').collect();
    match parts.len() {
        3 => {}
        5 => return bad("5 segments: an encrypted token (JWE), a JWS has 3".into()),
        n => {
            return bad(format!(
                "{n} segment{}, a JWS has 3",
                if n == 1 { "" } else { "s" }
            ))
        }
    }
    let object = |part: &str, what: &str| -> Result<Map<String, Value>, TokenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed(format!("{what} is not base64url")))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(TokenError::Malformed(format!(
                "{what} is JSON but not an object"
            ))),
            Err(_) => Err(TokenError::Malformed(format!("{what} is not JSON"))),
        }
    };
    let header = object(parts[0], "header")?;
    let claims = object(parts[1], "payload")?;
    if URL_SAFE_NO_PAD.decode(parts[2]).is_err() {
        return bad("signature is not base64url".into());
    }
    Ok(UnverifiedToken { header, claims })
}

/// The asymmetric algorithms STS accepts. Guess: AWS documents RS256 and the RSA/ECDSA family
/// for OIDC federation; HMAC and `none` are never acceptable for a public-key IdP.
fn verifier_for(alg: &str, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, TokenError> {
    use josekit::jws::{ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384, RS512};
    let kid = jwk.key_id().map(str::to_string);
    let bad = |_| TokenError::BadSignature(kid.clone());
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

/// Whether STS accepts tokens signed with `alg`.
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
    /// Real time, for the refetch rate limit (it protects the IdP, whatever the test clock).
    fetched_at: Instant,
    /// Shared-clock time, for the cache lifetime.
    fetched_at_clock: i64,
}

#[derive(Debug, Default)]
struct ProviderEntry {
    keys: RwLock<Option<Arc<CachedKeys>>>,
    /// Held while fetching: one fetch per provider at a time.
    fetching: tokio::sync::Mutex<()>,
}

impl ProviderEntry {
    fn current(&self) -> Option<Arc<CachedKeys>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Fetches, caches and applies providers' keys. Cheap to clone (a handle).
#[derive(Clone)]
pub struct KeyStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client<HttpConnector, Empty<Bytes>>,
    /// (issuer URL without trailing `/`, base URL without trailing `/`).
    endpoints: Vec<(String, String)>,
    providers: Mutex<HashMap<String, Arc<ProviderEntry>>>,
    fetches: std::sync::atomic::AtomicU64,
    clock: Clock,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

impl KeyStore {
    /// `endpoints`: issuer URL to the base URL its documents are fetched from instead.
    pub fn new(endpoints: Vec<(String, String)>, clock: Clock) -> KeyStore {
        let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        KeyStore {
            inner: Arc::new(Inner {
                client,
                endpoints: endpoints
                    .into_iter()
                    .map(|(i, b)| {
                        (
                            i.trim_end_matches('/').to_string(),
                            b.trim_end_matches('/').to_string(),
                        )
                    })
                    .collect(),
                providers: Mutex::new(HashMap::new()),
                fetches: Default::default(),
                clock,
            }),
        }
    }

    /// How many discovery+JWKS fetches were made (for tests of the cache).
    pub fn fetch_count(&self) -> u64 {
        self.inner
            .fetches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The `--oidc-endpoint` mappings, issuer to base.
    pub fn endpoints(&self) -> &[(String, String)] {
        &self.inner.endpoints
    }

    /// The local base that serves `issuer`'s documents, if mapped.
    fn base_of(&self, issuer: &str) -> Option<&str> {
        let issuer = issuer.trim_end_matches('/');
        self.inner
            .endpoints
            .iter()
            .find(|(i, _)| i == issuer)
            .map(|(_, b)| b.as_str())
    }

    /// Where `url` (named by `issuer`'s discovery document) may be fetched from: under the
    /// issuer URL (rewritten to the base) or under the base itself; anything else is refused.
    fn location(&self, issuer: &str, base: &str, url: &str) -> Result<String, String> {
        let issuer = issuer.trim_end_matches('/');
        let under = |prefix: &str| {
            url.strip_prefix(prefix)
                .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                .map(str::to_string)
        };
        if let Some(rest) = under(issuer) {
            return Ok(format!("{base}{rest}"));
        }
        if under(base).is_some() {
            return Ok(url.to_string());
        }
        Err(format!(
            "the discovery document of {issuer} names jwks_uri {url}, which is neither under {issuer} nor under its --oidc-endpoint {base}: sts-mock fetches keys only from the provider's own location"
        ))
    }

    /// Verifies `token` (already decoded as `decoded`) against the keys of the provider whose
    /// issuer URL is `issuer` (`https://` + the registered URL).
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
        let kid = key.jwk.key_id().map(str::to_string);
        if key.jwk.algorithm().is_some_and(|a| a != alg) {
            return Err(TokenError::BadSignature(kid));
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
            .map_err(|_| TokenError::BadSignature(kid))
    }

    fn entry(&self, issuer: &str) -> Arc<ProviderEntry> {
        let mut providers = self
            .inner
            .providers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        providers.entry(issuer.to_string()).or_default().clone()
    }

    fn fresh(&self, keys: &CachedKeys) -> bool {
        self.inner.clock.unix() - keys.fetched_at_clock < KEY_CACHE_TTL_SECS
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
            if self.fresh(cached) {
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
            let fresh = self.fresh(&now_cached);
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
            fetched_at_clock: self.inner.clock.unix(),
        });
        *entry.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(fetched.clone());
        pick(&fetched.keys, kid, alg).ok_or_else(|| TokenError::UnknownKey(kid.map(str::to_string)))
    }

    /// Discovery (which must name `issuer` exactly), then the JWKS.
    async fn fetch_keys(&self, issuer: &str) -> Result<Vec<Jwk>, TokenError> {
        self.inner
            .fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(base) = self.base_of(issuer) else {
            return Err(TokenError::Idp(format!(
                "{issuer} has no --oidc-endpoint: sts-mock fetches keys only from a local endpoint mapped with --oidc-endpoint {issuer}=http://127.0.0.1:PORT"
            )));
        };
        let discovery_url = format!("{base}/.well-known/openid-configuration");
        let body = self.get(&discovery_url).await.map_err(TokenError::Idp)?;
        let discovery: Discovery = serde_json::from_slice(&body).map_err(|e| {
            TokenError::Idp(format!(
                "{discovery_url}: not a discovery document with issuer and jwks_uri: {e}"
            ))
        })?;
        if discovery.issuer != issuer {
            return Err(TokenError::Idp(format!(
                "{discovery_url} names issuer {:?}, not {issuer:?}",
                discovery.issuer
            )));
        }
        let jwks_url = self
            .location(issuer, base, &discovery.jwks_uri)
            .map_err(TokenError::Idp)?;
        let body = self.get(&jwks_url).await.map_err(TokenError::Idp)?;
        let set: Value = serde_json::from_slice(&body)
            .map_err(|e| TokenError::Idp(format!("{jwks_url}: not JSON: {e}")))?;
        let keys = set
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| TokenError::Idp(format!("{jwks_url}: no \"keys\" array")))?;
        // Keys that are not valid JWKs are skipped, as a JWKS client must (RFC 7517 5).
        Ok(keys
            .iter()
            .filter_map(|k| match k {
                Value::Object(map) => Jwk::from_map(map.clone()).ok(),
                _ => None,
            })
            .collect())
    }

    async fn get(&self, url: &str) -> Result<Bytes, String> {
        let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL {url}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            // TLS is not built in: real issuers are reached through --oidc-endpoint mappings.
            return Err(format!(
                "cannot fetch {url}: only http is supported; map the issuer to a local URL with --oidc-endpoint"
            ));
        }
        let request = hyper::Request::get(uri)
            .header("accept", "application/json")
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(FETCH_TIMEOUT, self.inner.client.request(request))
            .await
            .map_err(|_| format!("{url}: timed out"))?
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let body = tokio::time::timeout(
            FETCH_TIMEOUT,
            Limited::new(response.into_body(), MAX_DOCUMENT_BYTES).collect(),
        )
        .await
        .map_err(|_| format!("{url}: timed out reading the body"))?
        .map_err(|e| format!("{url}: {e}"))?
        .to_bytes();
        if !status.is_success() {
            return Err(format!("{url}: HTTP {status}"));
        }
        Ok(body)
    }
}

/// Checks an `--oidc-endpoint ISSUER=BASE` mapping: the issuer must be an `https://` URL (IAM
/// provider URLs are https, so no token of an `http://` issuer can ever be accepted) and the
/// base a plain `http://` URL (sts-mock has no TLS client).
pub fn check_endpoint(issuer: &str, base: &str) -> Result<(), String> {
    let host_of = |url: &str| {
        url::Url::parse(url)
            .ok()
            .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
    };
    match host_of(issuer) {
        Some(u) if u.scheme() == "https" => {}
        Some(_) => {
            return Err(format!(
                "issuer: `{issuer}` must start with https:// (IAM OIDC providers are https URLs, so tokens naming any other issuer are refused)"
            ))
        }
        None => return Err(format!("issuer: `{issuer}` is not a URL such as https://token.dynatrace.com")),
    }
    match host_of(base) {
        Some(u) if u.scheme() == "http" => Ok(()),
        Some(_) => Err(format!(
            "base: `{base}` must start with http:// (sts-mock fetches keys over plain HTTP from a local issuer)"
        )),
        None => Err(format!("base: `{base}` is not a URL such as http://127.0.0.1:9400")),
    }
}

/// Parses `ISSUER_URL=BASE_URL` (the `--oidc-endpoint` form) and checks it.
pub fn parse_endpoint(text: &str) -> Result<(String, String), String> {
    let (issuer, base) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not ISSUER_URL=BASE_URL"))?;
    check_endpoint(issuer, base)?;
    Ok((issuer.to_string(), base.to_string()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_tokens_say_what_is_wrong() {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
        let p = URL_SAFE_NO_PAD.encode(r#"{"iss":"x"}"#);
        let s = URL_SAFE_NO_PAD.encode(b"sig");
        let reason = |t: &str| decode(t).unwrap_err().to_string();
        assert!(
            reason(&format!("{h}.{p}.{s}\n")).contains("trailing whitespace after the signature")
        );
        assert!(reason(&format!("{h}.{p}")).contains("2 segments, a JWS has 3"));
        assert!(reason("abc").contains("1 segment, a JWS has 3"));
        assert!(reason(&format!("{h}.{p}.{s}.a.b")).contains("JWE"));
        let not_json = URL_SAFE_NO_PAD.encode("not json");
        assert!(reason(&format!("{not_json}.{p}.{s}")).contains("header is not JSON"));
        assert!(reason(&format!("{h}.{not_json}.{s}")).contains("payload is not JSON"));
        assert!(reason(&format!("{h}.%%%.{s}")).contains("payload is not base64url"));
        let array = URL_SAFE_NO_PAD.encode("[1]");
        assert!(reason(&format!("{array}.{p}.{s}")).contains("header is JSON but not an object"));
        assert!(decode(&format!("{h}.{p}.{s}")).is_ok());
    }

    #[test]
    fn keys_are_fetched_only_from_the_provider_location() {
        let store = KeyStore::new(
            vec![(
                "https://token.dynatrace.com".into(),
                "http://127.0.0.1:9400/".into(),
            )],
            Clock::real(),
        );
        let iss = "https://token.dynatrace.com";
        let base = store.base_of(iss).unwrap();
        assert_eq!(base, "http://127.0.0.1:9400");
        assert_eq!(
            store
                .location(
                    iss,
                    base,
                    "https://token.dynatrace.com/.well-known/jwks.json"
                )
                .unwrap(),
            "http://127.0.0.1:9400/.well-known/jwks.json"
        );
        assert_eq!(
            store
                .location(iss, base, "http://127.0.0.1:9400/jwks")
                .unwrap(),
            "http://127.0.0.1:9400/jwks"
        );
        for elsewhere in [
            "http://evil.example/jwks",
            "https://token.dynatrace.com.evil.example/jwks",
            "http://127.0.0.1:94001/jwks",
        ] {
            assert!(store.location(iss, base, elsewhere).is_err(), "{elsewhere}");
        }
        assert!(store.base_of("http://token.dynatrace.com").is_none());
    }
}
