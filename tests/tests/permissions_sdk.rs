//! After the assume, with aws-sdk-rust: the default Dynatrace role's web-identity credentials
//! list regions with aws-sdk-account (the connector's own call); a session policy that omits
//! `account:ListRegions` is refused with AWS's message; aws-sdk-iam calls with those
//! credentials act in the role's account and are refused unless allowed; a token from
//! `GetWebIdentityToken` verifies with a third-party JWT library (jsonwebtoken) against the
//! account's JWKS served by sts-mock.

use std::io::{Read, Write};

use aws_credential_types::Credentials;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use e2e_tests::{Rig, ROLE_ARN, ROLE_NAME};

const ACCOUNT: &str = "000000000000";

async fn web_identity(rig: &Rig, session: &str, policy: Option<&str>) -> Credentials {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(rig.sts_url())
        .build();
    let answer = aws_sdk_sts::Client::from_conf(config)
        .assume_role_with_web_identity()
        .role_arn(ROLE_ARN)
        .role_session_name(session)
        .web_identity_token(rig.token("my-connection", None))
        .set_policy(policy.map(str::to_string))
        .send()
        .await
        .expect("the default role's trust policy allows my-connection");
    let c = answer.credentials().expect("credentials");
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "web-identity",
    )
}

fn account_client(rig: &Rig, credentials: Credentials) -> aws_sdk_account::Client {
    aws_sdk_account::Client::from_conf(
        aws_sdk_account::Config::builder()
            .behavior_version(aws_sdk_account::config::BehaviorVersion::latest())
            .region(aws_sdk_account::config::Region::new("us-east-1"))
            .endpoint_url(rig.sts_url())
            .credentials_provider(credentials)
            .build(),
    )
}

fn iam_client(rig: &Rig, credentials: Credentials) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .endpoint_url(rig.sts_url())
            .credentials_provider(credentials)
            .build(),
    )
}

fn sts_client(rig: &Rig, credentials: Credentials) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(rig.sts_url())
            .credentials_provider(credentials)
            .build(),
    )
}

fn denied(session: &str, action: &str, resource: &str, why: &str) -> String {
    format!("User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/{session} is not authorized to perform: {action} on resource: {resource} {why}")
}

#[tokio::test]
async fn the_connector_lists_regions_and_a_session_policy_can_take_it_away() {
    let rig = Rig::start().await;
    let regions = account_client(&rig, web_identity(&rig, "sdk", None).await)
        .list_regions()
        .send()
        .await
        .expect("the default role may list regions");
    let names: Vec<&str> = regions
        .regions()
        .iter()
        .filter_map(|r| r.region_name())
        .collect();
    assert!(
        names.contains(&"us-east-1") && names.contains(&"af-south-1"),
        "{names:?}"
    );
    let status = |name: &str| {
        regions
            .regions()
            .iter()
            .find(|r| r.region_name() == Some(name))
            .and_then(|r| r.region_opt_status())
            .map(|s| s.as_str().to_string())
    };
    assert_eq!(status("eu-west-1").as_deref(), Some("ENABLED_BY_DEFAULT"));
    assert_eq!(status("af-south-1").as_deref(), Some("DISABLED"));

    let s3_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let error = account_client(&rig, web_identity(&rig, "scoped", Some(s3_only)).await)
        .list_regions()
        .send()
        .await
        .unwrap_err();
    let error = error.into_service_error();
    assert!(error.is_access_denied_exception(), "{error:?}");
    assert_eq!(
        error.meta().message(),
        Some(
            denied(
                "scoped",
                "account:ListRegions",
                "arn:aws:account::000000000000:account",
                "because no session policy allows the account:ListRegions action"
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn iam_calls_with_the_session_act_in_its_account_and_need_permission() {
    let rig = Rig::start().await;
    let iam = iam_client(&rig, web_identity(&rig, "iam", None).await);
    let error = iam
        .get_role()
        .role_name(ROLE_NAME)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.meta().code(), Some("AccessDenied"));
    assert_eq!(
        error.meta().message(),
        Some(
            denied(
                "iam",
                "iam:GetRole",
                &format!("role {ROLE_NAME}"),
                "because no identity-based policy allows the iam:GetRole action"
            )
            .as_str()
        )
    );
    rig.model()
        .put_role_policy(
            ACCOUNT,
            ROLE_NAME,
            "read-itself",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"${aws:PrincipalArn}"}]}"#,
        )
        .unwrap();
    let role = iam.get_role().role_name(ROLE_NAME).send().await.unwrap();
    assert_eq!(role.role().map(|r| r.arn()), Some(ROLE_ARN));
}

/// A plain HTTP GET on the loopback (the test needs no HTTP client crate for one document).
fn http_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_string()
}

// Multi-threaded: the blocking GET must not stall the in-process servers' runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_identity_token_from_sts_verifies_against_the_accounts_jwks() {
    let rig = Rig::start().await;
    let issuer = rig.model().enable_outbound_federation(ACCOUNT).unwrap();
    rig.model()
        .put_role_policy(
            ACCOUNT,
            ROLE_NAME,
            "tokens",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}]}"#,
        )
        .unwrap();
    let sts = sts_client(&rig, web_identity(&rig, "outbound", None).await);
    let issuer_id = issuer
        .strip_prefix("https://")
        .and_then(|r| r.split('.').next())
        .unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&http_get(&format!(
        "{}/_sts-mock/outbound/{issuer_id}/.well-known/jwks.json",
        rig.sts_url()
    )))
    .unwrap();
    for (algorithm, alg) in [
        ("RS256", jsonwebtoken::Algorithm::RS256),
        ("ES384", jsonwebtoken::Algorithm::ES384),
    ] {
        let answer = sts
            .get_web_identity_token()
            .audience("https://api.example.com")
            .signing_algorithm(algorithm)
            .duration_seconds(120)
            .send()
            .await
            .expect("outbound federation is enabled and allowed");
        let token = answer.web_identity_token().unwrap();
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.alg, alg);
        let jwk = jwks
            .find(header.kid.as_deref().unwrap())
            .expect("the token's key is published");
        let mut validation = jsonwebtoken::Validation::new(alg);
        validation.set_audience(&["https://api.example.com"]);
        validation.set_issuer(&[issuer.as_str()]);
        let verified = jsonwebtoken::decode::<serde_json::Value>(
            token,
            &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
            &validation,
        )
        .expect("the signature verifies against the JWKS");
        assert_eq!(verified.claims["sub"], ROLE_ARN);
        assert_eq!(
            verified.claims["https://sts.amazonaws.com/"]["aws_account"],
            ACCOUNT
        );
        let exp = verified.claims["exp"].as_i64().unwrap();
        let iat = verified.claims["iat"].as_i64().unwrap();
        assert_eq!(exp - iat, 120);
        // Another key does not verify it: the JWKS is the account's own.
        let other = jwks
            .keys
            .iter()
            .find(|k| k.common.key_id != header.kid)
            .unwrap();
        assert!(jsonwebtoken::decode::<serde_json::Value>(
            token,
            &jsonwebtoken::DecodingKey::from_jwk(other).unwrap(),
            &validation
        )
        .is_err());
    }
    let discovery: serde_json::Value = serde_json::from_str(&http_get(&format!(
        "{}/_sts-mock/outbound/{issuer_id}/.well-known/openid-configuration",
        rig.sts_url()
    )))
    .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(
        discovery["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json")
    );
}
