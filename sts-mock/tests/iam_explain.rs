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

/// (trust policy, extra token claims, session name): `explain` and the STS must give the same
/// answer, refusing the same action. The first split seen: a policy conditioned on
/// `aws:RequestTag/team` with `sts:TagSession` allowed, which the STS allowed and `explain`
/// denied ("key aws:RequestTag/team missing from request"); the same for `sts:RoleSessionName`.
#[tokio::test]
async fn explain_and_the_sts_agree_on_every_case_of_a_table() {
    use serde_json::json;
    let provider = "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com";
    let policy = |actions: serde_json::Value, condition: serde_json::Value| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": provider}, "Action": actions, "Condition": condition}]})
        .to_string()
    };
    let both = json!(["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]);
    let tags =
        |team: &str| json!({"https://aws.amazon.com/tags": {"principal_tags": {"team": [team]}}});
    let cases: Vec<(&str, String, serde_json::Value, &str, Option<&str>)> = vec![
        (
            "seed, right connection",
            SEED_TRUST_POLICY.to_string(),
            json!({}),
            "s1",
            None,
        ),
        (
            "seed, other connection",
            SEED_TRUST_POLICY.to_string(),
            json!({"sub": "dtid:connection/other"}),
            "s1",
            Some("sts:AssumeRoleWithWebIdentity"),
        ),
        (
            "request tag that matches, tagging allowed",
            policy(
                both.clone(),
                json!({"StringEquals": {"aws:RequestTag/team": "blue"}}),
            ),
            tags("blue"),
            "s1",
            None,
        ),
        (
            "request tag that differs",
            policy(
                both.clone(),
                json!({"StringEquals": {"aws:RequestTag/team": "blue"}}),
            ),
            tags("red"),
            "s1",
            Some("sts:TagSession"),
        ),
        (
            "tags without sts:TagSession",
            policy(json!("sts:AssumeRoleWithWebIdentity"), json!({})),
            tags("blue"),
            "s1",
            Some("sts:TagSession"),
        ),
        (
            "session name that matches",
            policy(
                json!("sts:AssumeRoleWithWebIdentity"),
                json!({"StringLike": {"sts:RoleSessionName": "ci-*"}}),
            ),
            json!({}),
            "ci-42",
            None,
        ),
        (
            "session name that differs",
            policy(
                json!("sts:AssumeRoleWithWebIdentity"),
                json!({"StringLike": {"sts:RoleSessionName": "ci-*"}}),
            ),
            json!({}),
            "dev-1",
            Some("sts:AssumeRoleWithWebIdentity"),
        ),
        (
            "source identity without sts:SetSourceIdentity",
            policy(json!("sts:AssumeRoleWithWebIdentity"), json!({})),
            json!({"https://aws.amazon.com/source_identity": "alice"}),
            "s1",
            Some("sts:SetSourceIdentity"),
        ),
        (
            "source identity allowed and conditioned",
            policy(
                json!(["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"]),
                json!({"StringEquals": {"sts:SourceIdentity": "alice"}}),
            ),
            json!({"https://aws.amazon.com/source_identity": "alice"}),
            "s1",
            None,
        ),
        (
            "federated provider key",
            policy(
                json!("sts:AssumeRoleWithWebIdentity"),
                json!({"StringEquals": {"aws:FederatedProvider": provider}}),
            ),
            json!({}),
            "s1",
            None,
        ),
    ];
    let idp = Idp::start().await;
    let sts = common::seed_sts(&idp).await;
    for (name, trust, extra, session, refused) in cases {
        sts.model()
            .update_trust_policy("000000000000", "dynatrace-aws-connector", &trust)
            .unwrap();
        let mut claims = idp.claims("my-connection");
        for (k, v) in extra.as_object().unwrap() {
            claims.insert(k.clone(), v.clone());
        }
        let token = idp.sign(&claims);
        let online = common::assume_with(&sts, &token, &[("RoleSessionName", session)]).await;
        let mut input = with_token(token);
        input.session_name = Some(session.to_string());
        let offline = explain(&trust, &input).unwrap();
        match refused {
            None => {
                assert_eq!(online.status, 200, "{name}: STS: {}", online.body);
                assert_eq!(
                    offline.decision,
                    Decision::Allow,
                    "{name}: explain: {}",
                    offline.explanation
                );
            }
            Some(action) => {
                online.assert_error(
                    403,
                    "AccessDenied",
                    &format!("Not authorized to perform {action}"),
                );
                assert_ne!(offline.decision, Decision::Allow, "{name}: explain allowed");
                assert_eq!(offline.refused_action.as_deref(), Some(action), "{name}");
            }
        }
    }
}
