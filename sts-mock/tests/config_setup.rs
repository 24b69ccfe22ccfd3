//! The setup file: the built-in default is exactly `examples/default.toml`, the Dynatrace model
//! case plus every built-in issuer wired with one example role each; `examples/dynatrace.toml`
//! is its Dynatrace part; multi-account setups load; every bad file is refused whole, naming
//! the file, the entry and the problem.

use std::path::{Path, PathBuf};

use sts_mock::config::{ConfigError, Setup};
use sts_mock::policy::{evaluate, Context, Decision, Principal, PrincipalKind, Request};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

#[test]
fn the_builtin_default_is_the_shipped_example() {
    let from_disk = Setup::from_file(&example("default.toml")).unwrap();
    assert_eq!(Setup::builtin(), from_disk);
}

#[test]
fn the_builtin_default_is_the_dynatrace_model_case() {
    let setup = Setup::builtin();
    assert_eq!(setup.default_account, "000000000000");
    assert_eq!(
        setup.oidc_endpoints[0].issuer,
        "https://token.dynatrace.com"
    );
    assert_eq!(setup.oidc_endpoints[0].base, "http://127.0.0.1:9400");
    let p = &setup.providers[0];
    assert_eq!(
        (p.account.as_str(), p.spec.url.as_str()),
        ("000000000000", "https://token.dynatrace.com")
    );
    assert_eq!(
        p.spec.client_ids[0],
        "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector"
    );
    let r = &setup.roles[0];
    assert_eq!(
        (r.spec.name.as_str(), r.spec.path.as_str()),
        ("dynatrace-aws-connector", "/")
    );
    assert_eq!(r.policies[0].0, "dynatrace-aws-connector-list-regions");

    // The model it builds allows my-connection, and only it; and the role may list regions.
    let model = setup.build_model("builtin").unwrap();
    let role = model
        .role("000000000000", "dynatrace-aws-connector")
        .unwrap();
    let principal = Principal {
        kind: PrincipalKind::Federated,
        id: "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com".into(),
    };
    let decide = |connection: &str| {
        let mut context = Context::new();
        context.insert(
            "token.dynatrace.com:aud",
            "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector",
        );
        context.insert(
            "token.dynatrace.com:sub",
            format!("dtid:connection/{connection}"),
        );
        evaluate(
            &[&role.trust_policy.policy],
            &Request {
                principal: Some(&principal),
                action: "sts:AssumeRoleWithWebIdentity",
                resource: None,
                context: &context,
            },
        )
    };
    assert_eq!(decide("my-connection"), Decision::Allow);
    assert_eq!(decide("other-connection"), Decision::ImplicitDeny);
    let list_regions = &role.inline_policies["dynatrace-aws-connector-list-regions"].policy;
    let context = Context::new();
    let request = Request {
        principal: None,
        action: "account:ListRegions",
        resource: Some("*"),
        context: &context,
    };
    assert_eq!(evaluate(&[list_regions], &request), Decision::Allow);
}

/// Whether `role` of `model` trusts a token of `provider` with `sub` and `aud`, as STS decides.
fn trusts(model: &sts_mock::Model, role: &str, provider: &str, aud: &str, sub: &str) -> bool {
    let role = model.role("000000000000", role).unwrap();
    let principal = Principal {
        kind: PrincipalKind::Federated,
        id: format!("arn:aws:iam::000000000000:oidc-provider/{provider}"),
    };
    let mut context = Context::new();
    context.insert(format!("{provider}:aud"), aud);
    context.insert(format!("{provider}:sub"), sub);
    let request = Request {
        principal: Some(&principal),
        action: "sts:AssumeRoleWithWebIdentity",
        resource: None,
        context: &context,
    };
    evaluate(&[&role.trust_policy.policy], &request) == Decision::Allow
}

