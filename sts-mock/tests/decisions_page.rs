//! The decisions page's endpoints, over HTTP against an in-process sts-mock: the page and its
//! assets, the live stream (events, resuming, its bound), coverage, "try it", the role lint
//! and the warnings of IAM's `CreateRole`/`UpdateAssumeRolePolicy`. None of them panics or
//! answers 500 on bad input.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{assume, iam_call, now, seed_sts, send, Idp, AUD, ISSUER, ROLE_ARN};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use sts_mock::decisions::MAX_STREAMS;
use sts_mock::DEFAULT_ACCOUNT;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

fn get(url: &str) -> impl std::future::Future<Output = common::Answer> + '_ {
    send("GET", url, String::new())
}

async fn json_of(method: &str, url: &str, body: &str) -> (u16, Value) {
    let answer = send(method, url, body.to_string()).await;
    let value = serde_json::from_str(&answer.body)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}: {}", answer.body));
    (answer.status, value)
}

/// An open event stream: its response body, read event by event.
struct Stream {
    body: Incoming,
    buffer: String,
}

impl Stream {
    async fn open(url: &str, last_event_id: Option<u64>) -> Result<Stream, u16> {
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let mut request = hyper::Request::get(url);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = client
            .request(request.body(Empty::new()).unwrap())
            .await
            .unwrap();
        if response.status() != 200 {
            return Err(response.status().as_u16());
        }
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Ok(Stream {
            body: response.into_body(),
            buffer: String::new(),
        })
    }

    /// The next event (name, id, data), comments skipped; `None` when the stream ends or
    /// nothing comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<(String, Option<u64>, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut name, mut id, mut data) = (None, None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        name = Some(v.to_string());
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        id = v.parse().ok();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                match name {
                    Some(name) => return Some((name, id, data)),
                    None => continue, // `retry:` or a comment
                }
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??;
            if let Ok(bytes) = frame.ok()?.into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    async fn next_named(&mut self, name: &str) -> (Option<u64>, Value) {
        loop {
            let (got, id, data) = self
                .next(Duration::from_secs(5))
                .await
                .unwrap_or_else(|| panic!("no {name} event"));
            if got == name {
                return (id, serde_json::from_str(&data).unwrap());
            }
        }
    }
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_from_the_binary() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let page = get(&format!("{}/_sts-mock/", sts.url())).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"));
    assert!(page.body.contains("/_sts-mock/assets/page.js"));
    // Nothing from elsewhere: every URL the page names is its own.
    for needle in ["http://", "https://"] {
        assert!(!page.body.contains(needle), "the page refers to {needle}");
    }
    let script = get(&format!("{}/_sts-mock/assets/page.js", sts.url())).await;
    assert_eq!(script.status, 200);
    assert!(script.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(script.body.contains("/_sts-mock/decisions/stream"));
    assert!(
        !script.body.contains("innerHTML"),
        "the page must set text, not markup"
    );
    let style = get(&format!("{}/_sts-mock/assets/page.css", sts.url())).await;
    assert_eq!(style.status, 200);
    assert_eq!(
        get(&format!("{}/_sts-mock/assets/nope.js", sts.url()))
            .await
            .status,
        404
    );
    let wrong = send("POST", &format!("{}/_sts-mock/", sts.url()), String::new()).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.headers["allow"], "GET");
}

