//! Time and failure under the test's control, end to end through a real AWS client
//! (aws-sdk-sts, signing on the rig's clock): the issuer and sts-mock share one frozen clock,
//! and the tests move it instead of sleeping. A token is accepted, then `ExpiredTokenException`
//! once the clock passes its `exp`; credentials work, then `ExpiredToken` past their
//! `Expiration`; a trust policy with `DateLessThan aws:CurrentTime` flips, one with
//! `aws:EpochTime` too, decisions are dated and SigV4's window is set by it; the issuer rotates
//! its keys while sts-mock's key cache behaves as documented; an identity provider that goes
//! down is noticed when the cached keys expire, and `/healthz?deep=1` says so at once.

use std::time::SystemTime;

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_smithy_async::time::TimeSource;
use e2e_tests::{Rig, AUDIENCE, ROLE_ARN, ROLE_NAME};
use issuer::{IdpFault, IdpFaults, KeyAlg, MintRequest, SigningKey};
use rig_core::Clock;
use sts_mock::DEFAULT_ACCOUNT;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// 2026-11-23T05:00:00Z.
const T0: i64 = 1_795_410_000;
const NO_KEY: &str = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

/// The SDK signs at the rig's "now", as a client on a host whose clock agrees with AWS's.
#[derive(Debug)]
struct RigTime(Clock);

impl TimeSource for RigTime {
    fn now(&self) -> SystemTime {
        self.0.system_time()
    }
}

fn client(rig: &Rig, credentials: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(rig.sts_url())
        .credentials_provider(credentials)
        .time_source(RigTime(rig.clock().clone()))
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

fn anonymous(rig: &Rig) -> aws_sdk_sts::Client {
    // AssumeRoleWithWebIdentity is unsigned; the SDK still wants a provider configured.
    client(
        rig,
        Credentials::new("AKIAIOSFODNN7EXAMPLE", "x", None, None, "t"),
    )
}

type Refusal = (String, String);

async fn assume_for(
    rig: &Rig,
    token: &str,
    duration: Option<i32>,
) -> Result<aws_sdk_sts::types::Credentials, Refusal> {
    anonymous(rig)
        .assume_role_with_web_identity()
        .role_arn(ROLE_ARN)
        .role_session_name("e2e")
        .web_identity_token(token)
        .set_duration_seconds(duration)
        .send()
        .await
        .map(|out| out.credentials().unwrap().clone())
        .map_err(|e| {
            let e = e.into_service_error();
            (
                e.code().unwrap_or_default().to_string(),
                e.message().unwrap_or_default().to_string(),
            )
        })
}

async fn assume(rig: &Rig, token: &str) -> Result<aws_sdk_sts::types::Credentials, Refusal> {
    assume_for(rig, token, None).await
}

fn frozen_rig_clock() -> Clock {
    "2026-11-23T05:00:00Z".parse().unwrap()
}

fn no_key() -> Refusal {
    ("InvalidIdentityToken".into(), NO_KEY.into())
}

#[tokio::test]
async fn a_token_is_accepted_then_expired_once_the_clock_passes_exp() {
    let clock = frozen_rig_clock();
    let rig = Rig::start_with_clock(clock.clone()).await;
    let token = rig.token("my-connection", None); // iat T0, exp T0 + 300
    assume(&rig, &token).await.expect("a fresh token");
    // Well past `exp`, beyond any allowance for clock skew.
    clock.advance(900).unwrap();
    assert_eq!(
        assume(&rig, &token).await.unwrap_err(),
        (
            "ExpiredTokenException".to_string(),
            format!(
                "Token expired: current date/time {} must be before the expiration date/time {}",
                T0 + 900,
                T0 + 300
            )
        )
    );
    // The issuer reads the same clock: a token minted now is fresh again.
    assume(&rig, &rig.token("my-connection", None))
        .await
        .expect("a token minted on the moved clock");
}

#[tokio::test]
async fn credentials_work_then_expire_once_the_clock_passes_their_expiration() {
    let clock = frozen_rig_clock();
    let rig = Rig::start_with_clock(clock.clone()).await;
    let credentials = assume_for(&rig, &rig.token("my-connection", None), Some(900))
        .await
        .unwrap();
    assert_eq!(
        credentials.expiration().to_string(),
        "2026-11-23T05:15:00Z",
        "Expiration is the rig's now + DurationSeconds"
    );
    let sdk_credentials = Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token().to_string()),
        None,
        "assumed",
    );
    let who = || async {
        client(&rig, sdk_credentials.clone())
            .get_caller_identity()
            .send()
            .await
    };
    let arn = who().await.unwrap().arn().unwrap().to_string();
    assert_eq!(
        arn,
        "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/e2e"
    );
    clock.advance(899).unwrap();
    who()
        .await
        .expect("still valid one second before Expiration");
    clock.advance(1).unwrap();
    let error = who().await.unwrap_err().into_service_error();
    assert_eq!(error.code(), Some("ExpiredToken"));
    assert_eq!(
        error.message(),
        Some("The security token included in the request is expired")
    );
}

