//! Property tests: wildcard matching agrees with a simple reference implementation, and the
//! parser and evaluator never panic, whatever JSON they are given.

use proptest::prelude::*;
use serde_json::Value;
use sts_mock::policy::wildcard;
use sts_mock::policy::{
    evaluate, evaluate_explained, Context, Policy, PolicyKind, Principal, PrincipalKind, Request,
};

/// Reference: the obvious exponential recursive matcher.
fn reference(pattern: &[char], text: &[char]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (None, Some(_)) => false,
        (Some('*'), _) => {
            reference(&pattern[1..], text) || (!text.is_empty() && reference(pattern, &text[1..]))
        }
        (Some('?'), Some(_)) => reference(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) => p == t && reference(&pattern[1..], &text[1..]),
        (Some(_), None) => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn wildcard_matches_reference(pattern in "[ab*?é]{0,8}", text in "[abé]{0,10}") {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        prop_assert_eq!(wildcard::matches(&pattern, &text), reference(&p, &t));
    }

    #[test]
    fn ignore_case_is_case_blind(pattern in "[aB*?]{0,6}", text in "[AbaB]{0,8}") {
        prop_assert_eq!(
            wildcard::matches_ignore_case(&pattern, &text),
            wildcard::matches(&pattern.to_lowercase(), &text.to_lowercase())
        );
    }
}

/// Arbitrary JSON biased towards policy shapes, so deep paths of the parser are reached.
fn policy_like() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(vec![
        "Version",
        "Statement",
        "Effect",
        "Allow",
        "Deny",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "AWS",
        "Federated",
        "Service",
        "Condition",
        "StringEquals",
        "ForAllValues:StringLike",
        "ForAnyValue:NumericLessThanIfExists",
        "Null",
        "DateGreaterThan",
        "IpAddress",
        "ArnLike",
        "Bool",
        "2012-10-17",
        "s3:*",
        "*",
        "k",
        "${aws:username}",
        "${k, 'd'}",
        "arn:aws:iam::123456789012:root",
        "10.0.0.0/8",
        "Sid",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        names.clone().prop_map(|s| Value::String(s.to_string())),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((names.clone(), inner), 0..5).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parser_and_evaluator_never_panic(doc in policy_like(), raw in ".{0,64}") {
        let mut context = Context::new();
        context.insert("k", "v");
        context.insert_multi("aws:TagKeys", vec!["a".into(), "b".into()]);
        let principal = Principal { kind: PrincipalKind::Aws, id: "arn:aws:iam::123456789012:role/r".into() };
        for text in [doc.to_string(), raw] {
            for kind in [PolicyKind::Identity, PolicyKind::Trust, PolicyKind::Session] {
                if let Ok(policy) = Policy::parse(&text, kind) {
                    let request = Request { principal: Some(&principal), action: "s3:GetObject", resource: Some("arn:aws:s3:::b/k"), context: &context };
                    let fast = evaluate(&[&policy], &request);
                    let (explained, explanation) = evaluate_explained(&[&policy], &request);
                    prop_assert_eq!(fast, explained);
                    let _ = explanation.to_string();
                }
            }
        }
    }
}
