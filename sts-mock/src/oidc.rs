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
//! - An identity provider gets [`IDP_TIMEOUT`] (5 s, as STS allows) for its discovery document
//!   and JWKS together; one that is down, slower, or answers something that is not a JWKS
//!   leaves the token without a verification key, which STS answers `InvalidIdentityToken`
//!   "Couldn't retrieve verification key from your identity provider" (see [`TokenError`]).
//! - Keys are cached per provider for the cache lifetime (`--jwks-cache-seconds`, default
//!   [`DEFAULT_JWKS_CACHE_SECS`]), read on the shared clock so a test can expire it without
//!   sleeping; while they are fresh, a request whose `kid` is cached never waits on the
//!   network, so an identity provider that goes down is not noticed until they expire. Once
//!   they have expired they are fetched again, and keys the provider no longer publishes are
//!   gone. An unknown `kid` triggers one refetch, at most once per [`REFETCH_INTERVAL`] per
//!   provider (of real time or of the shared clock, whichever has moved further, so a
//!   frozen clock never blocks rotation and a test can let the refetch through by advancing
//!   the clock). Fetches are single-flight, and everyone who waited for a fetch shares its
//!   outcome, failure included: a slow or dead provider holds each request for one fetch at
//!   most.
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

/// The cache lifetime of fetched keys when `--jwks-cache-seconds` is not given, in seconds of
/// the shared clock. Guess: AWS does not document how long STS keeps an identity provider's
/// keys. It is known to take the JWKS's caching headers into account (AWS, quoted in GitLab
/// merge request 138405: STS changed its behaviour for providers that do not allow caching
/// "through setting either Pragma: no-cache, Cache-Control: no-cache, or Cache-Control:
/// max-age=0"); sts-mock uses one fixed, settable lifetime instead, so a test knows when keys
/// are fetched again.
pub const DEFAULT_JWKS_CACHE_SECS: u64 = 3600;
/// The longest cache lifetime that can be set (a year): far beyond any test, and far from the
/// arithmetic's range.
pub const MAX_JWKS_CACHE_SECS: u64 = 365 * 24 * 3600;
/// An unknown `kid` refetches the keys at most this often per provider.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// How long STS waits for an identity provider: the AWS Knowledge Center article on
/// `InvalidIdentityToken` ("How can I resolve the AWS STS AssumeRoleWithWebIdentity API call
/// error InvalidIdentityToken?", repost.aws/knowledge-center/iam-sts-invalididentitytoken)
/// lists "latency of more than 5 seconds" among the causes of "Couldn't retrieve verification
/// key from your identity provider", and GitHub users saw exactly that when GitHub's OIDC
/// endpoints were "not responding within the 5 seconds timeslot that AWS requires"
/// (actions/runner #1466). Guess: the 5 s cover the discovery document and the JWKS together.
pub const IDP_TIMEOUT: Duration = Duration::from_secs(5);
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
    /// No verification key could be had for the token: the provider's keys (as fetched or
    /// cached) lack its `kid`, or they could not be retrieved at all. STS answers both the
    /// same way, `InvalidIdentityToken` "Couldn't retrieve verification key from your identity
    /// provider": the AWS Knowledge Center names that error for a `.well-known` URL or
    /// `jwks_uri` that cannot be reached, a firewall in between, more than 5 seconds of
    /// latency and too many requests (repost.aws/knowledge-center/iam-sts-invalididentitytoken),
    /// GitHub users met it when GitHub's endpoints were slow (actions/runner #1466,
    /// aws-actions/configure-aws-credentials #299), GitLab's when its JWKS could not be cached
    /// (GitLab MR 138405). Guess: a discovery document or JWKS that is not JSON, and one naming
    /// another issuer, are answered the same way.
    #[error("{0}")]
    UnknownKey(MissingKey),
    /// The signature does not verify with the published key.
    #[error("the signature does not verify with the published key {0:?}")]
    BadSignature(Option<String>),
    /// sts-mock does not fetch this provider's keys: it has no `--oidc-endpoint`, or its
    /// discovery document names a `jwks_uri` outside the provider's location. Real STS reaches
    /// any identity provider on the internet, so this case is the rig's own; Guess: it is
    /// answered `IDPCommunicationError`, whose description in STS's API reference ("the
    /// identity provider (IDP) that was asked to verify the incoming identity token could not
    /// be reached") is what happened, and which tells a misconfigured rig apart from an
    /// identity provider that misbehaves.
    #[error("identity provider not fetched: {0}")]
    Idp(String),
}

