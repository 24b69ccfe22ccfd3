//! Minting: turns a [`MintRequest`] (the body of a `mint` endpoint, also the `issuer mint`
//! options) into a signed compact JWS with the claims of the issuer's [`Profile`], and
//! deliberate faults for negative tests. Pure apart from the clock (the injected [`Clock`]) and
//! randomness: no HTTP here.

use std::sync::{Arc, OnceLock, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jws::{JwsHeader, HS256};
use rig_core::Clock;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::keys::{KeyAlg, KeySet, SigningKey};
use crate::profile::Profile;

/// Default token lifetime of the Dynatrace profile (each [`Profile`] has its own). Guess:
/// Dynatrace does not document the lifetime of its AWS-connector tokens; 300 s matches the
/// short-lived tokens OIDC federation usually uses.
pub const DEFAULT_TTL_SECS: i64 = 300;
/// Longest lifetime a caller may ask for (one week): long enough for any test, short enough to
/// catch a unit mistake such as milliseconds.
pub const MAX_TTL_SECS: i64 = 7 * 24 * 3600;
/// The Dynatrace profile's default tenant (the built-in default scenario).
pub const DEFAULT_TENANT: &str = "abc12345";
/// The Dynatrace profile's default connection (the built-in default scenario).
pub const DEFAULT_CONNECTION: &str = "my-connection";
/// The issuer a `wrong-issuer` token claims to come from.
pub const WRONG_ISSUER: &str = "https://wrong-issuer.invalid";

/// A request for a token: the body of `POST /mint` (and of every issuer's `mint`).
///
/// `tenant` and `connection` are the Dynatrace profile's fields, kept as members for the
/// requests written before there were other profiles; every other profile field (`repository`,
/// `ref`, `namespace`, `connection_id`, ...) is in [`fields`](Self::fields), and the issuer's
/// profile refuses the ones it does not know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MintRequest {
    /// Dynatrace tenant: `aud` = `<tenant>.apps.dynatrace.com/app-id/dynatrace.aws.connector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Dynatrace connection name: `sub` = `dtid:connection/<connection>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// Claims merged over the profile's claims (any JSON object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Map<String, Value>>,
    /// Lifetime in seconds (default: the profile's, 300 for Dynatrace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// A deliberate defect, for negative tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// The profile's other fields, by name (see [`Profile::fields`]).
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl MintRequest {
    /// A request for the profile's defaults.
    pub fn new() -> MintRequest {
        MintRequest::default()
    }

    /// Sets a profile field (`tenant` and `connection` set their members).
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> MintRequest {
        let value = value.into();
        match (name, &value) {
            ("tenant", Value::String(s)) => self.tenant = Some(s.clone()),
            ("connection", Value::String(s)) => self.connection = Some(s.clone()),
            _ => {
                self.fields.insert(name.to_string(), value);
            }
        }
        self
    }

    /// Adds a claim merged over the profile's claims.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> MintRequest {
        self.claims
            .get_or_insert_with(Map::new)
            .insert(name.to_string(), value.into());
        self
    }

    /// Sets the lifetime, in seconds.
    pub fn ttl(mut self, seconds: i64) -> MintRequest {
        self.ttl = Some(seconds);
        self
    }

    /// Asks for a deliberately bad token.
    pub fn fault(mut self, fault: Fault) -> MintRequest {
        self.fault = Some(fault);
        self
    }
}

/// Deliberately bad tokens, each one a way real verifiers must say no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// `exp` (and `iat`, `nbf`) in the past.
    Expired,
    /// `nbf` and `iat` an hour in the future.
    NotYetValid,
    /// Signed by the signing key, but the header names a `kid` the JWKS does not have.
    UnknownKid,
    /// A valid signature by a key that is not in the JWKS (the header names the real `kid`).
    ForeignKey,
    /// A correctly formed token whose signature bytes were altered.
    BadSignature,
    /// `alg: none` and an empty signature.
    AlgNone,
    /// HS256, with the RSA public key (PEM) used as the HMAC secret.
    Hs256Confusion,
    /// `iss` names another issuer.
    WrongIssuer,
}

impl Fault {
    /// Every fault, in the order the documentation lists them.
    pub const ALL: [Fault; 8] = [
        Fault::Expired,
        Fault::NotYetValid,
        Fault::UnknownKid,
        Fault::ForeignKey,
        Fault::BadSignature,
        Fault::AlgNone,
        Fault::Hs256Confusion,
        Fault::WrongIssuer,
    ];

