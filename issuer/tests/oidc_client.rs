//! A real OIDC client (the openidconnect crate) discovers an in-process issuer, fetches its
//! JWKS and verifies what it mints; every deliberate fault is rejected for the right reason.

use issuer::{Fault, Issuer, IssuerConfig, KeyAlg, KeySet, MintRequest, Minter, SigningKey};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenVerifier, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    ClaimsVerificationError, ClientId, IssuerUrl, Nonce, SignatureVerificationError,
};
use serde_json::json;

const TENANT_AUD: &str = "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector";

fn http_client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn start(keys: Vec<SigningKey>, signing: Option<&str>) -> Issuer {
    let keys = KeySet::new(keys, signing).unwrap();
    // The identity is the local URL here because a plain openidconnect client discovers
    // `<issuer>/.well-known/openid-configuration`: identity and address must coincide.
    // (sts-mock's --oidc-endpoint override removes that need for `https://token.dynatrace.com`.)
    Issuer::start(IssuerConfig::new(keys).local_issuer_url())
        .await
        .unwrap()
}

async fn verifier_for(issuer: &Issuer, client_id: &str) -> CoreIdTokenVerifier<'static> {
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(issuer.issuer_url().to_string()).unwrap(),
        &http_client(),
    )
    .await
    .expect("discovery and JWKS fetch");
    CoreIdTokenVerifier::new_public_client(
        ClientId::new(client_id.to_string()),
        metadata.issuer().clone(),
        metadata.jwks().clone(),
    )
    .set_other_audience_verifier_fn(|aud| aud.as_str() == "other")
    .set_allowed_algs(vec![
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    ])
    // ID-token verifiers do not look at `nbf`; a token issued in the future is the closest
    // check they have, so reject an `iat` beyond a minute of skew.
    .set_issue_time_verifier_fn(|iat| {
        if iat > chrono::Utc::now() + chrono::Duration::seconds(60) {
            Err(format!("issued in the future: {iat}"))
        } else {
            Ok(())
        }
    })
}

fn verify(
    verifier: &CoreIdTokenVerifier<'_>,
    token: &str,
) -> Result<serde_json::Value, ClaimsVerificationError> {
    let id_token: CoreIdToken = token.parse().expect("token parses as a JWT");
    let claims = id_token.claims(verifier, |_: Option<&Nonce>| Ok(()))?;
    Ok(serde_json::to_value(claims).unwrap())
}

fn rsa_key(kid: &str) -> SigningKey {
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../keys/dev-rsa-2026.pem"
    ))
    .unwrap();
    SigningKey::from_pem(kid, &pem).unwrap()
}

