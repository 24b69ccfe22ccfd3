//! Dynatrace SSO's token endpoint, `POST /sso/oauth2/token`: the OAuth 2.0 client credentials
//! grant (RFC 6749 §4.4) for the OAuth clients of the account, and the bearer access tokens it
//! issues, which every other Dynatrace endpoint here checks.
//!
//! The request ("OAuth clients", Dynatrace documentation): form-encoded `grant_type=
//! client_credentials`, `client_id`, `client_secret`, `scope` (space-separated), `resource`
//! (`urn:dtaccount:<account UUID>`; environment-scoped clients such as EdgeConnect's use
//! `urn:dtenvironment:<environment ID>`). The answer: `{"token_type": "Bearer", "resource",
//! "access_token", "expires_in": 300, "scope"}`; "The returned token is valid for 5 minutes"
//! (shared/sources/002). Errors are RFC 6749 §5.2's (and RFC 8707's `invalid_target` for a
//! resource that names nothing of the account).
//!
//! Access tokens are JWTs (RFC 9068 layout) signed with the Dynatrace issuer's signing key, so
//! its JWKS verifies them, and typed `at+jwt` in their header: `/mint` can set any claim but
//! never the header, so no minted identity token passes for an access token.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hyper::header::{HeaderValue, PRAGMA, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};
use josekit::jws::{JwsHeader, ES256, RS256};
use rig_core::http::Body;
use rig_core::Clock;
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq as _;

use super::http::{json, oauth_error, Req};
use super::model::World;
use crate::keys::{KeyAlg, KeySet};

/// Where tokens are requested (`sso.dynatrace.com`'s path).
pub const TOKEN_PATH: &str = "/sso/oauth2/token";
/// The `iss` of access tokens. Guess: the issuer Dynatrace SSO's OIDC discovery document
/// names (`https://sso.dynatrace.com:443`); Dynatrace does not document its access tokens'
/// claims.
pub const SSO_ISSUER: &str = "https://sso.dynatrace.com:443";
/// Access token lifetime: "valid for 5 minutes" (002), `"expires_in": 300` (OAuth clients).
pub const ACCESS_TOKEN_TTL: i64 = 300;
/// The JOSE `typ` of an access token (RFC 9068 §2.1).
const AT_JWT: &str = "at+jwt";

/// What an access token is for: the account, or one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `urn:dtaccount:<UUID>`.
    Account(String),
    /// `urn:dtenvironment:<ID>`.
    Environment(String),
}

impl Resource {
    /// The URN.
    pub fn urn(&self) -> String {
        match self {
            Resource::Account(id) => format!("urn:dtaccount:{id}"),
            Resource::Environment(id) => format!("urn:dtenvironment:{id}"),
        }
    }

    fn parse(world: &World, urn: &str) -> Option<Resource> {
        if let Some(id) = urn.strip_prefix("urn:dtaccount:") {
            return id
                .eq_ignore_ascii_case(&world.account)
                .then(|| Resource::Account(world.account.clone()));
        }
        let id = urn.strip_prefix("urn:dtenvironment:")?;
        world
            .environments
            .iter()
            .any(|e| e == id)
            .then(|| Resource::Environment(id.to_string()))
    }
}

/// Who is calling, from a verified access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The OAuth client.
    pub client_id: String,
    /// The scopes the token carries.
    pub scopes: Vec<String>,
    /// What the token is for.
    pub resource: Resource,
}

/// The form parameters, refusing a repeated one ("Request and response parameters MUST NOT be
/// included more than once", RFC 6749 §3.1/§3.2).
fn form(req: &Req) -> Result<Map<String, Value>, String> {
    let mut params = Map::new();
    for (name, value) in url::form_urlencoded::parse(&req.body) {
        if params.contains_key(name.as_ref()) {
            return Err(format!("the parameter {name} is given more than once"));
        }
        params.insert(name.into_owned(), Value::String(value.into_owned()));
    }
    Ok(params)
}

