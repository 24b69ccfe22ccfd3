//! Every policy statement of the three Dynatrace documents in `shared/sources/`, copied
//! verbatim, parses and decides as the document says.
//!
//! - 000_5b28c959d566e945.txt: "Set up AWS Connector" (the connector's permissions);
//! - 002_2890bde1d01b1600.txt: settings access (Settings Reader / Writer, per-schema policies,
//!   the same policies as REST API bodies);
//! - 003_8c402ef2bea0ce25.txt: "Migrate role-based permissions to Dynatrace IAM"
//!   (`environment:roles:*` with `environment:management-zone`).

use dt_policy::{
    evaluate, evaluate_explained, parse, parse_boundary, Bindings, BoundPolicy, Decision, Effect,
    Operator, Policy, Request,
};

fn bound(text: &str) -> BoundPolicy {
    parse(text)
        .unwrap_or_else(|e| panic!("{e}\nin:\n{text}"))
        .bind(&Bindings::new())
        .unwrap()
}

/// The decision, checking that the fast and the explained paths agree.
fn decide(policies: &[&BoundPolicy], request: &Request) -> Decision {
    let fast = evaluate(policies, request);
    let explained = evaluate_explained(policies, request);
    assert_eq!(fast, explained.decision, "{explained}");
    fast
}

fn settings(permission: &str, schema: &str) -> Request {
    Request::new(permission).with("settings:schemaId", schema)
}

fn zone(permission: &str, zone: &str) -> Request {
    Request::new(permission).with("environment:management-zone", zone)
}

// ---------------------------------------------------------------------------------------
// 000_5b28c959d566e945.txt, line 5: "In detail, the following permissions are needed:"
const AWS_CONNECTOR: &str = r#"ALLOW app-engine:apps:install;ALLOW settings:objects:read, settings:objects:write, settings:schemas:read WHERE settings:schemaId = "builtin:hyperscaler-authentication.aws.connection";ALLOW settings:objects:read, settings:objects:write, settings:schemas:read WHERE settings:schemaId = "builtin:dt-javascript-runtime.allowed-outbound-connections";ALLOW hyperscaler-authentication:aws:authenticate;"#;

#[test]
fn aws_connector_permissions_parse_as_four_statements() {
    let policy = parse(AWS_CONNECTOR).unwrap();
    let statements = policy.statements();
    assert_eq!(statements.len(), 4);
    assert_eq!(statements[0].permissions, ["app-engine:apps:install"]);
    assert!(statements[0].conditions.is_empty());
    for s in &statements[1..3] {
        assert_eq!(
            s.permissions,
            [
                "settings:objects:read",
                "settings:objects:write",
                "settings:schemas:read"
            ]
        );
        assert_eq!(s.conditions.len(), 1);
        assert_eq!(s.conditions[0].key, "settings:schemaId");
        assert_eq!(s.conditions[0].operator, Operator::Equals);
    }
    assert_eq!(
        statements[1].conditions[0].values[0].as_literal(),
        Some("builtin:hyperscaler-authentication.aws.connection")
    );
    assert_eq!(
        statements[3].permissions,
        ["hyperscaler-authentication:aws:authenticate"]
    );
    assert!(statements.iter().all(|s| s.effect == Effect::Allow));
    // Positions on the one line: statement 4 starts after the third `;`.
    let fourth = AWS_CONNECTOR.rfind("ALLOW").unwrap() as u32 + 1;
    assert_eq!(statements[3].position.line, 1);
    assert_eq!(statements[3].position.column, fourth);
}