#[tokio::test]
async fn decisions_stream_live_and_a_reconnect_resumes_after_the_last_id() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    assume(&sts, &idp.token("my-connection")).await;
    let url = format!("{}/_sts-mock/decisions/stream", sts.url());
    let mut stream = Stream::open(&url, None).await.unwrap();
    let (_, hello) = stream.next_named("hello").await;
    let instance = hello["instance"].as_str().unwrap().to_string();
    // What the log held is replayed first...
    let (first_id, first) = stream.next_named("decision").await;
    assert_eq!(first["result"], "allowed");
    assert_eq!(first_id, first["id"].as_u64());
    // ...then each decision as it is made.
    assume(&sts, &idp.token("intruder")).await;
    let started = std::time::Instant::now();
    let (id, live) = stream.next_named("decision").await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(live["code"], "AccessDenied");
    assert_eq!(live["subject"], "dtid:connection/intruder");
    assert_eq!(id, Some(first_id.unwrap() + 1));
    let sub = live["explanation"]["statements"][0]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "token.dynatrace.com:sub")
        .unwrap()
        .clone();
    assert_eq!(sub["result"], false);
    assert_eq!(
        sub["policy_values"],
        json!(["dtid:connection/my-connection"])
    );
    assert_eq!(sub["request_values"], json!(["dtid:connection/intruder"]));
    drop(stream);

    // A browser reconnecting sends Last-Event-ID and gets only what came after.
    assume(&sts, &idp.token("third")).await;
    let mut resumed = Stream::open(&url, id).await.unwrap();
    let (_, hello) = resumed.next_named("hello").await;
    assert_eq!(hello["instance"], instance.as_str());
    let (next_id, next) = resumed.next_named("decision").await;
    assert_eq!(next_id, Some(id.unwrap() + 1));
    assert_eq!(next["subject"], "dtid:connection/third");
    assert!(resumed.next(Duration::from_millis(300)).await.is_none());
    // `?after=N` does the same for a page that opens a new stream itself.
    let mut after = Stream::open(&format!("{url}?after={}", first_id.unwrap()), None)
        .await
        .unwrap();
    after.next_named("hello").await;
    assert_eq!(after.next_named("decision").await.0, id);

    // The JSON log carries the same ids.
    let (_, log) = json_of("GET", &format!("{}/_sts-mock/decisions", sts.url()), "").await;
    let ids: Vec<u64> = log["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![first_id.unwrap(), id.unwrap(), id.unwrap() + 1]);
}

#[tokio::test]
async fn open_streams_are_bounded_and_a_closed_one_frees_its_place() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let url = format!("{}/_sts-mock/decisions/stream", sts.url());
    let mut open = Vec::new();
    for _ in 0..MAX_STREAMS {
        let mut stream = Stream::open(&url, None).await.unwrap();
        stream.next_named("hello").await;
        open.push(stream);
    }
    let refused = get(&url).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.headers["retry-after"], "5");
    assert!(
        refused.body.contains("streams are open"),
        "{}",
        refused.body
    );
    // The other endpoints still answer.
    assert_eq!(
        get(&format!("{}/_sts-mock/health", sts.url())).await.status,
        200
    );
    drop(open.pop());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while sts.decisions().streams_available() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place was not freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut again = Stream::open(&url, None).await.unwrap();
    again.next_named("hello").await;
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_told_and_the_feed_stays_bounded() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let mut subscription = sts.decisions().subscribe(None).unwrap();
    for _ in 0..(sts_mock::decisions::FEED_BUFFER + 10) {
        assume(&sts, "not-a-jwt").await;
    }
    assert!(matches!(
        subscription.live.recv().await,
        Err(tokio::sync::broadcast::error::RecvError::Lagged(_))
    ));
    // The ring kept only its capacity, so a reconnect replays at most that.
    let fresh = sts.decisions().subscribe(None).unwrap();
    assert_eq!(fresh.replay.len(), sts_mock::decisions::CAPACITY);
}