/// Why no verification key could be had for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingKey {
    /// The token's `kid`, if it names one.
    pub kid: Option<String>,
    /// Why there is no key for it.
    pub cause: MissingCause,
}

/// Why a token's key is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissingCause {
    /// The keys were fetched, and none of them has the token's `kid` (or, without a `kid`,
    /// there is not exactly one key of the token's type).
    NotPublished,
    /// None of the cached keys fits, and they were fetched less than [`REFETCH_INTERVAL`] ago,
    /// so they were not fetched again.
    RefetchLimited,
    /// The discovery document or the JWKS could not be fetched or read: why.
    Unavailable(String),
}

impl std::fmt::Display for MissingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = match &self.kid {
            Some(kid) => format!("no key with kid {kid:?}"),
            None => "no kid in the token, and not exactly one key of its type".to_string(),
        };
        match &self.cause {
            MissingCause::NotPublished => {
                write!(f, "{key} in the identity provider's JWKS")
            }
            MissingCause::RefetchLimited => write!(
                f,
                "{key} in the identity provider's JWKS as cached, fetched less than {}s ago (an unknown kid refetches at most once per {}s of real time or of the clock)",
                REFETCH_INTERVAL.as_secs(),
                REFETCH_INTERVAL.as_secs()
            ),
            MissingCause::Unavailable(why) => {
                write!(f, "the identity provider's keys could not be retrieved: {why}")
            }
        }
    }
}

/// How a fetch of a provider's keys failed, before it is put in a token's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FetchError {
    /// Reached, but down, too slow or not serving a JWKS.
    Unavailable(String),
    /// Not fetched at all: no mapping, or a location sts-mock does not follow.
    NotFetched(String),
}

impl FetchError {
    fn for_kid(&self, kid: Option<&str>) -> TokenError {
        match self {
            FetchError::Unavailable(why) => TokenError::UnknownKey(MissingKey {
                kid: kid.map(str::to_string),
                cause: MissingCause::Unavailable(why.clone()),
            }),
            FetchError::NotFetched(why) => TokenError::Idp(why.clone()),
        }
    }
}