#[tokio::test]
async fn a_trust_policy_with_date_less_than_current_time_flips() {
    let clock = frozen_rig_clock();
    let rig = Rig::start_with_clock(clock.clone()).await;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "token.dynatrace.com:aud": AUDIENCE,
                    "token.dynatrace.com:sub": "dtid:connection/my-connection"
                },
                "DateLessThan": {"aws:CurrentTime": "2026-11-23T06:00:00Z"}
            }
        }]
    });
    rig.model()
        .update_trust_policy(DEFAULT_ACCOUNT, ROLE_NAME, &policy.to_string())
        .unwrap();
    assume(&rig, &rig.token("my-connection", None))
        .await
        .expect("before 06:00");
    clock.advance(3600).unwrap(); // 06:00:00, no longer less than 06:00:00
    let refused = assume(&rig, &rig.token("my-connection", None))
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        (
            "AccessDenied".to_string(),
            "Not authorized to perform sts:AssumeRoleWithWebIdentity".to_string()
        )
    );
    clock.advance(-1).unwrap(); // 05:59:59
    assume(&rig, &rig.token("my-connection", None))
        .await
        .expect("a second before 06:00 again");
}

/// The issuer rotates its keys while the test runs; sts-mock's cache (3600 s on the shared
/// clock) sees a new kid after one rate-limited refetch, and forgets a removed key once the
/// cached keys expire.
#[tokio::test]
async fn keys_rotated_at_run_time_meet_the_documented_cache() {
    let clock = frozen_rig_clock();
    let rig = Rig::start_with_clock(clock.clone()).await;
    let root = rig.issuer.get("dynatrace").unwrap();
    let old_kid = root.minter().signing_key().kid().to_string();
    // Long-lived, so it outlives the cache in this test.
    let old_token = rig
        .issuer
        .mint(
            &MintRequest::new()
                .field("connection", "my-connection")
                .ttl(7200),
        )
        .unwrap()
        .token;
    assume(&rig, &old_token).await.expect("the original key");

    root.add_key(
        SigningKey::generate("rotated-in", KeyAlg::Es256).unwrap(),
        true,
    )
    .unwrap();
    let new_token = rig.token("my-connection", None);
    // sts-mock fetched the keys a moment ago: an unknown kid does not refetch yet.
    assert_eq!(assume(&rig, &new_token).await.unwrap_err(), no_key());
    clock.advance(10).unwrap();
    let new_token = rig.token("my-connection", None);
    assume(&rig, &new_token)
        .await
        .expect("one refetch for the new kid");

    root.remove_key(&old_kid).unwrap();
    assume(&rig, &old_token)
        .await
        .expect("the removed key is still cached");
    clock.advance(3600).unwrap();
    assert_eq!(assume(&rig, &old_token).await.unwrap_err(), no_key());
    assume(&rig, &rig.token("my-connection", None))
        .await
        .expect("the current key");
}

/// `GET path` on `base` over a raw connection: status and JSON body.
async fn get_json(base: &str, path: &str) -> (u16, serde_json::Value) {
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = &raw[raw.find("\r\n\r\n").unwrap() + 4..];
    (status, serde_json::from_str(body).unwrap())
}

