//! AssumeRoleWithWebIdentity against an in-process sts-mock, with wiremock playing the IdP:
//! the seed scenario, every error a user can trigger (code, status, message), the key cache,
//! the decisions log, and abuse limits.

mod common;

use common::*;
use serde_json::{json, Value};
use sts_mock::{RoleSpec, StsMock, StsMockConfig, DEFAULT_ACCOUNT};

#[tokio::test]
async fn seed_scenario_admits_the_right_connection() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let answer = assume(&sts, &idp.token("my-connection")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.starts_with(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA"
    ), "{}", answer.body);
    let key_id = answer.element("AccessKeyId").unwrap();
    assert_eq!(key_id.len(), 20);
    assert_eq!(answer.element("SecretAccessKey").unwrap().len(), 40);
    assert!(!answer.element("SessionToken").unwrap().is_empty());
    assert!(answer.element("Expiration").unwrap().ends_with('Z'));
    assert_eq!(
        answer.element("SubjectFromWebIdentityToken").unwrap(),
        "dtid:connection/my-connection"
    );
    assert_eq!(
        answer.element("Arn").unwrap(),
        "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/test-session"
    );
    let role_id = answer.element("AssumedRoleId").unwrap();
    assert!(
        role_id.starts_with("AROA") && role_id.ends_with(":test-session"),
        "{role_id}"
    );
    assert_eq!(answer.element("Provider").unwrap(), ISSUER);
    assert_eq!(answer.element("Audience").unwrap(), AUD);
    let order: Vec<usize> = [
        "<Credentials>",
        "<SubjectFromWebIdentityToken>",
        "<AssumedRoleUser>",
        "<Provider>",
        "<Audience>",
        "<ResponseMetadata>",
    ]
    .iter()
    .map(|e| answer.body.find(e).unwrap())
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "element order: {}",
        answer.body
    );
    assert_eq!(
        answer.headers["x-amzn-requestid"],
        answer.element("RequestId").unwrap().as_str()
    );
}

#[tokio::test]
async fn seed_scenario_refuses_every_other_token() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;

    // Another connection: the trust policy's sub condition says no.
    let answer = assume(&sts, &idp.token("other-connection")).await;
    answer.assert_error(
        403,
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
    let reason = answer.headers["x-sts-mock-reason"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("token.dynatrace.com:sub"), "{reason}");

    // Another tenant: its audience is not a client ID of the provider.
    let mut claims = idp.claims("my-connection");
    claims.insert(
        "aud".into(),
        json!("zzz99999.apps.dynatrace.com/app-id/dynatrace.aws.connector"),
    );
    assume(&sts, &idp.sign(&claims)).await.assert_error(
        400,
        "InvalidIdentityToken",
        "Incorrect token audience",
    );

    // Expired.
    let mut claims = idp.claims("my-connection");
    let exp = now() - 60;
    claims.insert("exp".into(), json!(exp));
    let answer = assume(&sts, &idp.sign(&claims)).await;
    answer.assert_error(
        400,
        "ExpiredTokenException",
        "Token expired: current date/time ",
    );
    assert!(answer
        .element("Message")
        .unwrap()
        .ends_with(&format!("must be before the expiration date/time {exp}")));

    // A valid signature by a key the IdP does not publish (same kid).
    let foreign = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    let token = sign_with(&foreign, &idp.kid, &idp.claims("my-connection"));
    assume(&sts, &token)
        .await
        .assert_error(400, "InvalidIdentityToken", "could not be validated");
}

#[tokio::test]
async fn token_attacks_are_refused() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let claims = idp.claims("my-connection");
    let good = idp.sign(&claims);

    // Tampered payload: swap in another subject, keep the signature.
    let parts: Vec<&str> = good.split('.').collect();
    let mut forged = claims.clone();
    forged.insert("sub".into(), json!("dtid:connection/admin"));
    use base64::Engine as _;
    let forged_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&forged).unwrap());
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let cases = [
        ("tampered", tampered),
        ("alg none", idp.alg_none(&claims)),
        ("hs256 confusion", idp.hs256_confusion(&claims)),
    ];
    for (what, token) in cases {
        let answer = assume(&sts, &token).await;
        assert_eq!(
            answer.element("Code").as_deref(),
            Some("InvalidIdentityToken"),
            "{what}: {}",
            answer.body
        );
        assert_eq!(answer.status, 400, "{what}");
    }

    // Unknown kid.
    let token = sign_with(&idp.key, "nobody", &claims);
    assume(&sts, &token).await.assert_error(
        400,
        "InvalidIdentityToken",
        "Couldn't retrieve verification key from your identity provider",
    );

    // Not a JWT at all.
    assume(&sts, "not-a-jwt").await.assert_error(
        400,
        "InvalidIdentityToken",
        "The ID Token provided is not a valid JWT",
    );

    // Wrong issuer: no provider registered for it.
    let mut wrong = claims.clone();
    wrong.insert("iss".into(), json!("https://wrong-issuer.invalid"));
    assume(&sts, &idp.sign(&wrong)).await.assert_error(
        400,
        "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for https://wrong-issuer.invalid",
    );

    // Not yet valid.
    let mut early = claims.clone();
    early.insert("nbf".into(), json!(now() + 3600));
    early.insert("iat".into(), json!(now() + 3600));
    early.insert("exp".into(), json!(now() + 7200));
    assume(&sts, &idp.sign(&early)).await.assert_error(
        400,
        "InvalidIdentityToken",
        "not yet valid",
    );
}

