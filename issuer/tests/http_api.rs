//! The issuer's HTTP surface as a client sees it: discovery fields, the JWKS shape, `/mint`
//! answers, an exact 400 for every kind of bad body, 408/413 that close the connection, and
//! tokens minted from the injected clock. Also the `issuer` CLI end to end.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use issuer::{Clock, Issuer, IssuerConfig, KeySet, Limits};
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet};
use openidconnect::{ClientId, IssuerUrl, JsonWebKeySetUrl, Nonce};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KEYS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys");

async fn dev_issuer() -> Issuer {
    let keys = KeySet::load_dir(KEYS_DIR.as_ref(), None).unwrap();
    Issuer::start(IssuerConfig::new(keys)).await.unwrap()
}

fn client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::new()
}

async fn post_mint(issuer: &Issuer, body: &str) -> (u16, Value) {
    let response = client()
        .post(format!("{}/mint", issuer.url()))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn discovery_names_identity_and_a_fetchable_jwks() {
    let issuer = dev_issuer().await;
    let doc: Value = client()
        .get(issuer.discovery_url())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    assert_eq!(doc["issuer"], "https://token.dynatrace.com");
    assert_eq!(
        doc["jwks_uri"],
        format!("{}/.well-known/jwks.json", issuer.url())
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert!(doc["response_types_supported"].is_array());
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert!(doc["claims_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("sub")));

    let jwks: Value = client()
        .get(doc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], "dev-rsa-2026");
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert!(
        key.get("d").is_none(),
        "private part must never be published"
    );
}

#[tokio::test]
async fn mint_answers_token_claims_and_expiry() {
    let issuer = dev_issuer().await;
    let (status, body) = post_mint(
        &issuer,
        r#"{"tenant":"xyz98765","connection":"prod","ttl":120,"claims":{"amr":["mfa"]}}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["claims"]["aud"],
        "xyz98765.apps.dynatrace.com/app-id/dynatrace.aws.connector"
    );
    assert_eq!(body["claims"]["sub"], "dtid:connection/prod");
    assert_eq!(body["claims"]["amr"], json!(["mfa"]));
    assert_eq!(body["expires_at"], body["claims"]["exp"]);
    assert_eq!(body["token"].as_str().unwrap().split('.').count(), 3);
}

#[tokio::test]
async fn bad_mint_bodies_get_exact_400s() {
    let issuer = dev_issuer().await;
    let cases = [
        ("{", "EOF while parsing"),
        ("[]", "the body must be a JSON object"),
        ("\"x\"", "the body must be a JSON object"),
        (
            r#"{"tenant":1}"#,
            "invalid type: integer `1`, expected a string",
        ),
        (
            r#"{"tenant":"a","surprise":true}"#,
            "unknown field `surprise`",
        ),
        (
            r#"{"ttl":-5}"#,
            "ttl must be between 1 and 604800 seconds, got -5",
        ),
        (
            r#"{"ttl":"300"}"#,
            "invalid type: string \"300\", expected i64",
        ),
        (
            r#"{"fault":"sideways"}"#,
            "unknown variant `sideways`, expected one of `expired`",
        ),
        (
            r#"{"claims":[1]}"#,
            "invalid type: sequence, expected a map",
        ),
        (r#"{"connection":""}"#, "connection must not be empty"),
        (r#"{"tenant":"a b"}"#, "tenant must not contain whitespace"),
    ];
    for (body, expected) in cases {
        let (status, answer) = post_mint(&issuer, body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"], "invalid_request");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(expected), "{body}: {message}");
    }
}

#[tokio::test]
async fn oversized_bodies_wrong_methods_and_unknown_paths_are_refused() {
    let issuer = dev_issuer().await;
    let huge = format!(r#"{{"tenant":"{}"}}"#, "a".repeat(200_000));
    let response = client()
        .post(format!("{}/mint", issuer.url()))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(response.headers()["connection"], "close");
    let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        answer,
        json!({"error": "invalid_request", "message": "request body larger than 65536 bytes"})
    );

    let response = client()
        .get(format!("{}/mint", issuer.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        answer,
        json!({"error": "method_not_allowed", "message": "/mint answers POST only"})
    );

    let response = client().post(issuer.discovery_url()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "GET");

    let response = client()
        .get(format!("{}/nope", issuer.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn dropping_the_issuer_stops_it() {
    let issuer = dev_issuer().await;
    let url = issuer.discovery_url();
    assert!(client().get(&url).send().await.is_ok());
    drop(issuer);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(client().get(&url).send().await.is_err());
}

/// Sends `request` on a raw connection and reads until the server closes it, failing if that
/// takes longer than `within`: the answer as text.
async fn exchange_until_closed(issuer: &Issuer, request: &[u8], within: Duration) -> String {
    let mut stream = TcpStream::connect(issuer.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            answer.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("the issuer did not close the connection in time");
    String::from_utf8(answer).unwrap()
}

fn split_answer(answer: &str) -> (String, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (
        head.to_ascii_lowercase(),
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}")),
    )
}

#[tokio::test]
async fn a_stalled_mint_body_gets_408_within_the_body_timeout_and_the_connection_closes() {
    let keys = KeySet::load_dir(KEYS_DIR.as_ref(), None).unwrap();
    let limits = Limits::default().body_read_timeout(Duration::from_millis(300));
    let issuer = Issuer::start(IssuerConfig::new(keys).limits(limits))
        .await
        .unwrap();
    let started = Instant::now();
    // Content-Length 100, two bytes, then silence.
    let answer = exchange_until_closed(
        &issuer,
        b"POST /mint HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{}",
        Duration::from_secs(3),
    )
    .await;
    let elapsed = started.elapsed();
    let (head, body) = split_answer(&answer);
    assert!(head.starts_with("http/1.1 408 "), "{answer}");
    assert!(head.contains("\r\nconnection: close"), "{answer}");
    assert!(
        head.contains("\r\ncontent-type: application/json"),
        "{answer}"
    );
    assert_eq!(
        body,
        json!({"error": "request_timeout", "message": "request body not received within 300ms"})
    );
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[tokio::test]
async fn a_declared_oversized_body_gets_413_at_once_and_the_connection_closes() {
    let issuer = dev_issuer().await;
    let answer = exchange_until_closed(
        &issuer,
        b"POST /mint HTTP/1.1\r\nhost: x\r\ncontent-length: 65537\r\n\r\n{",
        Duration::from_secs(3),
    )
    .await;
    let (head, body) = split_answer(&answer);
    assert!(head.starts_with("http/1.1 413 "), "{answer}");
    assert!(head.contains("\r\nconnection: close"), "{answer}");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn tokens_are_minted_from_the_shared_clock() {
    let keys = KeySet::load_dir(KEYS_DIR.as_ref(), None).unwrap();
    let clock: Clock = "2026-11-23T05:00:00Z".parse().unwrap();
    let issuer = Issuer::start(IssuerConfig::new(keys).clock(clock.clone()))
        .await
        .unwrap();
    let frozen = 1_795_410_000;

    let (status, body) = post_mint(&issuer, r#"{"ttl": 120}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["claims"]["iat"], frozen);
    assert_eq!(body["claims"]["nbf"], frozen);
    assert_eq!(body["claims"]["exp"], frozen + 120);
    assert_eq!(body["expires_at"], frozen + 120);

    // Moving the test's handle moves the server's "now".
    clock.advance(3600).unwrap();
    let (_, body) = post_mint(&issuer, "").await;
    assert_eq!(body["claims"]["iat"], frozen + 3600);
    let in_process = issuer.mint(&Default::default()).unwrap();
    assert_eq!(in_process.claims["iat"], frozen + 3600);

    // The faults are relative to the same clock.
    let (_, body) = post_mint(&issuer, r#"{"fault": "expired"}"#).await;
    assert_eq!(body["claims"]["exp"], frozen + 3600 - 600);
    let (_, body) = post_mint(&issuer, r#"{"fault": "not-yet-valid"}"#).await;
    assert_eq!(body["claims"]["nbf"], frozen + 3600 + 3600);
}

#[tokio::test]
async fn the_clock_is_read_and_moved_over_http() {
    let issuer = dev_issuer().await;
    let url = format!("{}/_issuer/clock", issuer.url());
    let put = |body: &'static str| {
        let url = url.clone();
        async move {
            let r = client().put(&url).body(body).send().await.unwrap();
            let status = r.status().as_u16();
            (
                status,
                serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).unwrap(),
            )
        }
    };
    let r = client().get(&url).send().await.unwrap();
    let state: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(state["mode"], "real");
    let (status, state) = put(r#"{"now": "2026-11-23T05:00:00Z"}"#).await;
    assert_eq!(
        (status, state["mode"].as_str()),
        (200, Some("frozen")),
        "{state}"
    );
    let (_, body) = post_mint(&issuer, "").await;
    assert_eq!(body["claims"]["iat"], 1_795_410_000);
    let (_, state) = put(r#"{"advance_seconds": 60}"#).await;
    assert_eq!(state["now"], "2026-11-23T05:01:00Z");
    for bad in [
        "",
        "{}",
        r#"{"now": "later"}"#,
        r#"{"advance_seconds": "x"}"#,
    ] {
        let (status, body) = put(bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"], "invalid_request");
    }
    assert_eq!(
        issuer.clock().unix(),
        1_795_410_060,
        "a refused change moved the clock"
    );
    let r = client().post(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "GET, PUT");
}

/// Kills the child on drop so a failing test leaves no server behind.
struct Running(Child);
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn cli_mint_output_verifies_against_a_running_servers_jwks() {
    let bin = env!("CARGO_BIN_EXE_issuer");
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--keys", KEYS_DIR])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Running(child);
    let first_line = BufReader::new(stdout).lines().next().unwrap().unwrap();
    let url = first_line.rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first_line}");

    let output = Command::new(bin)
        .args([
            "mint",
            "--tenant",
            "abc12345",
            "--connection",
            "my-connection",
            "--keys",
            KEYS_DIR,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_string();

    let jwks = CoreJsonWebKeySet::fetch_async(
        &JsonWebKeySetUrl::new(format!("{url}/.well-known/jwks.json")).unwrap(),
        &client(),
    )
    .await
    .unwrap();
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new("abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector".into()),
        IssuerUrl::new("https://token.dynatrace.com".into()).unwrap(),
        jwks,
    );
    let id_token: CoreIdToken = token.parse().unwrap();
    let claims = id_token
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .unwrap();
    assert_eq!(claims.subject().as_str(), "dtid:connection/my-connection");

    // A bad option is an error with a message, not a token.
    let output = Command::new(bin)
        .args(["mint", "--fault", "sideways", "--keys", KEYS_DIR])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown fault `sideways`"));
    drop(server);
}

#[test]
fn keygen_writes_loadable_keys_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_issuer");
    for (kid, alg) in [("a-rsa", "rs256"), ("b-ec", "es256")] {
        let status = Command::new(bin)
            .args([
                "keygen",
                "--keys",
                dir.path().to_str().unwrap(),
                "--kid",
                kid,
                "--alg",
                alg,
            ])
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let keys = KeySet::load_dir(dir.path(), Some("b-ec")).unwrap();
    assert_eq!(keys.keys().len(), 2);
    assert_eq!(keys.signing_key().kid(), "b-ec");
    assert!(std::fs::read_to_string(dir.path().join("a-rsa.pem"))
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----"));
    let again = Command::new(bin)
        .args([
            "keygen",
            "--keys",
            dir.path().to_str().unwrap(),
            "--kid",
            "a-rsa",
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
}
