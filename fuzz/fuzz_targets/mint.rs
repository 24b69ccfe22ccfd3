//! The issuer's `/mint` body (`MintRequest`: tenant, connection, claims, ttl, fault and each
//! profile's own fields), minted by every profile (Dynatrace, GitHub Actions, GitLab CI, EKS
//! IRSA) with P-256 keys (fast to sign, so the fuzzer spends its time on the request).
//! Seeds: the mint bodies of the tests, the documentation and the walk-through.
//!
//! Checked beyond "no panic": a token minted without a fault is one sts-mock decodes to the
//! very claims the issuer reports, and verifies against the issuer's own JWKS.
#![no_main]

use std::sync::OnceLock;

use issuer::{KeyAlg, KeySet, MintRequest, Minter, Profile, SigningKey};
use libfuzzer_sys::fuzz_target;
use sts_mock::oidc::{decode, Jwks};

fn minters() -> &'static [(Minter, Jwks)] {
    static MINTERS: OnceLock<Vec<(Minter, Jwks)>> = OnceLock::new();
    MINTERS.get_or_init(|| {
        let key = SigningKey::generate("fuzz-es256", KeyAlg::Es256).expect("a P-256 key");
        let keys = KeySet::new(vec![key], None).expect("a key set");
        let jwks = Jwks::parse(&serde_json::to_vec(&keys.jwks()).unwrap()).expect("its JWKS");
        let clock = rig_core::Clock::frozen_at(rig_fuzz::seed_instant());
        [
            (Profile::Dynatrace, "https://token.dynatrace.com"),
            (Profile::GithubActions, issuer::GITHUB_ISSUER_URL),
            (Profile::GitlabCi, issuer::GITLAB_ISSUER_URL),
            (Profile::EksIrsa, issuer::EKS_ISSUER_URL),
        ]
        .into_iter()
        .map(|(profile, url)| {
            let minter = Minter::new(url, keys.clone())
                .with_clock(clock.clone())
                .with_profile(profile);
            (minter, jwks.clone())
        })
        .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<MintRequest>(data) else {
        return;
    };
    for (minter, jwks) in minters() {
        let Ok(minted) = minter.mint(&request) else {
            continue;
        };
        if request.fault.is_some() {
            continue;
        }
        let decoded = decode(&minted.token).unwrap_or_else(|e| {
            panic!(
                "sts-mock cannot decode a minted token: {e}: {}",
                minted.token
            )
        });
        assert_eq!(
            decoded.claims, minted.claims,
            "the token's claims are not the ones reported"
        );
        jwks.verify(&minted.token, &decoded)
            .unwrap_or_else(|e| panic!("a minted token does not verify: {e}: {}", minted.token));
    }
});