#[tokio::test]
async fn unknown_roles_and_other_accounts_are_denied_as_on_aws() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let token = idp.token("my-connection");
    assume_with(
        &sts,
        &token,
        &[("RoleArn", "arn:aws:iam::000000000000:role/no-such-role")],
    )
    .await
    .assert_error(
        403,
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );

    // A role in account 111111111111 trusts only providers registered there.
    sts.model()
        .add_role(
            "111111111111",
            RoleSpec::new(
                "dynatrace-aws-connector",
                SEED_TRUST_POLICY.replace("000000000000", "111111111111"),
            ),
        )
        .unwrap();
    let other = [(
        "RoleArn",
        "arn:aws:iam::111111111111:role/dynatrace-aws-connector",
    )];
    assume_with(&sts, &token, &other).await.assert_error(
        400,
        "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for https://token.dynatrace.com",
    );
    sts.model()
        .add_provider("111111111111", ISSUER, vec![AUD.into()], vec![])
        .unwrap();
    let answer = assume_with(&sts, &token, &other).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.element("Arn").unwrap(),
        "arn:aws:sts::111111111111:assumed-role/dynatrace-aws-connector/test-session"
    );
}

#[tokio::test]
async fn parameters_are_validated_with_aws_wording() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let token = idp.token("my-connection");

    post_form(sts.url(), &[("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15")]).await.assert_error(
        400,
        "ValidationError",
        "3 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null; Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null",
    );
    // Recorded from real AWS (shared/aws-recorded/sts.snapshot.json).
    assume_with(&sts, &token, &[("RoleSessionName", "Session1:2")]).await.assert_error(
        400,
        "ValidationError",
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    assume_with(&sts, &token, &[("RoleArn", "nothing-valid-in-here")])
        .await
        .assert_error(400, "ValidationError", "nothing-valid-in-here is invalid");
    assume_with(&sts, &token, &[("RoleArn", "arn:a:a::aaaaaaaaaa:")])
        .await
        .assert_error(400, "ValidationError", "arn:a:a::aaaaaaaaaa: is invalid");
    assume_with(&sts, &token, &[("RoleSessionName", "x")])
        .await
        .assert_error(
            400,
            "ValidationError",
            "Member must have length greater than or equal to 2",
        );
    assume_with(&sts, &token, &[("DurationSeconds", "600")]).await.assert_error(
        400,
        "ValidationError",
        "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    assume_with(&sts, &token, &[("DurationSeconds", "an hour")])
        .await
        .assert_error(
            400,
            "ValidationError",
            "1 validation error detected: Value 'an hour' at 'durationSeconds' failed to satisfy constraint: Member must be a number",
        );
    assume_with(&sts, &token, &[("DurationSeconds", "7200")])
        .await
        .assert_error(
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        );
    assume_with(&sts, &token, &[("Policy", "{\"Statement\": 1}")])
        .await
        .assert_error(400, "MalformedPolicyDocument", "Syntax errors in policy.");
    assume_with(&sts, "abc", &[]).await.assert_error(400, "ValidationError", "at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4");

    // A session policy and a longer session within the role's maximum are fine.
    sts.model()
        .update_role(DEFAULT_ACCOUNT, "dynatrace-aws-connector", None, Some(7200))
        .unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"account:ListRegions","Resource":"*"}]}"#;
    let answer = assume_with(
        &sts,
        &token,
        &[("DurationSeconds", "7200"), ("Policy", policy)],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let packed: u32 = answer.element("PackedPolicySize").unwrap().parse().unwrap();
    assert!(packed > 0 && packed < 100, "{packed}");
}

