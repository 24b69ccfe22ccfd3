//! The whole seed flow, Dynatrace policy to AWS credentials, on the built-in default: an OAuth
//! client's access token (`/sso/oauth2/token`), the connector's token request for
//! `my-connection` in both schema forms, and that token traded at sts-mock's
//! `AssumeRoleWithWebIdentity` (aws-sdk-sts) for the role the connection names. Both policy
//! worlds must say yes: Dynatrace IAM refuses the viewer before AWS is asked, AWS's trust
//! policy refuses a connection it does not name; and both read the one shared clock.

mod common;

use aws_sdk_sts::error::ProvideErrorMetadata;
use common::sts;
use e2e_tests::{Rig, DYNATRACE_CONNECTION_ROLE_ARN, ROLE_ARN};
use issuer::{
    ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, DEFAULT_CONNECTION_ID, DYNATRACE_ACCOUNT,
    LEGACY_CONNECTION_ID, VIEWER_CLIENT_ID, VIEWER_CLIENT_SECRET,
};
use openidconnect::reqwest::Client;
use rig_core::Clock;
use serde_json::{json, Value};

/// Assumes `role` with `token`: (assumed-role ARN, subject), or the AWS error code and message.
async fn assume(rig: &Rig, role: &str, token: &str) -> Result<(String, String), (String, String)> {
    sts(rig)
        .assume_role_with_web_identity()
        .role_arn(role)
        .role_session_name("dynatrace-workflow")
        .web_identity_token(token)
        .send()
        .await
        .map(|out| {
            (
                out.assumed_role_user().unwrap().arn().to_string(),
                out.subject_from_web_identity_token()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .map_err(|e| {
            let e = e.into_service_error();
            (
                e.code().unwrap_or_default().to_string(),
                e.message().unwrap_or_default().to_string(),
            )
        })
}

/// (status, JSON body) of a request to the issuer.
async fn send(request: openidconnect::reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, body)
}

/// An access token of the client, all its scopes, for the built-in account.
async fn access_token(rig: &Rig, client_id: &str, secret: &str) -> String {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("resource", &format!("urn:dtaccount:{DYNATRACE_ACCOUNT}")),
        ])
        .finish();
    let (status, answer) = send(
        Client::new()
            .post(format!("{}/sso/oauth2/token", rig.issuer.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    answer["access_token"].as_str().unwrap().to_string()
}

/// The connector's token request for `object_id`.
async fn connector_token(rig: &Rig, bearer: &str, object_id: &str) -> (u16, Value) {
    send(
        Client::new()
            .post(format!(
                "{}/platform/hyperscaler-authentication/aws/connections/{object_id}/token",
                rig.issuer.url()
            ))
            .bearer_auth(bearer),
    )
    .await
}

#[tokio::test]
async fn dynatrace_policy_to_aws_credentials_in_both_forms() {
    let rig = Rig::start().await;
    let admin = access_token(&rig, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET).await;
    for (object_id, role, subject) in [
        (
            LEGACY_CONNECTION_ID,
            ROLE_ARN,
            "dtid:connection/my-connection".to_string(),
        ),
        (
            DEFAULT_CONNECTION_ID,
            DYNATRACE_CONNECTION_ROLE_ARN,
            format!("dt:connection-id/{DEFAULT_CONNECTION_ID}"),
        ),
    ] {
        let (status, answer) = connector_token(&rig, &admin, object_id).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["role_arn"], role);
        let (arn, sub) = assume(&rig, role, answer["token"].as_str().unwrap())
            .await
            .unwrap_or_else(|e| panic!("{object_id}: {e:?}"));
        let role_name = role.rsplit('/').next().unwrap();
        assert_eq!(
            arn,
            format!("arn:aws:sts::000000000000:assumed-role/{role_name}/dynatrace-workflow")
        );
        assert_eq!(sub, subject);
    }
    // Each form's token fits its own role only: AWS's trust policy still decides.
    let (_, legacy) = connector_token(&rig, &admin, LEGACY_CONNECTION_ID).await;
    let (code, message) = assume(
        &rig,
        DYNATRACE_CONNECTION_ROLE_ARN,
        legacy["token"].as_str().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(code, "AccessDenied", "{message}");
}

#[tokio::test]
async fn the_viewer_never_reaches_aws() {
    let rig = Rig::start().await;
    let viewer = access_token(&rig, VIEWER_CLIENT_ID, VIEWER_CLIENT_SECRET).await;
    let (status, answer) = connector_token(&rig, &viewer, LEGACY_CONNECTION_ID).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(
        answer["error"]["details"]["missingPermissions"],
        json!(["hyperscaler-authentication:aws:authenticate"])
    );
    assert!(answer.get("token").is_none());
    // The issuer's own decision log says why; sts-mock's saw nothing.
    let decisions = rig.issuer.dynatrace().decisions();
    let last = decisions.last().unwrap();
    assert_eq!(last.result, "denied");
    assert_eq!(last.client_id, VIEWER_CLIENT_ID);
    assert_eq!(
        last.reason,
        "Access denied: no statement allows hyperscaler-authentication:aws:authenticate"
    );
}

#[tokio::test]
async fn a_connection_aws_does_not_trust_gets_a_token_but_no_credentials() {
    let rig = Rig::start().await;
    let admin = access_token(&rig, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET).await;
    // A new current-form connection naming the built-in role: Dynatrace issues its token, but
    // the role's trust policy pins the built-in connection's ID.
    let value = json!({"name": "another", "type": "awsWebIdentity",
        "awsWebIdentity": {"roleArn": DYNATRACE_CONNECTION_ROLE_ARN, "consumers": ["APP:dynatrace.aws.connector"]}});
    let (status, created) = send(
        Client::new()
            .post(format!("{}/api/v2/settings/objects", rig.issuer.url()))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(json!([{"schemaId": "builtin:hyperscaler-authentication.connections.aws", "scope": "environment", "value": value}]).to_string()),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created[0]["objectId"].as_str().unwrap();
    let (status, answer) = connector_token(&rig, &admin, id).await;
    assert_eq!(status, 200, "{answer}");
    let (code, message) = assume(
        &rig,
        DYNATRACE_CONNECTION_ROLE_ARN,
        answer["token"].as_str().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity"
        )
    );
}

#[tokio::test]
async fn access_and_connection_tokens_expire_on_the_shared_clock() {
    let clock: Clock = "2026-11-23T05:00:00Z".parse().unwrap();
    let rig = Rig::start_with_clock(clock.clone()).await;
    let admin = access_token(&rig, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET).await;
    let (_, answer) = connector_token(&rig, &admin, LEGACY_CONNECTION_ID).await;
    let token = answer["token"].as_str().unwrap().to_string();
    assert_eq!(answer["expires_at"], 1_795_410_000 + 300);
    rig.clock().advance(301).unwrap();
    // Dynatrace's access token has expired...
    let (status, refused) = connector_token(&rig, &admin, LEGACY_CONNECTION_ID).await;
    assert_eq!(status, 401, "{refused}");
    // ...and so has the connection's token, for sts-mock reading the same clock.
    let (code, message) = assume(&rig, ROLE_ARN, &token).await.unwrap_err();
    assert_eq!(code, "ExpiredTokenException", "{message}");
}
