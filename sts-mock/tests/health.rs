//! Health: `GET /healthz` and `/_sts-mock/health` answer `{"status": "ok"}`; `?deep=1`
//! fetches every mapped identity provider's keys now and says, per issuer, whether they can
//! be had (503 `degraded` when one cannot), without touching the key cache.

mod common;

use common::{assume, seed_sts, send, Idp, ISSUER};
use serde_json::Value;
use sts_mock::{StsMock, StsMockConfig};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn get(sts: &StsMock, path: &str) -> (u16, Value) {
    let answer = send("GET", &format!("{}{path}", sts.url()), String::new()).await;
    assert_eq!(answer.headers["content-type"], "application/json", "{path}");
    (answer.status, serde_json::from_str(&answer.body).unwrap())
}

#[tokio::test]
async fn healthz_answers_ok_at_both_paths() {
    let sts = StsMock::start(StsMockConfig::default()).await.unwrap();
    for path in ["/healthz", "/_sts-mock/health", "/healthz?deep=0"] {
        let (status, body) = get(&sts, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(body, serde_json::json!({ "status": "ok" }), "{path}");
    }
    let answer = send("POST", &format!("{}/healthz", sts.url()), String::new()).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.headers["allow"], "GET");
    assert!(
        answer.body.contains("/healthz answers GET only"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn a_deep_check_fetches_every_mapped_providers_keys_now() {
    let idp = Idp::start().await;
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let broken = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&broken)
        .await;
    let sts = StsMock::start(
        StsMockConfig::default()
            .oidc_endpoint(ISSUER, idp.server.uri())
            .oidc_endpoint("https://gitlab.com", dead.clone())
            .oidc_endpoint("https://token.actions.githubusercontent.com", broken.uri()),
    )
    .await
    .unwrap();

    let (status, body) = get(&sts, "/healthz?deep=1").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["jwks_cache_seconds"], 3600);
    let issuers = body["issuers"].as_array().unwrap();
    assert_eq!(issuers.len(), 3);
    assert_eq!(issuers[0]["issuer"], ISSUER);
    assert_eq!(issuers[0]["endpoint"], idp.server.uri());
    assert_eq!(issuers[0]["keys_fetchable"], true);
    assert_eq!(issuers[0]["kids"], serde_json::json!(["idp-key"]));
    assert_eq!(issuers[1]["keys_fetchable"], false);
    assert!(
        issuers[1]["error"]
            .as_str()
            .unwrap()
            .contains("Connection refused"),
        "{}",
        issuers[1]
    );
    assert_eq!(issuers[2]["keys_fetchable"], false);
    assert!(
        issuers[2]["error"].as_str().unwrap().contains("HTTP 503"),
        "{}",
        issuers[2]
    );
    // A check is not a token: nothing was cached or counted.
    assert_eq!(sts.key_store().fetch_count(), 0);
    assert!(issuers[0]["cached"].is_null());
    // /_sts-mock/health takes ?deep=1 too.
    let (status, _) = get(&sts, "/_sts-mock/health?deep=true").await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn a_deep_check_is_ok_when_every_provider_serves_and_shows_the_cache() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    assert_eq!(assume(&sts, &idp.token("my-connection")).await.status, 200);
    let (status, body) = get(&sts, "/healthz?deep=1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    let issuer = &body["issuers"][0];
    assert_eq!(issuer["keys_fetchable"], true);
    assert_eq!(issuer["cached"]["kids"], serde_json::json!(["idp-key"]));
    let fetched = issuer["cached"]["fetched_at"].as_str().unwrap();
    assert!(fetched.ends_with('Z'), "{fetched}");
    assert_eq!(sts.key_store().fetch_count(), 1);
    // A provider without a mapping is not one a deep check can see.
    let bare = StsMock::start(StsMockConfig::default()).await.unwrap();
    let (status, body) = get(&bare, "/healthz?deep=1").await;
    assert_eq!(status, 200);
    assert_eq!(body["issuers"], serde_json::json!([]));
}