#[tokio::test]
async fn protocol_errors_unknown_actions_and_get_requests() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    post_form(
        sts.url(),
        &[("Action", "MakeMeAdmin"), ("Version", "2011-06-15")],
    )
    .await
    .assert_error(
        400,
        "InvalidAction",
        "Could not find operation MakeMeAdmin for version 2011-06-15",
    );
    let token = idp.token("my-connection");
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("Action", "AssumeRoleWithWebIdentity"),
            ("Version", "2011-06-15"),
            ("RoleArn", ROLE_ARN),
            ("RoleSessionName", "via-get"),
            ("WebIdentityToken", token.as_str()),
        ])
        .finish();
    let answer = send("GET", &format!("{}/?{query}", sts.url()), String::new()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // A 20,000-character token fits (and is refused for what it is, not for its size)...
    let huge_token = "a".repeat(20_000);
    assume(&sts, &huge_token)
        .await
        .assert_error(400, "InvalidIdentityToken", "not a valid JWT");
    // ...and 20,001 characters, or a million, is STS's own constraint violation: the transport
    // bound is above anything legal, so STS's limit answers, in STS's words...
    for len in [20_001, 1_000_000] {
        assume(&sts, &"a".repeat(len)).await.assert_error(
            400,
            "ValidationError",
            "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000",
        );
    }
    // ...and only past that bound is a body refused unread, closing the connection.
    let answer = assume(&sts, &"a".repeat(sts_mock::MAX_BODY_BYTES + 1)).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(
        answer.element("Code").as_deref(),
        Some("RequestEntityTooLarge")
    );
    assert_eq!(answer.headers["connection"], "close");
}

#[tokio::test]
async fn keys_are_cached_and_unknown_kids_refetch_once() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    for _ in 0..3 {
        assert_eq!(assume(&sts, &idp.token("my-connection")).await.status, 200);
    }
    assert_eq!(
        sts.key_store().fetch_count(),
        1,
        "keys fetched once, then cached"
    );
    let stranger = sign_with(&idp.key, "rotated-in-later", &idp.claims("my-connection"));
    // The keys are brand new: an unknown kid right after a fetch does not refetch.
    assume(&sts, &stranger)
        .await
        .assert_error(400, "InvalidIdentityToken", "verification key");
    assert_eq!(sts.key_store().fetch_count(), 1);
}

#[tokio::test]
async fn keys_published_without_alg_still_verify() {
    let key = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    let idp = Idp::start_publishing(key, "no-alg", false).await;
    let sts = seed_sts(&idp).await;
    for _ in 0..2 {
        assert_eq!(assume(&sts, &idp.token("my-connection")).await.status, 200);
    }
    let foreign = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    let token = sign_with(&foreign, "no-alg", &idp.claims("my-connection"));
    assume(&sts, &token)
        .await
        .assert_error(400, "InvalidIdentityToken", "could not be validated");
}

#[tokio::test]
async fn concurrent_requests_share_one_fetch() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let token = idp.token("my-connection");
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let url = sts.url().to_string();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let answer = post_form(
                &url,
                &[
                    ("Action", "AssumeRoleWithWebIdentity"),
                    ("Version", "2011-06-15"),
                    ("RoleArn", ROLE_ARN),
                    ("RoleSessionName", "s1"),
                    ("WebIdentityToken", &token),
                ],
            )
            .await;
            (answer.status, answer.body)
        }));
    }
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(sts.key_store().fetch_count(), 1);
}

/// An identity provider that cannot be reached leaves the token without a verification key:
/// STS's `InvalidIdentityToken` (AWS Knowledge Center, iam-sts-invalididentitytoken), not
/// `IDPCommunicationError`.
#[tokio::test]
async fn unreachable_idp_leaves_no_verification_key() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let idp = Idp::start().await;
    let sts = seed_sts_fetching_from(&dead).await;
    let answer = assume(&sts, &idp.token("my-connection")).await;
    answer.assert_error(
        400,
        "InvalidIdentityToken",
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
    );
    let reason = answer.headers[sts_mock::REASON_HEADER].to_str().unwrap();
    assert!(reason.contains("could not be retrieved"), "{reason}");
}

