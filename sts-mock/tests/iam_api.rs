//! The IAM Query API against an in-process sts-mock over raw HTTP: each action's answer shape,
//! each AWS error as a user would trigger it, accounts chosen by access key ID, simulation, and
//! a role set up through IAM then assumed through STS.

mod common;

use common::{send_with_headers, Answer, Idp, AUD, ISSUER, SEED_TRUST_POLICY};
use sts_mock::{StsMock, StsMockConfig};

const LIST_REGIONS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"account:ListRegions","Resource":"*"}]}"#;

/// An IAM call signed (as far as the account goes) with access key `key`.
async fn iam_as(sts: &StsMock, key: &str, action: &str, params: &[(&str, &str)]) -> Answer {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", action)
        .append_pair("Version", "2010-05-08");
    form.extend_pairs(params);
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={key}/20261123/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0000"
    );
    send_with_headers(
        "POST",
        sts.url(),
        &[("authorization", authorization)],
        form.finish(),
    )
    .await
}

async fn iam(sts: &StsMock, action: &str, params: &[(&str, &str)]) -> Answer {
    iam_as(sts, "test", action, params).await
}

async fn empty_sts() -> StsMock {
    StsMock::start(StsMockConfig::default()).await.unwrap()
}

fn ok(answer: &Answer, action: &str) {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.starts_with(&format!(
            "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
        )),
        "{}",
        answer.body
    );
}

