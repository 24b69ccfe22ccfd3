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