    /// The wire name (`expired`, `not-yet-valid`, ...), as in `/mint` bodies and `--fault`.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Expired => "expired",
            Fault::NotYetValid => "not-yet-valid",
            Fault::UnknownKid => "unknown-kid",
            Fault::ForeignKey => "foreign-key",
            Fault::BadSignature => "bad-signature",
            Fault::AlgNone => "alg-none",
            Fault::Hs256Confusion => "hs256-confusion",
            Fault::WrongIssuer => "wrong-issuer",
        }
    }
}

impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Fault::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown fault `{s}`, expected one of: {}", all.join(", "))
            })
    }
}

/// A minted token and what went into it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MintedToken {
    /// The compact JWS.
    pub token: String,
    /// The JOSE header (`alg`, `typ`, `kid`).
    pub header: Map<String, Value>,
    /// The claims, as signed.
    pub claims: Map<String, Value>,
    /// `exp`, in seconds since the epoch.
    pub expires_at: i64,
    /// The deliberate defect, if one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

/// Why a request cannot be minted: always the caller's mistake, worded to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    /// The request is wrong (a 400 on `/mint`); the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// Signing failed: a fault of the issuer or its key, not of the request.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Mints tokens for one issuer identity from one key set, with one profile's claims, at the
/// time its [`Clock`] tells. The key set can change while it mints (keys added and removed at
/// run time); clones share it.
#[derive(Debug, Clone)]
pub struct Minter {
    issuer_url: String,
    keys: Arc<RwLock<KeySet>>,
    clock: Clock,
    profile: Profile,
    default_claims: Map<String, Value>,
}

impl Minter {
    /// A minter for identity `issuer_url` (the `iss` claim) with the Dynatrace profile, on real
    /// time.
    pub fn new(issuer_url: impl Into<String>, keys: KeySet) -> Minter {
        Minter {
            issuer_url: issuer_url.into(),
            keys: Arc::new(RwLock::new(keys)),
            clock: Clock::real(),
            profile: Profile::Dynatrace,
            default_claims: Map::new(),
        }
    }

    /// Reads time from `clock` (a shared handle: moving it moves the next token's `iat`).
    pub fn with_clock(mut self, clock: Clock) -> Minter {
        self.clock = clock;
        self
    }

    /// Mints `profile`'s claims.
    pub fn with_profile(mut self, profile: Profile) -> Minter {
        self.profile = profile;
        self
    }

    /// Merges `claims` over the profile's claims of every token (a request's `claims` merge
    /// over these in turn).
    pub fn with_default_claims(mut self, claims: Map<String, Value>) -> Minter {
        self.default_claims = claims;
        self
    }

