//! What role sessions may do, against the in-process server and the library: role chaining
//! with transitive session tags and a source identity (aws-sdk-sts), the evaluation logic's
//! table of identity, boundary and session policies with AWS's AccessDenied wordings, managed
//! policies' lifecycle and IAM's refusals, the setup file's managed policies, and state that
//! round-trips them.

mod common;

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sts::error::ProvideErrorMetadata;
use common::*;
use serde_json::json;
use sts_mock::error::{AwsError, Denial, ErrorCode, PolicyType};
use sts_mock::model::{PolicySpec, Snapshot};
use sts_mock::permissions::{decide, SessionPolicies};
use sts_mock::policy::{Context, Policy, PolicyKind, Request};
use sts_mock::{Model, RoleSpec, StsMock, DEFAULT_ACCOUNT};

fn client(sts: &StsMock, credentials: Credentials) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(sts.url())
            .credentials_provider(credentials)
            .build(),
    )
}

fn anonymous() -> Credentials {
    Credentials::new("AKIAIOSFODNN7EXAMPLE", "unused", None, None, "test")
}

fn session(creds: &aws_sdk_sts::types::Credentials) -> Credentials {
    Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_string()),
        None,
        "sts-mock",
    )
}

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// A trust policy for the web-identity role that allows tags and a source identity.
fn web_trust() -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},
        "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"],
        "Condition": {"StringEquals": {"token.dynatrace.com:aud": AUD}}
    }]})
    .to_string()
}

/// A role of account 222222222222 that trusts `principal`, if its session is tagged team=sre.
fn chained_trust(principal: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "sre"}}
    }]})
    .to_string()
}

#[tokio::test]
async fn role_chaining_carries_transitive_tags_and_the_source_identity() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let model = sts.model();
    model
        .add_role(DEFAULT_ACCOUNT, RoleSpec::new("tagged", web_trust()))
        .unwrap();
    model
        .put_role_policy(DEFAULT_ACCOUNT, "tagged", "all", ALLOW_ALL)
        .unwrap();
    for (account, name, principal) in [
        (
            "222222222222",
            "second",
            "arn:aws:iam::000000000000:role/tagged",
        ),
        ("222222222222", "third", "222222222222"),
    ] {
        model
            .add_role(account, RoleSpec::new(name, chained_trust(principal)))
            .unwrap();
        model
            .put_role_policy(account, name, "all", ALLOW_ALL)
            .unwrap();
    }
    let mut claims = idp.claims("my-connection");
    claims.insert(
        "https://aws.amazon.com/tags".into(),
        json!({"principal_tags": {"team": ["sre"], "shift": ["night"]}, "transitive_tag_keys": ["team"]}),
    );
    claims.insert(
        "https://aws.amazon.com/source_identity".into(),
        json!("alice"),
    );
    let first = client(&sts, anonymous())
        .assume_role_with_web_identity()
        .role_arn("arn:aws:iam::000000000000:role/tagged")
        .role_session_name("first")
        .web_identity_token(idp.sign(&claims))
        .send()
        .await
        .expect("tags and source identity are allowed");
    let first = client(&sts, session(first.credentials().unwrap()));

    // Across accounts: the trust policy names the role and checks the transitive tag.
    let second = first
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/second")
        .role_session_name("second")
        .send()
        .await
        .expect("a chained, cross-account assume");
    assert_eq!(second.source_identity(), Some("alice"));
    assert_eq!(
        second.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::222222222222:assumed-role/second/second"
    );
    let second = client(&sts, session(second.credentials().unwrap()));
    let who = second.get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some("222222222222"));

    // The transitive tag went on (the third role's condition needs it); `shift` did not.
    let third = second
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/third")
        .role_session_name("third")
        .send()
        .await
        .expect("team=sre is still a principal tag");
    assert_eq!(third.source_identity(), Some("alice"));

    // A transitive tag of the calling session cannot be overridden, in any case (aws-recorded).
    for key in ["team", "TEAM"] {
        let e = second
            .assume_role()
            .role_arn("arn:aws:iam::222222222222:role/third")
            .role_session_name("override")
            .tags(
                aws_sdk_sts::types::Tag::builder()
                    .key(key)
                    .value("dev")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("InvalidParameterValue"));
        assert_eq!(e.message(), Some("One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."));
    }
    // The source identity cannot change.
    let e = second
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/third")
        .role_session_name("other")
        .source_identity("mallory")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameterValue"));

    // A trust policy that names another account: no reason given. The first permission the
    // trust policy refuses is named (the session carries a source identity, which needs
    // sts:SetSourceIdentity before sts:AssumeRole is looked at).
    let stranger = first
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/third")
        .role_session_name("stranger")
        .send()
        .await
        .unwrap_err();
    assert_eq!(stranger.code(), Some("AccessDenied"));
    assert_eq!(
        stranger.message(),
        Some("User: arn:aws:sts::000000000000:assumed-role/tagged/first is not authorized to perform: sts:SetSourceIdentity on resource: arn:aws:iam::222222222222:role/third")
    );
    // The trust decision is logged with its explanation.
    let log = sts.decisions().recent();
    let record = log.iter().rev().find(|d| d.action == "AssumeRole").unwrap();
    assert_eq!(
        record.role_arn.as_deref(),
        Some("arn:aws:iam::222222222222:role/third")
    );
    assert!(record.explanation.is_some());
}

