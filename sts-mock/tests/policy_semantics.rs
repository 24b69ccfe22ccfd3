//! Table-driven tests of the policy engine: every operator and rule of the IAM User Guide,
//! with the traps (ForAllValues on a missing key, negated operators with several values,
//! StringLike vs StringEquals on `*`, case of keys vs values, IfExists, explicit deny,
//! NotAction/NotResource/NotPrincipal) and the parser's refusals.

use serde_json::{json, Value};
use sts_mock::policy::{
    evaluate, evaluate_explained, Context, Decision, Policy, PolicyKind, Principal, PrincipalKind,
    Request,
};

fn identity(statement: Value) -> Policy {
    identity_versioned(statement, Some("2012-10-17"))
}

fn identity_versioned(statement: Value, version: Option<&str>) -> Policy {
    let mut doc = json!({ "Statement": [statement] });
    if let Some(v) = version {
        doc["Version"] = json!(v);
    }
    Policy::parse(&doc.to_string(), PolicyKind::Identity).unwrap()
}

fn ctx(pairs: &[(&str, &[&str])]) -> Context {
    let mut c = Context::new();
    for (k, vs) in pairs {
        c.insert_multi(*k, vs.iter().map(|s| s.to_string()).collect());
    }
    c
}

/// Decision of an Allow statement with `condition` for a request with `context`.
fn allowed(condition: Value, context: &Context) -> bool {
    let policy = identity(json!({
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": condition
    }));
    let request = Request {
        principal: None,
        action: "s3:GetObject",
        resource: Some("arn:aws:s3:::bucket/key"),
        context,
    };
    let fast = evaluate(&[&policy], &request);
    let (explained, _) = evaluate_explained(&[&policy], &request);
    assert_eq!(fast, explained, "fast and explained paths disagree");
    fast == Decision::Allow
}