#[tokio::test]
async fn coverage_counts_each_condition_true_and_false_per_role() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let url = format!("{}/_sts-mock/coverage", sts.url());
    let (status, empty) = json_of("GET", &url, "").await;
    assert_eq!(status, 200);
    assert_eq!(empty["since"], Value::Null);
    assert_eq!(
        empty["conditions"],
        json!({"total": 2, "seen_both_ways": 0, "percent": 0.0})
    );
    let role = &empty["roles"][0];
    assert_eq!(role["role_arn"], ROLE_ARN);
    assert_eq!(role["decisions"], 0);
    assert_eq!(
        role["statements"][0]["conditions"][1]["key"],
        "token.dynatrace.com:sub"
    );

    assume(&sts, &idp.token("my-connection")).await;
    assume(&sts, &idp.token("my-connection")).await;
    let (_, once) = json_of("GET", &url, "").await;
    let conditions = &once["roles"][0]["statements"][0]["conditions"];
    assert_eq!(conditions[0]["true"], 2);
    assert_eq!(conditions[1]["true"], 2);
    assert_eq!(conditions[1]["false"], 0);
    assert_eq!(once["roles"][0]["statements"][0]["true"], 2);
    assert_eq!(once["conditions"]["seen_both_ways"], 0);

    assume(&sts, &idp.token("intruder")).await;
    // Refused before the trust policy: nothing to count.
    assume(&sts, "not-a-jwt").await;
    let (_, both) = json_of("GET", &url, "").await;
    let statement = &both["roles"][0]["statements"][0];
    assert_eq!(statement["conditions"][1]["false"], 1);
    assert_eq!(
        statement["conditions"][0]["false"], 0,
        "aud was never false"
    );
    assert_eq!(statement["false"], 1);
    assert_eq!(both["roles"][0]["decisions"], 3);
    assert_eq!(
        both["conditions"],
        json!({"total": 2, "seen_both_ways": 1, "percent": 50.0})
    );

    // A new trust policy starts from zero; the same one again would keep counting.
    let changed = common::SEED_TRUST_POLICY.replace("my-connection", "other-connection");
    sts.model()
        .update_trust_policy(DEFAULT_ACCOUNT, "dynatrace-aws-connector", &changed)
        .unwrap();
    let (_, reset_by_policy) = json_of("GET", &url, "").await;
    assert_eq!(reset_by_policy["roles"][0]["decisions"], 0);
    assume(&sts, &idp.token("other-connection")).await;
    let (_, counted) = json_of("GET", &url, "").await;
    assert_eq!(counted["roles"][0]["decisions"], 1);

    // DELETE starts again, and says since when.
    let (status, deleted) = json_of("DELETE", &url, "").await;
    assert_eq!(status, 200);
    let since = deleted["since"].as_str().unwrap().to_string();
    let (_, after) = json_of("GET", &url, "").await;
    assert_eq!(after["since"], since.as_str());
    assert_eq!(after["roles"][0]["decisions"], 0);
    // ?role= narrows the report (an unknown role: nothing).
    let (_, none) = json_of(
        "GET",
        &format!("{url}?role=arn:aws:iam::000000000000:role/nope"),
        "",
    )
    .await;
    assert_eq!(none["roles"], json!([]));
    assert_eq!(none["conditions"]["percent"], 100.0);
    assert_eq!(send("POST", &url, String::new()).await.status, 405);
}

/// A wiremock `POST /mint` answering tokens of `idp` for the connection in the request body,
/// with its `claims` merged in, as the rig's issuer does.
async fn mount_mint(idp: &Idp) {
    struct Minter {
        key: josekit::jwk::alg::rsa::RsaKeyPair,
        kid: String,
    }
    impl wiremock::Respond for Minter {
        fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
            let asked: Value = serde_json::from_slice(&request.body).unwrap_or(json!({}));
            let connection = asked["connection"].as_str().unwrap_or("my-connection");
            let now = now();
            let mut claims = json!({
                "iss": ISSUER, "sub": format!("dtid:connection/{connection}"), "aud": AUD,
                "iat": now, "nbf": now, "exp": now + 300,
            })
            .as_object()
            .unwrap()
            .clone();
            if let Some(extra) = asked["claims"].as_object() {
                claims.extend(extra.clone());
            }
            let token = common::sign_with(&self.key, &self.kid, &claims);
            ResponseTemplate::new(200).set_body_json(json!({ "token": token }))
        }
    }
    Mock::given(method("POST"))
        .and(path("/mint"))
        .respond_with(Minter {
            key: idp.key.clone(),
            kid: idp.kid.clone(),
        })
        .mount(&idp.server)
        .await;
}