fn dynatrace(connection: &str) -> MintRequest {
    MintRequest {
        tenant: Some("abc12345".into()),
        connection: Some(connection.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn client_verifies_dynatrace_profile_token() {
    let issuer = start(vec![rsa_key("dev")], None).await;
    let verifier = verifier_for(&issuer, TENANT_AUD).await;
    let minted = issuer.mint(&dynatrace("my-connection")).unwrap();
    let claims = verify(&verifier, &minted.token).unwrap();
    assert_eq!(claims["sub"], "dtid:connection/my-connection");
    assert_eq!(claims["iss"], issuer.issuer_url());
    assert_eq!(claims["aud"], json!([TENANT_AUD]));
    assert_eq!(minted.header["kid"], "dev");
    assert_eq!(minted.header["alg"], "RS256");
    for claim in ["iat", "nbf", "exp", "jti"] {
        assert!(minted.claims.contains_key(claim), "missing {claim}");
    }
    assert_eq!(
        minted.claims["exp"].as_i64().unwrap() - minted.claims["iat"].as_i64().unwrap(),
        300
    );
}

#[tokio::test]
async fn client_verifies_custom_claims_and_audience_arrays() {
    let issuer = start(vec![rsa_key("dev")], None).await;
    let verifier = verifier_for(&issuer, "custom-client").await;
    let minted = issuer
        .mint(&MintRequest {
            claims: Some(
                json!({
                    "sub": "custom-subject",
                    "aud": ["custom-client", "other"],
                    "azp": "custom-client",
                    "email": "dev@example.com",
                    "https://aws.amazon.com/tags": {"principal_tags": {"team": ["platform"]}}
                })
                .as_object()
                .unwrap()
                .clone(),
            ),
            ttl: Some(60),
            ..Default::default()
        })
        .unwrap();
    let claims = verify(&verifier, &minted.token).unwrap();
    assert_eq!(claims["sub"], "custom-subject");
    assert_eq!(claims["aud"], json!(["custom-client", "other"]));
    assert_eq!(claims["email"], "dev@example.com");
    assert_eq!(
        minted.claims["https://aws.amazon.com/tags"]["principal_tags"]["team"][0],
        "platform"
    );
}

#[tokio::test]
async fn client_verifies_es256_tokens() {
    let issuer = start(
        vec![SigningKey::generate("ec", KeyAlg::Es256).unwrap()],
        None,
    )
    .await;
    let verifier = verifier_for(&issuer, TENANT_AUD).await;
    let minted = issuer.mint(&dynatrace("c")).unwrap();
    assert_eq!(minted.header["alg"], "ES256");
    verify(&verifier, &minted.token).unwrap();
}

#[tokio::test]
async fn every_fault_is_rejected_for_its_reason() {
    let issuer = start(vec![rsa_key("dev")], None).await;
    let verifier = verifier_for(&issuer, TENANT_AUD).await;
    for fault in Fault::ALL {
        let minted = issuer
            .mint(&MintRequest {
                fault: Some(fault),
                ..dynatrace("my-connection")
            })
            .unwrap();
        let error = verify(&verifier, &minted.token).expect_err(fault.as_str());
        use ClaimsVerificationError as C;
        use SignatureVerificationError as S;
        let right = match fault {
            Fault::Expired => matches!(error, C::Expired(_)),
            // openidconnect reports a failed issue-time check as `Expired`, with our message.
            Fault::NotYetValid => {
                matches!(error, C::Expired(ref m) if m.contains("issued in the future"))
            }
            Fault::UnknownKid => matches!(error, C::SignatureVerification(S::NoMatchingKey)),
            Fault::ForeignKey | Fault::BadSignature => {
                matches!(error, C::SignatureVerification(S::CryptoError(_)))
            }
            Fault::AlgNone => matches!(error, C::SignatureVerification(S::NoSignature)),
            Fault::Hs256Confusion => {
                matches!(error, C::SignatureVerification(S::DisallowedAlg(_)))
            }
            Fault::WrongIssuer => matches!(error, C::InvalidIssuer(_)),
        };
        assert!(
            right,
            "{}: rejected for the wrong reason: {error:?}",
            fault.as_str()
        );
    }
}

#[tokio::test]
async fn rotation_publishes_every_key_and_drops_removed_ones() {
    let old = rsa_key("old");
    let new = SigningKey::generate("new", KeyAlg::Rs256).unwrap();

    // Both published, either signing: both verify.
    for signing in ["old", "new"] {
        let issuer = start(vec![old.clone(), new.clone()], Some(signing)).await;
        let verifier = verifier_for(&issuer, TENANT_AUD).await;
        let minted = issuer.mint(&dynatrace("c")).unwrap();
        assert_eq!(minted.header["kid"], signing);
        verify(&verifier, &minted.token).unwrap();
    }

    // Once `old` is removed from the key set, a token it signed no longer verifies (same
    // identity, so only the key differs).
    let after = start(vec![new.clone()], None).await;
    let verifier = verifier_for(&after, TENANT_AUD).await;
    let old_signer = Minter::new(after.issuer_url(), KeySet::new(vec![old], None).unwrap());
    let old_token = old_signer.mint(&dynatrace("c")).unwrap().token;
    verify(&verifier, &after.mint(&dynatrace("c")).unwrap().token).unwrap();
    let error = verify(&verifier, &old_token).unwrap_err();
    assert!(
        matches!(
            error,
            ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey
            )
        ),
        "{error:?}"
    );
}
