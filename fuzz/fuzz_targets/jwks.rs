//! A JWKS document as an identity provider serves it, read by `oidc::Jwks::parse` (the same
//! reading as a fetched JWKS: JSON, a `keys` array, each key through josekit's JWK parser and,
//! when it names an algorithm, into a verifier built from its key material by OpenSSL), then
//! used to verify fixed tokens of both key types. The provider is outside input: a hostile or
//! broken one must not crash sts-mock. Seeds: the JWKS documents of the built-in issuers and
//! the broken ones of the fault tests.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sts_mock::oidc::{decode, Jwks, UnverifiedToken};

/// Tokens signed by the RSA and the P-256 development keys (and one with no kid), minted once.
fn tokens() -> &'static [(String, UnverifiedToken)] {
    static TOKENS: OnceLock<Vec<(String, UnverifiedToken)>> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let mut out = Vec::new();
        for dir in ["keys", "keys/github"] {
            let keys = issuer::KeySet::load_dir(&rig_fuzz::repo(dir), None).expect("the dev keys");
            let minter = issuer::Minter::new("https://token.dynatrace.com", keys);
            let token = minter
                .mint(&issuer::MintRequest::default())
                .expect("mint")
                .token;
            let decoded = decode(&token).expect("a minted token decodes");
            out.push((token, decoded));
        }
        let (token, decoded) = out[0].clone();
        let mut no_kid = decoded.clone();
        no_kid.header.remove("kid");
        out.push((token, no_kid));
        out
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(jwks) = Jwks::parse(data) else {
        return;
    };
    for (token, decoded) in tokens() {
        let _ = jwks.verify(token, decoded);
    }
});
