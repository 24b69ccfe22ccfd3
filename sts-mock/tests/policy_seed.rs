//! The trust policy from the Dynatrace documentation (shared/sources/000), filled in for tenant
//! `abc12345` and connection `my-connection`: allowed for the right token, denied for every way
//! a token can differ, with the reason in the explanation.

use sts_mock::policy::{
    evaluate, evaluate_explained, Context, Decision, Policy, PolicyKind, Principal, PrincipalKind,
    Request,
};

pub const SEED_TRUST_POLICY: &str = r#"{"Version": "2012-10-17","Statement": [{"Effect": "Allow","Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},"Action": "sts:AssumeRoleWithWebIdentity","Condition": {"StringEquals": {"token.dynatrace.com:aud": "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector","token.dynatrace.com:sub": "dtid:connection/my-connection"}}}]}"#;
const PROVIDER: &str = "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com";
const AUD: &str = "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector";

fn decide(
    provider: &str,
    action: &str,
    aud: Option<&str>,
    sub: Option<&str>,
) -> (Decision, String) {
    let policy = Policy::parse(SEED_TRUST_POLICY, PolicyKind::Trust).unwrap();
    let mut context = Context::new();
    if let Some(aud) = aud {
        context.insert("token.dynatrace.com:aud", aud);
    }
    if let Some(sub) = sub {
        context.insert("token.dynatrace.com:sub", sub);
    }
    let principal = Principal {
        kind: PrincipalKind::Federated,
        id: provider.to_string(),
    };
    let request = Request {
        principal: Some(&principal),
        action,
        resource: None,
        context: &context,
    };
    let fast = evaluate(&[&policy], &request);
    let (decision, explanation) = evaluate_explained(&[&policy], &request);
    assert_eq!(fast, decision);
    (decision, explanation.summary())
}

#[test]
fn the_right_token_is_allowed() {
    let (decision, why) = decide(
        PROVIDER,
        "sts:AssumeRoleWithWebIdentity",
        Some(AUD),
        Some("dtid:connection/my-connection"),
    );
    assert_eq!(decision, Decision::Allow, "{why}");
    assert_eq!(why, "allowed by policy #0 statement #0");
}

#[test]
fn every_difference_is_denied_with_its_reason() {
    let sub = Some("dtid:connection/my-connection");
    let cases = [
        (
            PROVIDER,
            "sts:AssumeRoleWithWebIdentity",
            Some(AUD),
            Some("dtid:connection/other"),
            "token.dynatrace.com:sub [\"dtid:connection/other\"] does not satisfy StringEquals",
        ),
        (
            PROVIDER,
            "sts:AssumeRoleWithWebIdentity",
            Some("zzz99999.apps.dynatrace.com/app-id/dynatrace.aws.connector"),
            sub,
            "token.dynatrace.com:aud",
        ),
        (
            PROVIDER,
            "sts:AssumeRoleWithWebIdentity",
            None,
            sub,
            "key token.dynatrace.com:aud missing from request",
        ),
        (
            PROVIDER,
            "sts:AssumeRoleWithWebIdentity",
            Some(AUD),
            None,
            "key token.dynatrace.com:sub missing from request",
        ),
        (
            PROVIDER,
            "sts:AssumeRoleWithWebIdentity",
            Some(AUD),
            Some("DTID:connection/my-connection"),
            "does not satisfy StringEquals",
        ),
        (
            PROVIDER,
            "sts:AssumeRoleWithWebIdentity",
            Some(AUD),
            Some("dtid:connection/my-connection-2"),
            "does not satisfy",
        ),
        (
            "arn:aws:iam::111111111111:oidc-provider/token.dynatrace.com",
            "sts:AssumeRoleWithWebIdentity",
            Some(AUD),
            sub,
            "principal does not match",
        ),
        (
            PROVIDER,
            "sts:AssumeRole",
            Some(AUD),
            sub,
            "action does not match",
        ),
    ];
    for (provider, action, aud, sub, reason) in cases {
        let (decision, why) = decide(provider, action, aud, sub);
        assert_eq!(decision, Decision::ImplicitDeny, "{aud:?} {sub:?}");
        assert!(why.contains(reason), "{why} lacks {reason}");
    }
}
