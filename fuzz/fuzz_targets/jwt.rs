//! The web-identity token's path through sts-mock: `oidc::decode` (compact JWS, base64url,
//! JSON header and claims), then signature verification against a fixed JWKS (the repository's
//! development keys, RSA and P-256, one of them published without `alg`), exactly as
//! `KeyStore::verify` verifies against a provider's fetched keys. Seeds are real tokens of every
//! built-in issuer, and each deliberately bad kind `issuer mint --fault` makes.
//!
//! Checked beyond "no panic": a token that verifies stops verifying when any character of its
//! claims is changed (the signature covers the text, so base64url's spare bits cannot be used
//! to smuggle a different payload past it).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sts_mock::oidc::{decode, Jwks};

fn jwks() -> &'static Jwks {
    static JWKS: OnceLock<Jwks> = OnceLock::new();
    JWKS.get_or_init(|| {
        let mut keys = Vec::new();
        for dir in ["keys", "keys/github", "keys/gitlab", "keys/eks"] {
            let set = issuer::KeySet::load_dir(&rig_fuzz::repo(dir), None).expect("the dev keys");
            keys.extend(set.jwks()["keys"].as_array().cloned().unwrap_or_default());
        }
        // The RSA key again under another kid and without `alg`: the verifier is then built per
        // token from the token's own `alg`, a path of its own.
        let mut bare = keys[0].clone();
        bare.as_object_mut().unwrap().remove("alg");
        bare["kid"] = "no-alg".into();
        keys.push(bare);
        let body = serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap();
        Jwks::parse(&body).expect("the dev keys make a JWKS")
    })
}

fuzz_target!(|data: &[u8]| {
    let token = rig_fuzz::text(data);
    let Ok(decoded) = decode(&token) else {
        return;
    };
    let _ = (
        decoded.alg(),
        decoded.kid(),
        decoded.claim("iss"),
        decoded.claim("sub"),
    );
    if jwks().verify(&token, &decoded).is_ok() {
        let claims_at = token.find('.').unwrap() + 1;
        let claims_end = claims_at + token[claims_at..].find('.').unwrap();
        for at in claims_at..claims_end {
            let mut changed = token.clone().into_bytes();
            changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(changed).unwrap();
            if let Ok(d) = decode(&changed) {
                assert!(
                    jwks().verify(&changed, &d).is_err(),
                    "a token verified with its claims changed at {at}: {changed}"
                );
            }
        }
    }
});