fn iam_error(answer: &Answer, status: u16, code: &str, message: &str) {
    answer.assert_error(status, code, message);
    assert!(
        answer
            .body
            .contains("xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\""),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn provider_lifecycle() {
    let sts = empty_sts().await;
    let a = iam(
        &sts,
        "CreateOpenIDConnectProvider",
        &[
            ("Url", ISSUER),
            ("ClientIDList.member.1", AUD),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "sre"),
        ],
    )
    .await;
    ok(&a, "CreateOpenIDConnectProvider");
    let arn = "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com";
    assert_eq!(a.element("OpenIDConnectProviderArn").as_deref(), Some(arn));

    let a = iam(
        &sts,
        "GetOpenIDConnectProvider",
        &[("OpenIDConnectProviderArn", arn)],
    )
    .await;
    ok(&a, "GetOpenIDConnectProvider");
    // AWS answers the URL without its scheme, members in the model's order.
    assert!(a.body.contains(&format!("<GetOpenIDConnectProviderResult><Url>token.dynatrace.com</Url><ClientIDList><member>{AUD}</member></ClientIDList><ThumbprintList></ThumbprintList><CreateDate>")), "{}", a.body);
    assert!(a
        .body
        .contains("<Tags><member><Key>team</Key><Value>sre</Value></member></Tags>"));

    let a = iam(&sts, "ListOpenIDConnectProviders", &[]).await;
    ok(&a, "ListOpenIDConnectProviders");
    assert!(a.body.contains(&format!(
        "<OpenIDConnectProviderList><member><Arn>{arn}</Arn></member></OpenIDConnectProviderList>"
    )));

    for (action, extra) in [
        ("AddClientIDToOpenIDConnectProvider", ("ClientID", "second")),
        ("AddClientIDToOpenIDConnectProvider", ("ClientID", "second")),
        ("RemoveClientIDFromOpenIDConnectProvider", ("ClientID", AUD)),
        (
            "UpdateOpenIDConnectProviderThumbprint",
            ("ThumbprintList.member.1", &"a".repeat(40)),
        ),
        ("TagOpenIDConnectProvider", ("Tags.member.1.Key", "env")),
    ] {
        let a = iam(
            &sts,
            action,
            &[
                ("OpenIDConnectProviderArn", arn),
                extra,
                ("Tags.member.1.Value", "dev"),
            ],
        )
        .await;
        ok(&a, action);
    }
    let p = sts.model().provider("000000000000", ISSUER).unwrap();
    assert_eq!(p.client_ids, vec!["second".to_string()]);
    assert_eq!(p.thumbprints, vec!["a".repeat(40)]);
    assert_eq!(p.tags.len(), 2);

    let a = iam(
        &sts,
        "DeleteOpenIDConnectProvider",
        &[("OpenIDConnectProviderArn", arn)],
    )
    .await;
    ok(&a, "DeleteOpenIDConnectProvider");
    assert!(sts.model().provider("000000000000", ISSUER).is_none());
    // Idempotent, as AWS documents.
    let a = iam(
        &sts,
        "DeleteOpenIDConnectProvider",
        &[("OpenIDConnectProviderArn", arn)],
    )
    .await;
    ok(&a, "DeleteOpenIDConnectProvider");
}

#[tokio::test]
async fn provider_errors() {
    let sts = empty_sts().await;
    let a = iam(&sts, "CreateOpenIDConnectProvider", &[("Url", ISSUER)]).await;
    ok(&a, "CreateOpenIDConnectProvider");
    let a = iam(&sts, "CreateOpenIDConnectProvider", &[("Url", ISSUER)]).await;
    iam_error(
        &a,
        409,
        "EntityAlreadyExists",
        "Provider with url https://token.dynatrace.com already exists.",
    );

    let missing = "arn:aws:iam::000000000000:oidc-provider/nope.example.com";
    let a = iam(
        &sts,
        "GetOpenIDConnectProvider",
        &[("OpenIDConnectProviderArn", missing)],
    )
    .await;
    iam_error(
        &a,
        404,
        "NoSuchEntity",
        &format!("OpenIDConnect Provider not found for arn {missing}"),
    );

    let a = iam(
        &sts,
        "CreateOpenIDConnectProvider",
        &[("Url", "example.org")],
    )
    .await;
    iam_error(
        &a,
        400,
        "ValidationError",
        "Invalid Open ID Connect Provider URL",
    );
    let a = iam(
        &sts,
        "CreateOpenIDConnectProvider",
        &[("Url", "http://example.org")],
    )
    .await;
    iam_error(&a, 400, "InvalidInput", "must begin with https://");

    let ids: Vec<String> = (1..=101).map(|i| format!("client-{i}")).collect();
    let names: Vec<String> = (1..=101)
        .map(|i| format!("ClientIDList.member.{i}"))
        .collect();
    let mut params: Vec<(&str, &str)> = vec![("Url", "https://many.example.com")];
    params.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(ids.iter().map(String::as_str)),
    );
    let a = iam(&sts, "CreateOpenIDConnectProvider", &params).await;
    iam_error(
        &a,
        409,
        "LimitExceeded",
        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
    );

    let tp = "b".repeat(40);
    let tps: Vec<String> = (1..=6)
        .map(|i| format!("ThumbprintList.member.{i}"))
        .collect();
    let mut params: Vec<(&str, &str)> = vec![("Url", "https://tp.example.com")];
    params.extend(tps.iter().map(|n| (n.as_str(), tp.as_str())));
    let a = iam(&sts, "CreateOpenIDConnectProvider", &params).await;
    iam_error(
        &a,
        400,
        "InvalidInput",
        "Thumbprint list must contain fewer than 5 entries.",
    );

    let a = iam(
        &sts,
        "CreateOpenIDConnectProvider",
        &[("ClientIDList.member.1", AUD)],
    )
    .await;
    iam_error(&a, 400, "ValidationError", "1 validation error detected: Value null at 'url' failed to satisfy constraint: Member must not be null");

    // The per-account provider quota (which also bounds what a client can make us hold).
    for n in 0..99 {
        let url = format!("https://p{n}.example.com");
        ok(
            &iam(&sts, "CreateOpenIDConnectProvider", &[("Url", &url)]).await,
            "CreateOpenIDConnectProvider",
        );
    }
    let a = iam(
        &sts,
        "CreateOpenIDConnectProvider",
        &[("Url", "https://one-too-many.example.com")],
    )
    .await;
    iam_error(
        &a,
        409,
        "LimitExceeded",
        "Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100",
    );
}

