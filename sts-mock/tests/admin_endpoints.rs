//! sts-mock's own endpoints under `/_sts-mock/`: JSON answers, `405` with `Allow` for a wrong
//! method, `404` for an unknown path.

mod common;

use common::send;
use sts_mock::{StsMock, StsMockConfig};

#[tokio::test]
async fn own_endpoints_answer_json_and_refuse_what_they_do_not_serve() {
    let sts = StsMock::start(StsMockConfig::default()).await.unwrap();
    let health = send(
        "GET",
        &format!("{}/_sts-mock/health", sts.url()),
        String::new(),
    )
    .await;
    assert_eq!(health.status, 200);
    assert_eq!(health.headers["content-type"], "application/json");
    assert_eq!(health.body, r#"{"status":"ok"}"#);
    let decisions = send(
        "GET",
        &format!("{}/_sts-mock/decisions", sts.url()),
        String::new(),
    )
    .await;
    assert_eq!(decisions.body, r#"{"decisions":[]}"#);

    let wrong = send(
        "POST",
        &format!("{}/_sts-mock/health", sts.url()),
        String::new(),
    )
    .await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.headers["allow"], "GET");
    assert!(wrong.body.contains("GET only"), "{}", wrong.body);
    let unknown = send(
        "GET",
        &format!("{}/_sts-mock/nope", sts.url()),
        String::new(),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.body.contains("no such endpoint: /_sts-mock/nope"),
        "{}",
        unknown.body
    );
}

#[tokio::test]
async fn the_clock_is_read_and_moved_over_http() {
    let sts = StsMock::start(StsMockConfig::default()).await.unwrap();
    let url = format!("{}/_sts-mock/clock", sts.url());
    let state = send("GET", &url, String::new()).await;
    assert_eq!(state.status, 200);
    assert!(state.body.contains(r#""mode":"real""#), "{}", state.body);
    let frozen = send("PUT", &url, r#"{"now": "2026-11-23T05:00:00Z"}"#.into()).await;
    assert_eq!(frozen.status, 200, "{}", frozen.body);
    assert!(
        frozen.body.contains(r#""now":"2026-11-23T05:00:00Z""#),
        "{}",
        frozen.body
    );
    assert!(
        frozen.body.contains(r#""mode":"frozen""#),
        "{}",
        frozen.body
    );
    let moved = send("PUT", &url, r#"{"advance_seconds": 3600}"#.into()).await;
    assert!(
        moved.body.contains(r#""now":"2026-11-23T06:00:00Z""#),
        "{}",
        moved.body
    );
    assert_eq!(sts.clock().unix(), 1_795_410_000 + 3600);
    for bad in [
        "",
        "[]",
        r#"{"now": "soon"}"#,
        r#"{"real": true, "offset_seconds": 1}"#,
        r#"{"when": 1}"#,
    ] {
        let answer = send("PUT", &url, bad.into()).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
        assert!(answer.body.contains("invalid_request"), "{}", answer.body);
    }
    assert_eq!(
        sts.clock().unix(),
        1_795_410_000 + 3600,
        "a refused change changed the clock"
    );
    let real = send("PUT", &url, r#"{"real": true}"#.into()).await;
    assert!(real.body.contains(r#""mode":"real""#), "{}", real.body);
}