#[test]
fn aws_connector_permissions_allow_what_the_connector_needs() {
    let p = bound(AWS_CONNECTOR);
    // "to install AWS Connector, add a connection, configure the outbound connections, and
    // authenticate with AWS"
    let allowed = [
        Request::new("app-engine:apps:install"),
        Request::new("hyperscaler-authentication:aws:authenticate"),
    ];
    for r in &allowed {
        assert_eq!(decide(&[&p], r), Decision::Allow, "{}", r.permission);
    }
    for schema in [
        "builtin:hyperscaler-authentication.aws.connection",
        "builtin:dt-javascript-runtime.allowed-outbound-connections",
    ] {
        for permission in [
            "settings:objects:read",
            "settings:objects:write",
            "settings:schemas:read",
        ] {
            assert_eq!(
                decide(&[&p], &settings(permission, schema)),
                Decision::Allow,
                "{permission} on {schema}"
            );
        }
    }
    // Nothing else: other schemas, settings without a schema, other permissions.
    assert_eq!(
        decide(
            &[&p],
            &settings("settings:objects:write", "builtin:alerting.profile")
        ),
        Decision::DefaultDeny
    );
    assert_eq!(
        decide(&[&p], &Request::new("settings:objects:read")),
        Decision::DefaultDeny
    );
    assert_eq!(
        decide(
            &[&p],
            &Request::new("hyperscaler-authentication:azure:authenticate")
        ),
        Decision::DefaultDeny
    );
    assert_eq!(
        decide(&[&p], &Request::new("app-engine:apps:run")),
        Decision::DefaultDeny
    );
}

#[test]
fn aws_connector_permissions_name_the_legacy_schema_only() {
    // The document's policy names the legacy schema; the enhanced connection schema of 2025
    // (FACTS-2026, "Dynatrace") is not covered by it, which the issuer's check must show.
    let p = bound(AWS_CONNECTOR);
    let request = settings(
        "settings:objects:read",
        "builtin:hyperscaler-authentication.connections.aws",
    );
    let why = evaluate_explained(&[&p], &request);
    assert_eq!(why.decision, Decision::DefaultDeny);
    assert_eq!(
        why.statements.len(),
        2,
        "statements 2 and 3 name the permission"
    );
    assert!(
        why.summary.starts_with(
            "denied: no statement allows settings:objects:read for this request; statement 2 \
         (ALLOW settings:objects:read, settings:objects:write, settings:schemas:read WHERE \
         settings:schemaId = \"builtin:hyperscaler-authentication.aws.connection\") at 1:31: \
         settings:schemaId = \"builtin:hyperscaler-authentication.aws.connection\" does not \
         hold for \"builtin:hyperscaler-authentication.connections.aws\""
        ),
        "{}",
        why.summary
    );
}

#[test]
fn aws_connector_authenticate_names_the_deciding_statement() {
    let p = bound(AWS_CONNECTOR);
    let why = evaluate_explained(
        &[&p],
        &Request::new("hyperscaler-authentication:aws:authenticate"),
    );
    let deciding = why.deciding.unwrap();
    assert_eq!(deciding.statement, 4);
    assert_eq!(
        why.summary,
        format!(
            "allowed by statement 4 (ALLOW hyperscaler-authentication:aws:authenticate) at 1:{}",
            AWS_CONNECTOR.rfind("ALLOW").unwrap() + 1
        )
    );
}

// ---------------------------------------------------------------------------------------
// 002_2890bde1d01b1600.txt, line 10: "Settings Reader"
const SETTINGS_READER: &str = "ALLOW settings:objects:read, settings:schemas:read;";
// 002_2890bde1d01b1600.txt, line 12: "Settings Writer"
const SETTINGS_WRITER: &str =
    "ALLOW settings:objects:read, settings:objects:write, settings:schemas:read;";