#[tokio::test]
async fn role_lifecycle_and_url_encoded_documents() {
    let sts = empty_sts().await;
    let a = iam(
        &sts,
        "CreateRole",
        &[
            ("RoleName", "dynatrace-aws-connector"),
            ("Path", "/connectors/"),
            ("AssumeRolePolicyDocument", SEED_TRUST_POLICY),
            ("Description", "for my-connection"),
        ],
    )
    .await;
    ok(&a, "CreateRole");
    let arn = "arn:aws:iam::000000000000:role/connectors/dynatrace-aws-connector";
    assert!(a.body.contains("<Role><Path>/connectors/</Path><RoleName>dynatrace-aws-connector</RoleName><RoleId>AROA"), "{}", a.body);
    assert!(a.body.contains(&format!("<Arn>{arn}</Arn><CreateDate>")));
    // CreateRole answers neither MaxSessionDuration nor RoleLastUsed (aws-recorded).
    assert!(!a.body.contains("MaxSessionDuration") && !a.body.contains("RoleLastUsed"));
    let encoded = a.element("AssumeRolePolicyDocument").unwrap();
    assert!(
        encoded.starts_with("%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22"),
        "{encoded}"
    );
    let form = format!("d={encoded}");
    let decoded = form_urlencoded::parse(form.as_bytes()).next().unwrap().1;
    assert_eq!(decoded, SEED_TRUST_POLICY);

    let a = iam(&sts, "GetRole", &[("RoleName", "dynatrace-aws-connector")]).await;
    ok(&a, "GetRole");
    assert!(a.body.contains("<Description>for my-connection</Description><MaxSessionDuration>3600</MaxSessionDuration><RoleLastUsed></RoleLastUsed></Role>"), "{}", a.body);

    let a = iam(
        &sts,
        "UpdateRole",
        &[
            ("RoleName", "dynatrace-aws-connector"),
            ("MaxSessionDuration", "7200"),
            ("Description", "changed"),
        ],
    )
    .await;
    ok(&a, "UpdateRole");
    let a = iam(
        &sts,
        "TagRole",
        &[
            ("RoleName", "dynatrace-aws-connector"),
            ("Tags.member.1.Key", "a"),
            ("Tags.member.1.Value", "1"),
            ("Tags.member.2.Key", "b"),
            ("Tags.member.2.Value", "2"),
        ],
    )
    .await;
    ok(&a, "TagRole");
    let a = iam(
        &sts,
        "UntagRole",
        &[
            ("RoleName", "dynatrace-aws-connector"),
            ("TagKeys.member.1", "A"),
        ],
    )
    .await;
    ok(&a, "UntagRole");
    let a = iam(&sts, "ListRoles", &[("PathPrefix", "/connectors/")]).await;
    ok(&a, "ListRoles");
    assert!(a.body.contains("<Description>changed</Description><MaxSessionDuration>7200</MaxSessionDuration></member></Roles><IsTruncated>false</IsTruncated>"), "{}", a.body);
    let a = iam(&sts, "ListRoles", &[("PathPrefix", "/other/")]).await;
    assert!(a.body.contains("<Roles></Roles>"), "{}", a.body);
    let role = sts
        .model()
        .role("000000000000", "dynatrace-aws-connector")
        .unwrap();
    assert_eq!(role.tags.len(), 1);
    assert_eq!(role.tags[0].key, "b");

    let a = iam(
        &sts,
        "PutRolePolicy",
        &[
            ("RoleName", "dynatrace-aws-connector"),
            ("PolicyName", "list-regions"),
            ("PolicyDocument", LIST_REGIONS),
        ],
    )
    .await;
    ok(&a, "PutRolePolicy");
    let a = iam(
        &sts,
        "GetRolePolicy",
        &[
            ("RoleName", "dynatrace-aws-connector"),
            ("PolicyName", "list-regions"),
        ],
    )
    .await;
    ok(&a, "GetRolePolicy");
    assert!(a.body.contains("<GetRolePolicyResult><RoleName>dynatrace-aws-connector</RoleName><PolicyName>list-regions</PolicyName><PolicyDocument>%7B%22Version%22"), "{}", a.body);
    let a = iam(
        &sts,
        "ListRolePolicies",
        &[("RoleName", "dynatrace-aws-connector")],
    )
    .await;
    assert!(a.body.contains("<PolicyNames><member>list-regions</member></PolicyNames><IsTruncated>false</IsTruncated>"), "{}", a.body);

    let a = iam(
        &sts,
        "DeleteRole",
        &[("RoleName", "dynatrace-aws-connector")],
    )
    .await;
    iam_error(
        &a,
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    );
    let a = iam(
        &sts,
        "DeleteRolePolicy",
        &[
            ("RoleName", "dynatrace-aws-connector"),
            ("PolicyName", "list-regions"),
        ],
    )
    .await;
    ok(&a, "DeleteRolePolicy");
    let a = iam(
        &sts,
        "DeleteRolePolicy",
        &[
            ("RoleName", "dynatrace-aws-connector"),
            ("PolicyName", "list-regions"),
        ],
    )
    .await;
    iam_error(
        &a,
        404,
        "NoSuchEntity",
        "The role policy with name list-regions cannot be found.",
    );
    let a = iam(
        &sts,
        "DeleteRole",
        &[("RoleName", "dynatrace-aws-connector")],
    )
    .await;
    ok(&a, "DeleteRole");
    let a = iam(&sts, "GetRole", &[("RoleName", "dynatrace-aws-connector")]).await;
    iam_error(
        &a,
        404,
        "NoSuchEntity",
        "The role with name dynatrace-aws-connector cannot be found.",
    );
}