    /// The identity, `iss` of every token.
    pub fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// The keys as they are now: the signing key and every published one.
    pub fn keys(&self) -> KeySet {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The key that signs now.
    pub fn signing_key(&self) -> SigningKey {
        self.keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .signing_key()
            .clone()
    }

    /// Changes the key set with `change`, for every clone of this minter; nothing changes
    /// when `change` fails.
    pub(crate) fn change_keys<T, E>(
        &self,
        change: impl FnOnce(&mut KeySet) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        let mut changed = keys.clone();
        let out = change(&mut changed)?;
        *keys = changed;
        Ok(out)
    }

    /// The clock `iat`, `nbf` and `exp` are minted from.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The profile whose claims are minted.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The claims merged over the profile's in every token.
    pub fn default_claims(&self) -> &Map<String, Value> {
        &self.default_claims
    }

    /// Mints a token at the clock's "now".
    pub fn mint(&self, request: &MintRequest) -> Result<MintedToken, MintError> {
        self.mint_at(request, self.clock.unix())
    }

    /// Mints a token as if the time were `now` (seconds since the epoch).
    pub fn mint_at(&self, request: &MintRequest, now: i64) -> Result<MintedToken, MintError> {
        let profile_claims = self.profile.claims(&self.issuer_url, request)?;
        let ttl = request.ttl.unwrap_or(self.profile.default_ttl());
        if !(1..=MAX_TTL_SECS).contains(&ttl) {
            return Err(MintError::Invalid(format!(
                "ttl must be between 1 and {MAX_TTL_SECS} seconds, got {ttl}"
            )));
        }
        // Each issuer dates `nbf` its own way relative to `iat` (GitHub 600 s before it).
        let skew = self.profile.not_before_skew();

        let mut claims = Map::new();
        claims.insert("iss".into(), self.issuer_url.clone().into());
        claims.extend(profile_claims);
        claims.insert("iat".into(), now.into());
        claims.insert("nbf".into(), (now - skew).into());
        claims.insert("exp".into(), (now + ttl).into());
        claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
        for (name, value) in self
            .default_claims
            .iter()
            .chain(request.claims.iter().flatten())
        {
            claims.insert(name.clone(), value.clone());
        }

        match request.fault {
            Some(Fault::Expired) => {
                // Expired well beyond any verifier's clock-skew allowance.
                let exp = now - 600;
                claims.insert("exp".into(), exp.into());
                claims.insert("iat".into(), (exp - ttl).into());
                claims.insert("nbf".into(), (exp - ttl - skew).into());
            }
            Some(Fault::NotYetValid) => {
                let start = now + 3600;
                claims.insert("iat".into(), start.into());
                claims.insert("nbf".into(), start.into());
                claims.insert("exp".into(), (start + ttl).into());
            }
            Some(Fault::WrongIssuer) => {
                claims.insert("iss".into(), WRONG_ISSUER.into());
            }
            _ => {}
        }

        let signing = &self.signing_key();
        let payload = serde_json::to_vec(&claims).map_err(|e| MintError::Signing(e.to_string()))?;
        let (token, header) = match request.fault {
            Some(Fault::UnknownKid) => {
                let kid = format!("unknown-{}", uuid::Uuid::new_v4().simple());
                sign(signing, &kid, &payload)?
            }
            Some(Fault::ForeignKey) => sign(foreign_key(signing.alg())?, signing.kid(), &payload)?,
            Some(Fault::BadSignature) => {
                let (token, header) = sign(signing, signing.kid(), &payload)?;
                (tamper_signature(&token), header)
            }
            Some(Fault::AlgNone) => unsigned(signing.kid(), &payload),
            Some(Fault::Hs256Confusion) => {
                let signer = HS256
                    .signer_from_bytes(signing.public_pem())
                    .map_err(|e| MintError::Signing(e.to_string()))?;
                let mut header = JwsHeader::new();
                header.set_token_type("JWT");
                header.set_key_id(signing.kid());
                let token = josekit::jws::serialize_compact(&payload, &header, &signer)
                    .map_err(|e| MintError::Signing(e.to_string()))?;
                let header = header_of(&token);
                (token, header)
            }
            _ => sign(signing, signing.kid(), &payload)?,
        };

        let expires_at = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        Ok(MintedToken {
            token,
            header,
            claims,
            expires_at,
            fault: request.fault,
        })
    }
}

fn sign(
    key: &SigningKey,
    kid: &str,
    payload: &[u8],
) -> Result<(String, Map<String, Value>), MintError> {
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id(kid);
    let token = josekit::jws::serialize_compact(payload, &header, key.signer())
        .map_err(|e| MintError::Signing(e.to_string()))?;
    let header = header_of(&token);
    Ok((token, header))
}

/// `alg: none`: header and payload, and an empty signature part.
fn unsigned(kid: &str, payload: &[u8]) -> (String, Map<String, Value>) {
    let mut header = Map::new();
    header.insert("alg".into(), "none".into());
    header.insert("typ".into(), "JWT".into());
    header.insert("kid".into(), kid.into());
    let header_b64 = URL_SAFE_NO_PAD.encode(Value::Object(header.clone()).to_string());
    let payload_b64 = URL_SAFE_NO_PAD.encode(payload);
    (format!("{header_b64}.{payload_b64}."), header)
}

/// Flips bits in the middle of the signature, keeping it valid base64url of the right length.
fn tamper_signature(token: &str) -> String {
    let (head, signature) = token.rsplit_once('.').unwrap_or((token, ""));
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    let middle = bytes.len() / 2;
    if let Some(b) = bytes.get_mut(middle) {
        *b ^= 0x5a;
    }
    format!("{head}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn header_of(token: &str) -> Map<String, Value> {
    token
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// A key that is in no JWKS, generated once per process per algorithm (RSA generation is slow).
fn foreign_key(alg: KeyAlg) -> Result<&'static SigningKey, MintError> {
    static RSA: OnceLock<SigningKey> = OnceLock::new();
    static EC: OnceLock<SigningKey> = OnceLock::new();
    let cell = match alg {
        KeyAlg::Rs256 => &RSA,
        KeyAlg::Es256 => &EC,
    };
    if let Some(key) = cell.get() {
        return Ok(key);
    }
    let key =
        SigningKey::generate("foreign", alg).map_err(|e| MintError::Signing(e.to_string()))?;
    Ok(cell.get_or_init(|| key))
}