// 002_2890bde1d01b1600.txt, line 62: the per-schema policy, three statements.
const MONITORING_RULE: &str = r#"ALLOW settings:schemas:read WHERE settings:schemaId = "builtin:container.monitoring-rule";ALLOW settings:objects:read WHERE settings:schemaId = "builtin:container.monitoring-rule";ALLOW settings:objects:write WHERE settings:schemaId = "builtin:container.monitoring-rule";"#;
// 002_2890bde1d01b1600.txt, line 64: "it is possible to merge the first two statements".
const MONITORING_RULE_MERGED: &str = r#"ALLOW settings:schemas:read, settings:objects:read WHERE settings:schemaId = "builtin:container.monitoring-rule";ALLOW settings:objects:write WHERE settings:schemaId = "builtin:container.monitoring-rule";"#;
// 002_2890bde1d01b1600.txt, line 71: the REST API request body of the same policy.
const MONITORING_RULE_API: &str = r#"{"name":"my_policy_name","description":"My policy description","tags":[],"statementQuery": "ALLOW settings:schemas:read WHERE settings:schemaId = \"builtin:container.monitoring-rule\"; ALLOW settings:objects:read WHERE settings:schemaId = \"builtin:container.monitoring-rule\"; ALLOW settings:objects:write WHERE settings:schemaId = \"builtin:container.monitoring-rule\";"}"#;
// 002_2890bde1d01b1600.txt, line 73: the REST API body of the merged policy.
const MONITORING_RULE_MERGED_API: &str = r#"{"name":"my_policy_name","description":"My policy description","tags":[],"statementQuery": "ALLOW settings:schemas:read, settings:objects:read WHERE settings:schemaId = \"builtin:container.monitoring-rule\"; ALLOW settings:objects:write WHERE settings:schemaId = \"builtin:container.monitoring-rule\";"}"#;

const SETTINGS_PERMISSIONS: [&str; 3] = [
    "settings:objects:read",
    "settings:objects:write",
    "settings:schemas:read",
];

fn statement_query(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["statementQuery"].as_str().unwrap().to_string()
}

#[test]
fn settings_reader_and_writer() {
    let reader = bound(SETTINGS_READER);
    let writer = bound(SETTINGS_WRITER);
    let any_schema = "builtin:alerting.profile";
    // "Sales team: only needs to read the settings and never modify them."
    let sales = [&reader];
    assert!(decide(&sales, &settings("settings:objects:read", any_schema)).is_allowed());
    assert!(decide(&sales, &settings("settings:schemas:read", any_schema)).is_allowed());
    assert_eq!(
        decide(&sales, &settings("settings:objects:write", any_schema)),
        Decision::DefaultDeny
    );
    // "create a group named IT with the policies Settings Writer and Settings Reader".
    let it = [&writer, &reader];
    for permission in SETTINGS_PERMISSIONS {
        assert!(decide(&it, &settings(permission, any_schema)).is_allowed());
        // Unconditional statements need no attribute.
        assert!(decide(&it, &Request::new(permission)).is_allowed());
    }
}

#[test]
fn one_schema_policy_allows_that_schema_only() {
    let forms = [
        MONITORING_RULE.to_string(),
        MONITORING_RULE_MERGED.to_string(),
        statement_query(MONITORING_RULE_API),
        statement_query(MONITORING_RULE_MERGED_API),
    ];
    let policies: Vec<BoundPolicy> = forms.iter().map(|t| bound(t)).collect();
    for (form, p) in forms.iter().zip(&policies) {
        for permission in SETTINGS_PERMISSIONS {
            assert!(
                decide(
                    &[p],
                    &settings(permission, "builtin:container.monitoring-rule")
                )
                .is_allowed(),
                "{permission} in {form}"
            );
            assert_eq!(
                decide(
                    &[p],
                    &settings(permission, "builtin:container.built-in-monitoring-rule")
                ),
                Decision::DefaultDeny
            );
            assert_eq!(
                decide(&[p], &Request::new(permission)),
                Decision::DefaultDeny
            );
        }
    }
}

#[test]
fn the_api_bodies_hold_the_web_ui_statements() {
    // "This procedure uses the REST API to perform the same tasks": same statements.
    let web = parse(MONITORING_RULE).unwrap();
    let api = parse(&statement_query(MONITORING_RULE_API)).unwrap();
    assert_eq!(web.to_string(), api.to_string());
    let web = parse(MONITORING_RULE_MERGED).unwrap();
    let api = parse(&statement_query(MONITORING_RULE_MERGED_API)).unwrap();
    assert_eq!(web.to_string(), api.to_string());
    assert_eq!(web.statements().len(), 2);
    assert_eq!(
        web.statements()[0].permissions,
        ["settings:schemas:read", "settings:objects:read"]
    );
}

