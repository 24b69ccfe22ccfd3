//! A flood of idle connections cannot starve sts-mock's real clients: past the connection
//! limit, the longest-idle connection is closed to admit a new one (rig-core's accept loop),
//! so a client is served at once instead of waiting out the 10 s header timeout of the
//! sockets that hold every place.

mod common;

use std::time::{Duration, Instant};

use common::{assume, Idp, ISSUER};
use rig_core::http::Limits;
use sts_mock::StsMockConfig;

/// Guess: small enough that the test process stays far below a 1024 open-file limit with
/// the flood, its server side and the IdP, large enough to be a real pool.
const LIMIT: usize = 32;

#[tokio::test]
async fn more_idle_connections_than_the_limit_do_not_starve_a_real_client() {
    let idp = Idp::start().await;
    let mut config = StsMockConfig::default()
        .oidc_endpoint(ISSUER, idp.server.uri())
        .secret("test-secret");
    config.limits = config.limits.max_connections(LIMIT);
    assert_eq!(
        config.limits.header_read_timeout,
        Limits::default().header_read_timeout
    );
    let sts = common::seed_sts_with(config).await;

    // Three times the limit: silent sockets, half-sent heads, and keep-alive connections
    // that completed a request and then went quiet.
    let flood = rig_core::http::idle_connections(sts.addr(), 3 * LIMIT, "/healthz")
        .await
        .unwrap();

    // A real client, on new connections: the whole web-identity path, answered well inside
    // the header timeout that would otherwise free a place (10 s).
    let started = Instant::now();
    for _ in 0..3 {
        let answer = assume(&sts, &idp.token("my-connection")).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(answer.element("AccessKeyId").is_some(), "{}", answer.body);
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "served after {elapsed:?}");
    drop(flood);
}
