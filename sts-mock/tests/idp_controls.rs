//! Identity-provider controls for shared OIDC providers, at every entry point: CreateRole and
//! UpdateAssumeRolePolicy over the IAM API, the Rust API and the setup file refuse a trust
//! policy that does not scope GitHub's `sub` (or `job_workflow_ref`), with IAM's
//! `MalformedPolicyDocument` and AWS's message, and accept a scoped one; roles that exist (a
//! restored state) are not re-checked, and STS still honours them.

mod common;

use common::{assume_with, iam_call, now, Idp};
use serde_json::json;
use sts_mock::config::Setup;
use sts_mock::model::Snapshot;
use sts_mock::{ErrorCode, Model, RoleSpec, StsMock, StsMockConfig, DEFAULT_ACCOUNT};

const GITHUB_ARN: &str =
    "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com";
const MESSAGE: &str = "Trust policy with trusted principal arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, token.actions.githubusercontent.com:sub or token.actions.githubusercontent.com:job_workflow_ref which is not scoped to all.";

fn github_trust(condition: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
          "Principal": {{"Federated": "{GITHUB_ARN}"}},
          "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {condition}}}]}}"#
    )
}

/// Scoped only by audience and repository: every workflow of any branch, which AWS refuses.
fn unscoped() -> String {
    github_trust(
        r#"{"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                             "token.actions.githubusercontent.com:repository": "octo-org/octo-repo"}}"#,
    )
}

fn scoped() -> String {
    github_trust(
        r#"{"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"}}"#,
    )
}

#[tokio::test]
async fn the_iam_api_refuses_an_unscoped_github_trust_policy_with_aws_message() {
    let sts = StsMock::start(StsMockConfig::default()).await.unwrap();
    let answer = iam_call(
        &sts,
        "CreateRole",
        &[
            ("RoleName", "gh"),
            ("AssumeRolePolicyDocument", &unscoped()),
        ],
    )
    .await;
    answer.assert_error(400, "MalformedPolicyDocument", MESSAGE);
    assert_eq!(answer.element("Message").unwrap(), MESSAGE);
    assert!(sts.model().role(DEFAULT_ACCOUNT, "gh").is_none());

    let wildcard =
        github_trust(r#"{"StringLike": {"token.actions.githubusercontent.com:sub": "*"}}"#);
    iam_call(
        &sts,
        "CreateRole",
        &[("RoleName", "gh"), ("AssumeRolePolicyDocument", &wildcard)],
    )
    .await
    .assert_error(400, "MalformedPolicyDocument", MESSAGE);

    let answer = iam_call(
        &sts,
        "CreateRole",
        &[("RoleName", "gh"), ("AssumeRolePolicyDocument", &scoped())],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // Updating the trust policy is checked the same way, and a refusal leaves it as it was.
    iam_call(
        &sts,
        "UpdateAssumeRolePolicy",
        &[("RoleName", "gh"), ("PolicyDocument", &unscoped())],
    )
    .await
    .assert_error(400, "MalformedPolicyDocument", MESSAGE);
    assert_eq!(
        sts.model()
            .role(DEFAULT_ACCOUNT, "gh")
            .unwrap()
            .trust_policy
            .text,
        scoped()
    );
}

#[test]
fn the_rust_api_and_the_setup_file_refuse_it_alike() {
    let error = Model::new()
        .add_role(DEFAULT_ACCOUNT, RoleSpec::new("gh", unscoped()))
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::MalformedPolicyDocument);
    assert_eq!(error.message, MESSAGE);

    let file = format!(
        "[[provider]]\nurl = \"https://token.actions.githubusercontent.com\"\nclient_ids = [\"sts.amazonaws.com\"]\n\n[[role]]\nname = \"gh\"\ntrust_policy = '''{}'''\n",
        unscoped()
    );
    let error = Setup::from_toml(&file, "gh.toml", &|_| Err("no files".into())).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("gh.toml: role \"gh\" (account 000000000000): trust policy: MalformedPolicyDocument: {MESSAGE}")
    );
    let file = file.replace(&unscoped(), &scoped());
    assert!(Setup::from_toml(&file, "gh.toml", &|_| Err("no files".into())).is_ok());
}

#[tokio::test]
async fn existing_roles_are_not_rechecked_and_still_work() {
    // A role whose trust policy predates the controls, as a restored state holds it.
    let model = Model::new();
    model
        .add_provider(
            DEFAULT_ACCOUNT,
            "https://token.actions.githubusercontent.com",
            vec!["sts.amazonaws.com".into()],
            vec![],
        )
        .unwrap();
    model
        .add_role(DEFAULT_ACCOUNT, RoleSpec::new("legacy-gh", scoped()))
        .unwrap();
    let mut snapshot = serde_json::to_value(model.snapshot()).unwrap();
    snapshot["accounts"][DEFAULT_ACCOUNT]["roles"][0]["trust_policy"] = unscoped().into();
    let restored =
        Model::from_snapshot(serde_json::from_value::<Snapshot>(snapshot).unwrap()).unwrap();
    let role = restored.role(DEFAULT_ACCOUNT, "legacy-gh").unwrap();
    assert_eq!(role.trust_policy.text, unscoped());

    // Served, its policy is evaluated as written: a token of the repository may assume it,
    // from any branch; another repository's may not.
    let idp = Idp::serving(
        "/github",
        ".well-known/jwks",
        |jwks| json!({"issuer": "https://token.actions.githubusercontent.com", "jwks_uri": jwks}),
    )
    .await;
    let sts = StsMock::start(StsMockConfig::default().model(restored).oidc_endpoint(
        "https://token.actions.githubusercontent.com",
        format!("{}/github", idp.server.uri()),
    ))
    .await
    .unwrap();
    let token = |repository: &str| {
        let now = now();
        idp.sign(
            json!({
                "iss": "https://token.actions.githubusercontent.com", "aud": "sts.amazonaws.com",
                "sub": format!("repo:{repository}:ref:refs/heads/any"), "repository": repository,
                "iat": now, "nbf": now, "exp": now + 300
            })
            .as_object()
            .unwrap(),
        )
    };
    let arn = [("RoleArn", "arn:aws:iam::000000000000:role/legacy-gh")];
    let answer = assume_with(&sts, &token("octo-org/octo-repo"), &arn).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assume_with(&sts, &token("octo-org/other"), &arn)
        .await
        .assert_error(403, "AccessDenied", "Not authorized");
    let answer = iam_call(&sts, "GetRole", &[("RoleName", "legacy-gh")]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Tagging it touches no trust policy: allowed.
    let answer = iam_call(
        &sts,
        "TagRole",
        &[
            ("RoleName", "legacy-gh"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "sre"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Changing its trust policy is a new write: checked.
    iam_call(
        &sts,
        "UpdateAssumeRolePolicy",
        &[("RoleName", "legacy-gh"), ("PolicyDocument", &unscoped())],
    )
    .await
    .assert_error(400, "MalformedPolicyDocument", MESSAGE);
}
