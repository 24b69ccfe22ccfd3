//! Table tests of evaluation: every operator against present, missing and multi-valued
//! attributes; DENY over ALLOW and the deciding statement; bind parameters; global
//! attributes; date and time conditions; boundaries; explanations and their JSON.

use dt_policy::{
    evaluate, evaluate_explained, parse, parse_boundary, AttributeValue, BindError, Bindings,
    BoundPolicy, Decision, Outcome, Request,
};
use serde_json::json;
use time::macros::datetime;

fn bound(text: &str) -> BoundPolicy {
    parse(text)
        .unwrap_or_else(|e| panic!("{e}: {text}"))
        .bind(&Bindings::new())
        .unwrap()
}

fn decide(policies: &[&BoundPolicy], request: &Request) -> Decision {
    let fast = evaluate(policies, request);
    let explained = evaluate_explained(policies, request);
    assert_eq!(fast, explained.decision, "{explained}");
    fast
}

enum Attr {
    Missing,
    One(&'static str),
    Many(&'static [&'static str]),
}

#[test]
fn operator_table() {
    use Attr::*;
    // (condition, the request's k:v, allowed?, outcome)
    let cases: &[(&str, Attr, bool, Outcome)] = &[
        (r#"k:v = "a""#, One("a"), true, Outcome::Passed),
        (r#"k:v = "a""#, One("A"), false, Outcome::Failed),
        (r#"k:v = "a""#, One("ab"), false, Outcome::Failed),
        (r#"k:v = """#, One(""), true, Outcome::Passed),
        (r#"k:v = "a""#, Missing, false, Outcome::AttributeMissing),
        (r#"k:v != "a""#, One("b"), true, Outcome::Passed),
        (r#"k:v != "a""#, One("a"), false, Outcome::Failed),
        (r#"k:v != "a""#, Missing, false, Outcome::AttributeMissing),
        (r#"k:v IN ("a", "b")"#, One("b"), true, Outcome::Passed),
        (r#"k:v IN ("a", "b")"#, One("c"), false, Outcome::Failed),
        (
            r#"k:v IN ("a", "b")"#,
            Missing,
            false,
            Outcome::AttributeMissing,
        ),
        (r#"k:v NOT IN ("a", "b")"#, One("c"), true, Outcome::Passed),
        (r#"k:v NOT IN ("a", "b")"#, One("a"), false, Outcome::Failed),
        (
            r#"k:v NOT IN ("a", "b")"#,
            Missing,
            false,
            Outcome::AttributeMissing,
        ),
        (
            r#"k:v startsWith "app:""#,
            One("app:my.app"),
            true,
            Outcome::Passed,
        ),
        (
            r#"k:v startsWith "app:""#,
            One("app:"),
            true,
            Outcome::Passed,
        ),
        (
            r#"k:v startsWith "app:""#,
            One("builtin:app:x"),
            false,
            Outcome::Failed,
        ),
        (
            r#"k:v startsWith "app:""#,
            One("APP:x"),
            false,
            Outcome::Failed,
        ),
        (
            r#"k:v NOT startsWith "app:""#,
            One("builtin:x"),
            true,
            Outcome::Passed,
        ),
        (
            r#"k:v NOT startsWith "app:""#,
            One("app:x"),
            false,
            Outcome::Failed,
        ),
        (
            r#"k:v NOT startsWith "app:""#,
            Missing,
            false,
            Outcome::AttributeMissing,
        ),
        (
            r#"k:v MATCH ("default_*", "common_logs")"#,
            One("default_logs"),
            true,
            Outcome::Passed,
        ),
        (
            r#"k:v MATCH ("default_*", "common_logs")"#,
            One("common_logs"),
            true,
            Outcome::Passed,
        ),
        (
            r#"k:v MATCH ("default_*", "common_logs")"#,
            One("common_logs2"),
            false,
            Outcome::Failed,
        ),
        (
            r#"k:v MATCH ("*/app:easytrade")"#,
            One("bu:x/app:easytrade"),
            true,
            Outcome::Passed,
        ),
        (
            r#"k:v MATCH ("a*b*c")"#,
            One("aXbYbc"),
            true,
            Outcome::Passed,
        ),
        (
            r#"k:v MATCH ("a*b*c")"#,
            One("aXbYbcd"),
            false,
            Outcome::Failed,
        ),
        (r#"k:v MATCH ("*")"#, One(""), true, Outcome::Passed),
        (r#"k:v MATCH ("a?c")"#, One("abc"), false, Outcome::Failed),
        (r#"k:v MATCH ("a?c")"#, One("a?c"), true, Outcome::Passed),
        (
            r#"k:v MATCH ("x*")"#,
            Missing,
            false,
            Outcome::AttributeMissing,
        ),
        // "will match both "crn-70400-alpha" and ["crn-70131", "crn-70400-beta", "crn-70500"]"
        (
            r#"k:v MATCH ("crn-70400-*")"#,
            One("crn-70400-alpha"),
            true,
            Outcome::Passed,
        ),
        (
            r#"k:v MATCH ("crn-70400-*")"#,
            Many(&["crn-70131", "crn-70400-beta", "crn-70500"]),
            true,
            Outcome::Passed,
        ),
        (
            r#"k:v MATCH ("crn-70400-*")"#,
            Many(&["crn-70131"]),
            false,
            Outcome::Failed,
        ),
        (
            r#"k:v MATCH ("crn-70400-*")"#,
            Many(&[]),
            false,
            Outcome::Failed,
        ),
        // "Using =, STARTSWITH or IN when the field holds an array will always return false."
        (r#"k:v = "a""#, Many(&["a"]), false, Outcome::SeveralValues),
        (
            r#"k:v startsWith "a""#,
            Many(&["a"]),
            false,
            Outcome::SeveralValues,
        ),
        (
            r#"k:v IN ("a")"#,
            Many(&["a", "b"]),
            false,
            Outcome::SeveralValues,
        ),
        (r#"k:v != "a""#, Many(&["b"]), false, Outcome::SeveralValues),
        (
            r#"k:v NOT IN ("a")"#,
            Many(&["b"]),
            false,
            Outcome::SeveralValues,
        ),
    ];
    for (condition, attr, allowed, outcome) in cases {
        let p = bound(&format!("ALLOW a:b:c WHERE {condition};"));
        let request = match attr {
            Missing => Request::new("a:b:c"),
            One(v) => Request::new("a:b:c").with("k:v", *v),
            Many(vs) => Request::new("a:b:c").with_values("k:v", vs.iter().copied()),
        };
        let d = decide(&[&p], &request);
        assert_eq!(
            d.is_allowed(),
            *allowed,
            "{condition} for {:?}",
            request.attributes
        );
        let why = evaluate_explained(&[&p], &request);
        assert_eq!(
            why.statements[0].conditions[0].outcome, *outcome,
            "{condition}"
        );
    }
}

#[test]
fn conditions_are_joined_by_and() {
    let p = bound(r#"ALLOW a:b:c WHERE k:v = "1" AND k:w = "2";"#);
    let both = Request::new("a:b:c").with("k:v", "1").with("k:w", "2");
    assert!(decide(&[&p], &both).is_allowed());
    let one = Request::new("a:b:c").with("k:v", "1").with("k:w", "3");
    assert_eq!(decide(&[&p], &one), Decision::DefaultDeny);
    // The explanation evaluates every condition, even after one failed.
    let why = evaluate_explained(&[&p], &Request::new("a:b:c").with("k:w", "2"));
    let outcomes: Vec<Outcome> = why.statements[0]
        .conditions
        .iter()
        .map(|c| c.outcome)
        .collect();
    assert_eq!(outcomes, [Outcome::AttributeMissing, Outcome::Passed]);
}

#[test]
fn permissions_match_exactly() {
    let p = bound("ALLOW settings:objects:read;");
    for other in [
        "settings:objects:Read",
        "settings:objects:read ",
        "settings:objects",
        "settings:objects:readwrite",
        "Settings:objects:read",
    ] {
        assert_eq!(
            decide(&[&p], &Request::new(other)),
            Decision::DefaultDeny,
            "{other}"
        );
    }
    assert!(decide(&[&p], &Request::new("settings:objects:read")).is_allowed());
}

#[test]
fn deny_wins() {
    let allow = "ALLOW settings:objects:write;";
    let deny = r#"DENY settings:objects:write WHERE settings:schemaId = "x";"#;
    let x = Request::new("settings:objects:write").with("settings:schemaId", "x");
    let y = Request::new("settings:objects:write").with("settings:schemaId", "y");
    // Same policy, either order; separate policies, either order.
    let same = [
        bound(&format!("{allow}\n{deny}")),
        bound(&format!("{deny}\n{allow}")),
    ];
    for p in &same {
        assert_eq!(decide(&[p], &x), Decision::ExplicitDeny);
        assert_eq!(decide(&[p], &y), Decision::Allow);
    }
    let (a, d) = (bound(allow), bound(deny));
    for order in [[&a, &d], [&d, &a]] {
        assert_eq!(decide(&order, &x), Decision::ExplicitDeny);
        assert_eq!(decide(&order, &y), Decision::Allow);
    }
    // The brief's example summary.
    let p = bound(&format!(
        "ALLOW settings:objects:read;\n// writes\n\n{allow}\n{deny}"
    ));
    let why = evaluate_explained(&[&p], &x);
    assert_eq!(
        why.summary,
        r#"denied by statement 3 (DENY settings:objects:write WHERE settings:schemaId = "x") at 5:1"#
    );
    assert_eq!(why.matched().count(), 2);
}

#[test]
fn the_deciding_statement_follows_dynatraces_order() {
    // 1. unconditional DENY, 2. conditional DENY, 3. unconditional ALLOW, 4. conditional ALLOW.
    let p = bound(
        r#"ALLOW a:b:c WHERE k:v = "x";
ALLOW a:b:c;
DENY a:b:c WHERE k:v = "x";
DENY a:b:c;"#,
    );
    let r = Request::new("a:b:c").with("k:v", "x");
    assert_eq!(evaluate_explained(&[&p], &r).deciding.unwrap().statement, 4);
    let p = bound(
        r#"ALLOW a:b:c WHERE k:v = "x";
ALLOW a:b:c;
DENY a:b:c WHERE k:v = "x";"#,
    );
    assert_eq!(evaluate_explained(&[&p], &r).deciding.unwrap().statement, 3);
    let p = bound(
        r#"ALLOW a:b:c WHERE k:v = "x";
ALLOW a:b:c;"#,
    );
    assert_eq!(evaluate_explained(&[&p], &r).deciding.unwrap().statement, 2);
    let p = bound(r#"ALLOW a:b:c WHERE k:v = "x";"#);
    assert_eq!(evaluate_explained(&[&p], &r).deciding.unwrap().statement, 1);
}

#[test]
fn summaries() {
    let p = bound("ALLOW hyperscaler-authentication:aws:authenticate;").clone();
    let why = evaluate_explained(&[&p], &Request::new("settings:objects:read"));
    assert_eq!(why.decision, Decision::DefaultDeny);
    assert_eq!(
        why.summary,
        "denied: no statement allows settings:objects:read"
    );
    assert!(why.statements.is_empty());
    assert_eq!(why.deciding, None);

    let why = evaluate_explained(
        &[&p],
        &Request::new("hyperscaler-authentication:aws:authenticate"),
    );
    assert_eq!(
        why.summary,
        "allowed by statement 1 (ALLOW hyperscaler-authentication:aws:authenticate) at 1:1"
    );

    // Several policies: named by label, or by number.
    let reader = parse("ALLOW settings:objects:read;")
        .unwrap()
        .labelled("Settings Reader")
        .bind(&Bindings::new())
        .unwrap();
    let why = evaluate_explained(&[&p, &reader], &Request::new("settings:objects:read"));
    assert_eq!(
        why.summary,
        "allowed by policy \"Settings Reader\" statement 1 (ALLOW settings:objects:read) at 1:1"
    );
    let other = bound("DENY settings:objects:read;");
    let why = evaluate_explained(&[&p, &other], &Request::new("settings:objects:read"));
    assert_eq!(
        why.summary,
        "denied by policy #2 statement 1 (DENY settings:objects:read) at 1:1"
    );
}

#[test]
fn explanation_json() {
    let p = bound(
        r#"ALLOW settings:objects:read WHERE settings:schemaId = "builtin:hyperscaler-authentication.connections.aws";"#,
    );
    let why = evaluate_explained(&[&p], &Request::new("settings:objects:read"));
    let v = serde_json::to_value(&why).unwrap();
    assert_eq!(
        v,
        json!({
            "decision": "default_deny",
            "permission": "settings:objects:read",
            "summary": "denied: no statement allows settings:objects:read for this request; statement 1 (ALLOW settings:objects:read WHERE settings:schemaId = \"builtin:hyperscaler-authentication.connections.aws\") at 1:1: attribute settings:schemaId missing from request",
            "deciding": null,
            "statements": [{
                "policy": 0,
                "statement": 1,
                "position": {"line": 1, "column": 1},
                "effect": "ALLOW",
                "text": "ALLOW settings:objects:read WHERE settings:schemaId = \"builtin:hyperscaler-authentication.connections.aws\"",
                "conditions": [{
                    "key": "settings:schemaId",
                    "operator": "=",
                    "values": ["builtin:hyperscaler-authentication.connections.aws"],
                    "request": null,
                    "from_boundary": false,
                    "position": {"line": 1, "column": 35},
                    "outcome": "attribute_missing",
                    "passed": false,
                    "reason": "attribute settings:schemaId missing from request"
                }],
                "applies": false
            }]
        })
    );
    let r = Request::new("settings:objects:read").with(
        "settings:schemaId",
        "builtin:hyperscaler-authentication.connections.aws",
    );
    let v = serde_json::to_value(evaluate_explained(&[&p], &r)).unwrap();
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["deciding"]["statement"], 1);
    assert_eq!(
        v["statements"][0]["conditions"][0]["request"],
        "builtin:hyperscaler-authentication.connections.aws"
    );
    // Requests round-trip through JSON, for an HTTP API.
    let r = Request::new("a:b:c")
        .with("k:v", "x")
        .with_values("k:w", ["y", "z"])
        .at(datetime!(2026-01-02 03:04:05 UTC));
    let text = serde_json::to_string(&r).unwrap();
    assert_eq!(
        text,
        r#"{"permission":"a:b:c","attributes":{"k:v":"x","k:w":["y","z"]},"time":"2026-01-02T03:04:05Z"}"#
    );
    assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), r);
    let bare: Request = serde_json::from_str(r#"{"permission":"a:b:c"}"#).unwrap();
    assert_eq!(bare, Request::new("a:b:c"));
}

#[test]
fn explanation_display() {
    let p = bound(r#"ALLOW a:b:c WHERE k:v = "x" AND k:w IN ("y");"#);
    let why = evaluate_explained(&[&p], &Request::new("a:b:c").with("k:v", "x"));
    assert_eq!(
        why.to_string(),
        "denied: no statement allows a:b:c for this request; statement 1 (ALLOW a:b:c WHERE k:v = \"x\" AND k:w IN (\"y\")) at 1:1: attribute k:w missing from request\n\
         \x20 statement 1 (ALLOW a:b:c WHERE k:v = \"x\" AND k:w IN (\"y\")) at 1:1 => does not apply\n\
         \x20   [pass] k:v = \"x\" holds for \"x\"\n\
         \x20   [FAIL] attribute k:w missing from request\n"
    );
}

#[test]
fn bind_parameters() {
    // "Policy templating": one policy, a value per binding.
    let policy = parse(
        r#"ALLOW storage:logs:read WHERE storage:dt.security_context = "${bindParam:team}";
ALLOW settings:objects:read WHERE settings:dt.security_context startsWith "${bindParam:team}-";"#,
    )
    .unwrap();
    assert_eq!(policy.bind_params(), ["team"]);
    let checkout = policy
        .bind(&Bindings::new().with("team", "checkout"))
        .unwrap();
    let payments = policy
        .bind(&[("team", "payments")].into_iter().collect())
        .unwrap();
    let logs =
        |ctx: &str| Request::new("storage:logs:read").with("storage:dt.security_context", ctx);
    assert!(decide(&[&checkout], &logs("checkout")).is_allowed());
    assert_eq!(
        decide(&[&checkout], &logs("payments")),
        Decision::DefaultDeny
    );
    // "Both bindings are additive": the same policy bound twice.
    assert!(decide(&[&checkout, &payments], &logs("payments")).is_allowed());
    let settings =
        Request::new("settings:objects:read").with("settings:dt.security_context", "checkout-eu");
    assert!(decide(&[&checkout], &settings).is_allowed());
    // The explanation shows the bound value.
    let why = evaluate_explained(&[&checkout], &logs("x"));
    assert_eq!(why.statements[0].conditions[0].values, ["checkout"]);
    // A parameter value is text, not syntax: quotes and `*` are literal, except that `MATCH`
    // reads `*` in it as a pattern.
    let p = parse(r#"ALLOW a:b:c WHERE k:v = "${bindParam:p}" AND k:w MATCH ("${bindParam:p}");"#)
        .unwrap()
        .bind(&Bindings::new().with("p", "a\"*"))
        .unwrap();
    let r = Request::new("a:b:c")
        .with("k:v", "a\"*")
        .with("k:w", "a\"zz");
    assert!(decide(&[&p], &r).is_allowed());
    // Extra parameters are ignored.
    assert!(parse("ALLOW a:b:c;")
        .unwrap()
        .bind(&Bindings::new().with("unused", "x"))
        .is_ok());
}

#[test]
fn missing_bind_parameter() {
    let policy = parse(
        "ALLOW a:b:c;\n\nALLOW storage:logs:read\n  WHERE storage:dt.security_context = \"${bindParam:team}\";",
    )
    .unwrap();
    let e = policy
        .bind(&Bindings::new().with("other", "x"))
        .unwrap_err();
    let BindError::MissingParameter { name, position, .. } = &e;
    assert_eq!(name, "team");
    assert_eq!((position.line, position.column), (4, 9));
    assert_eq!(
        e.to_string(),
        "statement 2 at 3:1 uses ${bindParam:team}, but the binding gives no value for `team`"
    );
    // In a boundary (the API's example boundary).
    let boundary =
        parse_boundary("storage:dt.security_context = '${bindParam:bucket-name-param}';")
            .unwrap()
            .named("Bnd1");
    let e = parse("ALLOW storage:logs:read;")
        .unwrap()
        .bind_within(&Bindings::new(), &[&boundary])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "boundary \"Bnd1\" condition 1 at 1:1 uses ${bindParam:bucket-name-param}, but the \
         binding gives no value for `bucket-name-param`"
    );
}

#[test]
fn global_attributes() {
    // "Policy global attributes".
    let p = bound(
        r#"ALLOW storage:logs:read WHERE storage:security_context = "${global:userId}";
ALLOW storage:logs:read WHERE storage:security_context IN ("${global:userGroup}");"#,
    );
    let logs = |ctx: &str| Request::new("storage:logs:read").with("storage:security_context", ctx);
    let user = |r: Request| {
        r.with("global:userId", "u-1")
            .with_values("global:userGroup", ["g-1", "g-2"])
    };
    assert!(decide(&[&p], &user(logs("u-1"))).is_allowed());
    assert!(decide(&[&p], &user(logs("g-2"))).is_allowed());
    assert_eq!(decide(&[&p], &user(logs("g-3"))), Decision::DefaultDeny);
    let why = evaluate_explained(&[&p], &logs("u-1"));
    assert_eq!(why.decision, Decision::DefaultDeny);
    assert_eq!(
        why.statements[0].conditions[0].outcome,
        Outcome::GlobalMissing
    );
    assert_eq!(why.statements[0].conditions[0].values, ["${global:userId}"]);
    // Inside a longer value, one value per group.
    let p = bound(r#"ALLOW a:b:c WHERE k:v = "team-${global:userGroup}";"#);
    let r = Request::new("a:b:c")
        .with("k:v", "team-g-2")
        .with_values("global:userGroup", ["g-1", "g-2"]);
    assert!(decide(&[&p], &r).is_allowed());
}

#[test]
fn date_and_time_conditions() {
    // "Global conditions in IAM policies".
    let may = bound(
        r#"ALLOW service:resource:permission WHERE global:date > "2022-05-03Z" AND global:date < "2022-05-05Z";"#,
    );
    let office = bound(
        r#"ALLOW service:resource:permission WHERE global:time-of-day > "09:00+01:00" AND global:time-of-day < "17:00+01:00";"#,
    );
    let monday = bound(r#"ALLOW service:resource:permission WHERE global:week-day = "Monday";"#);
    let later = bound(
        r#"ALLOW service:resource:permission WHERE global:date-time > "2022-05-03T05:00:00+01:00";"#,
    );
    let r = |t| Request::new("service:resource:permission").at(t);
    // "the policy grants access on the 4th of May 2022 in UTC time zone"
    assert!(decide(&[&may], &r(datetime!(2022-05-04 23:59 UTC))).is_allowed());
    assert_eq!(
        decide(&[&may], &r(datetime!(2022-05-05 00:00 UTC))),
        Decision::DefaultDeny
    );
    assert!(decide(&[&office], &r(datetime!(2022-05-04 08:30 UTC))).is_allowed());
    assert_eq!(
        decide(&[&office], &r(datetime!(2022-05-04 16:30 UTC))),
        Decision::DefaultDeny
    );
    // 2022-05-02 was a Monday; the week day is taken in GMT.
    assert!(decide(&[&monday], &r(datetime!(2022-05-02 23:30 UTC))).is_allowed());
    assert_eq!(
        decide(&[&monday], &r(datetime!(2022-05-02 23:30 -02:00))),
        Decision::DefaultDeny
    );
    assert!(decide(&[&later], &r(datetime!(2022-05-03 04:00:01 UTC))).is_allowed());
    // Without a time, none of them holds.
    let why = evaluate_explained(&[&may], &Request::new("service:resource:permission"));
    assert_eq!(
        why.statements[0].conditions[0].outcome,
        Outcome::TimeMissing
    );
    // A bound value that is no date does not hold either.
    let p = parse(r#"ALLOW a:b:c WHERE global:date > "${bindParam:from}";"#)
        .unwrap()
        .bind(&Bindings::new().with("from", "soon"))
        .unwrap();
    let why = evaluate_explained(
        &[&p],
        &Request::new("a:b:c").at(datetime!(2022-05-04 0:00 UTC)),
    );
    assert_eq!(
        why.statements[0].conditions[0].outcome,
        Outcome::InvalidTime
    );
    assert_eq!(
        why.statements[0].conditions[0].request,
        Some(AttributeValue::One("2022-05-04T00:00:00Z".into()))
    );
}

#[test]
fn boundaries_as_documented() {
    // "How are policy boundaries applied?": the documented example, effective statements and
    // all ("which would effectively grant unconditional read access to storage entities").
    let policy = parse("ALLOW storage:logs:read, storage:entities:read;").unwrap();
    let one = parse_boundary(r#"storage:host.name="myHost""#).unwrap();
    let two = parse_boundary(r#"storage:dt.security_context="mySC""#).unwrap();
    let p = policy.bind_within(&Bindings::new(), &[&one, &two]).unwrap();
    let mut effective = p.effective_statements();
    effective.sort();
    assert_eq!(
        effective,
        [
            "ALLOW storage:entities:read",
            r#"ALLOW storage:entities:read WHERE storage:dt.security_context = "mySC""#,
            r#"ALLOW storage:logs:read WHERE storage:dt.security_context = "mySC""#,
            r#"ALLOW storage:logs:read WHERE storage:host.name = "myHost""#,
        ]
    );
    assert!(decide(&[&p], &Request::new("storage:entities:read")).is_allowed());
    let logs = |k: &str, v: &str| Request::new("storage:logs:read").with(k, v);
    assert!(decide(&[&p], &logs("storage:host.name", "myHost")).is_allowed());
    assert!(decide(&[&p], &logs("storage:dt.security_context", "mySC")).is_allowed());
    assert_eq!(
        decide(&[&p], &logs("storage:host.name", "other")),
        Decision::DefaultDeny
    );
    let why = evaluate_explained(&[&p], &logs("storage:host.name", "myHost"));
    assert_eq!(
        why.summary,
        "allowed by statement 1 (ALLOW storage:logs:read, storage:entities:read) at 1:1 within boundary #1"
    );
    let deciding = why.deciding.unwrap();
    assert_eq!(
        deciding.effective.as_deref(),
        Some(r#"ALLOW storage:logs:read WHERE storage:host.name = "myHost""#)
    );
}

#[test]
fn boundary_rules() {
    // "Boundaries and default policies": restrict a default policy to one namespace.
    let read_logs = parse("ALLOW storage:logs:read, storage:buckets:read;").unwrap();
    let dev = parse_boundary(r#"storage:k8s.namespace.name = "DEVELOPMENT";"#)
        .unwrap()
        .named("K8s DEV");
    let p = read_logs.bind_within(&Bindings::new(), &[&dev]).unwrap();
    let ns = |v: &str| Request::new("storage:logs:read").with("storage:k8s.namespace.name", v);
    assert!(decide(&[&p], &ns("DEVELOPMENT")).is_allowed());
    assert_eq!(decide(&[&p], &ns("PROD")), Decision::DefaultDeny);
    // The namespace field does not restrict bucket access.
    assert!(decide(&[&p], &Request::new("storage:buckets:read")).is_allowed());

    // Repeated names multiply the statement: either value; different names: both.
    let either = parse_boundary(
        "storage:k8s.namespace.name = \"DEV\";\nstorage:k8s.namespace.name = \"PREPROD\";\nstorage:host.name startsWith \"eu-\";",
    )
    .unwrap();
    let p = parse("ALLOW storage:logs:read;")
        .unwrap()
        .bind_within(&Bindings::new(), &[&either])
        .unwrap();
    assert_eq!(p.effective_statement_count(), 2);
    let r = |ns: &str, host: &str| {
        Request::new("storage:logs:read")
            .with("storage:k8s.namespace.name", ns)
            .with("storage:host.name", host)
    };
    assert!(decide(&[&p], &r("DEV", "eu-1")).is_allowed());
    assert!(decide(&[&p], &r("PREPROD", "eu-1")).is_allowed());
    assert_eq!(decide(&[&p], &r("PROD", "eu-1")), Decision::DefaultDeny);
    assert_eq!(decide(&[&p], &r("DEV", "us-1")), Decision::DefaultDeny);

    // "Boundaries are applied to policy statements without evaluating the statement's
    // condition": both must hold.
    let p = parse(r#"ALLOW storage:logs:read WHERE storage:k8s.namespace.name = "DEV";"#)
        .unwrap()
        .bind_within(
            &Bindings::new(),
            &[&parse_boundary(r#"storage:k8s.namespace.name = "PREPROD";"#).unwrap()],
        )
        .unwrap();
    assert_eq!(decide(&[&p], &ns("DEV")), Decision::DefaultDeny);
    assert_eq!(decide(&[&p], &ns("PREPROD")), Decision::DefaultDeny);

    // "Boundaries don't apply to DENY statements."
    let p = parse("DENY storage:logs:read;\nALLOW storage:buckets:read;")
        .unwrap()
        .bind_within(&Bindings::new(), &[&dev])
        .unwrap();
    assert_eq!(decide(&[&p], &ns("PROD")), Decision::ExplicitDeny);
    assert_eq!(
        p.effective_statements(),
        ["DENY storage:logs:read", "ALLOW storage:buckets:read"]
    );

    // "management zones referenced in your boundaries only apply to policy statements that
    // support management zones"; global conditions apply to all.
    let kubernetes = parse_boundary(
        "environment:management-zone startsWith \"[Kubernetes]\";\nglobal:week-day = \"Monday\";",
    )
    .unwrap();
    let p = parse("ALLOW environment:roles:viewer, hyperscaler-authentication:aws:authenticate;")
        .unwrap()
        .bind_within(&Bindings::new(), &[&kubernetes])
        .unwrap();
    let monday = datetime!(2022-05-02 12:00 UTC);
    let viewer = |z: &str| {
        Request::new("environment:roles:viewer")
            .with("environment:management-zone", z)
            .at(monday)
    };
    assert!(decide(&[&p], &viewer("[Kubernetes] a")).is_allowed());
    assert_eq!(decide(&[&p], &viewer("Other")), Decision::DefaultDeny);
    let auth = Request::new("hyperscaler-authentication:aws:authenticate");
    assert!(decide(&[&p], &auth.clone().at(monday)).is_allowed());
    assert_eq!(
        decide(&[&p], &auth.at(datetime!(2022-05-03 12:00 UTC))),
        Decision::DefaultDeny
    );
    // The trace marks the boundary's conditions.
    let why = evaluate_explained(&[&p], &viewer("Other"));
    assert!(why.statements[0].conditions.iter().all(|c| c.from_boundary));
}