#[test]
fn operator_table() {
    // (condition, context, expected)
    type Case<'a> = (Value, Vec<(&'a str, &'a [&'a str])>, bool);
    let cases: Vec<Case> = vec![
        // String operators, value case rules.
        (
            json!({"StringEquals": {"k": "Value"}}),
            vec![("k", &["Value"])],
            true,
        ),
        (
            json!({"StringEquals": {"k": "Value"}}),
            vec![("k", &["value"])],
            false,
        ),
        (
            json!({"StringEqualsIgnoreCase": {"k": "Value"}}),
            vec![("k", &["vALUE"])],
            true,
        ),
        (
            json!({"StringNotEquals": {"k": "a"}}),
            vec![("k", &["b"])],
            true,
        ),
        (
            json!({"StringNotEquals": {"k": "a"}}),
            vec![("k", &["a"])],
            false,
        ),
        (
            json!({"StringNotEqualsIgnoreCase": {"k": "A"}}),
            vec![("k", &["a"])],
            false,
        ),
        (
            json!({"StringNotEqualsIgnoreCase": {"k": "A"}}),
            vec![("k", &["b"])],
            true,
        ),
        // StringLike vs StringEquals on `*`.
        (
            json!({"StringLike": {"k": "dtid:connection/*"}}),
            vec![("k", &["dtid:connection/x"])],
            true,
        ),
        (
            json!({"StringEquals": {"k": "dtid:connection/*"}}),
            vec![("k", &["dtid:connection/x"])],
            false,
        ),
        (
            json!({"StringEquals": {"k": "dtid:connection/*"}}),
            vec![("k", &["dtid:connection/*"])],
            true,
        ),
        (
            json!({"StringLike": {"k": "a?c"}}),
            vec![("k", &["abc"])],
            true,
        ),
        (
            json!({"StringLike": {"k": "a?c"}}),
            vec![("k", &["ABC"])],
            false,
        ),
        (
            json!({"StringNotLike": {"k": "prod-*"}}),
            vec![("k", &["dev-1"])],
            true,
        ),
        (
            json!({"StringNotLike": {"k": "prod-*"}}),
            vec![("k", &["prod-1"])],
            false,
        ),
        // Several values for one key are ORed.
        (
            json!({"StringEquals": {"k": ["a", "b"]}}),
            vec![("k", &["b"])],
            true,
        ),
        // Negated operator with several values: true only if none matches.
        (
            json!({"StringNotEquals": {"k": ["a", "b"]}}),
            vec![("k", &["b"])],
            false,
        ),
        (
            json!({"StringNotEquals": {"k": ["a", "b"]}}),
            vec![("k", &["c"])],
            true,
        ),
        // Several keys in one operator, and several operators, are ANDed.
        (
            json!({"StringEquals": {"k": "a", "j": "b"}}),
            vec![("k", &["a"]), ("j", &["b"])],
            true,
        ),
        (
            json!({"StringEquals": {"k": "a", "j": "b"}}),
            vec![("k", &["a"]), ("j", &["x"])],
            false,
        ),
        (
            json!({"StringEquals": {"k": "a"}, "StringLike": {"j": "b*"}}),
            vec![("k", &["a"]), ("j", &["bee"])],
            true,
        ),
        (
            json!({"StringEquals": {"k": "a"}, "StringLike": {"j": "b*"}}),
            vec![("k", &["a"]), ("j", &["see"])],
            false,
        ),
        // Key names are case-insensitive.
        (
            json!({"StringEquals": {"Token.Dynatrace.COM:sub": "s"}}),
            vec![("token.dynatrace.com:SUB", &["s"])],
            true,
        ),
        // Missing key: positive false, negated true, IfExists true, Null.
        (json!({"StringEquals": {"k": "a"}}), vec![], false),
        (json!({"StringNotEquals": {"k": "a"}}), vec![], true),
        (json!({"StringNotLike": {"k": "a*"}}), vec![], true),
        (json!({"StringEqualsIfExists": {"k": "a"}}), vec![], true),
        (
            json!({"StringEqualsIfExists": {"k": "a"}}),
            vec![("k", &["b"])],
            false,
        ),
        (
            json!({"StringEqualsIfExists": {"k": "a"}}),
            vec![("k", &["a"])],
            true,
        ),
        (json!({"NumericLessThanIfExists": {"n": "5"}}), vec![], true),
        (json!({"Null": {"k": "true"}}), vec![], true),
        (json!({"Null": {"k": "true"}}), vec![("k", &["x"])], false),
        (json!({"Null": {"k": "false"}}), vec![("k", &["x"])], true),
        (json!({"Null": {"k": false}}), vec![], false),
        // Set operators.
        (
            json!({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}),
            vec![],
            true,
        ),
        (
            json!({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}),
            vec![("tags", &[])],
            true,
        ),
        (
            json!({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}),
            vec![("tags", &["a", "b"])],
            true,
        ),
        (
            json!({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}),
            vec![("tags", &["a", "c"])],
            false,
        ),
        (
            json!({"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}),
            vec![],
            false,
        ),
        (
            json!({"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}),
            vec![("tags", &["c", "b"])],
            true,
        ),
        (
            json!({"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}),
            vec![("tags", &["c", "d"])],
            false,
        ),
        (
            json!({"ForAnyValue:StringNotEquals": {"tags": ["a"]}}),
            vec![("tags", &["a", "z"])],
            true,
        ),
        (
            json!({"ForAllValues:StringNotEquals": {"tags": ["a"]}}),
            vec![("tags", &["a", "z"])],
            false,
        ),
        (
            json!({"ForAllValues:StringLike": {"tags": ["team-*"]}}),
            vec![("tags", &["team-a", "team-b"])],
            true,
        ),
        (
            json!({"ForAnyValue:StringEqualsIfExists": {"tags": ["a"]}}),
            vec![],
            true,
        ),
        // Numeric.
        (
            json!({"NumericEquals": {"n": "10"}}),
            vec![("n", &["10.0"])],
            true,
        ),
        (
            json!({"NumericEquals": {"n": 10}}),
            vec![("n", &["10"])],
            true,
        ),
        (
            json!({"NumericNotEquals": {"n": "10"}}),
            vec![("n", &["11"])],
            true,
        ),
        (
            json!({"NumericLessThan": {"n": "10"}}),
            vec![("n", &["9"])],
            true,
        ),
        (
            json!({"NumericLessThan": {"n": "10"}}),
            vec![("n", &["10"])],
            false,
        ),
        (
            json!({"NumericLessThanEquals": {"n": "10"}}),
            vec![("n", &["10"])],
            true,
        ),
        (
            json!({"NumericGreaterThan": {"n": "10"}}),
            vec![("n", &["10.5"])],
            true,
        ),
        (
            json!({"NumericGreaterThan": {"n": "10"}}),
            vec![("n", &["-1"])],
            false,
        ),
        (
            json!({"NumericGreaterThanEquals": {"n": "10"}}),
            vec![("n", &["10"])],
            true,
        ),
        (
            json!({"NumericEquals": {"n": "10"}}),
            vec![("n", &["ten"])],
            false,
        ),
        // Date (ISO 8601 and epoch seconds).
        (
            json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
            vec![("aws:CurrentTime", &["2026-11-23T05:00:00Z"])],
            true,
        ),
        (
            json!({"DateLessThan": {"aws:CurrentTime": "2020-01-01"}}),
            vec![("aws:CurrentTime", &["2026-11-23T05:00:00Z"])],
            false,
        ),
        (
            json!({"DateEquals": {"d": "2026-11-23T05:00:00Z"}}),
            vec![("d", &["1795410000"])],
            true,
        ),
        (
            json!({"DateNotEquals": {"d": "2026-11-23T05:00:00Z"}}),
            vec![("d", &["1795410001"])],
            true,
        ),
        (
            json!({"DateLessThanEquals": {"d": "1795410000"}}),
            vec![("d", &["2026-11-23T05:00:00Z"])],
            true,
        ),
        (
            json!({"DateGreaterThanEquals": {"d": "2026-11-23T05:00:00.000Z"}}),
            vec![("d", &["2026-11-23T05:00:00Z"])],
            true,
        ),
        // Bool, Binary.
        (
            json!({"Bool": {"aws:SecureTransport": "true"}}),
            vec![("aws:SecureTransport", &["True"])],
            true,
        ),
        (
            json!({"Bool": {"aws:SecureTransport": true}}),
            vec![("aws:SecureTransport", &["false"])],
            false,
        ),
        (
            json!({"BinaryEquals": {"b": "QmluYXJ5"}}),
            vec![("b", &["QmluYXJ5"])],
            true,
        ),
        (
            json!({"BinaryEquals": {"b": "QmluYXJ5"}}),
            vec![("b", &["cmluYXJ5"])],
            false,
        ),
        // IP addresses.
        (
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            vec![("aws:SourceIp", &["203.0.113.7"])],
            true,
        ),
        (
            json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.9"]}}),
            vec![("aws:SourceIp", &["203.0.113.9"])],
            true,
        ),
        (
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            vec![("aws:SourceIp", &["198.51.100.1"])],
            false,
        ),
        (
            json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}),
            vec![("aws:SourceIp", &["2001:db8::1"])],
            true,
        ),
        (
            json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            vec![("aws:SourceIp", &["198.51.100.1"])],
            true,
        ),
        (
            json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            vec![("aws:SourceIp", &["203.0.113.1"])],
            false,
        ),
        // ARNs: six parts, wildcards per part, case-sensitive; ArnEquals behaves like ArnLike.
        (
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic-*"}}),
            vec![(
                "aws:SourceArn",
                &["arn:aws:sns:eu-west-1:123456789012:topic-a"],
            )],
            true,
        ),
        (
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic-*"}}),
            vec![(
                "aws:SourceArn",
                &["arn:aws:sns:eu-west-1:999999999999:topic-a"],
            )],
            false,
        ),
        (
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}),
            vec![("aws:SourceArn", &["arn:aws:s3:::bucket"])],
            true,
        ),
        (
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}),
            vec![("aws:SourceArn", &["arn:aws:s3:::Bucket"])],
            false,
        ),
        (
            json!({"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}),
            vec![("aws:SourceArn", &["arn:aws:s3:::other"])],
            true,
        ),
        (
            json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::b*"}}),
            vec![("aws:SourceArn", &["arn:aws:s3:::bucket"])],
            false,
        ),
        (
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::b*"}}),
            vec![("aws:SourceArn", &["not-an-arn"])],
            false,
        ),
        // Policy variables in condition values.
        (
            json!({"StringEquals": {"s3:prefix": "home/${aws:username}"}}),
            vec![("s3:prefix", &["home/alice"]), ("aws:username", &["alice"])],
            true,
        ),
        (
            json!({"StringEquals": {"s3:prefix": "home/${aws:username}"}}),
            vec![("s3:prefix", &["home/bob"]), ("aws:username", &["alice"])],
            false,
        ),
        (
            json!({"StringEquals": {"team": "${aws:PrincipalTag/team, 'none'}"}}),
            vec![("team", &["none"])],
            true,
        ),
        (
            json!({"StringLike": {"k": "a${*}"}}),
            vec![("k", &["a*"])],
            true,
        ),
        (
            json!({"StringLike": {"k": "a${*}"}}),
            vec![("k", &["abc"])],
            false,
        ),
    ];
    for (i, (condition, context, expected)) in cases.into_iter().enumerate() {
        let context = ctx(&context);
        assert_eq!(
            allowed(condition.clone(), &context),
            expected,
            "case {i}: {condition} with {context:?}"
        );
    }
}

#[test]
fn variables_are_literal_without_the_2012_version() {
    for version in [Some("2008-10-17"), None] {
        let policy = identity_versioned(
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}),
            version,
        );
        let context = ctx(&[("aws:username", &["alice"])]);
        let request = |resource| Request {
            principal: None,
            action: "s3:GetObject",
            resource: Some(resource),
            context: &context,
        };
        assert_eq!(
            evaluate(&[&policy], &request("arn:aws:s3:::b/alice/x")),
            Decision::ImplicitDeny
        );
        assert_eq!(
            evaluate(&[&policy], &request("arn:aws:s3:::b/${aws:username}/x")),
            Decision::Allow
        );
    }
    let policy = identity(
        json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}),
    );
    let context = ctx(&[("aws:username", &["alice"])]);
    let request = Request {
        principal: None,
        action: "s3:GetObject",
        resource: Some("arn:aws:s3:::b/alice/x"),
        context: &context,
    };
    assert_eq!(evaluate(&[&policy], &request), Decision::Allow);
}