fn missing(kid: Option<&str>, cause: MissingCause) -> TokenError {
    TokenError::UnknownKey(MissingKey {
        kid: kid.map(str::to_string),
        cause,
    })
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

/// The algorithms STS accepts, exactly: the STS API reference of `WebIdentityToken`, "Tokens
/// must be signed using either RSA keys (RS256, RS384, or RS512) or ECDSA keys (ES256, ES384, or
/// ES512)". RSA-PSS, HMAC (the algorithm-confusion attack) and `none` are refused.
fn verifier_for(alg: &str, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, TokenError> {
    use josekit::jws::{ES256, ES384, ES512, RS256, RS384, RS512};
    let kid = jwk.key_id().map(str::to_string);
    let bad = |_| TokenError::BadSignature(kid.clone());
    Ok(match alg {
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk).map_err(bad)?),
        "RS384" => Box::new(RS384.verifier_from_jwk(jwk).map_err(bad)?),
        "RS512" => Box::new(RS512.verifier_from_jwk(jwk).map_err(bad)?),
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
        "RS256" | "RS384" | "RS512" | "ES256" | "ES384" | "ES512"
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
    /// Shared-clock time, for the cache lifetime and the rate limit.
    fetched_at_clock: i64,
}

#[derive(Debug, Default)]
struct ProviderEntry {
    keys: RwLock<Option<Arc<CachedKeys>>>,
    /// How many fetches have ended, and how the last one failed (`None`: it succeeded). Who
    /// waited for a fetch takes its outcome from here instead of fetching again.
    attempts: Mutex<(u64, Option<FetchError>)>,
    /// Held while fetching: one fetch per provider at a time.
    fetching: tokio::sync::Mutex<()>,
}

impl ProviderEntry {
    fn current(&self) -> Option<Arc<CachedKeys>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
    fn attempts(&self) -> (u64, Option<FetchError>) {
        self.attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    fn record(&self, outcome: Option<FetchError>) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        *attempts = (attempts.0 + 1, outcome);
    }
}

/// The keys sts-mock holds for a provider, as [`KeyStore::cached`] reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedKeySet {
    /// The `kid`s of the cached keys (`""` for a key without one).
    pub kids: Vec<String>,
    /// When they were fetched, in seconds since the epoch on the shared clock.
    pub fetched_at: i64,
    /// Until when they are used without fetching again (the shared clock's seconds).
    pub expires_at: i64,
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
    /// How long fetched keys are used before they are fetched again (shared-clock seconds).
    cache_seconds: i64,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

impl KeyStore {
    /// `endpoints`: issuer URL to the base URL its documents are fetched from instead. Keys
    /// are cached for [`DEFAULT_JWKS_CACHE_SECS`].
    pub fn new(endpoints: Vec<(String, String)>, clock: Clock) -> KeyStore {
        KeyStore::with_cache_seconds(endpoints, clock, DEFAULT_JWKS_CACHE_SECS)
    }

    /// Like [`KeyStore::new`], with keys cached for `cache_seconds` of the shared clock (at
    /// most [`MAX_JWKS_CACHE_SECS`]; 0 fetches them for every token).
    pub fn with_cache_seconds(
        endpoints: Vec<(String, String)>,
        clock: Clock,
        cache_seconds: u64,
    ) -> KeyStore {
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
                cache_seconds: cache_seconds.min(MAX_JWKS_CACHE_SECS) as i64,
            }),
        }
    }

    /// How many discovery+JWKS fetches were made for tokens (for tests of the cache; the
    /// probes of [`KeyStore::probe`] are not counted).
    pub fn fetch_count(&self) -> u64 {
        self.inner
            .fetches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How long fetched keys are used before they are fetched again, in seconds of the
    /// shared clock.
    pub fn cache_seconds(&self) -> u64 {
        self.inner.cache_seconds as u64
    }

    /// The `--oidc-endpoint` mappings, issuer to base.
    pub fn endpoints(&self) -> &[(String, String)] {
        &self.inner.endpoints
    }

    /// The keys cached for the provider whose issuer URL is `issuer`, if any were fetched.
    pub fn cached(&self, issuer: &str) -> Option<CachedKeySet> {
        let entry = self
            .inner
            .providers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(issuer.trim_end_matches('/'))
            .cloned()?;
        let keys = entry.current()?;
        Some(CachedKeySet {
            kids: keys
                .keys
                .iter()
                .map(|k| k.jwk.key_id().unwrap_or_default().to_string())
                .collect(),
            fetched_at: keys.fetched_at_clock,
            expires_at: keys
                .fetched_at_clock
                .saturating_add(self.inner.cache_seconds),
        })
    }

    /// Fetches `issuer`'s discovery document and JWKS now, as a token would have them
    /// fetched (within [`IDP_TIMEOUT`]), without using or changing the cache: the `kid`s of
    /// the keys it publishes, or why they cannot be had.
    pub async fn probe(&self, issuer: &str) -> Result<Vec<String>, String> {
        match self.fetch_keys(issuer.trim_end_matches('/')).await {
            Ok(keys) => Ok(keys
                .iter()
                .map(|k| k.key_id().unwrap_or_default().to_string())
                .collect()),
            Err(FetchError::Unavailable(why) | FetchError::NotFetched(why)) => Err(why),
        }
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
        check_signature(&key, alg, token)
    }

    fn entry(&self, issuer: &str) -> Arc<ProviderEntry> {
        let mut providers = self
            .inner
            .providers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        providers.entry(issuer.to_string()).or_default().clone()
    }

    /// Within the cache lifetime, on the shared clock.
    fn fresh(&self, keys: &CachedKeys) -> bool {
        self.inner
            .clock
            .unix()
            .saturating_sub(keys.fetched_at_clock)
            < self.inner.cache_seconds
    }

    /// Whether an unknown `kid` may fetch the keys again: [`REFETCH_INTERVAL`] has passed on
    /// either clock.
    fn refetch_due(&self, keys: &CachedKeys) -> bool {
        let interval = REFETCH_INTERVAL.as_secs() as i64;
        keys.fetched_at.elapsed() >= REFETCH_INTERVAL
            || self
                .inner
                .clock
                .unix()
                .saturating_sub(keys.fetched_at_clock)
                >= interval
    }

    async fn key(
        &self,
        issuer: &str,
        kid: Option<&str>,
        alg: &str,
    ) -> Result<CachedKey, TokenError> {
        let entry = self.entry(issuer);
        // Read before the cache, so a fetch that ends in between is seen as new below.
        let (seen, _) = entry.attempts();
        if let Some(cached) = entry.current() {
            if self.fresh(&cached) {
                if let Some(key) = pick(&cached.keys, kid, alg) {
                    return Ok(key);
                }
            }
        }
        let _fetching = entry.fetching.lock().await;
        let (ended, failure) = entry.attempts();
        if ended != seen {
            // A fetch ended while we waited: its outcome is ours too.
            if let Some(failure) = failure {
                return Err(failure.for_kid(kid));
            }
            let keys = entry.current();
            return keys
                .and_then(|keys| pick(&keys.keys, kid, alg))
                .ok_or_else(|| missing(kid, MissingCause::NotPublished));
        }
        if let Some(cached) = entry.current() {
            if self.fresh(&cached) {
                if let Some(key) = pick(&cached.keys, kid, alg) {
                    return Ok(key);
                }
                if !self.refetch_due(&cached) {
                    // Unknown kid, and the keys are brand new: do not hammer the IdP.
                    return Err(missing(kid, MissingCause::RefetchLimited));
                }
            }
        }
        self.inner
            .fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match self.fetch_keys(issuer).await {
            Ok(keys) => {
                let fetched = Arc::new(CachedKeys {
                    keys: keys.into_iter().map(CachedKey::new).collect(),
                    fetched_at: Instant::now(),
                    fetched_at_clock: self.inner.clock.unix(),
                });
                *entry.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(fetched.clone());
                entry.record(None);
                pick(&fetched.keys, kid, alg)
                    .ok_or_else(|| missing(kid, MissingCause::NotPublished))
            }
            Err(failure) => {
                // Guess: keys past their lifetime are not used while the provider cannot be
                // reached; STS's reported failures during IdP outages suggest it does not
                // keep serving stale keys. They stay cached, unused, until a fetch succeeds.
                let error = failure.for_kid(kid);
                entry.record(Some(failure));
                Err(error)
            }
        }
    }

    /// Discovery (which must name `issuer` exactly), then the JWKS, within [`IDP_TIMEOUT`].
    async fn fetch_keys(&self, issuer: &str) -> Result<Vec<Jwk>, FetchError> {
        let Some(base) = self.base_of(issuer) else {
            return Err(FetchError::NotFetched(format!(
                "{issuer} has no --oidc-endpoint: sts-mock fetches keys only from a local endpoint mapped with --oidc-endpoint {issuer}=http://127.0.0.1:PORT"
            )));
        };
        match tokio::time::timeout(IDP_TIMEOUT, self.fetch_from(issuer, base)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(FetchError::Unavailable(format!(
                "{issuer}'s discovery document and JWKS (from {base}) did not arrive within {} s, the time STS allows an identity provider",
                IDP_TIMEOUT.as_secs()
            ))),
        }
    }

    async fn fetch_from(&self, issuer: &str, base: &str) -> Result<Vec<Jwk>, FetchError> {
        let unavailable = FetchError::Unavailable;
        let discovery_url = format!("{base}/.well-known/openid-configuration");
        let body = self.get(&discovery_url).await.map_err(unavailable)?;
        let discovery: Discovery = serde_json::from_slice(&body).map_err(|e| {
            unavailable(format!(
                "{discovery_url}: not a discovery document with issuer and jwks_uri: {e}"
            ))
        })?;
        if discovery.issuer != issuer {
            return Err(unavailable(format!(
                "{discovery_url} names issuer {:?}, not {issuer:?}",
                discovery.issuer
            )));
        }
        let jwks_url = self
            .location(issuer, base, &discovery.jwks_uri)
            .map_err(FetchError::NotFetched)?;
        let body = self.get(&jwks_url).await.map_err(unavailable)?;
        jwks_keys(&body).map_err(|why| unavailable(format!("{jwks_url}{why}")))
    }

    /// One GET; the caller bounds the time it takes.
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
        let response = self
            .inner
            .client
            .request(request)
            .await
            .map_err(|e| format!("{url}: {}", connect_error(&e)))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
            .collect()
            .await
            .map_err(|e| format!("{url}: {e}"))?
            .to_bytes();
        if !status.is_success() {
            return Err(format!("{url}: HTTP {status}"));
        }
        Ok(body)
    }
}