fn identity(text: &str) -> Policy {
    Policy::parse(text, PolicyKind::Identity).unwrap()
}

const ALLOW_LIST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"account:ListRegions","Resource":"*"}]}"#;
const ALLOW_S3: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const DENY_LIST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"account:ListRegions","Resource":"*"}]}"#;

#[test]
fn the_evaluation_logic_names_the_policy_type_that_refused() {
    let context = Context::new();
    let request = Request {
        principal: None,
        action: "account:ListRegions",
        resource: Some("arn:aws:account::000000000000:account"),
        context: &context,
    };
    let managed = "arn:aws:iam::000000000000:policy/deny-list";
    let boundary = "arn:aws:iam::000000000000:policy/boundary";
    let cases: Vec<(SessionPolicies, Option<Denial>)> = vec![
        (
            SessionPolicies {
                identity: vec![(None, identity(ALLOW_LIST))],
                ..Default::default()
            },
            None,
        ),
        (
            SessionPolicies::default(),
            Some(Denial::Implicit(PolicyType::Identity)),
        ),
        (
            SessionPolicies {
                identity: vec![
                    (None, identity(ALLOW_LIST)),
                    (Some(managed.into()), identity(DENY_LIST)),
                ],
                ..Default::default()
            },
            Some(Denial::Explicit(PolicyType::Identity, Some(managed.into()))),
        ),
        (
            SessionPolicies {
                identity: vec![(None, identity(DENY_LIST))],
                ..Default::default()
            },
            Some(Denial::Explicit(PolicyType::Identity, None)),
        ),
        (
            SessionPolicies {
                identity: vec![(None, identity(ALLOW_LIST))],
                boundary: Some((boundary.into(), Some(identity(ALLOW_S3)))),
                ..Default::default()
            },
            Some(Denial::Implicit(PolicyType::PermissionsBoundary)),
        ),
        (
            // A boundary whose policy no longer exists allows nothing.
            SessionPolicies {
                identity: vec![(None, identity(ALLOW_LIST))],
                boundary: Some((boundary.into(), None)),
                ..Default::default()
            },
            Some(Denial::Implicit(PolicyType::PermissionsBoundary)),
        ),
        (
            SessionPolicies {
                identity: vec![(None, identity(ALLOW_LIST))],
                boundary: Some((boundary.into(), Some(identity(DENY_LIST)))),
                ..Default::default()
            },
            Some(Denial::Explicit(
                PolicyType::PermissionsBoundary,
                Some(boundary.into()),
            )),
        ),
        (
            SessionPolicies {
                identity: vec![(None, identity(ALLOW_LIST))],
                session: Some(vec![(None, identity(ALLOW_S3))]),
                ..Default::default()
            },
            Some(Denial::Implicit(PolicyType::Session)),
        ),
        (
            // An explicit deny anywhere wins over a missing allow elsewhere.
            SessionPolicies {
                identity: vec![],
                session: Some(vec![(None, identity(DENY_LIST))]),
                ..Default::default()
            },
            Some(Denial::Explicit(PolicyType::Session, None)),
        ),
        (
            SessionPolicies {
                identity: vec![(None, identity(ALLOW_LIST))],
                boundary: Some((boundary.into(), Some(identity(ALLOW_LIST)))),
                session: Some(vec![
                    (None, identity(ALLOW_S3)),
                    (None, identity(ALLOW_LIST)),
                ]),
            },
            None,
        ),
    ];
    for (i, (policies, expected)) in cases.into_iter().enumerate() {
        let decision = decide(&policies, &request);
        assert_eq!(decision.denial, expected, "case {i}");
        assert!(!decision.evaluations.is_empty());
    }
    let message = |why: &Denial| {
        AwsError::access_denied(
            ErrorCode::AccessDenied,
            "arn:aws:sts::000000000000:assumed-role/r/s",
            "iam:GetRole",
            "role r",
            why,
        )
        .message
    };
    let head = "User: arn:aws:sts::000000000000:assumed-role/r/s is not authorized to perform: iam:GetRole on resource: role r";
    assert_eq!(
        message(&Denial::Implicit(PolicyType::Identity)),
        format!("{head} because no identity-based policy allows the iam:GetRole action")
    );
    assert_eq!(
        message(&Denial::Explicit(
            PolicyType::Identity,
            Some(managed.into())
        )),
        format!("{head} with an explicit deny in an identity-based policy: {managed}")
    );
    assert_eq!(
        message(&Denial::Implicit(PolicyType::PermissionsBoundary)),
        format!("{head} because no permissions boundary allows the iam:GetRole action")
    );
    assert_eq!(
        message(&Denial::Explicit(
            PolicyType::PermissionsBoundary,
            Some(boundary.into())
        )),
        format!("{head} with an explicit deny in a permissions boundary: {boundary}")
    );
    assert_eq!(
        message(&Denial::Implicit(PolicyType::Session)),
        format!("{head} because no session policy allows the iam:GetRole action")
    );
    assert_eq!(
        message(&Denial::Explicit(PolicyType::Session, None)),
        format!("{head} with an explicit deny in a session policy")
    );
}