#[tokio::test]
async fn session_tags_need_tag_session_and_reach_the_context() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let mut claims = idp.claims("my-connection");
    claims.insert(
        "https://aws.amazon.com/tags".into(),
        json!({"principal_tags": {"team": ["platform"]}, "transitive_tag_keys": ["team"]}),
    );
    let token = idp.sign(&claims);
    assume(&sts, &token).await.assert_error(
        403,
        "AccessDenied",
        "Not authorized to perform sts:TagSession",
    );

    let with_tags = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{"token.dynatrace.com:sub":"dtid:connection/my-connection","aws:RequestTag/team":"platform"}}}]}"#;
    sts.model()
        .update_trust_policy(DEFAULT_ACCOUNT, "dynatrace-aws-connector", with_tags)
        .unwrap();
    let answer = assume(&sts, &token).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    claims.insert(
        "https://aws.amazon.com/tags".into(),
        json!({"principal_tags": {"team": ["platform"]}, "transitive_tag_keys": ["other"]}),
    );
    assume(&sts, &idp.sign(&claims)).await.assert_error(
        400,
        "InvalidParameterValue",
        "The specified transitive tag key must be included in the requested tags.",
    );
}

#[tokio::test]
async fn decisions_are_recorded_with_explanations() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    assume(&sts, &idp.token("my-connection")).await;
    assume(&sts, &idp.token("intruder")).await;
    let answer = send(
        "GET",
        &format!("{}/_sts-mock/decisions", sts.url()),
        String::new(),
    )
    .await;
    assert_eq!(answer.status, 200);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    let decisions = body["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0]["result"], "allowed");
    assert_eq!(decisions[1]["result"], "refused");
    assert_eq!(decisions[1]["code"], "AccessDenied");
    assert_eq!(decisions[1]["subject"], "dtid:connection/intruder");
    let condition = decisions[1]["explanation"]["statements"][0]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "token.dynatrace.com:sub")
        .unwrap()
        .clone();
    assert_eq!(condition["result"], false);
    assert_eq!(
        condition["request_values"],
        json!(["dtid:connection/intruder"])
    );

    // Bounded memory: the log keeps only the most recent decisions.
    for _ in 0..(sts_mock::decisions::CAPACITY + 5) {
        sts.decisions().record(sts_mock::decisions::DecisionRecord {
            time: String::new(),
            request_id: String::new(),
            action: String::new(),
            source_ip: String::new(),
            role_arn: None,
            session_name: None,
            issuer: None,
            subject: None,
            outcome: sts_mock::decisions::Outcome::Allowed,
            reason: String::new(),
            explanation: None,
            kind: None,
            principal: None,
            account: None,
            permission: None,
            resource: None,
            evaluations: Vec::new(),
        });
    }
    assert_eq!(
        sts.decisions().recent().len(),
        sts_mock::decisions::CAPACITY
    );
}

/// IAM provider URLs are https and the token's `iss` must be `https://` + the provider's URL,
/// exactly: another scheme, a trailing slash or no scheme name no provider (InvalidIdentityToken,
/// not IDPCommunicationError), and sts-mock never fetches keys from a URL a token chose.
#[tokio::test]
async fn the_issuer_must_name_a_registered_provider_exactly() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    for iss in [
        "http://token.dynatrace.com",
        "https://token.dynatrace.com/",
        "token.dynatrace.com",
        "https://token.dynatrace.com:443",
    ] {
        let mut claims = idp.claims("my-connection");
        claims.insert("iss".into(), iss.into());
        assume(&sts, &idp.sign(&claims)).await.assert_error(
            400,
            "InvalidIdentityToken",
            &format!("No OpenIDConnect provider found in your account for {iss}"),
        );
    }
    assert_eq!(
        sts.key_store().fetch_count(),
        0,
        "a token's iss made sts-mock fetch"
    );
    let answer = assume(&sts, &idp.token("my-connection")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// Keys come only from the provider's own (mapped) location: a discovery document pointing its
/// `jwks_uri` anywhere else is not followed.
#[tokio::test]
async fn a_jwks_uri_outside_the_provider_is_not_followed() {
    let idp = Idp::start().await;
    let elsewhere = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("{\"keys\":[]}"))
        .mount(&elsewhere)
        .await;
    let discovery = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path(
        "/.well-known/openid-configuration",
    ))
    .respond_with(
        wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "issuer": ISSUER,
            "jwks_uri": format!("{}/jwks", elsewhere.uri()),
        })),
    )
    .mount(&discovery)
    .await;
    let sts = seed_sts_fetching_from(&discovery.uri()).await;
    let answer = assume(&sts, &idp.token("my-connection")).await;
    answer.assert_error(400, "IDPCommunicationError", "could not be reached");
    let reason = answer.headers[sts_mock::REASON_HEADER].to_str().unwrap();
    assert!(
        reason.contains("fetches keys only from the provider's own location"),
        "{reason}"
    );
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    // A provider without any --oidc-endpoint is never fetched either.
    let unmapped = StsMock::start(StsMockConfig::default()).await.unwrap();
    unmapped
        .model()
        .add_provider(DEFAULT_ACCOUNT, ISSUER, vec![AUD.into()], vec![])
        .unwrap();
    unmapped
        .model()
        .add_role(
            DEFAULT_ACCOUNT,
            RoleSpec::new("dynatrace-aws-connector", SEED_TRUST_POLICY),
        )
        .unwrap();
    let answer = assume(&unmapped, &idp.token("my-connection")).await;
    answer.assert_error(400, "IDPCommunicationError", "could not be reached");
    assert!(answer.headers[sts_mock::REASON_HEADER]
        .to_str()
        .unwrap()
        .contains("has no --oidc-endpoint"));
}