/// A client error with its cause ("connection refused"), which hyper's own message omits.
fn connect_error(error: &hyper_util::client::legacy::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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

/// The keys of a JWKS document: what [`KeyStore::verify`] verifies tokens with once it has
/// fetched them, here without fetching or caching anything (for checks of a JWKS at hand, and
/// for fuzzing the verification path against a fixed key set).
#[derive(Debug, Clone)]
pub struct Jwks {
    keys: Vec<CachedKey>,
}

impl Jwks {
    /// Reads a JWKS document (`{"keys": [...]}`) as sts-mock reads one it fetched: keys that
    /// are not valid JWKs are skipped; a document that is not JSON, has no `keys` array or no
    /// usable key is refused, saying why (the text after the JWKS's URL in sts-mock's
    /// messages, such as `: not JSON: ...` or ` publishes no usable keys`).
    pub fn parse(body: &[u8]) -> Result<Jwks, String> {
        let keys = jwks_keys(body)?;
        Ok(Jwks {
            keys: keys.into_iter().map(CachedKey::new).collect(),
        })
    }

    /// Verifies `token` (decoded as `decoded`) exactly as [`KeyStore::verify`] verifies it
    /// against a provider's fetched keys: the algorithm first, then the key for its `kid`,
    /// then the signature. A `kid` these keys lack is [`MissingCause::NotPublished`].
    pub fn verify(&self, token: &str, decoded: &UnverifiedToken) -> Result<(), TokenError> {
        let alg = decoded.alg();
        if !is_supported_alg(alg) {
            return Err(TokenError::Algorithm(alg.to_string()));
        }
        let key = pick(&self.keys, decoded.kid(), alg)
            .ok_or_else(|| missing(decoded.kid(), MissingCause::NotPublished))?;
        check_signature(&key, alg, token)
    }
}

/// The JWKs of a JWKS document; `Err` is what is wrong with it, worded to follow its URL.
fn jwks_keys(body: &[u8]) -> Result<Vec<Jwk>, String> {
    let set: Value = serde_json::from_slice(body).map_err(|e| format!(": not JSON: {e}"))?;
    let keys = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| ": no \"keys\" array".to_string())?;
    // Keys that are not valid JWKs are skipped, as a JWKS client must (RFC 7517 5).
    let keys: Vec<Jwk> = keys
        .iter()
        .filter_map(|k| match k {
            Value::Object(map) => Jwk::from_map(map.clone()).ok(),
            _ => None,
        })
        .collect();
    if keys.is_empty() {
        // Guess: a JWKS without a usable key is keys that could not be retrieved, as for a
        // provider that is down: not cached, so it neither replaces the keys held nor
        // outlives the fault (the next token fetches again).
        return Err(" publishes no usable keys".into());
    }
    Ok(keys)
}

