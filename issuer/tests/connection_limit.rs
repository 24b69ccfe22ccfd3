//! A flood of idle connections cannot starve the issuer's real clients: past the connection
//! limit, the longest-idle connection is closed to admit a new one (rig-core's accept loop),
//! so a client is served at once instead of waiting out the 10 s header timeout of the
//! sockets that hold every place.

use std::time::{Duration, Instant};

use issuer::{Issuer, IssuerConfig, KeySet, Limits};
use serde_json::Value;

const KEYS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys");
/// Guess: small enough that the test process stays far below a 1024 open-file limit with
/// the flood and its server side, large enough to be a real pool.
const LIMIT: usize = 32;

#[tokio::test]
async fn more_idle_connections_than_the_limit_do_not_starve_a_real_client() {
    let keys = KeySet::load_dir(KEYS_DIR.as_ref(), None).unwrap();
    let limits = Limits::default().max_connections(LIMIT);
    let issuer = Issuer::start(IssuerConfig::new(keys).limits(limits))
        .await
        .unwrap();

    // Three times the limit: silent sockets, half-sent heads, and keep-alive connections
    // that completed a request and then went quiet.
    let flood = rig_core::http::idle_connections(issuer.addr(), 3 * LIMIT, "/healthz")
        .await
        .unwrap();

    // A real client (an HTTP client library, a new connection each time) mints tokens well
    // inside the header timeout that would otherwise free a place (10 s).
    let started = Instant::now();
    for _ in 0..3 {
        let response = openidconnect::reqwest::Client::new()
            .post(format!("{}/mint", issuer.url()))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!(answer["token"].is_string(), "{answer}");
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "served after {elapsed:?}");
    drop(flood);
}
