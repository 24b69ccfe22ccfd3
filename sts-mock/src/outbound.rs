//! Outbound identity federation's signing keys: one RS256 and one ES384 key pair per account
//! whose federation is enabled, made on first use and kept in memory (bounded by the model's
//! account quota), and the documents each account's issuer publishes (OIDC discovery and
//! JWKS), which sts-mock serves under `/_sts-mock/outbound/<id>/.well-known/`.
//!
//! The keys are not saved in `--state`: after a restart, tokens issued before it no longer
//! verify (they last an hour at most). Guess: AWS rotates its keys on a schedule of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use josekit::jwk::alg::ec::EcKeyPair;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jwk::{Jwk, KeyPair as _};
use josekit::jws::{JwsHeader, ES384, RS256};
use serde_json::{json, Map, Value};

/// An account's two key pairs.
struct AccountKeys {
    rsa: RsaKeyPair,
    rsa_kid: String,
    ec: EcKeyPair,
    ec_kid: String,
}

/// The algorithms `GetWebIdentityToken` signs with (its `SigningAlgorithm`).
pub const ALGORITHMS: [&str; 2] = ["RS256", "ES384"];

/// The keys of every account that issued tokens. Cheap to clone (a handle).
#[derive(Clone, Default)]
pub struct OutboundKeys {
    keys: Arc<Mutex<HashMap<String, Arc<AccountKeys>>>>,
}

impl std::fmt::Debug for OutboundKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("OutboundKeys").finish_non_exhaustive()
    }
}

impl OutboundKeys {
    fn account(&self, account: &str) -> Result<Arc<AccountKeys>, String> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = keys.get(account) {
            return Ok(k.clone());
        }
        let rsa = RS256.generate_key_pair(2048).map_err(|e| e.to_string())?;
        let ec = ES384.generate_key_pair().map_err(|e| e.to_string())?;
        let made = Arc::new(AccountKeys {
            rsa,
            rsa_kid: uuid::Uuid::new_v4().to_string(),
            ec,
            ec_kid: uuid::Uuid::new_v4().to_string(),
        });
        // Bounded: only accounts of the model (at most its account quota) enable federation.
        keys.insert(account.to_string(), made.clone());
        Ok(made)
    }

    /// Signs `claims` for `account` with `algorithm` (`RS256` or `ES384`): the compact JWS.
    pub fn sign(
        &self,
        account: &str,
        algorithm: &str,
        claims: &Map<String, Value>,
    ) -> Result<String, String> {
        let keys = self.account(account)?;
        let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        match algorithm {
            "ES384" => {
                header.set_key_id(&keys.ec_kid);
                let signer = ES384
                    .signer_from_jwk(&keys.ec.to_jwk_private_key())
                    .map_err(|e| e.to_string())?;
                josekit::jws::serialize_compact(&payload, &header, &signer)
                    .map_err(|e| e.to_string())
            }
            _ => {
                header.set_key_id(&keys.rsa_kid);
                let signer = RS256
                    .signer_from_jwk(&keys.rsa.to_jwk_private_key())
                    .map_err(|e| e.to_string())?;
                josekit::jws::serialize_compact(&payload, &header, &signer)
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// The account's JWKS: both public keys, with `kid`, `alg` and `use`.
    pub fn jwks(&self, account: &str) -> Result<Value, String> {
        let keys = self.account(account)?;
        let public = |mut jwk: Jwk, kid: &str, alg: &str| {
            jwk.set_key_id(kid);
            jwk.set_algorithm(alg);
            jwk.set_key_use("sig");
            Value::Object(jwk.as_ref().clone())
        };
        Ok(json!({ "keys": [
            public(keys.rsa.to_jwk_public_key(), &keys.rsa_kid, "RS256"),
            public(keys.ec.to_jwk_public_key(), &keys.ec_kid, "ES384"),
        ]}))
    }
}

/// The OIDC discovery document of the issuer `issuer` (`https://<id>.tokens.sts.global.api.aws`).
pub fn discovery(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ALGORITHMS,
        "claims_supported": ["aud", "exp", "iat", "iss", "jti", "sub", "https://sts.amazonaws.com/"],
    })
}