/// The issuer's JWKS goes down: sts-mock keeps verifying with the keys it cached and only
/// notices when they expire; the deep health check notices at once; healing is immediate.
#[tokio::test]
async fn an_identity_provider_that_goes_down_is_noticed_when_the_cache_expires() {
    let clock = frozen_rig_clock();
    let rig = Rig::start_with_clock(clock.clone()).await;
    let root = rig.issuer.get("dynatrace").unwrap();
    assume(&rig, &rig.token("my-connection", None))
        .await
        .unwrap();

    root.set_faults(IdpFaults {
        jwks: IdpFault::Down,
        ..IdpFaults::ok()
    })
    .unwrap();
    assume(&rig, &rig.token("my-connection", None))
        .await
        .expect("cached keys serve while the JWKS is down");
    let (status, health) = get_json(rig.sts_url(), "/healthz?deep=1").await;
    assert_eq!(status, 503, "{health}");
    let dynatrace = health["issuers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["issuer"] == "https://token.dynatrace.com")
        .unwrap();
    assert_eq!(dynatrace["keys_fetchable"], false);
    assert!(dynatrace["error"].as_str().unwrap().contains("HTTP 503"));
    let others_fine = health["issuers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["issuer"] != "https://token.dynatrace.com")
        .all(|i| i["keys_fetchable"] == true);
    assert!(others_fine, "{health}");

    clock.advance(3600).unwrap();
    assert_eq!(
        assume(&rig, &rig.token("my-connection", None))
            .await
            .unwrap_err(),
        no_key()
    );
    // The cached keys have expired, so every token fetches now: each fault of either
    // document is the same answer.
    for faults in [
        IdpFaults {
            discovery: IdpFault::WrongIssuer,
            ..IdpFaults::ok()
        },
        IdpFaults {
            discovery: IdpFault::Garbage,
            ..IdpFaults::ok()
        },
        IdpFaults {
            jwks: IdpFault::Empty,
            ..IdpFaults::ok()
        },
    ] {
        root.set_faults(faults).unwrap();
        assert_eq!(
            assume(&rig, &rig.token("my-connection", None))
                .await
                .unwrap_err(),
            no_key(),
            "{faults:?}"
        );
    }
    root.set_faults(IdpFaults {
        jwks: IdpFault::Slow,
        delay_ms: Some(100),
        ..IdpFaults::ok()
    })
    .unwrap();
    assume(&rig, &rig.token("my-connection", None))
        .await
        .expect("a provider slow by 100 ms is waited for");
    root.set_faults(IdpFaults::ok()).unwrap();
    let (status, _) = get_json(rig.sts_url(), "/healthz?deep=1").await;
    assert_eq!(status, 200);
}

/// The rest of what reads the clock: `aws:EpochTime` in a trust policy, and the decision log's
/// timestamps.
#[tokio::test]
async fn aws_epoch_time_and_decision_times_follow_the_clock() {
    let clock = frozen_rig_clock();
    let rig = Rig::start_with_clock(clock.clone()).await;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"token.dynatrace.com:sub": "dtid:connection/my-connection"},
                "NumericLessThan": {"aws:EpochTime": T0 + 60}
            }
        }]
    });
    rig.model()
        .update_trust_policy(DEFAULT_ACCOUNT, ROLE_NAME, &policy.to_string())
        .unwrap();
    assume(&rig, &rig.token("my-connection", None))
        .await
        .unwrap();
    clock.advance(60).unwrap();
    let (code, _) = assume(&rig, &rig.token("my-connection", None))
        .await
        .unwrap_err();
    assert_eq!(code, "AccessDenied");
    let times: Vec<String> = rig
        .sts
        .decisions()
        .recent()
        .iter()
        .map(|d| d.time.clone())
        .collect();
    assert_eq!(times, ["2026-11-23T05:00:00Z", "2026-11-23T05:01:00Z"]);
}

/// SigV4's 15-minute window is around sts-mock's clock: a client signing on the machine's
/// time is refused by an sts-mock a day ahead, and one signing on the rig's clock is not.
#[tokio::test]
async fn the_sigv4_window_follows_the_clock() {
    let clock = Clock::offset_by(86_400).unwrap();
    let rig = Rig::start_with_clock(clock.clone()).await;
    let issued = assume(&rig, &rig.token("my-connection", None))
        .await
        .unwrap();
    let credentials = Credentials::new(
        issued.access_key_id(),
        issued.secret_access_key(),
        Some(issued.session_token().to_string()),
        None,
        "assumed",
    );
    let machine_time = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(rig.sts_url())
            .credentials_provider(credentials.clone())
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build(),
    );
    let error = machine_time
        .get_caller_identity()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));
    assert!(
        error.message().unwrap().starts_with("Signature expired: "),
        "{error:?}"
    );
    client(&rig, credentials)
        .get_caller_identity()
        .send()
        .await
        .expect("signed on the rig's clock");
}
