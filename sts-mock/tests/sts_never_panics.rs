//! No request a client can send makes the server panic or answer 500: arbitrary parameters,
//! arbitrary bodies, arbitrary tokens, all get an AWS error document (or success).

mod common;

use common::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Action",
            "Version",
            "RoleArn",
            "RoleSessionName",
            "WebIdentityToken",
            "DurationSeconds",
            "Policy",
            "ProviderId",
            "PolicyArns.member.1.arn",
            "X-Amz-Credential",
            "X-Amz-Signature",
        ])
        .prop_map(str::to_string),
        ".{0,12}",
    ]
}

fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "AssumeRoleWithWebIdentity",
            "GetCallerIdentity",
            "2011-06-15",
            ROLE_ARN,
            "arn:aws:iam::x:role/",
            "s3ssion",
            "-1",
            "99999999999999999999",
            "{\"Statement\":[]}",
            "a.b.c",
            "e30.e30.",
            "",
        ])
        .prop_map(str::to_string),
        ".{0,64}",
    ]
}

/// Form parameters, whether to send them as a GET query, and a raw body.
type Case = (Vec<(String, String)>, bool, Vec<u8>);

#[tokio::test]
async fn arbitrary_requests_never_get_a_500() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(300));
    let strategy = (
        prop::collection::vec((param_name(), param_value()), 0..8),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..64),
    );
    let mut cases: Vec<Case> = Vec::new();
    for _ in 0..300 {
        cases.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    for (params, use_get, raw) in cases {
        let form: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let answer = if use_get {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&form)
                .finish();
            send("GET", &format!("{}/?{query}", sts.url()), String::new()).await
        } else {
            post_form(sts.url(), &form).await
        };
        assert!(
            answer.status < 500,
            "{params:?} -> {} {}",
            answer.status,
            answer.body
        );
        let raw_answer = send(
            "POST",
            sts.url(),
            String::from_utf8_lossy(&raw).into_owned(),
        )
        .await;
        assert!(raw_answer.status < 500, "{raw:?} -> {}", raw_answer.status);
    }
    // Still serving.
    assert_eq!(assume(&sts, &idp.token("my-connection")).await.status, 200);
}