#[test]
fn actions_resources_and_their_negations() {
    let context = Context::new();
    let decide = |statement: Value, action: &str, resource: &str| {
        let policy = identity(statement);
        evaluate(
            &[&policy],
            &Request {
                principal: None,
                action,
                resource: Some(resource),
                context: &context,
            },
        )
    };
    use Decision::*;
    let s = json!({"Effect": "Allow", "Action": "account:ListRegions", "Resource": "*"});
    assert_eq!(
        decide(s.clone(), "ACCOUNT:listregions", "x"),
        Allow,
        "actions are case-insensitive"
    );
    assert_eq!(decide(s, "account:GetRegion", "x"), ImplicitDeny);
    let s = json!({"Effect": "Allow", "Action": ["s3:Get*", "s3:List?ucket"], "Resource": "arn:aws:s3:::b/*"});
    assert_eq!(decide(s.clone(), "s3:GetObject", "arn:aws:s3:::b/k"), Allow);
    assert_eq!(
        decide(s.clone(), "s3:ListBucket", "arn:aws:s3:::b/k"),
        Allow
    );
    assert_eq!(
        decide(s.clone(), "s3:PutObject", "arn:aws:s3:::b/k"),
        ImplicitDeny
    );
    assert_eq!(
        decide(s.clone(), "s3:GetObject", "arn:aws:s3:::B/k"),
        ImplicitDeny,
        "resources are case-sensitive"
    );
    let s = json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"});
    assert_eq!(decide(s.clone(), "s3:GetObject", "x"), Allow);
    assert_eq!(decide(s, "iam:CreateRole", "x"), ImplicitDeny);
    let s = json!({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"});
    assert_eq!(
        decide(s.clone(), "s3:GetObject", "arn:aws:s3:::public/k"),
        Allow
    );
    assert_eq!(
        decide(s, "s3:GetObject", "arn:aws:s3:::secret/k"),
        ImplicitDeny
    );
}

#[test]
fn explicit_deny_overrides_allow_in_any_policy_or_order() {
    let allow = identity(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
    let deny = identity(json!({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}));
    let context = Context::new();
    let request = |action| Request {
        principal: None,
        action,
        resource: Some("arn:aws:s3:::b"),
        context: &context,
    };
    for policies in [[&allow, &deny], [&deny, &allow]] {
        assert_eq!(
            evaluate(&policies, &request("s3:DeleteBucket")),
            Decision::ExplicitDeny
        );
        assert_eq!(
            evaluate(&policies, &request("s3:GetObject")),
            Decision::Allow
        );
        let (decision, explanation) = evaluate_explained(&policies, &request("s3:DeleteBucket"));
        assert_eq!(decision, Decision::ExplicitDeny);
        assert_eq!(
            explanation.deciding.unwrap().policy,
            if std::ptr::eq(policies[0], &deny) {
                0
            } else {
                1
            }
        );
    }
    assert_eq!(
        evaluate(&[], &request("s3:GetObject")),
        Decision::ImplicitDeny
    );
}

#[test]
fn principals_of_every_kind_and_not_principal() {
    let trust = |principal: Value, negated: bool| {
        let key = if negated { "NotPrincipal" } else { "Principal" };
        let doc = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", key: principal, "Action": "sts:*"}});
        Policy::parse(&doc.to_string(), PolicyKind::Trust).unwrap()
    };
    let context = Context::new();
    let check = |policy: &Policy, kind, id: &str| {
        let principal = Principal {
            kind,
            id: id.to_string(),
        };
        evaluate(
            &[policy],
            &Request {
                principal: Some(&principal),
                action: "sts:AssumeRole",
                resource: None,
                context: &context,
            },
        ) == Decision::Allow
    };
    use PrincipalKind::*;
    let provider = "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com";
    let p = trust(json!({"Federated": provider}), false);
    assert!(check(&p, Federated, provider));
    assert!(!check(
        &p,
        Federated,
        "arn:aws:iam::111111111111:oidc-provider/token.dynatrace.com"
    ));
    assert!(!check(&p, Aws, provider), "kind must match");
    let p = trust(json!({"AWS": "123456789012"}), false);
    assert!(
        check(&p, Aws, "arn:aws:iam::123456789012:role/x"),
        "an account trusts its principals"
    );
    assert!(!check(&p, Aws, "arn:aws:iam::999999999999:role/x"));
    let p = trust(json!({"AWS": "arn:aws:iam::123456789012:root"}), false);
    assert!(check(&p, Aws, "arn:aws:sts::123456789012:assumed-role/r/s"));
    let p = trust(json!({"AWS": ["arn:aws:iam::123456789012:role/a"]}), false);
    assert!(check(&p, Aws, "arn:aws:iam::123456789012:role/a"));
    assert!(!check(&p, Aws, "arn:aws:iam::123456789012:role/b"));
    let p = trust(
        json!({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}),
        false,
    );
    assert!(check(&p, Service, "lambda.amazonaws.com"));
    let p = trust(
        json!({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}),
        false,
    );
    assert!(check(
        &p,
        CanonicalUser,
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    ));
    let p = trust(json!("*"), false);
    assert!(check(&p, Federated, provider));
    let p = trust(json!({"AWS": "*"}), false);
    assert!(check(&p, Service, "ec2.amazonaws.com"));
    let p = trust(json!({"AWS": "arn:aws:iam::123456789012:role/a"}), true);
    assert!(!check(&p, Aws, "arn:aws:iam::123456789012:role/a"));
    assert!(check(&p, Aws, "arn:aws:iam::123456789012:role/b"));
}

#[test]
fn parser_refuses_what_iam_refuses_with_path() {
    let cases: Vec<(PolicyKind, &str, &str, &str)> = vec![
        (
            PolicyKind::Identity,
            "not json",
            "This policy contains invalid Json",
            "$",
        ),
        (
            PolicyKind::Identity,
            r#"{"Version":"2012-10-17","Statement":[],"Bogus":1}"#,
            "Syntax errors in policy.",
            "$.Bogus",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":[{"Action":"s3:*","Resource":"*"}]}"#,
            "Missing required field Effect",
            "$.Statement[0].Effect",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#,
            "The policy failed legacy parsing",
            "$.Statement[0].Effect",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}}"#,
            "Syntax errors in policy.",
            "$.Statement.NotAction",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"k":"v"}}}}"#,
            "Invalid Condition type : StringEqualz",
            "$.Statement.Condition.StringEqualz",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}}"#,
            "Invalid Condition type : NullIfExists",
            "$.Statement.Condition.NullIfExists",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*"}}"#,
            "Policy statement must contain resources.",
            "$.Statement",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
            "Has prohibited field Principal",
            "$.Statement.Principal",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Actions":"s3:*","Resource":"*"}}"#,
            "Syntax errors in policy.",
            "$.Statement.Actions",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"ListRegions","Resource":"*"}}"#,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
            "$.Statement.Action",
        ),
        (
            PolicyKind::Trust,
            r#"{"Statement":{"Effect":"Allow","Principal":{"Federated":"p"},"Action":"sts:*","Resource":"*"}}"#,
            "Has prohibited field Resource",
            "$.Statement.Resource",
        ),
        (
            PolicyKind::Trust,
            r#"{"Statement":{"Effect":"Allow","Action":"sts:*"}}"#,
            "Missing required field Principal",
            "$.Statement",
        ),
        (
            PolicyKind::Trust,
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"not-an-arn"},"Action":"sts:*"}}"#,
            "Invalid principal in policy: \"AWS\":\"not-an-arn\"",
            "$.Statement.Principal",
        ),
        (
            PolicyKind::Trust,
            r#"{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:*"},"Action":"sts:*"}}"#,
            "Invalid principal in policy: \"Federated\":\"arn:*\"",
            "$.Statement.Principal",
        ),
        (
            PolicyKind::Trust,
            r#"{"Statement":{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"sts:*"}}"#,
            "Syntax errors in policy.",
            "$.Statement.Principal.Robot",
        ),
        (
            PolicyKind::Trust,
            r#"{"Version":"2013-01-01","Statement":[]}"#,
            "The policy failed legacy parsing",
            "$.Version",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":{"nested":1}}}}}"#,
            "Syntax errors in policy.",
            "$.Statement.Condition.StringEquals.k[0]",
        ),
    ];
    for (kind, doc, message, path) in cases {
        let error = Policy::parse(doc, kind).expect_err(doc);
        assert_eq!(error.message, message, "{doc}");
        assert_eq!(error.path, path, "{doc}");
    }
}

