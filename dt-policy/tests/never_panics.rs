//! Property tests: `parse`, `parse_boundary`, binding and evaluation never panic, whatever
//! text and requests they get; canonical text parses back to itself; `MATCH` agrees with a
//! reference matcher.

use dt_policy::{evaluate, evaluate_explained, parse, parse_boundary, Bindings, Request};
use proptest::prelude::*;

/// Pieces of the language, so random sequences reach deep paths of the parser.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "ALLOW",
            "allow",
            "DENY",
            "WHERE",
            "where",
            "AND",
            "OR",
            "NOT",
            "IN",
            "in",
            "MATCH",
            "startsWith",
            "STARTSWITH",
            "null",
            ",",
            ";",
            "(",
            ")",
            "=",
            "!=",
            "!",
            "<",
            ">",
            "//",
            "/",
            "*",
            "\"",
            "'",
            "\n",
            "\r\n",
            "\t",
            "${",
            "}",
            "a:b:c",
            "a:b",
            "k:v",
            "settings:objects:read",
            "settings:schemaId",
            "global:date",
            "global:week-day",
            "global:date-time",
            "global:time-of-day",
            "environment:management-zone",
            "\"x\"",
            "'y'",
            "\"\"",
            "\"${bindParam:p}\"",
            "\"${global:userId}\"",
            "\"${global:userGroup}\"",
            "\"${bindParam:\"",
            "\"2022-05-03Z\"",
            "\"Monday\"",
            "\"09:00+01:00\"",
            "\"2022-05-03T05:00:00+01:00\"",
            "\"a*b\"",
            "é",
            "::",
        ])
        .prop_map(str::to_string),
        "[a-z:._-]{1,12}",
        "\"[^\"\n]{0,8}\"",
        "\\PC{1,3}",
    ]
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((token(), prop::sample::select(vec!["", " ", "\n"])), 0..40).prop_map(
        |parts| {
            parts
                .into_iter()
                .map(|(t, sep)| format!("{t}{sep}"))
                .collect()
        },
    )
}

/// Valid statements built from the grammar, so evaluation gets policies that parse.
fn structured() -> impl Strategy<Value = String> {
    let condition = (
        prop::sample::select(vec![
            "k:v",
            "settings:schemaId",
            "environment:management-zone",
            "global:week-day",
            "global:date",
        ]),
        prop::sample::select(vec![
            "=",
            "!=",
            "IN",
            "NOT IN",
            "startsWith",
            "NOT startsWith",
            "MATCH",
            "<",
            ">",
        ]),
        prop::collection::vec(
            prop::sample::select(vec![
                "a",
                "a*",
                "",
                "${bindParam:p}",
                "${global:userId}",
                "${global:userGroup}",
                "Monday",
                "2022-05-03Z",
                "x${global:userGroup}y",
            ]),
            1..3,
        ),
    )
        .prop_map(|(key, op, values)| {
            let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
            if matches!(op, "IN" | "NOT IN" | "MATCH") {
                format!("{key} {op} ({})", quoted.join(", "))
            } else {
                format!("{key} {op} {}", quoted[0])
            }
        });
    let statement = (
        prop::sample::select(vec!["ALLOW", "DENY"]),
        prop::collection::vec(
            prop::sample::select(vec!["a:b:c", "settings:objects:read", "x:y:z"]),
            1..3,
        ),
        prop::collection::vec(condition, 0..3),
    )
        .prop_map(|(effect, permissions, conditions)| {
            let mut s = format!("{effect} {}", permissions.join(", "));
            if !conditions.is_empty() {
                s.push_str(" WHERE ");
                s.push_str(&conditions.join(" AND "));
            }
            s.push(';');
            s
        });
    prop::collection::vec(statement, 1..5).prop_map(|s| s.join("\n"))
}

fn requests() -> impl Strategy<Value = Request> {
    (
        prop::sample::select(vec!["a:b:c", "settings:objects:read", "x:y:z"]),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "k:v",
                    "settings:schemaId",
                    "global:userId",
                    "global:userGroup",
                    "environment:management-zone",
                ]),
                prop::collection::vec("[a-z*]{0,4}", 0..3),
                any::<bool>(),
            ),
            0..4,
        ),
        prop::option::of(0i64..4_000_000_000),
    )
        .prop_map(|(permission, attributes, time)| {
            let mut r = Request::new(permission);
            for (key, values, many) in attributes {
                r = if many {
                    r.with_values(key, values)
                } else {
                    r.with(key, values.first().cloned().unwrap_or_default())
                };
            }
            if let Some(t) = time {
                r = r.at(time::OffsetDateTime::from_unix_timestamp(t).unwrap());
            }
            r
        })
}

/// The obvious exponential matcher, `*` only.
fn reference(pattern: &[char], text: &[char]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            reference(&pattern[1..], text) || (!text.is_empty() && reference(pattern, &text[1..]))
        }
        (Some(p), Some(t)) => p == t && reference(&pattern[1..], &text[1..]),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = parse(&text);
        let _ = parse_boundary(&text);
    }

    #[test]
    fn nothing_panics_on_policy_like_text(
        text in prop_oneof![soup(), structured()],
        request in requests(),
    ) {
        let _ = parse_boundary(&text);
        if let Ok(policy) = parse(&text) {
            // Canonical text parses back to itself.
            let canonical = policy.to_string();
            let again = parse(&canonical).unwrap_or_else(|e| panic!("{e}: {canonical}"));
            prop_assert_eq!(again.to_string(), canonical);
            let params = Bindings::new().with("p", "v*");
            if let Ok(bound) = policy.bind(&params) {
                let fast = evaluate(&[&bound], &request);
                let explained = evaluate_explained(&[&bound], &request);
                prop_assert_eq!(fast, explained.decision);
                let _ = explained.to_string();
                serde_json::to_string(&explained).unwrap();
            }
        }
    }

    #[test]
    fn boundaries_never_panic(
        policy in prop_oneof![soup(), structured()],
        boundary in prop_oneof![soup(), structured().prop_map(|s| s.replace("ALLOW a:b:c WHERE ", "").replace("DENY a:b:c WHERE ", ""))],
        request in requests(),
    ) {
        if let (Ok(p), Ok(b)) = (parse(&policy), parse_boundary(&boundary)) {
            if let Ok(bound) = p.bind_within(&Bindings::new().with("p", "x"), &[&b, &b]) {
                let fast = evaluate(&[&bound], &request);
                prop_assert_eq!(fast, evaluate_explained(&[&bound], &request).decision);
            }
        }
    }

    #[test]
    fn match_agrees_with_reference(pattern in "[ab*é]{0,8}", text in "[abé]{0,10}") {
        let policy = parse(&format!("ALLOW a:b:c WHERE k:v MATCH (\"{pattern}\");")).unwrap();
        let bound = policy.bind(&Bindings::new()).unwrap();
        let request = Request::new("a:b:c").with("k:v", text.clone());
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        prop_assert_eq!(evaluate(&[&bound], &request).is_allowed(), reference(&p, &t));
    }
}
