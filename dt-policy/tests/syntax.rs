//! Table tests of the grammar: keyword forms, operators, quotes, comments, multi-line
//! statements, `WHERE null`, parameters, limits, boundaries, and errors with their exact line
//! and column.

use dt_policy::{
    parse, parse_boundary, Effect, Operator, ParseError, Policy, MAX_BOUNDARY_CONDITIONS,
    MAX_STATEMENTS,
};

fn ok(text: &str) -> Policy {
    parse(text).unwrap_or_else(|e| panic!("{e}\nin: {text:?}"))
}

fn canonical(text: &str) -> String {
    ok(text).to_string()
}

#[test]
fn keywords_are_case_insensitive() {
    // Dynatrace's own default policy "AppEngine - Admin" writes `where`; "Permissions in
    // Grail" writes `STARTSWITH`.
    let expected = r#"ALLOW a:b:c WHERE k:v IN ("x") AND k:w NOT IN ("y") AND k:x startsWith "p" AND k:y NOT startsWith "q" AND k:z MATCH ("r*");"#;
    for text in [
        r#"ALLOW a:b:c WHERE k:v IN ("x") AND k:w NOT IN ("y") AND k:x startsWith "p" AND k:y NOT startsWith "q" AND k:z MATCH ("r*");"#,
        r#"allow a:b:c where k:v in ("x") and k:w not in ("y") and k:x startswith "p" and k:y not startswith "q" and k:z match ("r*");"#,
        r#"Allow a:b:c Where k:v In ("x") And k:w Not In ("y") And k:x STARTSWITH "p" And k:y NOT STARTSWITH "q" And k:z Match ("r*");"#,
    ] {
        assert_eq!(canonical(text), expected, "{text}");
    }
    assert_eq!(ok("deny a:b:c;").statements()[0].effect, Effect::Deny);
    assert_eq!(ok("DENY a:b:c;").statements()[0].effect, Effect::Deny);
    for null in ["null", "NULL", "Null"] {
        assert!(
            ok(&format!("ALLOW settings:schemas:read WHERE {null};")).statements()[0]
                .conditions
                .is_empty()
        );
    }
}