#[tokio::test]
async fn try_it_decides_as_the_sts_does_without_assuming() {
    let idp = Idp::start().await;
    mount_mint(&idp).await;
    let sts = seed_sts(&idp).await;
    let url = format!("{}/_sts-mock/try", sts.url());
    let (status, options) = json_of("GET", &url, "").await;
    assert_eq!(status, 200);
    assert_eq!(options["roles"][0]["arn"], ROLE_ARN);
    assert_eq!(options["issuers"][0]["issuer"], ISSUER);

    let ask = |body: Value| {
        let url = url.clone();
        async move { json_of("POST", &url, &body.to_string()).await }
    };
    let (status, allowed) =
        ask(json!({"role_arn": ROLE_ARN, "token": idp.token("my-connection")})).await;
    assert_eq!(status, 200, "{allowed}");
    assert_eq!(allowed["allowed"], true);
    assert_eq!(allowed["decision"], "Allow");
    assert_eq!(allowed["error"], Value::Null);
    assert_eq!(allowed["session_name"], "try-it");
    assert_eq!(allowed["context"]["token.dynatrace.com:aud"], json!([AUD]));
    assert!(allowed["reason"]
        .as_str()
        .unwrap()
        .starts_with("allowed by trust policy statement #0"));

    let (_, denied) =
        ask(json!({"role_arn": ROLE_ARN, "token": idp.token("intruder"), "session_name": "mine"}))
            .await;
    assert_eq!(denied["allowed"], false);
    assert_eq!(denied["error"]["code"], "AccessDenied");
    assert_eq!(
        denied["error"]["message"],
        "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    );
    assert_eq!(denied["context"]["sts:rolesessionname"], json!(["mine"]));
    let sub = &denied["explanation"]["statements"][0]["conditions"][1];
    assert_eq!(sub["request_values"], json!(["dtid:connection/intruder"]));

    // The token's checks are the STS's: expiry, signature, audience, provider.
    let mut expired = idp.claims("my-connection");
    expired.insert("exp".into(), json!(now() - 10));
    let (_, answer) = ask(json!({"role_arn": ROLE_ARN, "token": idp.sign(&expired)})).await;
    assert_eq!(answer["error"]["code"], "ExpiredTokenException");
    let mut other_aud = idp.claims("my-connection");
    other_aud.insert("aud".into(), json!("someone-else"));
    let (_, answer) = ask(json!({"role_arn": ROLE_ARN, "token": idp.sign(&other_aud)})).await;
    assert_eq!(answer["error"]["message"], "Incorrect token audience");
    let tampered = format!("{}x", idp.token("my-connection"));
    let (_, answer) = ask(json!({"role_arn": ROLE_ARN, "token": tampered})).await;
    assert_eq!(answer["error"]["code"], "InvalidIdentityToken");
    let (_, answer) = ask(json!({"role_arn": ROLE_ARN, "token": "abcd"})).await;
    assert_eq!(answer["error"]["code"], "InvalidIdentityToken");
    assert!(
        answer["reason"].as_str().unwrap().contains("a JWS has 3"),
        "{answer}"
    );
    // The parameters too: AWS's constraints, AWS's words.
    let (_, answer) = ask(
        json!({"role_arn": ROLE_ARN, "token": idp.token("my-connection"), "session_name": "x"}),
    )
    .await;
    assert_eq!(answer["error"]["code"], "ValidationError");
    let (_, answer) = ask(json!({"role_arn": "arn:aws:iam::000000000000:role/nope", "token": idp.token("my-connection")})).await;
    assert_eq!(answer["error"]["code"], "AccessDenied");
    assert!(answer["reason"].as_str().unwrap().contains("no role"));

    // Minting from the mapped issuer, session tags in the minted token.
    let (status, minted) = ask(json!({"role_arn": ROLE_ARN, "mint": {"issuer": ISSUER, "fields": {"connection": "my-connection"}},
                                       "tags": {"team": "sre"}})).await;
    assert_eq!(status, 200, "{minted}");
    assert!(minted["token"].as_str().unwrap().starts_with("ey"));
    // The seed policy does not allow sts:TagSession: the tagged session is refused for it.
    assert_eq!(minted["refused_action"], "sts:TagSession");
    assert_eq!(
        minted["error"]["message"],
        "Not authorized to perform sts:TagSession"
    );
    let (_, pasted) = ask(
        json!({"role_arn": ROLE_ARN, "token": idp.token("my-connection"), "tags": {"team": "sre"}}),
    )
    .await;
    assert_eq!(pasted["refused_action"], "sts:TagSession");
    assert!(pasted["notes"][0]
        .as_str()
        .unwrap()
        .contains("replaced the token's"));

    // Nothing of this reached the decision log or the coverage.
    assert!(sts.decisions().recent().is_empty());
    let (_, coverage) = json_of("GET", &format!("{}/_sts-mock/coverage", sts.url()), "").await;
    assert_eq!(coverage["roles"][0]["decisions"], 0);

    // Bad requests are 400s, never more.
    for bad in [
        "".to_string(),
        "[]".into(),
        "{}".into(),
        json!({"role_arn": ROLE_ARN}).to_string(),
        json!({"role_arn": ROLE_ARN, "token": "a", "mint": {"issuer": ISSUER}}).to_string(),
        json!({"role_arn": ROLE_ARN, "mint": {"issuer": "https://elsewhere.example"}}).to_string(),
        json!({"role_arn": ROLE_ARN, "token": "a", "surprise": 1}).to_string(),
        json!({"role_arn": ROLE_ARN, "mint": {"issuer": ISSUER, "fields": {"claims": 3}}, "tags": {"a": "b"}}).to_string(),
    ] {
        let (status, answer) = json_of("POST", &url, &bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert_eq!(answer["error"], "invalid_request");
    }
}

#[tokio::test]
async fn try_it_reports_an_issuer_that_cannot_mint() {
    let idp = Idp::start().await; // no /mint
    let sts = seed_sts(&idp).await;
    let (status, answer) = json_of(
        "POST",
        &format!("{}/_sts-mock/try", sts.url()),
        &json!({"role_arn": ROLE_ARN, "mint": {"issuer": ISSUER, "fields": {}}}).to_string(),
    )
    .await;
    assert_eq!(status, 502, "{answer}");
    assert_eq!(answer["error"], "mint_failed");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("refused to mint"),
        "{answer}"
    );
}

#[tokio::test]
async fn iam_keeps_accepting_what_aws_accepts_and_the_page_gets_the_lint_findings() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let without_sub = common::SEED_TRUST_POLICY.replace(
        ",\n          \"token.dynatrace.com:sub\": \"dtid:connection/my-connection\"",
        "",
    );
    assert_ne!(without_sub, common::SEED_TRUST_POLICY);
    let url = format!("{}/_sts-mock/decisions/stream", sts.url());
    let mut stream = Stream::open(&url, None).await.unwrap();
    stream.next_named("hello").await;

    let created = iam_call(
        &sts,
        "CreateRole",
        &[
            ("RoleName", "lax"),
            ("AssumeRolePolicyDocument", &without_sub),
        ],
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let (id, warning) = stream.next_named("warning").await;
    assert_eq!(warning["action"], "CreateRole");
    assert_eq!(warning["role_arn"], "arn:aws:iam::000000000000:role/lax");
    assert_eq!(warning["findings"][0]["id"], "tenant-claim-missing");
    assert_eq!(warning["findings"][0]["severity"], "error");
    assert_eq!(warning["findings"][0]["path"], "$.Statement[0].Condition");
    assert_eq!(id, warning["id"].as_u64());

    // A clean policy: accepted, and nothing to warn about.
    let clean = iam_call(
        &sts,
        "UpdateAssumeRolePolicy",
        &[
            ("RoleName", "lax"),
            ("PolicyDocument", common::SEED_TRUST_POLICY),
        ],
    )
    .await;
    assert_eq!(clean.status, 200, "{}", clean.body);
    let email =
        common::SEED_TRUST_POLICY.replace("token.dynatrace.com:sub", "token.dynatrace.com:email");
    let updated = iam_call(
        &sts,
        "UpdateAssumeRolePolicy",
        &[("RoleName", "lax"), ("PolicyDocument", &email)],
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let (_, warning) = stream.next_named("warning").await;
    assert_eq!(warning["action"], "UpdateAssumeRolePolicy");
    let found: Vec<&str> = warning["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        found.contains(&"key-never-sent") && found.contains(&"tenant-claim-missing"),
        "{found:?}"
    );

    let (_, warnings) = json_of("GET", &format!("{}/_sts-mock/warnings", sts.url()), "").await;
    assert_eq!(warnings["warnings"].as_array().unwrap().len(), 2);
    // What IAM refuses is still refused, with no warning.
    let github = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"Federated\": \"arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com\"}, \"Action\": \"sts:AssumeRoleWithWebIdentity\"}]}";
    let refused = iam_call(
        &sts,
        "CreateRole",
        &[("RoleName", "gh"), ("AssumeRolePolicyDocument", github)],
    )
    .await;
    assert_eq!(refused.status, 400);
    let (_, warnings) = json_of("GET", &format!("{}/_sts-mock/warnings", sts.url()), "").await;
    assert_eq!(warnings["warnings"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_roles_findings_are_served_with_its_policy_and_providers() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let base = format!("{}/_sts-mock/lint", sts.url());
    let (status, clean) = json_of("GET", &format!("{base}?role={ROLE_ARN}"), "").await;
    assert_eq!(status, 200);
    assert_eq!(clean["findings"], json!([]));
    assert_eq!(clean["providers"], json!([ISSUER]));
    assert_eq!(clean["trust_policy"], common::SEED_TRUST_POLICY);
    sts.model()
        .add_role(
            DEFAULT_ACCOUNT,
            sts_mock::RoleSpec::new(
                "elsewhere",
                common::SEED_TRUST_POLICY.replace("token.dynatrace.com\"", "token.example.com\""),
            ),
        )
        .unwrap();
    let (_, other) = json_of(
        "GET",
        &format!("{base}?role=arn:aws:iam::000000000000:role/elsewhere"),
        "",
    )
    .await;
    let found: Vec<&str> = other["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(found.contains(&"provider-not-registered"), "{found:?}");
    assert_eq!(json_of("GET", &base, "").await.0, 400);
    assert_eq!(
        json_of(
            "GET",
            &format!("{base}?role=arn:aws:iam::000000000000:role/nope"),
            ""
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn odd_requests_to_the_page_endpoints_never_get_a_500() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let paths = [
        "/_sts-mock/decisions/stream?after=-1",
        "/_sts-mock/decisions/stream?after=18446744073709551616",
        "/_sts-mock/decisions/stream?after=%ZZ",
        "/_sts-mock/coverage?role=%00&role=",
        "/_sts-mock/lint?role=%ff%fe",
        "/_sts-mock/try?x=1",
        "/_sts-mock/assets/",
        "/_sts-mock/assets/../../etc/passwd",
        "/_sts-mock/",
    ];
    for p in paths {
        for (m, body) in [("GET", ""), ("POST", "{\"role_arn\": 1}"), ("DELETE", "")] {
            let request = hyper::Request::builder()
                .method(m)
                .uri(format!("{}{p}", sts.url()))
                .header("last-event-id", "not a number")
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            let response = tokio::time::timeout(Duration::from_secs(5), client.request(request))
                .await
                .unwrap_or_else(|_| panic!("{m} {p} hung"))
                .unwrap();
            assert!(
                response.status().as_u16() < 500 || response.status() == 503,
                "{m} {p}: {}",
                response.status()
            );
        }
    }
    // A body larger than the server takes is refused, not read to the end.
    let huge = "x".repeat(sts_mock::MAX_BODY_BYTES + 1);
    let answer = send("POST", &format!("{}/_sts-mock/try", sts.url()), huge).await;
    assert_eq!(answer.status, 413);
}