/// The signature check once the key is known: a key naming another algorithm refuses the
/// token; otherwise the token must verify with it.
fn check_signature(key: &CachedKey, alg: &str, token: &str) -> Result<(), TokenError> {
    let kid = key.jwk.key_id().map(str::to_string);
    if key.jwk.algorithm().is_some_and(|a| a != alg) {
        return Err(TokenError::BadSignature(kid));
    }
    // The verifier built when the keys were read, if the key names its algorithm;
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

    /// A JWKS at hand verifies as fetched keys do: its own tokens pass, a changed claim, an
    /// unknown kid and an algorithm STS refuses do not; a document without usable keys is
    /// refused with the words sts-mock's messages use after the JWKS's URL.
    #[test]
    fn a_jwks_at_hand_verifies_as_fetched_keys_do() {
        use josekit::jws::{JwsHeader, ES256};
        let pair = ES256.generate_key_pair().unwrap();
        let mut public = pair.to_jwk_public_key();
        public.set_key_id("k1");
        public.set_algorithm("ES256");
        let jwks =
            Jwks::parse(&serde_json::to_vec(&serde_json::json!({ "keys": [public] })).unwrap())
                .unwrap();
        let signer = ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap();
        let sign = |kid: &str, claims: &str| {
            let mut header = JwsHeader::new();
            header.set_key_id(kid);
            josekit::jws::serialize_compact(claims.as_bytes(), &header, &signer).unwrap()
        };
        let verify = |token: &str| jwks.verify(token, &decode(token).unwrap());
        let token = sign("k1", r#"{"iss":"x","sub":"a"}"#);
        assert!(verify(&token).is_ok());
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(r#"{"iss":"x","sub":"b"}"#);
        assert!(
            matches!(verify(&parts.join(".")), Err(TokenError::BadSignature(Some(k))) if k == "k1")
        );
        let unknown = sign("k2", r#"{"iss":"x"}"#);
        assert!(matches!(
            verify(&unknown),
            Err(TokenError::UnknownKey(MissingKey {
                cause: MissingCause::NotPublished,
                ..
            }))
        ));
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","kid":"k1"}"#);
        let hs = format!("{h}.{}.{}", parts[1], parts[2]);
        assert!(matches!(verify(&hs), Err(TokenError::Algorithm(a)) if a == "HS256"));
        let refused = |body: &str| Jwks::parse(body.as_bytes()).unwrap_err();
        assert!(refused("not json").starts_with(": not JSON: "));
        assert_eq!(refused(r#"{"kty":"EC"}"#), r#": no "keys" array"#);
        assert_eq!(
            refused(r#"{"keys":[1,{"kty":1}]}"#),
            " publishes no usable keys"
        );
    }

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

    /// An unknown kid may refetch once 10 s have passed on either clock: real time (a frozen
    /// clock never blocks rotation) or the shared clock (a test moves it instead of sleeping).
    #[test]
    fn a_refetch_is_due_after_ten_seconds_of_either_clock() {
        let clock: Clock = "2026-11-23T05:00:00Z".parse().unwrap();
        let store = KeyStore::new(Vec::new(), clock.clone());
        let keys = |real_age: u64| CachedKeys {
            keys: Vec::new(),
            fetched_at: Instant::now() - Duration::from_secs(real_age),
            fetched_at_clock: clock.unix(),
        };
        assert!(!store.refetch_due(&keys(0)));
        assert!(!store.refetch_due(&keys(9)));
        assert!(store.refetch_due(&keys(10)), "real time alone");
        let fresh = keys(0);
        clock.advance(9).unwrap();
        assert!(!store.refetch_due(&fresh));
        clock.advance(1).unwrap();
        assert!(store.refetch_due(&fresh), "the shared clock alone");
        // The cache lifetime is the shared clock's only.
        assert!(store.fresh(&keys(24 * 3600)));
    }

    #[test]
    fn missing_keys_say_why() {
        let text = |kid: Option<&str>, cause| {
            TokenError::UnknownKey(MissingKey {
                kid: kid.map(str::to_string),
                cause,
            })
            .to_string()
        };
        assert_eq!(
            text(Some("k"), MissingCause::NotPublished),
            "no key with kid \"k\" in the identity provider's JWKS"
        );
        assert!(text(None, MissingCause::NotPublished).starts_with("no kid in the token"));
        assert!(text(Some("k"), MissingCause::RefetchLimited).contains("fetched less than 10s ago"));
        assert_eq!(
            text(Some("k"), MissingCause::Unavailable("HTTP 503".into())),
            "the identity provider's keys could not be retrieved: HTTP 503"
        );
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