#[test]
fn managed_policies_are_refused_as_iam_refuses_them() {
    let model = Model::new();
    let account = DEFAULT_ACCOUNT;
    let policy = model
        .create_policy(account, PolicySpec::new("p", ALLOW_LIST))
        .unwrap();
    let arn = policy.arn();
    assert_eq!(arn, "arn:aws:iam::000000000000:policy/p");
    assert_eq!(policy.policy_id.len(), 21);
    assert!(policy.policy_id.starts_with("ANPA"));
    let e = model
        .create_policy(account, PolicySpec::new("P", ALLOW_LIST))
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorCode::EntityAlreadyExists,
            "A policy called P already exists. Duplicate names are not allowed."
        )
    );
    let e = model
        .create_policy(account, PolicySpec::new("bad", "{"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedPolicyDocument);
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}]}}"#,
        "a".repeat(6200)
    );
    let e = model
        .create_policy(account, PolicySpec::new("big", big))
        .unwrap_err();
    assert_eq!(e.message, "Cannot exceed quota for PolicySize: 6144");
    // Five versions at most; the default cannot be deleted.
    for _ in 0..4 {
        model
            .create_policy_version(account, &arn, ALLOW_S3, false)
            .unwrap();
    }
    let e = model
        .create_policy_version(account, &arn, ALLOW_S3, true)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    let e = model
        .delete_policy_version(account, &arn, "v1")
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::DeleteConflict);
    model.delete_policy_version(account, &arn, "v5").unwrap();
    let v6 = model
        .create_policy_version(account, &arn, ALLOW_S3, true)
        .unwrap();
    assert_eq!(v6.id, "v6");
    assert_eq!(
        model
            .get_policy(account, &arn)
            .unwrap()
            .policy
            .default_version,
        "v6"
    );
    // Attachments and boundaries.
    model
        .add_role(account, RoleSpec::new("r", SEED_TRUST_POLICY))
        .unwrap();
    let e = model
        .attach_role_policy(account, "r", "arn:aws:iam::000000000000:policy/none")
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorCode::NoSuchEntity,
            "Policy arn:aws:iam::000000000000:policy/none does not exist or is not attachable."
        )
    );
    let e = model
        .attach_role_policy(account, "r", "not-an-arn-not-at-all")
        .unwrap_err();
    assert_eq!(e.message, "Invalid ARN:  Could not be parsed!");
    model.attach_role_policy(account, "r", &arn).unwrap();
    model.attach_role_policy(account, "r", &arn).unwrap();
    assert_eq!(
        model.role(account, "r").unwrap().attached_policies,
        vec![arn.clone()]
    );
    let e = model
        .put_role_permissions_boundary(account, "r", "arn:aws:iam::000000000000:policy/none")
        .unwrap_err();
    assert_eq!(
        e.message,
        "Scope ARN: arn:aws:iam::000000000000:policy/none does not exist or is not attachable."
    );
    model
        .put_role_permissions_boundary(account, "r", &arn)
        .unwrap();
    let view = model.get_policy(account, &arn).unwrap();
    assert_eq!((view.attachments, view.boundary_usage), (1, 1));
    assert_eq!(
        model.delete_policy(account, &arn).unwrap_err().code,
        ErrorCode::DeleteConflict
    );
    assert_eq!(
        model.remove_role(account, "r").unwrap_err().message,
        "Cannot delete entity, must detach all policies first."
    );

    // The state keeps it all and gives it back.
    model.enable_outbound_federation(account).unwrap();
    let snapshot: Snapshot =
        serde_json::from_str(&serde_json::to_string(&model.snapshot()).unwrap()).unwrap();
    let restored = Model::from_snapshot(snapshot).unwrap();
    let role = restored.role(account, "r").unwrap();
    assert_eq!(role.attached_policies, vec![arn.clone()]);
    assert_eq!(role.permissions_boundary.as_deref(), Some(arn.as_str()));
    let policy = restored.managed_policy(account, &arn).unwrap();
    assert_eq!(policy.default_version, "v6");
    assert_eq!(policy.versions.len(), 5);
    assert_eq!(
        restored.outbound_federation(account),
        model.outbound_federation(account)
    );

    model.detach_role_policy(account, "r", &arn).unwrap();
    assert_eq!(
        model
            .detach_role_policy(account, "r", &arn)
            .unwrap_err()
            .message,
        format!("Policy {arn} was not found.")
    );
    model
        .delete_role_permissions_boundary(account, "r")
        .unwrap();
    for v in ["v1", "v2", "v3", "v4"] {
        model.delete_policy_version(account, &arn, v).unwrap();
    }
    model.delete_policy(account, &arn).unwrap();
    assert!(model.managed_policy(account, &arn).is_none());
}

