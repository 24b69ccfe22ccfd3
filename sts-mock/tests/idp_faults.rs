//! An identity provider that misbehaves, and keys that change, as STS meets them: every fault
//! of the discovery document and the JWKS (down, slow, not JSON, empty, naming another issuer)
//! is `InvalidIdentityToken` "Couldn't retrieve verification key from your identity provider"
//! (AWS Knowledge Center, iam-sts-invalididentitytoken), a slow provider is given 5 s and no
//! more, cached keys serve while the provider is down until the cache lifetime
//! (`--jwks-cache-seconds`, on the shared clock) ends, a new kid is one rate-limited refetch,
//! and a removed key is refused once the cache has expired. No test sleeps: the clock moves.

mod common;

use std::time::{Duration, Instant};

use common::{assume, AUD, ISSUER};
use josekit::jwk::alg::ec::EcKeyPair;
use josekit::jwk::KeyPair as _;
use josekit::jws::{JwsHeader, ES256};
use serde_json::{json, Value};
use sts_mock::{Clock, StsMock, StsMockConfig, REASON_HEADER};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// AWS's words, two spaces included (aws-sdk-rust #827).
const NO_KEY: &str = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

/// A wiremock identity provider whose discovery document and JWKS a test replaces at will,
/// with ES256 keys by kid.
struct FaultyIdp {
    server: MockServer,
    keys: Vec<(String, EcKeyPair)>,
}

impl FaultyIdp {
    async fn start(kids: &[&str]) -> FaultyIdp {
        let keys = kids
            .iter()
            .map(|kid| (kid.to_string(), ES256.generate_key_pair().unwrap()))
            .collect();
        let idp = FaultyIdp {
            server: MockServer::start().await,
            keys,
        };
        idp.publish(kids).await;
        idp
    }

    fn discovery(&self) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(json!({
            "issuer": ISSUER,
            "jwks_uri": format!("{}/jwks", self.server.uri()),
        }))
    }

    fn jwks(&self, kids: &[&str]) -> ResponseTemplate {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|(kid, _)| kids.contains(&kid.as_str()))
            .map(|(kid, pair)| {
                let mut jwk = pair.to_jwk_public_key();
                jwk.set_key_id(kid);
                jwk.set_algorithm("ES256");
                jwk.set_key_use("sig");
                Value::Object(jwk.as_ref().clone())
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({ "keys": keys }))
    }

    /// Healthy, publishing the keys `kids`.
    async fn publish(&self, kids: &[&str]) {
        self.answer(self.discovery(), self.jwks(kids)).await;
    }

    /// From now on the discovery document and the JWKS answer so.
    async fn answer(&self, discovery: ResponseTemplate, jwks: ResponseTemplate) {
        self.server.reset().await;
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(discovery)
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(jwks)
            .mount(&self.server)
            .await;
    }

    /// A good token signed by `kid`, minted at the clock's now, valid for 300 s.
    fn token(&self, kid: &str, clock: &Clock) -> String {
        let pair = &self
            .keys
            .iter()
            .find(|(k, _)| k == kid)
            .unwrap_or_else(|| panic!("no key {kid}"))
            .1;
        let now = clock.unix();
        let claims = json!({
            "iss": ISSUER, "sub": "dtid:connection/my-connection", "aud": AUD,
            "iat": now, "nbf": now, "exp": now + 300,
        });
        let signer = ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap();
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id(kid);
        josekit::jws::serialize_compact(&serde_json::to_vec(&claims).unwrap(), &header, &signer)
            .unwrap()
    }
}

/// The seed scenario on `idp`, reading `clock`, caching keys for `cache_seconds`.
async fn sts_for(idp: &FaultyIdp, clock: &Clock, cache_seconds: u64) -> StsMock {
    common::seed_sts_with(
        StsMockConfig::default()
            .oidc_endpoint(ISSUER, idp.server.uri())
            .clock(clock.clone())
            .jwks_cache_seconds(cache_seconds),
    )
    .await
}

fn frozen() -> Clock {
    "2026-11-23T05:00:00Z".parse().unwrap()
}

/// Asserts AWS's "Couldn't retrieve verification key" answer, and that the reason sts-mock
/// gives (the decision log's detail) says `why`.
fn assert_no_key(answer: &common::Answer, why: &str) {
    answer.assert_error(400, "InvalidIdentityToken", NO_KEY);
    assert_eq!(answer.element("Message").unwrap(), NO_KEY);
    let reason = answer.headers[REASON_HEADER].to_str().unwrap();
    assert!(reason.contains(why), "reason {reason:?} lacks {why:?}");
}