#[test]
fn every_operator() {
    // (condition as written, operator, values)
    let cases: &[(&str, Operator, &[&str])] = &[
        (r#"k:v = "a""#, Operator::Equals, &["a"]),
        (r#"k:v="a""#, Operator::Equals, &["a"]),
        (r#"k:v != "a""#, Operator::NotEquals, &["a"]),
        (r#"k:v!="a""#, Operator::NotEquals, &["a"]),
        (r#"k:v IN ("a")"#, Operator::In, &["a"]),
        (r#"k:v IN ("a", "b","c")"#, Operator::In, &["a", "b", "c"]),
        (r#"k:v NOT IN ("a", "b")"#, Operator::NotIn, &["a", "b"]),
        (r#"k:v startsWith "a""#, Operator::StartsWith, &["a"]),
        (r#"k:v NOT startsWith "a""#, Operator::NotStartsWith, &["a"]),
        (r#"k:v MATCH ("a*", "b")"#, Operator::Match, &["a*", "b"]),
        (r#"k:v MATCH("a*")"#, Operator::Match, &["a*"]),
        (
            r#"global:date > "2022-05-03Z""#,
            Operator::GreaterThan,
            &["2022-05-03Z"],
        ),
        (
            r#"global:time-of-day < "17:00+01:00""#,
            Operator::LessThan,
            &["17:00+01:00"],
        ),
    ];
    for (condition, operator, values) in cases {
        let p = ok(&format!("ALLOW a:b:c WHERE {condition};"));
        let c = &p.statements()[0].conditions[0];
        assert_eq!(c.operator, *operator, "{condition}");
        let got: Vec<&str> = c.values.iter().map(|v| v.as_literal().unwrap()).collect();
        assert_eq!(got, *values, "{condition}");
        // The canonical text parses back to the same condition.
        let again = ok(&p.to_string());
        assert_eq!(again.to_string(), p.to_string());
    }
}

#[test]
fn quotes() {
    // "ALLOW <service:resource:action> WHERE <service:attribute> = 'value' AND
    // <service:attribute> = "value";" (policy statement syntax page)
    let p = ok(r#"ALLOW a:b:c WHERE k:v = 'value' AND k:w = "value";"#);
    let c = &p.statements()[0].conditions;
    assert_eq!(c[0].values[0].as_literal(), Some("value"));
    assert_eq!(c[1].values[0].as_literal(), Some("value"));
    assert_eq!(
        p.to_string(),
        r#"ALLOW a:b:c WHERE k:v = "value" AND k:w = "value";"#
    );
    // The other quote inside a value; an empty value; spaces and `;` kept.
    let p = ok(r#"ALLOW a:b:c WHERE k:v IN ('say "hi"', "it's", "", " a; b ");"#);
    let got: Vec<&str> = p.statements()[0].conditions[0]
        .values
        .iter()
        .map(|v| v.as_literal().unwrap())
        .collect();
    assert_eq!(got, [r#"say "hi""#, "it's", "", " a; b "]);
    assert_eq!(ok(&p.to_string()).to_string(), p.to_string());
}

#[test]
fn comments() {
    // "Example 6: statement with comments" (policy statement syntax page).
    let standalone = "// Read and Write access to monitoring-rule\n\n\n\nALLOW settings:objects:read, settings:objects:write WHERE settings:schemaId = \"builtin:container.monitoring-rule\";";
    let p = ok(standalone);
    assert_eq!(p.statements().len(), 1);
    assert_eq!(p.statements()[0].position.line, 5);
    let trailing = "ALLOW settings:objects:read;  // Allows the user to read all `objects` in the `settings` service";
    assert_eq!(canonical(trailing), "ALLOW settings:objects:read;");
    // A comment between the parts of a statement, and at the end without a newline.
    let inside = "ALLOW a:b:c, // first\n  d:e:f // second\n  WHERE k:v = \"x\" // why\n; // done";
    assert_eq!(canonical(inside), r#"ALLOW a:b:c, d:e:f WHERE k:v = "x";"#);
    // `//` inside a value is text.
    let url = r#"ALLOW a:b:c WHERE k:v = "https://example.com//x";"#;
    assert_eq!(
        ok(url).statements()[0].conditions[0].values[0].as_literal(),
        Some("https://example.com//x")
    );
    // The syntax page's comment example is all comment: no statement.
    let e = parse("// Vulnerability service ALLOW vulnerability-service:vulnerabilities:read;")
        .unwrap_err();
    assert_eq!((e.line, e.column), (1, 75));
    assert!(e.message.starts_with("expected a statement"));
}

#[test]
fn multi_line_statements_and_white_space() {
    let text = "\tALLOW  a:b:c ,\r\n\t\td:e:f\r\n  WHERE\n k:v\n=\n\"x\"\r\n AND k:w IN (\n \"y\" ,\n \"z\"\n )\n;\n\nDENY g:h:i;";
    let p = ok(text);
    assert_eq!(
        p.to_string(),
        "ALLOW a:b:c, d:e:f WHERE k:v = \"x\" AND k:w IN (\"y\", \"z\");\nDENY g:h:i;"
    );
    let s = &p.statements();
    assert_eq!((s[0].position.line, s[0].position.column), (1, 2));
    assert_eq!(
        (
            s[0].conditions[1].position.line,
            s[0].conditions[1].position.column
        ),
        (7, 6)
    );
    assert_eq!((s[1].position.line, s[1].position.column), (13, 1));
}

#[test]
fn names_of_permissions_and_attributes() {
    // Dots, dashes and underscores occur in Dynatrace's own names.
    let p = ok(
        r#"ALLOW document:trash.documents:read, state-management:user-app-states:delete-all WHERE storage:k8s.namespace.name = "a" AND storage:dt.host_group.id = "b" AND shared:app-id = "c";"#,
    );
    let s = &p.statements()[0];
    assert_eq!(
        s.permissions,
        [
            "document:trash.documents:read",
            "state-management:user-app-states:delete-all"
        ]
    );
    assert_eq!(s.conditions[0].key, "storage:k8s.namespace.name");
    assert_eq!(s.conditions[1].key, "storage:dt.host_group.id");
}

#[test]
fn final_semicolon_may_be_left_out() {
    assert_eq!(canonical("ALLOW a:b:c"), "ALLOW a:b:c;");
    assert_eq!(
        canonical("ALLOW a:b:c; ALLOW d:e:f WHERE k:v = \"x\""),
        "ALLOW a:b:c;\nALLOW d:e:f WHERE k:v = \"x\";"
    );
    assert_eq!(canonical("ALLOW a:b:c WHERE null"), "ALLOW a:b:c;");
}

#[test]
fn parameters_in_values() {
    // "Policy templating"; "Policy global attributes".
    let p = ok(
        r#"ALLOW storage:logs:read WHERE storage:dt.security_context = '${bindParam:sec_context}' AND storage:gcp.project.id startsWith "${bindParam:name}";
ALLOW storage:logs:read WHERE storage:security_context IN ("${global:userGroup}");
ALLOW storage:logs:read WHERE storage:security_context = "team-${bindParam:team}-${global:userId}";"#,
    );
    assert_eq!(p.bind_params(), ["name", "sec_context", "team"]);
    let v = &p.statements()[0].conditions[0].values[0];
    assert_eq!(v.as_literal(), None);
    assert_eq!(v.source(), "${bindParam:sec_context}");
    assert_eq!(
        p.statements()[2].conditions[0].values[0].to_string(),
        "\"team-${bindParam:team}-${global:userId}\""
    );
    // A `$` that starts no reference is text.
    let p = ok(r#"ALLOW a:b:c WHERE k:v = "cost $5 {x}";"#);
    assert_eq!(
        p.statements()[0].conditions[0].values[0].as_literal(),
        Some("cost $5 {x}")
    );
}

#[test]
fn documented_statements_from_other_pages() {
    // Examples of "IAM policy statement syntax and examples", "Permissions in Grail",
    // "Global conditions in IAM policies" and "Dynatrace default policies".
    for text in [
        "ALLOW settings:schemas:read;",
        "DENY storage:logs:read;",
        "ALLOW settings:schemas:read WHERE null;",
        r#"ALLOW settings:objects:read, settings:schemas:read WHERE settings:schemaId = "123" AND storage:table-name = "events";"#,
        r#"ALLOW settings:schemas:read WHERE settings:schemaId IN ("builtin:container.monitoring-rule", "builtin:container.built-in-monitoring-rule");"#,
        r#"ALLOW a:b:c WHERE storage:table-name NOT startsWith "application.";"#,
        r#"ALLOW a:b:c WHERE settings:schemaId startsWith "app:";"#,
        "ALLOW settings:objects:read;\n\n\n\nALLOW settings:objects:write WHERE settings:schemaId = \"builtin:container.monitoring-rule\";",
        r#"ALLOW storage:buckets:read WHERE storage:bucket-name MATCH ("default_*", "common_logs");"#,
        r#"ALLOW storage:buckets:read WHERE storage:bucket-name="common_logs" AND storage:query-consumption="INCLUDED";"#,
        "// will match both \"crn-70400-alpha\" and [\"crn-70131\", \"crn-70400-beta\", \"crn-70500\"]\n\n\n\nALLOW storage:logs:read WHERE storage:dt.security_context MATCH (\"crn-70400-*\");",
        r#"ALLOW service:resource:permission WHERE global:week-day = "Monday";"#,
        r#"ALLOW service:resource:permission WHERE global:date > "2022-05-03Z" AND global:date < "2022-05-05Z";"#,
        r#"ALLOW service:resource:permission WHERE global:date-time > "2022-05-03T05:00:00+01:00";"#,
        r#"ALLOW service:resource:permission WHERE global:time-of-day > "09:00+01:00" AND global:time-of-day < "17:00+01:00";"#,
        // "AppEngine - Admin", with the spaces after `ALLOW` that the scraped page lost.
        r#"ALLOW app-engine:functions:run,app-engine:apps:run,app-engine:apps:install;ALLOW settings:objects:read,settings:objects:write,settings:schemas:read where settings:schemaId startsWith "app:";ALLOW oauth2:clients:manage where oauth2:scopes="app-engine:edge-connects:connect";ALLOW hyperscaler-authentication:aws:authenticate;"#,
    ] {
        ok(text);
    }
}

/// (text, line, column, start of the message)
const ERRORS: &[(&str, u32, u32, &str)] = &[
    ("", 1, 1, "expected a statement (`ALLOW` or `DENY`)"),
    ("  \n// nothing\n", 3, 1, "expected a statement"),
    ("GRANT a:b:c;", 1, 1, "expected `ALLOW` or `DENY`, found `GRANT`"),
    (";", 1, 1, "expected `ALLOW` or `DENY`, found `;`"),
    ("ALLOW a:b:c;;", 1, 13, "expected `ALLOW` or `DENY`, found `;`"),
    ("ALLOW;", 1, 6, "expected a permission (service:resource:action) after `ALLOW`, found `;`"),
    ("ALLOW a:b;", 1, 7, "expected a permission (service:resource:action), found `a:b`"),
    ("ALLOW a:b:c:d;", 1, 7, "expected a permission (service:resource:action), found `a:b:c:d`"),
    ("ALLOW a::c;", 1, 7, "expected a permission"),
    ("ALLOW a:b:c,;", 1, 13, "expected a permission (service:resource:action) after `,`, found `;`"),
    ("ALLOW settings:*;", 1, 16, "unexpected `*` after `settings:`"),
    ("ALLOW a:b:c d:e:f;", 1, 13, "expected `,`, `WHERE` or `;` after permission `a:b:c`, found `d:e:f`"),
    // The statement limit's neighbour: a missing `;` between statements.
    ("ALLOW a:b:c;\nALLOW d:e:f\n\nALLOW g:h:i;", 4, 1, "expected `;` after statement, found `ALLOW`"),
    ("ALLOW a:b:c WHERE k:v = \"x\"\n  DENY d:e:f;", 2, 3, "expected `;` after statement, found `DENY`"),
    ("ALLOW a:b:c WHERE;", 1, 18, "expected a condition attribute (service:attribute), found `;`"),
    ("ALLOW a:b:c WHERE k = \"x\";", 1, 19, "expected a condition attribute (service:attribute), found `k`"),
    ("ALLOW a:b:c WHERE k:v LIKE \"x\";", 1, 23, "expected an operator"),
    ("ALLOW a:b:c WHERE k:v == \"x\";", 1, 24, "expected a quoted value after `=`, found `=`"),
    ("ALLOW a:b:c WHERE k:v = x;", 1, 25, "expected a quoted value after `=`, found `x`: values are written in quotes"),
    ("ALLOW a:b:c WHERE k:v = (\"x\");", 1, 25, "expected a quoted value after `=`, found `(`"),
    ("ALLOW a:b:c WHERE k:v IN \"x\";", 1, 26, "expected `(` and a list of quoted values after `IN`"),
    ("ALLOW a:b:c WHERE k:v IN ();", 1, 27, "expected a quoted value after `(`, found `)`"),
    ("ALLOW a:b:c WHERE k:v IN (\"x\",);", 1, 31, "expected a quoted value after `,`, found `)`"),
    ("ALLOW a:b:c WHERE k:v IN (\"x\" \"y\");", 1, 31, "expected `,` or `)` in the list of values"),
    ("ALLOW a:b:c WHERE k:v MATCH \"x*\";", 1, 29, "expected `(` and a list of quoted values after `MATCH`"),
    ("ALLOW a:b:c WHERE k:v NOT = \"x\";", 1, 27, "expected `IN` or `startsWith` after `NOT`"),
    ("ALLOW a:b:c WHERE k:v = \"x\" OR k:w = \"y\";", 1, 29, "conditions are joined by `AND` only"),
    ("ALLOW a:b:c WHERE k:v = \"x\" AND;", 1, 32, "expected a condition attribute"),
    ("ALLOW a:b:c WHERE k:v = \"x\" k:w = \"y\";", 1, 29, "expected `AND` or `;` after condition, found `k:w`"),
    ("ALLOW a:b:c WHERE null AND k:v = \"x\";", 1, 24, "expected `;` after `WHERE null`, found `AND`"),
    ("ALLOW a:b:c WHERE k:v = \"x;", 1, 25, "unterminated value: expected a closing \" on this line"),
    ("ALLOW a:b:c WHERE k:v = 'x\ny';", 1, 25, "unterminated value: expected a closing ' on this line"),
    ("ALLOW a:b:c WHERE k:v = \"${bindParam:x\";", 1, 26, "unterminated `${` in value"),
    ("ALLOW a:b:c WHERE k:v = \"ab${bindParam:}\";", 1, 28, "unknown reference `${bindParam:}`"),
    ("ALLOW a:b:c WHERE k:v = \"${param:x}\";", 1, 26, "unknown reference `${param:x}`"),
    ("ALLOW a:b:c WHERE k:v = \"${global:tenant}\";", 1, 26, "unknown global attribute `${global:tenant}`"),
    ("ALLOW a:b:c WHERE k:v = \"${global:userGroup}-${global:userGroup}\";", 1, 46, "`${global:userGroup}` may appear only once in a value"),
    ("ALLOW a:b:c WHERE k:v = \"x\" / y", 1, 29, "unexpected `/` (comments start with `//`)"),
    ("ALLOW a:b:c WHERE k:v ! \"x\";", 1, 23, "unexpected `!` (the operator is `!=`)"),
    ("ALLOW a:b:c WHERE k:v = \"x\" # no", 1, 29, "unexpected character `#`"),
    ("ALLOW a:b:c WHERE k:v > \"1\";", 1, 23, "`>` compares dates and times: it is documented only for global:date, global:date-time and global:time-of-day, not `k:v`"),
    ("ALLOW a:b:c WHERE global:date-time = \"2022-05-03T05:00:00Z\";", 1, 36, "global:date-time takes only `<`, `>`, not `=`"),
    ("ALLOW a:b:c WHERE global:week-day < \"Monday\";", 1, 35, "global:week-day takes only `=`, `IN`, not `<`"),
    ("ALLOW a:b:c WHERE global:date > \"2022-05-03\";", 1, 33, "global:date needs a date with a time zone"),
    ("ALLOW a:b:c WHERE global:week-day IN (\"Monday\", \"Caturday\");", 1, 49, "global:week-day needs a day of the week"),
    ("ALLOW a:b:c WHERE global:time-of-day < \"25:00Z\";", 1, 40, "global:time-of-day needs a time of day with a time zone"),
    // Columns count characters, not bytes.
    ("// é ü\nALLOW a:b:c WHERE k:v = \"é\" é", 2, 29, "unexpected character `é`"),
];

#[test]
fn errors_say_what_was_expected_and_where() {
    for (text, line, column, message) in ERRORS {
        let e: ParseError = match parse(text) {
            Err(e) => e,
            Ok(p) => panic!("{text:?} parsed as {p}"),
        };
        assert_eq!((e.line, e.column), (*line, *column), "{text:?}: {e}");
        assert!(e.message.starts_with(message), "{text:?}: {e}");
        assert_eq!(e.to_string(), format!("{} at {line}:{column}", e.message));
    }
}

#[test]
fn statement_limit() {
    let statements: Vec<String> = (0..MAX_STATEMENTS)
        .map(|i| format!("ALLOW a:b:c{i};"))
        .collect();
    let text = statements.join("\n");
    assert_eq!(ok(&text).statements().len(), 100);
    let over = format!("{text}\n  ALLOW z:z:z;");
    let e = parse(&over).unwrap_err();
    assert_eq!((e.line, e.column), (101, 3));
    assert_eq!(
        e.to_string(),
        "too many statements: a policy may include at most 100, and statement 101 starts \
         here at 101:3"
    );
    // Comments are not statements.
    let commented = format!("{text}\n// one more comment\n");
    assert_eq!(ok(&commented).statements().len(), 100);
}

#[test]
fn boundaries() {
    // "Policy boundaries": the documented boundary queries.
    for (text, count) in [
        (r#"storage:k8s.namespace.name = "DEVELOPMENT";"#, 1),
        (r#"storage:k8s.namespace.name IN ("DEVELOPMENT","HARDENING");"#, 1),
        (
            "environment:management-zone startsWith \"[Kubernetes]\";\n\n\n\nstorage:k8s.namespace.name IN (\"DEV\",\"PREPROD\");",
            2,
        ),
        (r#"storage:host.name="myHost""#, 1),
        // The Policy management API's example boundary.
        (
            "storage:dt.security_context = '${bindParam:bucket-name-param}';",
            1,
        ),
    ] {
        let b = parse_boundary(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(b.conditions().len(), count, "{text}");
        assert_eq!(parse_boundary(&b.to_string()).unwrap().to_string(), b.to_string());
    }
    let ten: Vec<String> = (0..MAX_BOUNDARY_CONDITIONS)
        .map(|i| format!("storage:k{i}:x = \"v\";").replace(":x", ""))
        .collect();
    assert_eq!(
        parse_boundary(&ten.join("\n")).unwrap().conditions().len(),
        10
    );
    let errors: &[(&str, u32, u32, &str)] = &[
        ("", 1, 1, "expected a condition such as"),
        (
            "storage:k:x = \"a\";",
            1,
            1,
            "expected a condition attribute (service:attribute), found `storage:k:x`",
        ),
        (
            "storage:a = \"x\" AND storage:b = \"y\";",
            1,
            17,
            "a boundary has no `AND`",
        ),
        (
            "ALLOW storage:logs:read;",
            1,
            1,
            "a boundary holds conditions only",
        ),
        (
            "storage:a = \"x\"\nstorage:b = \"y\";",
            2,
            1,
            "expected `;` after condition, found `storage:b`",
        ),
    ];
    for (text, line, column, message) in errors {
        let e = parse_boundary(text).unwrap_err();
        assert_eq!((e.line, e.column), (*line, *column), "{text:?}: {e}");
        assert!(e.message.starts_with(message), "{text:?}: {e}");
    }
    let eleven = format!("{}\nstorage:eleven = \"v\";", ten.join("\n"));
    let e = parse_boundary(&eleven).unwrap_err();
    assert_eq!((e.line, e.column), (11, 1));
    assert!(e
        .message
        .starts_with("too many conditions: a boundary may hold at most 10"));
}

#[test]
fn canonical_text_parses_back() {
    let text = r#"allow a:b:c,d:e:f where k:v in ('x',"y") and k:w NOT startsWith 'say "z"';
deny g:h:i where k:v != "${bindParam:p}" and global:date = "2022-05-03Z";
ALLOW j:k:l"#;
    let p = ok(text);
    let again = ok(&p.to_string());
    assert_eq!(again.to_string(), p.to_string());
    let stripped: Vec<_> = p.statements().iter().map(|s| s.to_string()).collect();
    let stripped_again: Vec<_> = again.statements().iter().map(|s| s.to_string()).collect();
    assert_eq!(stripped, stripped_again);
}