#[test]
fn the_schema_restriction_as_a_boundary() {
    // "You can achieve the same with policy boundaries": the Settings Writer policy bound
    // with a boundary on the one schema ("settings.apm.my-super-secret-schema").
    let writer = parse(SETTINGS_WRITER).unwrap();
    let boundary =
        parse_boundary(r#"settings:schemaId = "settings.apm.my-super-secret-schema";"#).unwrap();
    let p = writer.bind_within(&Bindings::new(), &[&boundary]).unwrap();
    for permission in SETTINGS_PERMISSIONS {
        assert!(decide(
            &[&p],
            &settings(permission, "settings.apm.my-super-secret-schema")
        )
        .is_allowed());
        assert_eq!(
            decide(&[&p], &settings(permission, "builtin:alerting.profile")),
            Decision::DefaultDeny
        );
    }
}

// ---------------------------------------------------------------------------------------
// 003_8c402ef2bea0ce25.txt, lines 44-45 and 47-48: "Example 1: policy for an application
// developer", two statements.
const DEVELOPER_SETTINGS: &str = r#"    ALLOW environment:roles:manage-settings
    WHERE environment:management-zone IN ("dev", "hardening");"#;
const DEVELOPER_PROD: &str = r#"    ALLOW environment:roles:viewer
    WHERE environment:management-zone IN ("prod");"#;
// 003_8c402ef2bea0ce25.txt, line 54: "Example 2", step 1: "full access to the environment".
const FULL_ACCESS: &str = "    ALLOW environment:roles:viewer, environment:roles:manage-settings;";
// 003_8c402ef2bea0ce25.txt, lines 61-62: step 3, limited by management zone prefix.
const KUBERNETES_ONLY: &str = r#"    ALLOW environment:roles:viewer, environment:roles:manage-settings
    WHERE environment:management-zone startsWith "[Kubernetes]";"#;
// 003_8c402ef2bea0ce25.txt, lines 73-74: "Management zone permissions".
const LOG_VIEWER: &str = r#"ALLOW environment:roles:logviewer
WHERE environment:management-zone IN ("my-management-zone");"#;
// 003_8c402ef2bea0ce25.txt, lines 116, 121, 123 and 125: "Policy statement syntax", with
// `<…>` placeholders.
const TEMPLATES: [&str; 4] = [
    r#"ALLOW environment:roles:<role name> WHERE environment:management-zone = "<name of management zone>";"#,
    "    ALLOW environment:roles:<role name>;",
    r#"    ALLOW environment:roles:<role name> WHERE environment:management-zone = "<name of management zone>";"#,
    r#"    ALLOW environment:roles:<role name> WHERE environment:management-zone IN ("<name of management zone 1>", "<name of management zone n>");"#,
];
// 003_8c402ef2bea0ce25.txt, "Role names": the IAM role names.
const ROLES: [&str; 10] = [
    "viewer",
    "manage-settings",
    "configure-request-capture-data",
    "agent-install",
    "manage-security-problems",
    "view-security-problems",
    "replay-sessions-without-masking",
    "replay-sessions-with-masking",
    "logviewer",
    "view-sensitive-request-data",
];

#[test]
fn application_developer() {
    let settings_policy = bound(DEVELOPER_SETTINGS);
    let prod_policy = bound(DEVELOPER_PROD);
    let both = bound(&format!("{DEVELOPER_SETTINGS}\n{DEVELOPER_PROD}"));
    for policies in [vec![&settings_policy, &prod_policy], vec![&both]] {
        // "Access to all settings in dev and hardening"
        for z in ["dev", "hardening"] {
            assert!(decide(&policies, &zone("environment:roles:manage-settings", z)).is_allowed());
        }
        assert_eq!(
            decide(
                &policies,
                &zone("environment:roles:manage-settings", "prod")
            ),
            Decision::DefaultDeny
        );
        // "Read access in prod"
        assert!(decide(&policies, &zone("environment:roles:viewer", "prod")).is_allowed());
        // The language answers for the permission asked: no statement names viewer in dev
        // (that manage-settings implies viewing is the environment service's rule).
        assert_eq!(
            decide(&policies, &zone("environment:roles:viewer", "dev")),
            Decision::DefaultDeny
        );
    }
    let p = parse(DEVELOPER_SETTINGS).unwrap();
    let s = &p.statements()[0];
    assert_eq!((s.position.line, s.position.column), (1, 5));
    assert_eq!(s.conditions[0].operator, Operator::In);
    assert_eq!(
        (
            s.conditions[0].position.line,
            s.conditions[0].position.column
        ),
        (2, 11)
    );
}

#[test]
fn full_access_then_kubernetes_zones_only() {
    let full = bound(FULL_ACCESS);
    let limited = bound(KUBERNETES_ONLY);
    for role in [
        "environment:roles:viewer",
        "environment:roles:manage-settings",
    ] {
        // "A user from a group to which this policy is bound has full access to the
        // environment."
        assert!(decide(&[&full], &Request::new(role)).is_allowed());
        assert!(decide(&[&full], &zone(role, "Production")).is_allowed());
        // "Now the user has access only to the management zones with names starting with
        // “[Kubernetes]”."
        assert!(decide(&[&limited], &zone(role, "[Kubernetes] prod")).is_allowed());
        assert!(decide(&[&limited], &zone(role, "[Kubernetes]")).is_allowed());
        assert_eq!(
            decide(&[&limited], &zone(role, "Production")),
            Decision::DefaultDeny
        );
        assert_eq!(
            decide(&[&limited], &zone(role, "[kubernetes] prod")),
            Decision::DefaultDeny
        );
        // No zone: not the whole environment any more.
        let why = evaluate_explained(&[&limited], &Request::new(role));
        assert_eq!(why.decision, Decision::DefaultDeny);
        assert!(why
            .summary
            .ends_with("attribute environment:management-zone missing from request"));
    }
}

#[test]
fn log_viewing_in_one_zone() {
    let p = bound(LOG_VIEWER);
    assert!(decide(
        &[&p],
        &zone("environment:roles:logviewer", "my-management-zone")
    )
    .is_allowed());
    assert_eq!(
        decide(&[&p], &zone("environment:roles:logviewer", "other-zone")),
        Decision::DefaultDeny
    );
    // "a policy with a logviewer permission also requires viewer permission".
    assert_eq!(
        decide(
            &[&p],
            &zone("environment:roles:viewer", "my-management-zone")
        ),
        Decision::DefaultDeny
    );
}

#[test]
fn syntax_templates_are_placeholders() {
    // As written, `<role name>` is a placeholder, not a permission.
    for template in TEMPLATES {
        let e = parse(template).unwrap_err();
        assert!(
            e.message.contains("placeholders stand for a name"),
            "{e} in {template}"
        );
        assert_eq!(e.line, 1);
        let at = template.find("environment:roles:<").unwrap() as u32 + 1;
        assert_eq!(e.column, at, "{e}");
    }
    // Filled in with each role name of the table and zone names, every form parses and
    // decides as the page says.
    for role in ROLES {
        let permission = format!("environment:roles:{role}");
        let filled: Vec<Policy> = TEMPLATES
            .iter()
            .map(|t| {
                let text = t
                    .replace("<role name>", role)
                    .replace("<name of management zone>", "zone-a")
                    .replace("<name of management zone 1>", "zone-a")
                    .replace("<name of management zone n>", "zone-n");
                parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
            })
            .collect();
        let [in_zone, a_role, in_zone_again, in_zones] = filled
            .iter()
            .map(|p| p.bind(&Bindings::new()).unwrap())
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        // "Allow a role"
        assert!(decide(&[&a_role], &zone(&permission, "anything")).is_allowed());
        assert!(decide(&[&a_role], &Request::new(&permission)).is_allowed());
        // "Allow a role in a management zone"
        for p in [&in_zone, &in_zone_again] {
            assert!(decide(&[p], &zone(&permission, "zone-a")).is_allowed());
            assert_eq!(
                decide(&[p], &zone(&permission, "zone-n")),
                Decision::DefaultDeny
            );
        }
        // "Allow a role in a number of management zones"
        for z in ["zone-a", "zone-n"] {
            assert!(decide(&[&in_zones], &zone(&permission, z)).is_allowed());
        }
        assert_eq!(
            decide(&[&in_zones], &zone(&permission, "zone-b")),
            Decision::DefaultDeny
        );
    }
}
