//! Every built-in issuer against the built-in default, through a real AWS client (aws-sdk-sts):
//! a token minted for the case each example role trusts assumes it, and the neighbouring cases
//! are refused with AccessDenied (another branch, a pull request, another repository, another
//! project, another service account or namespace, another Dynatrace connection); a trust
//! policy naming GitHub's provider-specific keys is decided by them.

mod common;

use aws_sdk_sts::error::ProvideErrorMetadata;
use common::sts;
use e2e_tests::{
    Rig, DYNATRACE_CONNECTION_ROLE_ARN, EKS_ROLE_ARN, GITHUB_ROLE_ARN, GITLAB_ROLE_ARN, ROLE_ARN,
};
use issuer::MintRequest;
use sts_mock::{RoleSpec, DEFAULT_ACCOUNT};

/// Assumes `role` with `token`: the assumed-role ARN, or the AWS error code and message.
async fn assume(rig: &Rig, role: &str, token: &str) -> Result<String, (String, String)> {
    sts(rig)
        .assume_role_with_web_identity()
        .role_arn(role)
        .role_session_name("e2e")
        .web_identity_token(token)
        .send()
        .await
        .map(|out| out.assumed_role_user().unwrap().arn().to_string())
        .map_err(|e| {
            let e = e.into_service_error();
            (
                e.code().unwrap_or_default().to_string(),
                e.message().unwrap_or_default().to_string(),
            )
        })
}

async fn assert_refused(rig: &Rig, role: &str, token: &str, case: &str) {
    let (code, message) = assume(rig, role, token)
        .await
        .expect_err(&format!("{case} must be refused"));
    assert_eq!(code, "AccessDenied", "{case}: {message}");
    assert_eq!(
        message, "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        "{case}"
    );
}

#[tokio::test]
async fn github_deploy_trusts_main_of_octo_repo_only() {
    let rig = Rig::start().await;
    let token = rig.mint("github", &MintRequest::new());
    assert_eq!(
        assume(&rig, GITHUB_ROLE_ARN, &token).await.unwrap(),
        "arn:aws:sts::000000000000:assumed-role/github-deploy/e2e"
    );
    for (case, request) in [
        (
            "another branch",
            MintRequest::new().field("ref", "refs/heads/dev"),
        ),
        (
            "a pull request",
            MintRequest::new().field("event_name", "pull_request"),
        ),
        (
            "another repository",
            MintRequest::new().field("repository", "octo-org/other-repo"),
        ),
        (
            "an environment",
            MintRequest::new().field("environment", "production"),
        ),
        ("a tag", MintRequest::new().field("ref", "refs/tags/v1")),
    ] {
        assert_refused(&rig, GITHUB_ROLE_ARN, &rig.mint("github", &request), case).await;
    }
    // Another audience than the provider's client ID is refused before the trust policy.
    let (code, message) = assume(
        &rig,
        GITHUB_ROLE_ARN,
        &rig.mint(
            "github",
            &MintRequest::new().claim("aud", "https://github.com/octo-org"),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("InvalidIdentityToken", "Incorrect token audience")
    );
}

#[tokio::test]
async fn gitlab_deploy_trusts_main_of_my_project_only() {
    let rig = Rig::start().await;
    let token = rig.mint("gitlab", &MintRequest::new());
    assert!(assume(&rig, GITLAB_ROLE_ARN, &token).await.is_ok());
    for (case, request) in [
        ("another branch", MintRequest::new().field("ref", "dev")),
        (
            "another project",
            MintRequest::new().field("project_path", "my-group/other-project"),
        ),
        (
            "a tag called main",
            MintRequest::new().field("ref_type", "tag"),
        ),
    ] {
        assert_refused(&rig, GITLAB_ROLE_ARN, &rig.mint("gitlab", &request), case).await;
    }
}

#[tokio::test]
async fn eks_app_trusts_the_app_service_account_only() {
    let rig = Rig::start().await;
    let app = MintRequest::new().field("service_account", "app");
    assert!(assume(&rig, EKS_ROLE_ARN, &rig.mint("eks", &app))
        .await
        .is_ok());
    for (case, request) in [
        (
            "another service account",
            MintRequest::new().field("service_account", "worker"),
        ),
        (
            "another namespace",
            MintRequest::new()
                .field("namespace", "kube-system")
                .field("service_account", "app"),
        ),
        ("the default service account", MintRequest::new()),
    ] {
        assert_refused(&rig, EKS_ROLE_ARN, &rig.mint("eks", &request), case).await;
    }
    // A token of another cluster (here: GitHub's issuer) is not this cluster's.
    assert_refused(
        &rig,
        EKS_ROLE_ARN,
        &rig.mint("github", &MintRequest::new()),
        "another issuer",
    )
    .await;
}

#[tokio::test]
async fn dynatrace_connections_legacy_and_current_each_have_their_role() {
    let rig = Rig::start().await;
    // The default connection ID is the one the built-in role trusts.
    let current = rig.mint(
        "dynatrace",
        &MintRequest::new().field("connection_id", issuer::DEFAULT_CONNECTION_ID),
    );
    assert!(assume(&rig, DYNATRACE_CONNECTION_ROLE_ARN, &current)
        .await
        .is_ok());
    let other = rig.mint(
        "dynatrace",
        &MintRequest::new().field("connection_id", "vu9U3hXa3q0AAAABother"),
    );
    assert_refused(
        &rig,
        DYNATRACE_CONNECTION_ROLE_ARN,
        &other,
        "another connection",
    )
    .await;
    // The forms do not mix: the legacy token is not the current connection, nor the reverse.
    let legacy = rig.token("my-connection", None);
    assert_refused(
        &rig,
        DYNATRACE_CONNECTION_ROLE_ARN,
        &legacy,
        "a legacy connection",
    )
    .await;
    assert_refused(
        &rig,
        ROLE_ARN,
        &current,
        "a current connection on the legacy role",
    )
    .await;
    assert!(assume(&rig, ROLE_ARN, &legacy).await.is_ok());
}

#[tokio::test]
async fn githubs_provider_specific_keys_decide_a_role_that_names_them() {
    let rig = Rig::start().await;
    let trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
          "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                           "token.actions.githubusercontent.com:repository_owner_id": "65",
                           "token.actions.githubusercontent.com:environment": "production"},
          "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/*"}}}]}"#;
    rig.model()
        .add_role(DEFAULT_ACCOUNT, RoleSpec::new("prod-deploy", trust))
        .unwrap();
    let arn = "arn:aws:iam::000000000000:role/prod-deploy";
    let prod = MintRequest::new().field("environment", "production");
    assert!(assume(&rig, arn, &rig.mint("github", &prod)).await.is_ok());
    for (case, request) in [
        ("no environment: the key is absent", MintRequest::new()),
        (
            "another environment",
            MintRequest::new().field("environment", "staging"),
        ),
        (
            "an owner of the same name with another ID",
            prod.clone().field("repository_owner_id", "66"),
        ),
    ] {
        assert_refused(&rig, arn, &rig.mint("github", &request), case).await;
    }
}