#[tokio::test]
async fn role_errors_as_a_user_triggers_them() {
    let sts = empty_sts().await;
    let create = |name: &'static str, doc: String| {
        let sts = &sts;
        async move {
            iam(
                sts,
                "CreateRole",
                &[("RoleName", name), ("AssumeRolePolicyDocument", &doc)],
            )
            .await
        }
    };
    ok(&create("r", SEED_TRUST_POLICY.into()).await, "CreateRole");
    iam_error(
        &create("r", SEED_TRUST_POLICY.into()).await,
        409,
        "EntityAlreadyExists",
        "Role with name r already exists.",
    );
    // Role names are unique regardless of case.
    iam_error(
        &create("R", SEED_TRUST_POLICY.into()).await,
        409,
        "EntityAlreadyExists",
        "Role with name R already exists.",
    );

    let with_resource = SEED_TRUST_POLICY.replace("\"Action\"", "\"Resource\": \"*\", \"Action\"");
    iam_error(
        &create("x", with_resource).await,
        400,
        "MalformedPolicyDocument",
        "Has prohibited field Resource",
    );
    let bad_operator = SEED_TRUST_POLICY.replace("StringEquals", "StringEqualz");
    iam_error(
        &create("x", bad_operator).await,
        400,
        "MalformedPolicyDocument",
        "StringEqualz",
    );
    let bad_principal = SEED_TRUST_POLICY.replace(
        "\"Federated\": \"arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com\"",
        "\"AWS\": \"not-an-account\"",
    );
    iam_error(
        &create("x", bad_principal).await,
        400,
        "MalformedPolicyDocument",
        "Invalid principal in policy",
    );
    iam_error(
        &create("x", "{not json".into()).await,
        400,
        "MalformedPolicyDocument",
        "",
    );

    let big = SEED_TRUST_POLICY.replace("dtid:connection/my-connection", &"c".repeat(2100));
    iam_error(
        &create("x", big).await,
        409,
        "LimitExceeded",
        "Cannot exceed quota for ACLSizePerRole: 2048",
    );

    iam_error(
        &create("bad name", SEED_TRUST_POLICY.into()).await,
        400,
        "ValidationError",
        r"1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+",
    );
    let a = iam(
        &sts,
        "UpdateRole",
        &[("RoleName", "r"), ("MaxSessionDuration", "60")],
    )
    .await;
    iam_error(&a, 400, "ValidationError", "Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600");

    let with_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
    let a = iam(
        &sts,
        "PutRolePolicy",
        &[
            ("RoleName", "r"),
            ("PolicyName", "p"),
            ("PolicyDocument", with_principal),
        ],
    )
    .await;
    iam_error(
        &a,
        400,
        "MalformedPolicyDocument",
        "Has prohibited field Principal",
    );
    let a = iam(
        &sts,
        "PutRolePolicy",
        &[
            ("RoleName", "nope"),
            ("PolicyName", "p"),
            ("PolicyDocument", LIST_REGIONS),
        ],
    )
    .await;
    iam_error(
        &a,
        404,
        "NoSuchEntity",
        "The role with name nope cannot be found.",
    );
    let a = iam(
        &sts,
        "UpdateAssumeRolePolicy",
        &[("RoleName", "r"), ("PolicyDocument", LIST_REGIONS)],
    )
    .await;
    iam_error(&a, 400, "MalformedPolicyDocument", "");

    // Aggregate inline policy quota.
    let big_statement = LIST_REGIONS.replace(
        "account:ListRegions",
        &format!("account:{}", "L".repeat(6000)),
    );
    let a = iam(
        &sts,
        "PutRolePolicy",
        &[
            ("RoleName", "r"),
            ("PolicyName", "p1"),
            ("PolicyDocument", &big_statement),
        ],
    )
    .await;
    ok(&a, "PutRolePolicy");
    let a = iam(
        &sts,
        "PutRolePolicy",
        &[
            ("RoleName", "r"),
            ("PolicyName", "p2"),
            ("PolicyDocument", &big_statement),
        ],
    )
    .await;
    iam_error(
        &a,
        409,
        "LimitExceeded",
        "Maximum policy size of 10240 bytes exceeded for role r",
    );
}