/// A request without `Version` is not served (STS, quoted publicly: "Could not find operation
/// AssumeRoleWithWebIdentity for version NO_VERSION_SPECIFIED"), nor one with IAM's version.
#[tokio::test]
async fn a_request_needs_its_service_version() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let token = idp.token("my-connection");
    let form = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("RoleArn", ROLE_ARN),
        ("RoleSessionName", "s1"),
        ("WebIdentityToken", token.as_str()),
    ];
    post_form(sts.url(), &form).await.assert_error(
        400,
        "InvalidAction",
        "Could not find operation AssumeRoleWithWebIdentity for version NO_VERSION_SPECIFIED",
    );
    let mut with_iam_version = form.to_vec();
    with_iam_version.push(("Version", "2010-05-08"));
    post_form(sts.url(), &with_iam_version).await.assert_error(
        400,
        "InvalidAction",
        "Could not find operation AssumeRoleWithWebIdentity for version 2010-05-08",
    );
}

/// The decision log names what is wrong with a malformed token, beyond AWS's generic message.
#[tokio::test]
async fn malformed_tokens_are_explained_in_the_decision_log() {
    let idp = Idp::start().await;
    let sts = seed_sts(&idp).await;
    let token = idp.token("my-connection");
    let with_newline = format!("{token}\n");
    let two_segments = token.rsplit_once('.').unwrap().0.to_string();
    for (bad, reason) in [
        (
            with_newline.as_str(),
            "trailing whitespace after the signature",
        ),
        (two_segments.as_str(), "2 segments, a JWS has 3"),
        ("e30.e30.e30.e30", "4 segments, a JWS has 3"),
        ("bm90IGpzb24.e30.c2ln", "header is not JSON"),
    ] {
        let answer = assume(&sts, bad).await;
        answer.assert_error(400, "InvalidIdentityToken", "not a valid JWT");
        let header = answer.headers[sts_mock::REASON_HEADER].to_str().unwrap();
        assert!(header.contains(reason), "{header}");
        let last = sts.decisions().recent().pop().unwrap();
        assert!(last.reason.contains(reason), "{}", last.reason);
    }
}

/// STS takes RS256/384/512 and ES256/384/512 only (STS API reference, `WebIdentityToken`): a
/// token signed with RSA-PSS by the published RSA key is refused for its algorithm, while the
/// same claims signed RS256 are accepted.
#[tokio::test]
async fn rsa_pss_tokens_are_refused_for_their_algorithm() {
    use josekit::jws::{JwsHeader, PS256};
    let key = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    // Published without `alg`, so nothing but sts-mock's own algorithm rule can refuse PS256.
    let idp = Idp::start_publishing(key, "no-alg", false).await;
    let sts = seed_sts(&idp).await;
    let claims = idp.claims("my-connection");
    // The same RSA key as a JWK without `alg` (josekit stamps RS256 on the pair it generated).
    let mut private = idp.key.to_jwk_private_key().as_ref().clone();
    private.remove("alg");
    let signer = PS256
        .signer_from_jwk(&josekit::jwk::Jwk::from_map(private).unwrap())
        .unwrap();
    let mut header = JwsHeader::new();
    header.set_key_id("no-alg");
    let pss =
        josekit::jws::serialize_compact(&serde_json::to_vec(&claims).unwrap(), &header, &signer)
            .unwrap();
    let refused = assume(&sts, &pss).await;
    refused.assert_error(400, "InvalidIdentityToken", "could not be validated");
    // Refused for its algorithm, before any key is used.
    let reason = refused.headers[sts_mock::REASON_HEADER].to_str().unwrap();
    assert!(
        reason.contains(r#"unsupported signing algorithm \"PS256\""#)
            || reason.contains(r#"unsupported signing algorithm "PS256""#),
        "{reason}"
    );
    let answer = assume(&sts, &idp.sign(&claims)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}