#[test]
fn grammar_accepts_what_iam_accepts() {
    let docs = [
        // Single statement object, string values, Id and Sid, no Version.
        r#"{"Id":"x","Statement":{"Sid":"1","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        // Arrays everywhere, numbers and booleans as condition values.
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["s3:*"],"NotResource":["arn:aws:s3:::a"],"Condition":{"NumericLessThan":{"n":[1,2.5]},"Bool":{"b":true}}}]}"#,
        r#"{"Version":"2008-10-17","Statement":[]}"#,
    ];
    for doc in docs {
        Policy::parse(doc, PolicyKind::Identity).expect(doc);
    }
}

#[test]
fn explanation_names_statement_operator_key_and_values() {
    let policy = identity(
        json!({"Sid": "OnlyMine", "Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringEquals": {"token.dynatrace.com:sub": "dtid:connection/a"}}}),
    )
    .labelled("inline");
    let context = Context::new();
    let request = Request {
        principal: None,
        action: "s3:GetObject",
        resource: Some("x"),
        context: &context,
    };
    let (decision, explanation) = evaluate_explained(&[&policy], &request);
    assert_eq!(decision, Decision::ImplicitDeny);
    let condition = &explanation.statements[0].conditions[0];
    assert_eq!(condition.operator, "StringEquals");
    assert_eq!(condition.key, "token.dynatrace.com:sub");
    assert_eq!(condition.policy_values, vec!["dtid:connection/a"]);
    assert_eq!(condition.request_values, None);
    assert_eq!(
        condition.reason,
        "key token.dynatrace.com:sub missing from request"
    );
    assert_eq!(
        explanation.missing_context_keys(),
        vec!["token.dynatrace.com:sub"]
    );
    assert_eq!(explanation.matched_statements().count(), 0);
    let text = explanation.to_string();
    assert!(text.contains("inline statement #0 (OnlyMine)"), "{text}");
    assert!(
        text.contains("key token.dynatrace.com:sub missing from request"),
        "{text}"
    );
    let json = serde_json::to_value(&explanation).unwrap();
    assert_eq!(json["decision"], "ImplicitDeny");
    assert_eq!(json["statements"][0]["conditions"][0]["result"], false);
}