#[test]
fn the_builtin_default_wires_every_builtin_issuer_with_an_example_role() {
    let setup = Setup::builtin();
    let eks = "oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B";
    let endpoints: Vec<(&str, &str)> = setup
        .oidc_endpoints
        .iter()
        .map(|e| (e.issuer.as_str(), e.base.as_str()))
        .collect();
    let eks_issuer = format!("https://{eks}");
    assert_eq!(
        endpoints,
        [
            ("https://token.dynatrace.com", "http://127.0.0.1:9400"),
            (
                "https://token.actions.githubusercontent.com",
                "http://127.0.0.1:9400/github"
            ),
            ("https://gitlab.com", "http://127.0.0.1:9400/gitlab"),
            (eks_issuer.as_str(), "http://127.0.0.1:9400/eks"),
        ]
    );
    let model = setup.build_model("builtin").unwrap();
    for url in [
        "https://token.dynatrace.com",
        "https://token.actions.githubusercontent.com",
        "https://gitlab.com",
        &eks_issuer,
    ] {
        assert!(model.provider("000000000000", url).is_some(), "{url}");
    }
    let connection_id = policy_connection_id();
    let current_aud = "https://abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector";
    let cases = [
        (
            "dynatrace-connection",
            "token.dynatrace.com",
            current_aud,
            format!("dt:connection-id/{connection_id}"),
            "dt:connection-id/other".to_string(),
        ),
        (
            "github-deploy",
            "token.actions.githubusercontent.com",
            "sts.amazonaws.com",
            "repo:octo-org/octo-repo:ref:refs/heads/main".into(),
            "repo:octo-org/octo-repo:ref:refs/heads/dev".into(),
        ),
        (
            "gitlab-deploy",
            "gitlab.com",
            "https://gitlab.com",
            "project_path:my-group/my-project:ref_type:branch:ref:main".into(),
            "project_path:my-group/my-project:ref_type:branch:ref:dev".into(),
        ),
        (
            "eks-app",
            eks,
            "sts.amazonaws.com",
            "system:serviceaccount:default:app".into(),
            "system:serviceaccount:default:other".into(),
        ),
    ];
    for (role, provider, aud, sub, neighbour) in &cases {
        assert!(trusts(&model, role, provider, aud, sub), "{role}");
        assert!(!trusts(&model, role, provider, aud, neighbour), "{role}");
        let role = model.role("000000000000", role).unwrap();
        assert_eq!(role.inline_policies.len(), 1);
    }
    // The legacy Dynatrace role is unchanged: it trusts neither the current form nor its audience.
    assert!(trusts(
        &model,
        "dynatrace-aws-connector",
        "token.dynatrace.com",
        "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector",
        "dtid:connection/my-connection"
    ));
    assert!(!trusts(
        &model,
        "dynatrace-aws-connector",
        "token.dynatrace.com",
        current_aud,
        "dtid:connection/my-connection"
    ));
    assert_eq!(
        model
            .role("000000000000", "dynatrace-aws-connector")
            .unwrap()
            .arn(),
        "arn:aws:iam::000000000000:role/dynatrace-aws-connector"
    );
}

/// The built-in current-form connection's settings object ID (the issuer's default), as the
/// trust policy names it.
fn policy_connection_id() -> String {
    let text =
        std::fs::read_to_string(example("policies/dynatrace-connection-trust.json")).unwrap();
    let sub = text.split("dt:connection-id/").nth(1).unwrap();
    sub.split('"').next().unwrap().to_string()
}

#[test]
fn the_dynatrace_example_is_the_defaults_dynatrace_part() {
    let dynatrace = Setup::from_file(&example("dynatrace.toml")).unwrap();
    let builtin = Setup::builtin();
    assert_eq!(dynatrace.providers, builtin.providers[..1]);
    let names: Vec<&str> = dynatrace
        .roles
        .iter()
        .map(|r| r.spec.name.as_str())
        .collect();
    assert_eq!(names, ["dynatrace-aws-connector", "dynatrace-connection"]);
    for role in &dynatrace.roles {
        assert!(builtin.roles.contains(role), "{}", role.spec.name);
    }
    assert_eq!(dynatrace.oidc_endpoints, builtin.oidc_endpoints[..1]);
}

