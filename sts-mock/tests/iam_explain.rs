//! `sts-mock explain`'s logic: the same decision as STS for the same token, from the token's
//! claims or from explicit context pairs, and clear refusals of bad input.

mod common;

use common::{Idp, AUD, SEED_TRUST_POLICY};
use sts_mock::explain::{explain, parse_pair, ExplainInput};
use sts_mock::policy::Decision;

fn with_token(token: String) -> ExplainInput {
    ExplainInput {
        token: Some(token),
        ..ExplainInput::default()
    }
}

#[tokio::test]
async fn agrees_with_sts_for_the_same_tokens() {
    let idp = Idp::start().await;
    let sts = common::seed_sts(&idp).await;
    for connection in ["my-connection", "other-connection"] {
        let token = idp.token(connection);
        let offline = explain(SEED_TRUST_POLICY, &with_token(token.clone())).unwrap();
        let online = common::assume(&sts, &token).await;
        assert_eq!(
            offline.decision == Decision::Allow,
            online.status == 200,
            "{connection}: {}\n{}",
            offline.explanation,
            online.body
        );
    }
    let out = explain(
        SEED_TRUST_POLICY,
        &with_token(idp.token("other-connection")),
    )
    .unwrap();
    assert_eq!(out.decision, Decision::ImplicitDeny);
    let text = out.explanation.to_string();
    assert!(text.contains("dtid:connection/other-connection"), "{text}");
    assert_eq!(
        out.principal.unwrap().id,
        "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"
    );
    // In another account, the principal is that account's provider: the policy names 0000...
    let mut input = with_token(idp.token("my-connection"));
    input.account = Some("111111111111".into());
    assert_eq!(
        explain(SEED_TRUST_POLICY, &input).unwrap().decision,
        Decision::ImplicitDeny
    );
}

#[test]
fn context_pairs_alone_or_over_a_token() {
    let input = ExplainInput {
        context: vec![
            parse_pair(&format!("token.dynatrace.com:aud={AUD}")).unwrap(),
            parse_pair("token.dynatrace.com:sub=dtid:connection/my-connection").unwrap(),
        ],
        federated: Some("arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com".into()),
        ..ExplainInput::default()
    };
    assert_eq!(
        explain(SEED_TRUST_POLICY, &input).unwrap().decision,
        Decision::Allow
    );
    let mut other = input.clone();
    other.context[1] = parse_pair("token.dynatrace.com:sub=dtid:connection/x=y").unwrap();
    assert_eq!(other.context[1].1, "dtid:connection/x=y");
    assert_eq!(
        explain(SEED_TRUST_POLICY, &other).unwrap().decision,
        Decision::ImplicitDeny
    );
    assert!(parse_pair("no-equals").is_err());
}

#[test]
fn bad_input_is_refused_with_the_reason() {
    let e = explain("{", &ExplainInput::default()).unwrap_err();
    assert!(e.starts_with("MalformedPolicyDocument: "), "{e}");
    let with_resource = SEED_TRUST_POLICY.replace("\"Action\"", "\"Resource\": \"*\", \"Action\"");
    let e = explain(&with_resource, &ExplainInput::default()).unwrap_err();
    assert!(e.contains("Has prohibited field Resource"), "{e}");
    let e = explain(SEED_TRUST_POLICY, &with_token("not-a-jwt".into())).unwrap_err();
    assert!(e.starts_with("--token: "), "{e}");
}