#[tokio::test]
async fn twelve_digit_access_keys_pick_the_account() {
    let sts = empty_sts().await;
    let a = iam_as(
        &sts,
        "111111111111",
        "CreateOpenIDConnectProvider",
        &[("Url", ISSUER), ("ClientIDList.member.1", AUD)],
    )
    .await;
    assert_eq!(
        a.element("OpenIDConnectProviderArn").as_deref(),
        Some("arn:aws:iam::111111111111:oidc-provider/token.dynatrace.com")
    );
    assert!(sts.model().provider("111111111111", ISSUER).is_some());
    assert!(sts.model().provider("000000000000", ISSUER).is_none());
    let a = iam(&sts, "ListOpenIDConnectProviders", &[]).await;
    assert!(
        a.body
            .contains("<OpenIDConnectProviderList></OpenIDConnectProviderList>"),
        "{}",
        a.body
    );
    // Another account's provider ARN is not found from this one.
    let a = iam(
        &sts,
        "GetOpenIDConnectProvider",
        &[(
            "OpenIDConnectProviderArn",
            "arn:aws:iam::111111111111:oidc-provider/token.dynatrace.com",
        )],
    )
    .await;
    iam_error(&a, 404, "NoSuchEntity", "OpenIDConnect Provider not found");
}