fn load(text: &str) -> Result<Setup, ConfigError> {
    Setup::from_toml(text, "test.toml", &|rel: &str| {
        match rel {
        "trust.json" => Ok(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.dynatrace.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#.into()),
        other => Err(format!("no such file {other}")),
    }
    })
}

#[test]
fn roles_in_several_accounts() {
    let setup = load(
        r#"
        [[provider]]
        url = "https://token.dynatrace.com"
        client_ids = ["abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector"]

        [[provider]]
        account = "111111111111"
        url = "https://token.dynatrace.com"
        client_ids = ["abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector"]

        [[role]]
        account = "111111111111"
        name = "dynatrace-aws-connector"
        trust_policy_file = "trust.json"
        max_session_duration = 7200
        tags = { team = "sre" }

        [[role]]
        name = "dynatrace-aws-connector"
        trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}'''
        "#,
    )
    .unwrap();
    let model = setup.build_model("test.toml").unwrap();
    let in_b = model
        .role("111111111111", "dynatrace-aws-connector")
        .unwrap();
    assert_eq!(in_b.max_session_duration, 7200);
    assert_eq!(
        in_b.arn(),
        "arn:aws:iam::111111111111:role/dynatrace-aws-connector"
    );
    assert!(model
        .role("000000000000", "dynatrace-aws-connector")
        .is_some());
    assert!(model
        .provider("111111111111", "https://token.dynatrace.com")
        .is_some());
}

#[test]
fn multi_account_example_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/multi-account.toml");
    let setup = Setup::from_file(&path).unwrap();
    let model = setup.build_model("multi-account.toml").unwrap();
    assert!(model.accounts().len() >= 2, "{:?}", model.accounts());
}

fn problem(text: &str) -> ConfigError {
    load(text).expect_err("the file must be refused")
}

const TRUST: &str = r#"trust_policy_file = "trust.json""#;

#[test]
fn bad_files_name_the_file_the_entry_and_the_problem() {
    // TOML syntax and unknown keys (typos never pass silently).
    let e = problem("[[role]\nname = 1");
    assert_eq!(e.file, "test.toml");
    assert!(e.problem.contains("line"), "{e}");
    let e = problem("[[role]]\nname = \"r\"\ntrust_polcy_file = \"trust.json\"");
    assert!(
        e.to_string().contains("unknown field `trust_polcy_file`"),
        "{e}"
    );

    let e = problem(&format!("[[role]]\nname = \"bad name\"\n{TRUST}"));
    assert_eq!(e.entry, "role \"bad name\" (account 000000000000)");
    assert!(
        e.problem
            .contains("Member must satisfy regular expression pattern"),
        "{e}"
    );

    let e = problem(
        r#"
        [[role]]
        name = "r"
        trust_policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"x"},"Action":"sts:AssumeRoleWithWebIdentity","Resource":"*"}]}'
    "#,
    );
    assert_eq!(e.entry, "role \"r\" (account 000000000000)");
    assert!(
        e.problem
            .starts_with("trust policy: MalformedPolicyDocument: Has prohibited field Resource"),
        "{e}"
    );

    let e = problem("[[role]]\nname = \"r\"\ntrust_policy_file = \"missing.json\"");
    assert!(
        e.problem
            .contains("trust_policy_file: no such file missing.json"),
        "{e}"
    );
    let e = problem("[[role]]\nname = \"r\"");
    assert!(e.problem.contains("missing trust_policy"), "{e}");
    let e = problem(&format!(
        "[[role]]\nname = \"r\"\n{TRUST}\n[[role]]\nname = \"R\"\n{TRUST}"
    ));
    assert!(e.problem.contains("already exists"), "{e}");
    assert_eq!(e.entry, "role \"R\" (account 000000000000)");

    let e = problem(&format!(
        "[[role]]\nname = \"r\"\n{TRUST}\n[[role.policy]]\nname = \"p\"\ndocument = '{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}]}}'"
    ));
    assert_eq!(e.entry, "role \"r\" (account 000000000000), policy \"p\"");
    assert!(e.problem.contains("Has prohibited field Principal"), "{e}");

    let e = problem("[[provider]]\nurl = \"http://token.dynatrace.com\"");
    assert_eq!(
        e.entry,
        "provider \"http://token.dynatrace.com\" (account 000000000000)"
    );
    assert!(e.problem.contains("must begin with https://"), "{e}");
    let e = problem("[[provider]]\naccount = \"42\"\nurl = \"https://a.example\"");
    assert!(e.problem.contains("twelve digits"), "{e}");
    let e = problem(
        "[[provider]]\nurl = \"https://a.example\"\n[[provider]]\nurl = \"https://a.example/\"",
    );
    assert!(e.problem.contains("already exists"), "{e}");
    // The same provider as the model keys it: host names are case-insensitive.
    let e = problem(
        "[[provider]]\nurl = \"https://token.dynatrace.com\"\n[[provider]]\nurl = \"https://Token.Dynatrace.com\"",
    );
    assert!(e.problem.contains("already exists"), "{e}");
    assert_eq!(
        e.entry,
        "provider \"https://Token.Dynatrace.com\" (account 000000000000)"
    );
    let e = problem("[[oidc_endpoint]]\nissuer = \"https://a.example\"\nbase = \"not a url\"");
    assert!(
        e.to_string()
            .starts_with("test.toml: oidc_endpoint #1 (https://a.example): base: "),
        "{e}"
    );
}

#[test]
fn a_file_on_disk_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("setup.toml");
    std::fs::write(
        &path,
        "[[role]]\nname = \"r\"\ntrust_policy_file = \"policies/nope.json\"",
    )
    .unwrap();
    let e = Setup::from_file(&path).unwrap_err();
    assert_eq!(e.file, path.display().to_string());
    assert!(
        e.problem
            .contains(&dir.path().join("policies/nope.json").display().to_string()),
        "{e}"
    );
    let e = Setup::from_file(&dir.path().join("absent.toml")).unwrap_err();
    assert!(e.problem.contains("cannot read the file"), "{e}");
}
