//! A real AWS client, aws-sdk-sts, against the in-process server: it gets credentials with
//! AssumeRoleWithWebIdentity, then GetCallerIdentity signed with them answers the assumed-role
//! ARN. Errors surface as the SDK's typed errors with AWS's codes.

mod common;

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sts::error::ProvideErrorMetadata;
use common::*;
use sts_mock::credentials::{CredentialSealer, SessionClaims};
use sts_mock::StsMock;

fn client(sts: &StsMock, credentials: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(sts.url())
        .credentials_provider(credentials)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

fn anonymous() -> Credentials {
    // AssumeRoleWithWebIdentity is unsigned; the SDK still wants a provider configured.
    Credentials::new("AKIAIOSFODNN7EXAMPLE", "unused", None, None, "test")
}

#[tokio::test]
async fn sdk_assumes_the_role_and_the_credentials_work() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let out = client(&sts, anonymous())
        .assume_role_with_web_identity()
        .role_arn(ROLE_ARN)
        .role_session_name("sdk-session")
        .web_identity_token(idp.token("my-connection"))
        .send()
        .await
        .expect("AssumeRoleWithWebIdentity");
    let creds = out.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert_eq!(
        out.subject_from_web_identity_token(),
        Some("dtid:connection/my-connection")
    );
    assert_eq!(out.audience(), Some(AUD));
    assert_eq!(out.provider(), Some(ISSUER));
    let assumed = out.assumed_role_user().unwrap();
    assert_eq!(
        assumed.arn(),
        "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/sdk-session"
    );

    let session = Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_string()),
        None,
        "sts-mock",
    );
    let who = client(&sts, session)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(who.arn(), Some(assumed.arn()));
    assert_eq!(who.account(), Some("000000000000"));
    assert_eq!(who.user_id(), Some(assumed.assumed_role_id()));

    // A second instance sharing the secret accepts the same credentials: they are stateless.
    let twin = seed_sts(&idp).await;
    let session = Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_string()),
        None,
        "sts-mock",
    );
    let who = client(&twin, session)
        .get_caller_identity()
        .send()
        .await
        .expect("stateless");
    assert_eq!(who.arn(), Some(assumed.arn()));
}

#[tokio::test]
async fn sdk_sees_aws_error_codes() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let sdk = client(&sts, anonymous());
    let error = sdk
        .assume_role_with_web_identity()
        .role_arn(ROLE_ARN)
        .role_session_name("s1")
        .web_identity_token(idp.token("other-connection"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("AccessDenied"));
    assert_eq!(
        error.message(),
        Some("Not authorized to perform sts:AssumeRoleWithWebIdentity")
    );

    let mut claims = idp.claims("my-connection");
    claims.insert("exp".into(), serde_json::json!(now() - 10));
    let error = sdk
        .assume_role_with_web_identity()
        .role_arn(ROLE_ARN)
        .role_session_name("s1")
        .web_identity_token(idp.sign(&claims))
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_expired_token_exception()),
        "{error:?}"
    );

    // Credentials this server never issued, a wrong secret, and expired credentials.
    let stranger = Credentials::new(
        "ASIAAAAAAAAAAAAAAAAA",
        "secret",
        Some("not-a-token".into()),
        None,
        "t",
    );
    let error = client(&sts, stranger)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidClientTokenId"));
    assert_eq!(
        error.message(),
        Some("The security token included in the request is invalid.")
    );

    let sealer = CredentialSealer::new(b"test-secret");
    let claims = |expiration| SessionClaims {
        account_id: "000000000000".into(),
        role_name: "dynatrace-aws-connector".into(),
        role_id: "AROAEXAMPLEEXAMPLE1".into(),
        session_name: "s".into(),
        assumed_role_arn: "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/s".into(),
        expiration,
        source_identity: None,
        tags: vec![],
        transitive_tag_keys: vec![],
        session_policy: None,
        policy_arns: vec![],
        chained: false,
        federated_provider: None,
        issued_at: None,
    };
    let good = sealer.issue(&claims(
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    ));
    let wrong_secret = Credentials::new(
        good.access_key_id.clone(),
        "wrong-secret-wrong-secret-wrong-secret-xx",
        Some(good.session_token.clone()),
        None,
        "t",
    );
    let error = client(&sts, wrong_secret)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));

    let old = sealer.issue(&claims(
        time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
    ));
    let expired = Credentials::new(
        old.access_key_id,
        old.secret_access_key,
        Some(old.session_token),
        None,
        "t",
    );
    let error = client(&sts, expired)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ExpiredToken"));
}
