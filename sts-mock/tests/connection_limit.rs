//! A flood of idle connections cannot starve sts-mock's real clients: past the connection
//! limit, the longest-idle connection is closed to admit a new one (rig-core's accept loop),
//! so a client is served at once instead of waiting out the 10 s header timeout of the
//! sockets that hold every place.

mod common;

use std::time::{Duration, Instant};

use common::{assume, Idp, AUD, ISSUER, SEED_TRUST_POLICY};
use rig_core::http::Limits;
use sts_mock::{RoleSpec, StsMock, StsMockConfig, DEFAULT_ACCOUNT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
    let sts = StsMock::start(config).await.unwrap();
    sts.model()
        .add_provider(DEFAULT_ACCOUNT, ISSUER, vec![AUD.to_string()], vec![])
        .unwrap();
    sts.model()
        .add_role(
            DEFAULT_ACCOUNT,
            RoleSpec::new("dynatrace-aws-connector", SEED_TRUST_POLICY),
        )
        .unwrap();

    // Three times the limit: silent sockets, half-sent heads, and keep-alive connections
    // that completed a request and then went quiet.
    let mut flood = Vec::new();
    for i in 0..3 * LIMIT {
        let mut stream = TcpStream::connect(sts.addr()).await.unwrap();
        match i % 3 {
            0 => {}
            1 => stream.write_all(b"POST / HTTP/1.1\r\nhost:").await.unwrap(),
            _ => {
                stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
                    .await
                    .unwrap();
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                // Early ones may already have been closed for later ones; that is the point.
                assert!(n == 0 || buf.starts_with(b"HTTP/1.1 200 "));
            }
        }
        flood.push(stream);
    }

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
