//! aws-config's own web-identity credential provider, configured the way users configure it
//! (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME, AWS_ENDPOINT_URL_STS),
//! gets credentials from a token file minted by the issuer; aws-sdk-sts GetCallerIdentity with
//! them answers the assumed-role ARN. Wrong connection: AccessDenied. Expired: ExpiredTokenException.
//!
//! The provider reads the process environment, so every scenario runs in this one test, in turn.

use aws_config::provider_config::ProviderConfig;
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use e2e_tests::{Rig, ROLE_ARN};

async fn credentials_from_env(
    rig: &Rig,
    token: &str,
) -> Result<aws_credential_types::Credentials, String> {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    std::env::set_var("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file);
    std::env::set_var("AWS_ROLE_ARN", ROLE_ARN);
    std::env::set_var("AWS_ROLE_SESSION_NAME", "e2e-session");
    std::env::set_var("AWS_ENDPOINT_URL_STS", rig.sts.url());
    std::env::set_var("AWS_REGION", "us-east-1");
    let provider = WebIdentityTokenCredentialsProvider::builder()
        .configure(&ProviderConfig::with_default_region().await)
        .build();
    provider.provide_credentials().await.map_err(|e| {
        // The whole error chain: the AWS error code sits in a source.
        let mut text = format!("{e}");
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(&format!(" / {s:?}"));
            source = s.source();
        }
        text
    })
}

#[tokio::test]
async fn aws_config_web_identity_provider_end_to_end() {
    let rig = Rig::start().await;

    // The right connection: credentials, and they work.
    let credentials = credentials_from_env(&rig, &rig.token("my-connection", None))
        .await
        .expect("credentials from the web identity provider");
    assert!(credentials.access_key_id().starts_with("ASIA"));
    assert!(credentials.session_token().is_some());
    assert!(credentials.expiry().is_some());
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(rig.sts.url())
        .credentials_provider(credentials)
        .build();
    let who = aws_sdk_sts::Client::from_conf(config)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(
        who.arn(),
        Some("arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/e2e-session")
    );
    assert_eq!(who.account(), Some("000000000000"));

    // Another connection: the trust policy refuses it.
    let error = credentials_from_env(&rig, &rig.token("other-connection", None))
        .await
        .unwrap_err();
    assert!(error.contains("AccessDenied"), "{error}");
    assert!(
        error.contains("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        "{error}"
    );

    // An expired token.
    let error = credentials_from_env(
        &rig,
        &rig.token("my-connection", Some(issuer::Fault::Expired)),
    )
    .await
    .unwrap_err();
    assert!(error.contains("ExpiredTokenException"), "{error}");
}
