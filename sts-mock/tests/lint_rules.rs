//! Every rule of `sts-mock lint`, each with a trust policy that triggers it and one, as close
//! as possible, that does not; and the documents' own example policies, which are clean.

use sts_mock::lint::{lint_text, Finding, LintContext, Severity, RULES};

const DT: &str = "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com";
const GH: &str = "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com";
const GL: &str = "arn:aws:iam::000000000000:oidc-provider/gitlab.com";
const AUD: &str = "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector";
const WI: &str = "\"sts:AssumeRoleWithWebIdentity\"";

/// A one-statement trust policy: `principal` (JSON), `action` (JSON) and `condition` (JSON
/// object, or empty for none).
fn policy(principal: &str, action: &str, condition: &str) -> String {
    let condition = if condition.is_empty() {
        String::new()
    } else {
        format!(r#", "Condition": {condition}"#)
    };
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {principal}, "Action": {action}{condition}}}]}}"#
    )
}

fn federated(arn: &str) -> String {
    format!(r#"{{"Federated": "{arn}"}}"#)
}

/// A Dynatrace statement with `extra` conditions merged into a good one (aud and sub pinned).
fn dynatrace(extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(", {extra}")
    };
    policy(
        &federated(DT),
        WI,
        &format!(
            r#"{{"StringEquals": {{"token.dynatrace.com:aud": "{AUD}", "token.dynatrace.com:sub": "dtid:connection/my-connection"}}{extra}}}"#
        ),
    )
}