/// `client_id` and `client_secret` from HTTP Basic (RFC 6749 §2.3.1: each form-encoded).
fn basic(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(rest.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// `POST /sso/oauth2/token`.
pub fn token(world: &World, keys: &KeySet, clock: &Clock, req: &Req) -> Response<Body> {
    let bad =
        |description: String| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description);
    if let Some(ct) = &req.content_type {
        if !ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        {
            return bad(format!(
                "the token request must be application/x-www-form-urlencoded (RFC 6749 §4.4.2), not {ct}"
            ));
        }
    }
    let params = match form(req) {
        Ok(params) => params,
        Err(e) => return bad(e),
    };
    let text = |name: &str| params.get(name).and_then(Value::as_str);
    let Some(grant_type) = text("grant_type") else {
        return bad("the parameter grant_type is missing".into());
    };

    // Client authentication (RFC 6749 §2.3): HTTP Basic or the body, not both.
    let from_header = req.authorization.as_deref().and_then(basic);
    let in_body = text("client_id").is_some() || text("client_secret").is_some();
    let used_basic = from_header.is_some();
    let (client_id, client_secret) = match (from_header, in_body) {
        (Some(_), true) => {
            return bad("authenticate with HTTP Basic or with client_id and client_secret in the body, not both".into())
        }
        (Some(pair), false) => pair,
        (None, _) => match (text("client_id"), text("client_secret")) {
            (Some(id), Some(secret)) => (id.to_string(), secret.to_string()),
            (None, _) => return bad("the parameter client_id is missing".into()),
            (Some(_), None) => return bad("the parameter client_secret is missing".into()),
        },
    };
    let client = world
        .client(&client_id)
        .filter(|c| bool::from(c.client_secret.as_bytes().ct_eq(client_secret.as_bytes())));
    let Some(client) = client else {
        tracing::info!(target: "issuer::dynatrace::oauth", client_id = %client_id, "client authentication failed");
        // RFC 6749's answer, as the issue asks; real Dynatrace SSO answers 400 "Bad Request"
        // (terraform-provider-dynatrace #325). Guess at the description.
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed: unknown client_id or wrong client_secret",
        );
        if used_basic {
            // RFC 6749 §5.2: a client that used the Authorization header gets the challenge.
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sso.dynatrace.com\""),
            );
        }
        return response;
    };

    if grant_type != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant_type {grant_type} is not supported here: use client_credentials"),
        );
    }
    // Dynatrace requires the resource ("You must include your account UID prefixed with
    // urn:dtaccount in the resource parameter", shared/sources/002).
    let Some(urn) = text("resource") else {
        return bad(format!(
            "the parameter resource is missing: give urn:dtaccount:{} (or urn:dtenvironment:ENVIRONMENT)",
            world.account
        ));
    };
    let Some(resource) = Resource::parse(world, urn) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            format!(
                "resource {urn} names neither account {} nor one of its environments ({})",
                world.account,
                world.environments.join(", ")
            ),
        );
    };
    // Guess: without `scope`, every scope of the client (RFC 6749 §3.3 lets the server pick a
    // default; Dynatrace's documentation always sends one).
    let requested: Vec<String> = match text("scope") {
        Some(s) => s.split_whitespace().map(str::to_string).collect(),
        None => client.scopes.clone(),
    };
    if requested.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "the scope parameter names no scope",
        );
    }
    let foreign: Vec<&str> = requested
        .iter()
        .filter(|s| !client.scopes.contains(s))
        .map(String::as_str)
        .collect();
    if !foreign.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!(
                "client {} may not grant {}; its scopes are {}",
                client.client_id,
                foreign.join(" "),
                client.scopes.join(" ")
            ),
        );
    }
    let mut scopes: Vec<String> = Vec::new();
    for s in requested {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let scope = scopes.join(" ");
    match issue(keys, clock, &client.client_id, &scope, &resource) {
        Ok(access_token) => {
            let mut response = json(
                StatusCode::OK,
                &json!({
                    "token_type": "Bearer",
                    "resource": resource.urn(),
                    "access_token": access_token,
                    "expires_in": ACCESS_TOKEN_TTL,
                    "scope": scope,
                }),
            );
            response
                .headers_mut()
                .insert(PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e),
    }
}

/// Signs an access token. Guess at the claims: RFC 9068's (`iss`, `sub` = `client_id` for a
/// client acting for itself, `aud` = the resource, `client_id`, `scope`, `iat`, `exp`, `jti`);
/// Dynatrace does not publish its own.
fn issue(
    keys: &KeySet,
    clock: &Clock,
    client_id: &str,
    scope: &str,
    resource: &Resource,
) -> Result<String, String> {
    let now = clock.unix();
    let claims = json!({
        "iss": SSO_ISSUER,
        "sub": client_id,
        "aud": resource.urn(),
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "nbf": now,
        "exp": now + ACCESS_TOKEN_TTL,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let key = keys.signing_key();
    let mut header = JwsHeader::new();
    header.set_token_type(AT_JWT);
    header.set_key_id(key.kid());
    josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, key.signer())
        .map_err(|e| e.to_string())
}

/// Why a bearer token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header.
    Missing,
    /// A scheme other than `Bearer`.
    Scheme(String),
    /// The token does not verify, has expired, or names no client of the account.
    Invalid(String),
}

/// Verifies the bearer token of `authorization` at the clock's "now".
pub fn authenticate(
    world: &World,
    keys: &KeySet,
    clock: &Clock,
    authorization: Option<&str>,
) -> Result<Caller, AuthError> {
    let header = authorization.ok_or(AuthError::Missing)?;
    let (scheme, token) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Scheme(scheme.to_string()));
    }
    let claims = verify(keys, token.trim()).map_err(AuthError::Invalid)?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
    if text("iss") != SSO_ISSUER {
        return Err(AuthError::Invalid(format!(
            "the token's issuer is {:?}, not Dynatrace SSO ({SSO_ISSUER})",
            text("iss")
        )));
    }
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let now = clock.unix();
    if exp <= now {
        return Err(AuthError::Invalid(format!(
            "the token expired at {exp}; it is now {now}: request a new one from {TOKEN_PATH}"
        )));
    }
    let client_id = text("client_id");
    if world.client(client_id).is_none() {
        return Err(AuthError::Invalid(format!(
            "the token's client {client_id:?} is not a client of this account"
        )));
    }
    let resource = Resource::parse(world, text("aud")).ok_or_else(|| {
        AuthError::Invalid(format!(
            "the token's resource {:?} is not of this account",
            text("aud")
        ))
    })?;
    Ok(Caller {
        client_id: client_id.to_string(),
        scopes: text("scope")
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        resource,
    })
}