#[tokio::test]
async fn every_fault_of_discovery_or_jwks_is_no_verification_key() {
    let idp = FaultyIdp::start(&["k1"]).await;
    let clock = frozen();
    // No cache: every token meets the provider as it is now.
    let sts = sts_for(&idp, &clock, 0).await;
    let garbage = || ResponseTemplate::new(200).set_body_string("<html>502 Bad Gateway</html>");
    let down = || ResponseTemplate::new(503).set_body_string("down");
    let cases = [
        ("discovery down", down(), idp.jwks(&["k1"]), "HTTP 503"),
        ("JWKS down", idp.discovery(), down(), "HTTP 503"),
        (
            "discovery garbage",
            garbage(),
            idp.jwks(&["k1"]),
            "not a discovery document",
        ),
        ("JWKS garbage", idp.discovery(), garbage(), "not JSON"),
        (
            "discovery empty",
            ResponseTemplate::new(200).set_body_json(json!({})),
            idp.jwks(&["k1"]),
            "not a discovery document with issuer and jwks_uri",
        ),
        (
            "JWKS empty",
            idp.discovery(),
            idp.jwks(&[]),
            "publishes no usable keys",
        ),
        (
            "discovery naming another issuer",
            ResponseTemplate::new(200).set_body_json(json!({
                "issuer": "https://wrong-issuer.invalid",
                "jwks_uri": format!("{}/jwks", idp.server.uri()),
            })),
            idp.jwks(&["k1"]),
            "names issuer \"https://wrong-issuer.invalid\"",
        ),
    ];
    for (case, discovery, jwks, why) in cases {
        idp.answer(discovery, jwks).await;
        let answer = assume(&sts, &idp.token("k1", &clock)).await;
        assert_eq!(answer.status, 400, "{case}: {}", answer.body);
        assert_no_key(&answer, why);
    }
    // Healed, the very next token is accepted: failures are not cached.
    idp.publish(&["k1"]).await;
    let answer = assume(&sts, &idp.token("k1", &clock)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn a_slow_provider_within_five_seconds_is_waited_for() {
    let idp = FaultyIdp::start(&["k1"]).await;
    let clock = frozen();
    let sts = sts_for(&idp, &clock, 0).await;
    idp.answer(
        idp.discovery(),
        idp.jwks(&["k1"]).set_delay(Duration::from_millis(300)),
    )
    .await;
    let started = Instant::now();
    let answer = assume(&sts, &idp.token("k1", &clock)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// STS gives an identity provider 5 s: one slower is given up on at 5 s, not when it answers,
/// and requests that arrive meanwhile share that one fetch and its failure instead of each
/// waiting 5 s more.
#[tokio::test]
async fn a_provider_slower_than_five_seconds_is_given_up_on_at_five() {
    let idp = FaultyIdp::start(&["k1"]).await;
    let clock = frozen();
    let sts = std::sync::Arc::new(sts_for(&idp, &clock, 0).await);
    idp.answer(
        idp.discovery().set_delay(Duration::from_millis(6000)),
        idp.jwks(&["k1"]),
    )
    .await;
    let token = idp.token("k1", &clock);
    let started = Instant::now();
    let mut requests = Vec::new();
    for _ in 0..4 {
        let (sts, token) = (sts.clone(), token.clone());
        requests.push(tokio::spawn(async move { assume(&sts, &token).await }));
    }
    for request in requests {
        assert_no_key(&request.await.unwrap(), "did not arrive within 5 s");
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(4900) && waited < Duration::from_millis(5900),
        "waited {waited:?}"
    );
    assert_eq!(
        sts.key_store().fetch_count(),
        1,
        "the waiters fetched again"
    );
}

#[tokio::test]
async fn cached_keys_serve_while_the_provider_is_down_until_the_cache_expires() {
    let idp = FaultyIdp::start(&["k1"]).await;
    let clock = frozen();
    let sts = sts_for(&idp, &clock, 600).await;
    assert_eq!(sts.key_store().cache_seconds(), 600);
    assert_eq!(assume(&sts, &idp.token("k1", &clock)).await.status, 200);
    assert_eq!(sts.key_store().fetch_count(), 1);

    let down = || ResponseTemplate::new(503);
    idp.answer(down(), down()).await;
    for advance in [0, 300, 299] {
        clock.advance(advance).unwrap();
        let answer = assume(&sts, &idp.token("k1", &clock)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert_eq!(sts.key_store().fetch_count(), 1, "cached keys were fetched");
    assert!(idp.server.received_requests().await.unwrap().is_empty());

    // 600 s after the fetch the keys are fetched again, and the provider is down.
    clock.advance(1).unwrap();
    assert_no_key(
        &assume(&sts, &idp.token("k1", &clock)).await,
        "could not be retrieved",
    );
    assert_eq!(sts.key_store().fetch_count(), 2);
    idp.publish(&["k1"]).await;
    let answer = assume(&sts, &idp.token("k1", &clock)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(sts.key_store().fetch_count(), 3);
}

#[tokio::test]
async fn no_cache_fetches_for_every_token() {
    let idp = FaultyIdp::start(&["k1"]).await;
    let clock = frozen();
    let sts = sts_for(&idp, &clock, 0).await;
    for expected in 1..=3 {
        assert_eq!(assume(&sts, &idp.token("k1", &clock)).await.status, 200);
        assert_eq!(sts.key_store().fetch_count(), expected);
    }
}

/// A token with a new kid refetches the keys once, at most once per 10 s; moving the clock
/// 10 s lets the next refetch through, so rotation is testable without sleeping.
#[tokio::test]
async fn a_new_kid_is_one_rate_limited_refetch() {
    let idp = FaultyIdp::start(&["old", "new", "never"]).await;
    idp.publish(&["old"]).await;
    let clock = frozen();
    let sts = sts_for(&idp, &clock, 3600).await;
    assert_eq!(assume(&sts, &idp.token("old", &clock)).await.status, 200);
    assert_eq!(sts.key_store().fetch_count(), 1);

    // The provider rotates in a new key.
    idp.publish(&["old", "new"]).await;
    // The keys were fetched a moment ago: not fetched again yet.
    assert_no_key(
        &assume(&sts, &idp.token("new", &clock)).await,
        "fetched less than 10s ago",
    );
    assert_eq!(sts.key_store().fetch_count(), 1);
    clock.advance(9).unwrap();
    assume(&sts, &idp.token("new", &clock)).await;
    assert_eq!(sts.key_store().fetch_count(), 1);
    clock.advance(1).unwrap();
    let answer = assume(&sts, &idp.token("new", &clock)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(sts.key_store().fetch_count(), 2, "exactly one refetch");
    // Both keys are cached now, and another unknown kid waits its turn.
    assert_eq!(assume(&sts, &idp.token("old", &clock)).await.status, 200);
    assert_no_key(
        &assume(&sts, &idp.token("never", &clock)).await,
        "fetched less than 10s ago",
    );
    clock.advance(10).unwrap();
    assert_no_key(
        &assume(&sts, &idp.token("never", &clock)).await,
        "no key with kid \"never\" in the identity provider's JWKS",
    );
    assert_eq!(sts.key_store().fetch_count(), 3);
    let cached = sts.key_store().cached(ISSUER).unwrap();
    assert_eq!(cached.kids, ["old", "new"]);
    assert_eq!(cached.expires_at - cached.fetched_at, 3600);
}

/// A key the provider stops publishing keeps verifying while the keys are cached, and is
/// refused once the cache lifetime has passed on the shared clock.
#[tokio::test]
async fn a_removed_key_is_refused_after_the_cache_lifetime() {
    let idp = FaultyIdp::start(&["retired", "current"]).await;
    let clock = frozen();
    let sts = sts_for(&idp, &clock, 900).await;
    assert_eq!(
        assume(&sts, &idp.token("retired", &clock)).await.status,
        200
    );
    idp.publish(&["current"]).await;
    clock.advance(899).unwrap();
    let answer = assume(&sts, &idp.token("retired", &clock)).await;
    assert_eq!(answer.status, 200, "still cached: {}", answer.body);
    assert_eq!(sts.key_store().fetch_count(), 1);
    clock.advance(1).unwrap();
    assert_no_key(
        &assume(&sts, &idp.token("retired", &clock)).await,
        "no key with kid \"retired\" in the identity provider's JWKS",
    );
    assert_eq!(sts.key_store().fetch_count(), 2);
    // The key still published verifies from the keys just fetched.
    assert_eq!(
        assume(&sts, &idp.token("current", &clock)).await.status,
        200
    );
    assert_eq!(sts.key_store().fetch_count(), 2);
}

/// A JWKS with no keys is keys that could not be retrieved: it does not replace the keys
/// held, and healing is seen by the very next token.
#[tokio::test]
async fn an_empty_jwks_does_not_replace_the_cached_keys() {
    let idp = FaultyIdp::start(&["k1", "k2"]).await;
    idp.publish(&["k1"]).await;
    let clock = frozen();
    let sts = sts_for(&idp, &clock, 3600).await;
    assert_eq!(assume(&sts, &idp.token("k1", &clock)).await.status, 200);
    idp.publish(&[]).await;
    clock.advance(10).unwrap();
    assert_no_key(
        &assume(&sts, &idp.token("k2", &clock)).await,
        "publishes no usable keys",
    );
    assert_eq!(sts.key_store().fetch_count(), 2);
    assert_eq!(assume(&sts, &idp.token("k1", &clock)).await.status, 200);
    idp.publish(&["k1", "k2"]).await;
    let answer = assume(&sts, &idp.token("k2", &clock)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(sts.key_store().fetch_count(), 3);
}