#[tokio::test]
async fn a_role_trusts_only_providers_of_its_own_account() {
    let idp = Idp::start().await;
    let sts = StsMock::start(StsMockConfig::default().oidc_endpoint(ISSUER, idp.server.uri()))
        .await
        .unwrap();
    let b = "222222222222";
    let trust = SEED_TRUST_POLICY.replace("000000000000", b);
    // The provider is registered in the default account only; the role lives in B.
    ok(
        &iam(
            &sts,
            "CreateOpenIDConnectProvider",
            &[("Url", ISSUER), ("ClientIDList.member.1", AUD)],
        )
        .await,
        "CreateOpenIDConnectProvider",
    );
    ok(
        &iam_as(
            &sts,
            b,
            "CreateRole",
            &[
                ("RoleName", "dynatrace-aws-connector"),
                ("AssumeRolePolicyDocument", &trust),
            ],
        )
        .await,
        "CreateRole",
    );
    let role_arn = format!("arn:aws:iam::{b}:role/dynatrace-aws-connector");
    let token = idp.token("my-connection");
    let assume = |sts: &StsMock| {
        let (url, token, role_arn) = (sts.url().to_string(), token.clone(), role_arn.clone());
        async move {
            common::post_form(
                &url,
                &[
                    ("Action", "AssumeRoleWithWebIdentity"),
                    ("Version", "2011-06-15"),
                    ("RoleArn", &role_arn),
                    ("RoleSessionName", "session"),
                    ("WebIdentityToken", &token),
                ],
            )
            .await
        }
    };
    let a = assume(&sts).await;
    a.assert_error(
        400,
        "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for https://token.dynatrace.com",
    );
    ok(
        &iam_as(
            &sts,
            b,
            "CreateOpenIDConnectProvider",
            &[("Url", ISSUER), ("ClientIDList.member.1", AUD)],
        )
        .await,
        "CreateOpenIDConnectProvider",
    );
    let a = assume(&sts).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn set_up_through_iam_then_assume_through_sts() {
    let idp = Idp::start().await;
    let sts = StsMock::start(StsMockConfig::default().oidc_endpoint(ISSUER, idp.server.uri()))
        .await
        .unwrap();
    ok(
        &iam(
            &sts,
            "CreateOpenIDConnectProvider",
            &[("Url", ISSUER), ("ClientIDList.member.1", AUD)],
        )
        .await,
        "CreateOpenIDConnectProvider",
    );
    ok(
        &iam(
            &sts,
            "CreateRole",
            &[
                ("RoleName", "dynatrace-aws-connector"),
                ("AssumeRolePolicyDocument", SEED_TRUST_POLICY),
            ],
        )
        .await,
        "CreateRole",
    );
    let a = common::assume(&sts, &idp.token("my-connection")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = common::assume(&sts, &idp.token("other-connection")).await;
    a.assert_error(
        403,
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
    // Loosen the trust policy through IAM: the other connection may now assume the role.
    let loose = SEED_TRUST_POLICY
        .replace("\"StringEquals\"", "\"StringLike\"")
        .replace("my-connection", "*");
    ok(
        &iam(
            &sts,
            "UpdateAssumeRolePolicy",
            &[
                ("RoleName", "dynatrace-aws-connector"),
                ("PolicyDocument", &loose),
            ],
        )
        .await,
        "UpdateAssumeRolePolicy",
    );
    let a = common::assume(&sts, &idp.token("other-connection")).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn simulation_the_iam_way() {
    let sts = empty_sts().await;
    ok(
        &iam(
            &sts,
            "CreateRole",
            &[
                ("RoleName", "r"),
                ("AssumeRolePolicyDocument", SEED_TRUST_POLICY),
            ],
        )
        .await,
        "CreateRole",
    );
    ok(
        &iam(
            &sts,
            "PutRolePolicy",
            &[
                ("RoleName", "r"),
                ("PolicyName", "list-regions"),
                ("PolicyDocument", LIST_REGIONS),
            ],
        )
        .await,
        "PutRolePolicy",
    );
    let a = iam(
        &sts,
        "SimulatePrincipalPolicy",
        &[
            ("PolicySourceArn", "arn:aws:iam::000000000000:role/r"),
            ("ActionNames.member.1", "account:ListRegions"),
            ("ActionNames.member.2", "s3:ListBucket"),
        ],
    )
    .await;
    ok(&a, "SimulatePrincipalPolicy");
    assert!(a.body.contains("<member><EvalActionName>account:ListRegions</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements><member><SourcePolicyId>list-regions</SourcePolicyId><SourcePolicyType>role</SourcePolicyType><StartPosition><Line>1</Line><Column>38</Column></StartPosition><EndPosition><Line>1</Line><Column>101</Column></EndPosition></member></MatchedStatements><MissingContextValues></MissingContextValues></member>"), "{}", a.body);
    assert!(a.body.contains("<EvalActionName>s3:ListBucket</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>implicitDeny</EvalDecision><MatchedStatements></MatchedStatements>"), "{}", a.body);

    let deny_outside = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}},{"Effect":"Allow","Action":"account:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    let a = iam(
        &sts,
        "SimulateCustomPolicy",
        &[
            ("PolicyInputList.member.1", deny_outside),
            ("ActionNames.member.1", "account:ListRegions"),
        ],
    )
    .await;
    ok(&a, "SimulateCustomPolicy");
    assert_eq!(
        a.element("EvalDecision").as_deref(),
        Some("explicitDeny"),
        "{}",
        a.body
    );
    assert!(a.body.contains("<MissingContextValues><member>aws:RequestedRegion</member><member>aws:SecureTransport</member></MissingContextValues>"), "{}", a.body);
    let a = iam(
        &sts,
        "SimulateCustomPolicy",
        &[
            ("PolicyInputList.member.1", deny_outside),
            ("ActionNames.member.1", "account:ListRegions"),
            (
                "ContextEntries.member.1.ContextKeyName",
                "aws:RequestedRegion",
            ),
            (
                "ContextEntries.member.1.ContextKeyValues.member.1",
                "eu-west-1",
            ),
            ("ContextEntries.member.1.ContextKeyType", "string"),
            (
                "ContextEntries.member.2.ContextKeyName",
                "aws:SecureTransport",
            ),
            ("ContextEntries.member.2.ContextKeyValues.member.1", "true"),
            ("ContextEntries.member.2.ContextKeyType", "boolean"),
        ],
    )
    .await;
    assert_eq!(
        a.element("EvalDecision").as_deref(),
        Some("allowed"),
        "{}",
        a.body
    );

    // A permissions boundary caps the allow.
    let boundary = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let a = iam(
        &sts,
        "SimulatePrincipalPolicy",
        &[
            ("PolicySourceArn", "arn:aws:iam::000000000000:role/r"),
            ("ActionNames.member.1", "account:ListRegions"),
            ("PermissionsBoundaryPolicyInputList.member.1", boundary),
        ],
    )
    .await;
    assert_eq!(
        a.element("EvalDecision").as_deref(),
        Some("implicitDeny"),
        "{}",
        a.body
    );
    assert!(a.body.contains("<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>false</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>"), "{}", a.body);

    // A policy with a Principal is not an identity policy: refused, as AWS refuses it.
    let a = iam(
        &sts,
        "SimulateCustomPolicy",
        &[
            ("PolicyInputList.member.1", SEED_TRUST_POLICY),
            ("ActionNames.member.1", "sts:AssumeRoleWithWebIdentity"),
        ],
    )
    .await;
    iam_error(&a, 400, "InvalidInput", "Principal");
    let a = iam(
        &sts,
        "SimulatePrincipalPolicy",
        &[
            ("PolicySourceArn", "arn:aws:iam::000000000000:role/nope"),
            ("ActionNames.member.1", "s3:GetObject"),
        ],
    )
    .await;
    iam_error(&a, 404, "NoSuchEntity", "nope");
}

#[tokio::test]
async fn state_file_follows_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let file = sts_mock::state::StateFile::new(dir.path().join("state.json"));
    let config = StsMockConfig {
        state_file: Some(file.clone()),
        ..Default::default()
    };
    let sts = StsMock::start(config).await.unwrap();
    ok(
        &iam(
            &sts,
            "CreateOpenIDConnectProvider",
            &[("Url", ISSUER), ("ClientIDList.member.1", AUD)],
        )
        .await,
        "CreateOpenIDConnectProvider",
    );
    ok(
        &iam(
            &sts,
            "CreateRole",
            &[
                ("RoleName", "r"),
                ("AssumeRolePolicyDocument", SEED_TRUST_POLICY),
            ],
        )
        .await,
        "CreateRole",
    );
    ok(
        &iam(
            &sts,
            "PutRolePolicy",
            &[
                ("RoleName", "r"),
                ("PolicyName", "p"),
                ("PolicyDocument", LIST_REGIONS),
            ],
        )
        .await,
        "PutRolePolicy",
    );
    // A change through the Rust API is saved too: the model persists, whoever calls it.
    sts.model()
        .tag_role("000000000000", "r", &[sts_mock::Tag::new("team", "sre")])
        .unwrap();
    let snapshot: sts_mock::model::Snapshot = file.load().unwrap().unwrap();
    let restored = sts_mock::Model::from_snapshot(snapshot.clone()).unwrap();
    let role = restored.role("000000000000", "r").unwrap();
    let original = sts.model().role("000000000000", "r").unwrap();
    assert_eq!(role.role_id, original.role_id);
    assert_eq!(role.create_date, original.create_date);
    assert_eq!(role.inline_policies["p"].text, LIST_REGIONS);
    assert_eq!(role.tags, vec![sts_mock::Tag::new("team", "sre")]);
    assert_eq!(
        restored
            .provider("000000000000", ISSUER)
            .unwrap()
            .client_ids,
        vec![AUD.to_string()]
    );
    assert_eq!(
        serde_json::to_value(restored.snapshot()).unwrap(),
        serde_json::to_value(&snapshot).unwrap()
    );
}

#[tokio::test]
async fn integer_parameters_that_are_not_integers_are_refused() {
    let sts = empty_sts().await;
    iam(
        &sts,
        "CreateRole",
        &[
            ("RoleName", "r"),
            ("AssumeRolePolicyDocument", SEED_TRUST_POLICY),
            ("MaxSessionDuration", "an hour"),
        ],
    )
    .await
    .assert_error(
        400,
        "ValidationError",
        "1 validation error detected: Value 'an hour' at 'maxSessionDuration' failed to satisfy constraint: Member must be a number",
    );
    iam(
        &sts,
        "CreateRole",
        &[
            ("RoleName", "r"),
            ("AssumeRolePolicyDocument", SEED_TRUST_POLICY),
        ],
    )
    .await;
    iam(
        &sts,
        "UpdateRole",
        &[("RoleName", "r"), ("MaxSessionDuration", "1.5h")],
    )
    .await
    .assert_error(
        400,
        "ValidationError",
        "Value '1.5h' at 'maxSessionDuration' failed to satisfy constraint: Member must be a number",
    );
    iam(&sts, "ListRoles", &[("MaxItems", "ten")])
        .await
        .assert_error(
            400,
            "ValidationError",
            "Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be a number",
        );
}

/// IAM's own limits answer for IAM: an 82 kB inline policy is over the role's inline-policy
/// quota (LimitExceeded), and a document over the model's 131,072 characters is the length
/// ValidationError; neither is a transport 413.
#[tokio::test]
async fn iam_limits_are_iams_not_the_transport_s() {
    let sts = empty_sts().await;
    ok(
        &iam(
            &sts,
            "CreateRole",
            &[
                ("RoleName", "r"),
                ("AssumeRolePolicyDocument", SEED_TRUST_POLICY),
            ],
        )
        .await,
        "CreateRole",
    );
    let statement =
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/key"}"#;
    let big = |n: usize| {
        let statements: Vec<&str> = std::iter::repeat_n(statement, n).collect();
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        )
    };
    let doc = big(82_000 / statement.len());
    assert!(doc.len() > 80_000 && doc.len() < 131_072, "{}", doc.len());
    iam(
        &sts,
        "PutRolePolicy",
        &[
            ("RoleName", "r"),
            ("PolicyName", "p"),
            ("PolicyDocument", &doc),
        ],
    )
    .await
    .assert_error(
        409,
        "LimitExceeded",
        "Maximum policy size of 10240 bytes exceeded for role r",
    );
    let huge = big(131_072 / statement.len() + 1);
    let answer = iam(
        &sts,
        "PutRolePolicy",
        &[
            ("RoleName", "r"),
            ("PolicyName", "p"),
            ("PolicyDocument", &huge),
        ],
    )
    .await;
    answer.assert_error(
        400,
        "ValidationError",
        "at 'policyDocument' failed to satisfy constraint: Member must have length less than or equal to 131072",
    );
}