#[test]
fn the_managed_policies_example_loads() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/managed-policies.toml");
    let setup = sts_mock::config::Setup::from_file(&path).unwrap();
    let model = setup.build_model("managed-policies.toml").unwrap();
    let role = model
        .role(DEFAULT_ACCOUNT, "dynatrace-aws-connector")
        .unwrap();
    assert_eq!(
        role.attached_policies,
        vec!["arn:aws:iam::000000000000:policy/dynatrace-list-regions".to_string()]
    );
    assert_eq!(
        role.permissions_boundary.as_deref(),
        Some("arn:aws:iam::000000000000:policy/dynatrace-boundary")
    );
    // A role whose boundary or managed policy does not exist is refused as a whole.
    let bad = sts_mock::config::Setup::from_toml(
        &format!(
            "[[role]]\nname = \"r\"\ntrust_policy = '{SEED_TRUST_POLICY_ONE_LINE}'\nmanaged_policies = [\"arn:aws:iam::000000000000:policy/none\"]\n"
        ),
        "bad.toml",
        &|_| Err("no files".into()),
    )
    .unwrap_err();
    assert_eq!(bad.entry, "role \"r\" (account 000000000000), managed policy \"arn:aws:iam::000000000000:policy/none\"");
    assert!(
        bad.problem.contains("does not exist or is not attachable"),
        "{bad}"
    );
}

const SEED_TRUST_POLICY_ONE_LINE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#;