/// A GitHub statement with `sub` under `operator` (and `aud` pinned).
fn github(operator: &str, sub: &str) -> String {
    let aud = r#""token.actions.githubusercontent.com:aud": "sts.amazonaws.com""#;
    let sub = format!(r#""token.actions.githubusercontent.com:sub": "{sub}""#);
    let condition = if operator == "StringEquals" {
        format!(r#"{{"StringEquals": {{{aud}, {sub}}}}}"#)
    } else {
        format!(r#"{{"StringEquals": {{{aud}}}, "{operator}": {{{sub}}}}}"#)
    };
    policy(&federated(GH), WI, &condition)
}

fn findings(text: &str) -> Vec<Finding> {
    findings_with(text, None)
}

fn findings_with(text: &str, providers: Option<&[&str]>) -> Vec<Finding> {
    lint_text(
        text,
        &LintContext {
            providers: providers.map(|p| p.iter().map(|s| s.to_string()).collect()),
        },
    )
    .unwrap_or_else(|e| panic!("{text}: {e} at {}", e.path))
}

fn ids(text: &str) -> Vec<&'static str> {
    findings(text).iter().map(|f| f.id).collect()
}

fn the(id: &str, text: &str) -> Finding {
    findings(text)
        .into_iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("{id} not found in {text}: {:?}", ids(text)))
}

/// (rule, a policy that triggers it, one that does not).
fn cases() -> Vec<(&'static str, String, String)> {
    vec![
        (
            "tenant-claim-missing",
            policy(
                &federated(DT),
                WI,
                &format!(r#"{{"StringEquals": {{"token.dynatrace.com:aud": "{AUD}"}}}}"#),
            ),
            dynatrace(""),
        ),
        (
            "tenant-claim-wildcard",
            github("StringLike", "repo:*"),
            github("StringLike", "repo:octo-org/octo-repo:ref:refs/heads/main"),
        ),
        (
            "github-sub-any-repo",
            github("StringLike", "repo:octo-org/*"),
            github("StringEquals", "repo:octo-org/octo-repo:ref:refs/heads/main"),
        ),
        (
            "github-sub-any-ref",
            github("StringLike", "repo:octo-org/octo-repo:*"),
            github("StringEquals", "repo:octo-org/octo-repo:environment:production"),
        ),
        (
            "dynatrace-sub-any-connection",
            policy(
                &federated(DT),
                WI,
                &format!(
                    r#"{{"StringEquals": {{"token.dynatrace.com:aud": "{AUD}"}}, "StringLike": {{"token.dynatrace.com:sub": "dtid:connection/*"}}}}"#
                ),
            ),
            dynatrace(""),
        ),
        (
            "like-without-wildcard",
            github("StringLike", "repo:octo-org/octo-repo:ref:refs/heads/main"),
            github("StringEquals", "repo:octo-org/octo-repo:ref:refs/heads/main"),
        ),
        (
            "equals-with-wildcard",
            github("StringEquals", "repo:octo-org/octo-repo:*"),
            github("StringEquals", "repo:octo-org/octo-repo:ref:refs/heads/main"),
        ),
        (
            "for-all-values-absent-key",
            policy(
                &federated(DT),
                r#"["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]"#,
                &format!(
                    r#"{{"StringEquals": {{"token.dynatrace.com:aud": "{AUD}", "token.dynatrace.com:sub": "dtid:connection/c"}}, "ForAllValues:StringEquals": {{"aws:TagKeys": ["team"]}}}}"#
                ),
            ),
            policy(
                &federated(DT),
                r#"["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]"#,
                &format!(
                    r#"{{"StringEquals": {{"token.dynatrace.com:aud": "{AUD}", "token.dynatrace.com:sub": "dtid:connection/c"}}, "ForAllValues:StringEquals": {{"aws:TagKeys": ["team"]}}, "Null": {{"aws:TagKeys": "false"}}}}"#
                ),
            ),
        ),
        (
            "for-any-value-negated",
            dynatrace(r#""ForAnyValue:StringNotEquals": {"sts:RoleSessionName": ["root", "admin"]}"#),
            dynatrace(r#""StringNotEquals": {"sts:RoleSessionName": ["root", "admin"]}"#),
        ),
        (
            "allow-not-principal",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]}"#.into(),
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]}"#.into(),
        ),
        (
            "principal-star-web-identity",
            policy(
                r#""*""#,
                WI,
                &format!(r#"{{"StringEquals": {{"token.dynatrace.com:aud": "{AUD}"}}}}"#),
            ),
            dynatrace(""),
        ),
        (
            "action-wildcard-assume-role",
            dynatrace("").replace(WI, "\"sts:*\""),
            dynatrace("").replace(WI, r#"["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]"#),
        ),
        (
            "key-never-sent",
            dynatrace(r#""StringLike": {"token.dynatrace.com:email": "*@example.com"}"#),
            policy(
                &federated(GL),
                WI,
                r#"{"StringEquals": {"gitlab.com:sub": "project_path:g/p:ref_type:branch:ref:main", "gitlab.com:user_email": "a@example.com"}}"#,
            ),
        ),
        (
            "key-not-in-context",
            github("StringEquals", "repo:o/r:ref:refs/heads/main").replace(
                r#""token.actions.githubusercontent.com:aud""#,
                r#""token.actions.githubusercontent.com:event_name": "push", "token.actions.githubusercontent.com:aud""#,
            ),
            github("StringEquals", "repo:o/r:ref:refs/heads/main").replace(
                r#""token.actions.githubusercontent.com:aud""#,
                r#""token.actions.githubusercontent.com:repository": "o/r", "token.actions.githubusercontent.com:aud""#,
            ),
        ),
        (
            "key-other-provider",
            dynatrace(r#""StringLike": {"token.actions.githubusercontent.com:sub": "repo:o/r:*"}"#),
            dynatrace(""),
        ),
        (
            "key-misspelt",
            dynatrace("").replace("token.dynatrace.com:aud", "token.dynatrace.com:aud "),
            dynatrace(""),
        ),
        (
            "request-tag-without-tag-session",
            dynatrace(r#""StringLike": {"aws:RequestTag/team": "sre-*"}"#),
            dynatrace(r#""StringLike": {"aws:RequestTag/team": "sre-*"}"#)
                .replace(WI, r#"["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]"#),
        ),
    ]
}

#[test]
fn every_rule_has_a_policy_that_triggers_it_and_one_that_does_not() {
    let cases = cases();
    for rule in RULES {
        if rule.id == "provider-not-registered" {
            continue; // needs the account's providers: its own test below
        }
        let (_, bad, good) = cases
            .iter()
            .find(|(id, _, _)| *id == rule.id)
            .unwrap_or_else(|| panic!("{} has no case", rule.id));
        let found = findings(bad);
        let hit = found
            .iter()
            .find(|f| f.id == rule.id)
            .unwrap_or_else(|| panic!("{} not found in {bad}: {:?}", rule.id, ids(bad)));
        assert_eq!(hit.severity, rule.severity, "{}", rule.id);
        assert!(!hit.message.is_empty() && !hit.fix.is_empty(), "{hit:?}");
        assert!(
            !ids(good).contains(&rule.id),
            "{} found in {good}: {:?}",
            rule.id,
            findings(good)
        );
    }
    assert_eq!(cases.len() + 1, RULES.len(), "a case without a rule");
}

#[test]
fn the_documents_example_trust_policies_are_clean() {
    let providers = [
        "https://token.dynatrace.com",
        "https://token.actions.githubusercontent.com",
        "https://gitlab.com",
        "https://oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B",
    ];
    for (name, text) in [
        (
            "dynatrace-trust",
            include_str!("../../examples/policies/dynatrace-trust.json"),
        ),
        (
            "dynatrace-connection-trust",
            include_str!("../../examples/policies/dynatrace-connection-trust.json"),
        ),
        (
            "github-deploy-trust",
            include_str!("../../examples/policies/github-deploy-trust.json"),
        ),
        (
            "gitlab-deploy-trust",
            include_str!("../../examples/policies/gitlab-deploy-trust.json"),
        ),
        (
            "eks-app-trust",
            include_str!("../../examples/policies/eks-app-trust.json"),
        ),
    ] {
        assert_eq!(findings_with(text, Some(&providers)), vec![], "{name}");
    }
    assert_eq!(ids(&dynatrace("")), Vec::<&str>::new());
    assert_eq!(
        ids(&github(
            "StringEquals",
            "repo:octo-org/octo-repo:ref:refs/heads/main"
        )),
        Vec::<&str>::new()
    );
}

#[test]
fn the_example_without_its_sub_condition_is_one_finding_at_its_condition() {
    let example = include_str!("../../examples/policies/dynatrace-trust.json");
    let without_sub = example.replace(
        ",\n          \"token.dynatrace.com:sub\": \"dtid:connection/my-connection\"",
        "",
    );
    assert_ne!(without_sub, example);
    let found = findings(&without_sub);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, "tenant-claim-missing");
    assert_eq!(found[0].severity, Severity::Error);
    assert_eq!(found[0].path.to_string(), "$.Statement[0].Condition");
    assert!(
        found[0].message.contains("token.dynatrace.com:sub"),
        "{}",
        found[0].message
    );
    assert!(
        found[0].fix.contains("dtid:connection/"),
        "{}",
        found[0].fix
    );
}

#[test]
fn tenant_claims_for_dynatrace_and_for_the_shared_issuers_iam_lists() {
    // Dynatrace: aud and sub, each its own finding; IAM accepts both policies.
    let neither = policy(&federated(DT), WI, "");
    let missing: Vec<String> = findings(&neither)
        .iter()
        .filter(|f| f.id == "tenant-claim-missing")
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(missing
        .iter()
        .any(|m| m.contains("token.dynatrace.com:aud") && m.contains("IAM accepts")));
    assert!(missing
        .iter()
        .any(|m| m.contains("token.dynatrace.com:sub")));
    // A wildcard scopes nothing.
    let star = policy(
        &federated(DT),
        WI,
        &format!(
            r#"{{"StringEquals": {{"token.dynatrace.com:aud": "{AUD}"}}, "StringLike": {{"token.dynatrace.com:sub": "*"}}}}"#
        ),
    );
    assert!(
        ids(&star).contains(&"tenant-claim-missing"),
        "{:?}",
        ids(&star)
    );
    // Any tenant's audience.
    let any_tenant = policy(
        &federated(DT),
        WI,
        r#"{"StringLike": {"token.dynatrace.com:aud": "*.apps.dynatrace.com/app-id/dynatrace.aws.connector"}, "StringEquals": {"token.dynatrace.com:sub": "dtid:connection/c"}}"#,
    );
    assert_eq!(the("tenant-claim-wildcard", &any_tenant).statement, 0);
    // GitHub (on IAM's list): the message says IAM refuses it; job_workflow_ref also scopes.
    let no_sub = policy(
        &federated(GH),
        WI,
        r#"{"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}"#,
    );
    assert!(the("tenant-claim-missing", &no_sub)
        .message
        .contains("IAM refuses"));
    let workflow = policy(
        &federated(GH),
        WI,
        r#"{"StringLike": {"token.actions.githubusercontent.com:job_workflow_ref": "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main"}}"#,
    );
    assert!(
        !ids(&workflow).contains(&"tenant-claim-missing"),
        "{:?}",
        ids(&workflow)
    );
    // A Deny statement scopes nothing and needs nothing.
    let deny = neither.replace("\"Allow\"", "\"Deny\"");
    assert!(!ids(&deny).contains(&"tenant-claim-missing"));
}

#[test]
fn github_sub_patterns_say_what_they_admit() {
    assert!(the(
        "github-sub-any-repo",
        &github("StringLike", "repo:octo-org/*")
    )
    .message
    .contains("every repository of octo-org"));
    assert!(the(
        "github-sub-any-ref",
        &github("StringLike", "repo:octo-org/app:ref:refs/heads/*")
    )
    .message
    .contains("any branch"));
    assert!(the(
        "tenant-claim-wildcard",
        &github("StringLike", "repo:octo-*/app:*")
    )
    .message
    .contains("every GitHub organisation"));
    let pinned = github("StringLike", "repo:octo-org/app:ref:refs/heads/main");
    for id in [
        "github-sub-any-repo",
        "github-sub-any-ref",
        "tenant-claim-wildcard",
    ] {
        assert!(!ids(&pinned).contains(&id));
    }
}

#[test]
fn keys_are_checked_against_what_sts_puts_in_the_context() {
    // A misspelt claim is a typo, a misspelt prefix too, and a misspelt global key.
    for (key, suggestion) in [
        ("token.dynatrace.com:sbu", "token.dynatrace.com:sub"),
        ("token.dynatrace.co:sub", "token.dynatrace.com:sub"),
        ("sts:RoleSesionName", "sts:RoleSessionName"),
        ("aws:RequestTg/team", "aws:RequestTag/"),
    ] {
        let text = dynatrace(&format!(r#""StringLike": {{"{key}": "x*"}}"#));
        let finding = the("key-misspelt", &text);
        assert!(finding.fix.contains(suggestion), "{key}: {finding:?}");
    }
    // Keys STS sets, in any case, are fine; so are other services' keys it cannot know.
    let fine = dynatrace(
        r#""StringLike": {"STS:ROLESESSIONNAME": "ci-*", "aws:RequestTag/team": "s*", "Token.Dynatrace.Com:Sub": "dtid:*"}"#,
    )
    .replace(WI, r#"["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]"#);
    let got = ids(&fine);
    assert!(
        !got.contains(&"key-misspelt") && !got.contains(&"key-not-in-context"),
        "{got:?}"
    );
    // A provider-specific key only for the providers AWS lists.
    let repo = dynatrace(r#""StringLike": {"token.dynatrace.com:repository": "o/*"}"#);
    assert!(ids(&repo).contains(&"key-not-in-context"));
    // GitHub sends no email claim at all, though AWS would pass one.
    let email = github("StringEquals", "repo:o/r:ref:refs/heads/main").replace(
        r#""token.actions.githubusercontent.com:aud": "sts.amazonaws.com""#,
        r#""token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:email": "a@b""#,
    );
    assert!(the("key-never-sent", &email)
        .message
        .contains("GitHub Actions"));
    // A provider nobody documented: only what AWS passes is checked.
    let unknown = policy(
        &federated("arn:aws:iam::000000000000:oidc-provider/idp.example.com"),
        WI,
        r#"{"StringEquals": {"idp.example.com:sub": "x", "idp.example.com:email": "a@b"}}"#,
    );
    assert_eq!(ids(&unknown), Vec::<&str>::new());
}

#[test]
fn for_all_values_is_fine_on_keys_always_present_and_in_deny_statements() {
    let always = dynatrace(r#""ForAllValues:StringLike": {"sts:RoleSessionName": ["ci-*"]}"#);
    assert!(
        !ids(&always).contains(&"for-all-values-absent-key"),
        "{:?}",
        ids(&always)
    );
    let deny = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {"token.dynatrace.com:aud": "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector", "token.dynatrace.com:sub": "dtid:connection/c"}}},
        {"Effect": "Deny", "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"ForAllValues:StringEquals": {"token.dynatrace.com:amr": ["x"]}, "ForAnyValue:StringNotEquals": {"sts:RoleSessionName": ["a"]}}}]}"#;
    let got = ids(deny);
    assert!(
        !got.contains(&"for-all-values-absent-key") && !got.contains(&"for-any-value-negated"),
        "{got:?}"
    );
}

#[test]
fn an_unregistered_provider_is_reported_only_when_the_providers_are_known() {
    let text = dynatrace("");
    let found = findings_with(&text, Some(&["https://gitlab.com"]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, "provider-not-registered");
    assert_eq!(found[0].path.to_string(), "$.Statement[0].Principal");
    assert_eq!(
        findings_with(&text, Some(&["https://token.dynatrace.com"])),
        vec![]
    );
    assert_eq!(
        findings_with(&text, Some(&["token.dynatrace.com/"])),
        vec![]
    );
    assert_eq!(findings_with(&text, None), vec![]);
}

#[test]
fn paths_name_the_element_exactly() {
    let spaced = dynatrace("").replace("token.dynatrace.com:aud", "token.dynatrace.com:aud ");
    assert_eq!(
        the("key-misspelt", &spaced).path.to_string(),
        r#"$.Statement[0].Condition.StringEquals["token.dynatrace.com:aud "]"#
    );
    let single = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"}}"#;
    assert_eq!(
        the("principal-star-web-identity", single).path.to_string(),
        "$.Statement.Principal"
    );
    let qualified = dynatrace(r#""ForAnyValue:StringNotEquals": {"sts:RoleSessionName": "x"}"#);
    assert_eq!(
        the("for-any-value-negated", &qualified).path.to_string(),
        r#"$.Statement[0].Condition["ForAnyValue:StringNotEquals"]["sts:RoleSessionName"]"#
    );
}

#[test]
fn bad_input_is_an_error_not_a_finding() {
    for bad in [
        "",
        "{",
        "[]",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}"#,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}]}"#,
    ] {
        assert!(lint_text(bad, &LintContext::default()).is_err(), "{bad}");
    }
}

#[test]
fn docs_lint_md_lists_every_rule_and_shows_the_real_output() {
    let docs = include_str!("../../docs/lint.md");
    for rule in RULES {
        let row = format!("| `{}` | {} |", rule.id, rule.severity.as_str());
        assert!(docs.contains(&row), "docs/lint.md lacks the row {row}");
    }
    let rows = docs.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(
        rows,
        RULES.len(),
        "docs/lint.md lists a rule the lint does not have"
    );
    let example = include_str!("../../examples/policies/dynatrace-trust.json");
    let without_sub = example.replace(
        ",\n          \"token.dynatrace.com:sub\": \"dtid:connection/my-connection\"",
        "",
    );
    let report = sts_mock::lint::format::text(
        &sts_mock::lint::format::Source {
            name: "trust.json",
            is_file: true,
            text: &without_sub,
        },
        &findings(&without_sub),
    );
    assert!(
        docs.contains(&format!("```text\n{report}```")),
        "docs/lint.md's example is not what the lint prints:\n{report}"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9:/._*?${} -]{0,40}",
            Just("token.dynatrace.com:sub".to_string()),
            Just("token.actions.githubusercontent.com:sub".to_string()),
            Just("repo:*".to_string()),
            Just("${*}".to_string()),
            "\\PC{0,12}",
        ]
    }

    fn operator() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "StringEquals",
            "StringLike",
            "StringNotLike",
            "ForAnyValue:StringNotEquals",
            "ForAllValues:StringLike",
            "StringEqualsIfExists",
            "Null",
            "ArnLike",
        ])
    }

    proptest! {
        /// Whatever keys, values and principals a policy IAM accepts holds, the lint answers
        /// (and every finding can be placed or not, without panicking).
        #[test]
        fn any_policy_is_linted(
            conditions in prop::collection::vec((operator(), text(), prop::collection::vec(text(), 1..3)), 0..5),
            principal in prop::sample::select(vec![DT, GH, GL, "arn:aws:iam::000000000000:oidc-provider/x.example/a", "cognito-identity.amazonaws.com"]),
            action in prop::sample::select(vec![WI, "\"sts:*\"", "[\"sts:AssumeRoleWithWebIdentity\", \"sts:TagSession\"]", "\"*\""]),
            deny in any::<bool>(),
        ) {
            let mut block = serde_json::Map::new();
            for (op, key, values) in &conditions {
                let values: Vec<serde_json::Value> = values
                    .iter()
                    .map(|v| if *op == "Null" { serde_json::Value::from("true") } else { serde_json::Value::from(v.as_str()) })
                    .collect();
                if key.is_empty() { continue; }
                block
                    .entry(op.to_string())
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()))
                    .as_object_mut()
                    .unwrap()
                    .insert(key.clone(), serde_json::Value::Array(values));
            }
            let condition = if block.is_empty() { String::new() } else { serde_json::Value::Object(block).to_string() };
            let mut text = policy(&federated(principal), action, &condition);
            if deny {
                text = text.replace("\"Allow\"", "\"Deny\"");
            }
            if let Ok(found) = lint_text(&text, &LintContext { providers: Some(vec!["https://token.dynatrace.com".into()]) }) {
                let source = sts_mock::lint::format::Source { name: "p.json", is_file: true, text: &text };
                let _ = sts_mock::lint::format::text(&source, &found);
                let _ = sts_mock::lint::format::sarif(&source, &found);
            }
        }
    }
}