/// Checks the signature and the `at+jwt` type; the claims.
fn verify(keys: &KeySet, token: &str) -> Result<Map<String, Value>, String> {
    let malformed =
        || "the bearer token is not a Dynatrace access token (a JWT of type at+jwt)".to_string();
    let head = token.split('.').next().ok_or_else(malformed)?;
    let header: Map<String, Value> = URL_SAFE_NO_PAD
        .decode(head)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(malformed)?;
    let typ = header
        .get("typ")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !typ.eq_ignore_ascii_case(AT_JWT) && !typ.eq_ignore_ascii_case("application/at+jwt") {
        return Err(malformed());
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let key = keys
        .keys()
        .iter()
        .find(|k| k.kid() == kid && k.alg().as_str() == alg)
        .ok_or_else(|| {
            format!("the token is signed by no published key (kid {kid:?}, alg {alg:?})")
        })?;
    let bad_signature = |_| "the token's signature does not verify".to_string();
    let payload = match key.alg() {
        KeyAlg::Rs256 => {
            let verifier = RS256
                .verifier_from_jwk(key.public_jwk())
                .map_err(bad_signature)?;
            josekit::jws::deserialize_compact(token, &verifier)
                .map_err(bad_signature)?
                .0
        }
        KeyAlg::Es256 => {
            let verifier = ES256
                .verifier_from_jwk(key.public_jwk())
                .map_err(bad_signature)?;
            josekit::jws::deserialize_compact(token, &verifier)
                .map_err(bad_signature)?
                .0
        }
    };
    serde_json::from_slice(&payload).map_err(|_| malformed())
}
