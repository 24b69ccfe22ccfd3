//! The Dynatrace side of the issuer as a client sees it, over HTTP on the built-in default:
//! client credentials at `/sso/oauth2/token` and every RFC 6749 error, access tokens that
//! verify from the issuer's JWKS and expire on the shared clock, the connector's token request
//! for `my-connection` in both forms, refusals that name the missing scope, the missing
//! permission or the deciding statement, IAM policy and binding management (a schema
//! condition, DENY over ALLOW, positioned parse errors), Settings 2.0 objects validated
//! against their schemas, and the decision log.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use issuer::{
    Clock, Issuer, IssuerConfig, KeySet, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET,
    DEFAULT_CONNECTION_ID, DYNATRACE_ACCOUNT, LEGACY_CONNECTION_ID, VIEWER_CLIENT_ID,
    VIEWER_CLIENT_SECRET,
};
use openidconnect::reqwest::{Client, Method};
use serde_json::{json, Value};

const KEYS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys");
const LEGACY_SCHEMA: &str = "builtin:hyperscaler-authentication.aws.connection";
const CURRENT_SCHEMA: &str = "builtin:hyperscaler-authentication.connections.aws";
const AUTHENTICATE: &str = "hyperscaler-authentication:aws:authenticate";
/// The built-in viewers' group and admins' group.
const VIEWERS: &str = "8b2e4c6a-1d3f-4a5b-8c7d-9e0f1a2b3c4d";
const ADMINS: &str = "3d1f6a2e-8c4b-4e7a-9f25-6b0c1d2e3f40";
/// 2026-11-23T05:00:00Z.
const FROZEN: i64 = 1_795_410_000;

async fn start_with(clock: Clock) -> Issuer {
    let keys = KeySet::load_dir(KEYS_DIR.as_ref(), None).unwrap();
    Issuer::start(IssuerConfig::new(keys).clock(clock))
        .await
        .unwrap()
}

async fn start() -> Issuer {
    start_with(Clock::real()).await
}

fn account_resource() -> String {
    format!("urn:dtaccount:{DYNATRACE_ACCOUNT}")
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A response: status, JSON body (`Null` when empty) and headers.
struct Answer {
    status: u16,
    body: Value,
    headers: openidconnect::reqwest::header::HeaderMap,
}

async fn send(request: openidconnect::reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
    };
    Answer {
        status,
        body,
        headers,
    }
}

/// `POST /sso/oauth2/token` with a form body.
async fn token_request(issuer: &Issuer, pairs: &[(&str, &str)]) -> Answer {
    send(
        Client::new()
            .post(format!("{}/sso/oauth2/token", issuer.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs)),
    )
    .await
}

/// An access token for `client` with `scope` (all of the client's when `None`).
async fn access_token(issuer: &Issuer, client: (&str, &str), scope: Option<&str>) -> String {
    let resource = account_resource();
    let mut pairs = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client.0),
        ("client_secret", client.1),
        ("resource", resource.as_str()),
    ];
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    let answer = token_request(issuer, &pairs).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["access_token"].as_str().unwrap().to_string()
}

const ADMIN: (&str, &str) = (ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET);
const VIEWER: (&str, &str) = (VIEWER_CLIENT_ID, VIEWER_CLIENT_SECRET);

async fn call(
    issuer: &Issuer,
    method: Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = Client::new()
        .request(method, format!("{}{path}", issuer.url()))
        .bearer_auth(bearer);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    send(request).await
}

async fn connector_token(issuer: &Issuer, bearer: &str, object_id: &str) -> Answer {
    call(
        issuer,
        Method::POST,
        &format!("/platform/hyperscaler-authentication/aws/connections/{object_id}/token"),
        bearer,
        None,
    )
    .await
}

/// An object's keys, sorted (whatever order serde_json keeps).
fn keys_of(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWS");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header(token: &str) -> Value {
    let head = token.split('.').next().expect("a JWS");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).unwrap()).unwrap()
}

fn account_path(tail: &str) -> String {
    format!("/iam/v1/repo/account/{DYNATRACE_ACCOUNT}/{tail}")
}

#[tokio::test]
async fn client_credentials_answer_dynatraces_shape_with_a_verifiable_token() {
    let issuer = start_with(Clock::frozen_at(
        time::OffsetDateTime::from_unix_timestamp(FROZEN).unwrap(),
    ))
    .await;
    let resource = account_resource();
    let answer = token_request(
        &issuer,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ADMIN_CLIENT_ID),
            ("client_secret", ADMIN_CLIENT_SECRET),
            (
                "scope",
                "settings:objects:read hyperscaler-authentication:aws:authenticate",
            ),
            ("resource", &resource),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(
        keys_of(body),
        [
            "access_token",
            "expires_in",
            "resource",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["resource"], resource);
    assert_eq!(
        body["scope"],
        "settings:objects:read hyperscaler-authentication:aws:authenticate"
    );
    assert_eq!(answer.headers["cache-control"], "no-store");

    // A JWT of this issuer: its JWKS verifies it.
    let token = body["access_token"].as_str().unwrap();
    let head = header(token);
    assert_eq!(head["typ"], "at+jwt");
    let jwks = send(Client::new().get(issuer.jwks_url())).await.body;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == head["kid"])
        .expect("the signing key is published");
    let jwk = josekit::jwk::Jwk::from_map(jwk.as_object().unwrap().clone()).unwrap();
    let verifier = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jws::deserialize_compact(token, &verifier).unwrap();
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims["iss"], "https://sso.dynatrace.com:443");
    assert_eq!(claims["client_id"], ADMIN_CLIENT_ID);
    assert_eq!(claims["aud"], resource);
    assert_eq!(claims["iat"], FROZEN);
    assert_eq!(claims["exp"], FROZEN + 300);

    // HTTP Basic authenticates the client too (RFC 6749 §2.3.1).
    let basic = send(
        Client::new()
            .post(format!("{}/sso/oauth2/token", issuer.url()))
            .basic_auth(VIEWER_CLIENT_ID, Some(VIEWER_CLIENT_SECRET))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "client_credentials"),
                ("resource", &resource),
            ])),
    )
    .await;
    assert_eq!(basic.status, 200, "{}", basic.body);
    // Without `scope`, every scope of the client.
    assert_eq!(
        basic.body["scope"],
        "settings:objects:read settings:schemas:read hyperscaler-authentication:aws:authenticate"
    );
    // An environment's resource.
    let env = token_request(
        &issuer,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ADMIN_CLIENT_ID),
            ("client_secret", ADMIN_CLIENT_SECRET),
            ("resource", "urn:dtenvironment:abc12345"),
        ],
    )
    .await;
    assert_eq!(env.status, 200);
    assert_eq!(env.body["resource"], "urn:dtenvironment:abc12345");
}

#[tokio::test]
async fn token_errors_are_rfc_6749s() {
    let issuer = start().await;
    let resource = account_resource();
    let base = |id: &'static str, secret: &'static str| {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ]
    };
    let with = |mut pairs: Vec<(&'static str, &'static str)>,
                extra: &[(&'static str, &'static str)]| {
        pairs.extend_from_slice(extra);
        pairs
    };
    // The built-in account, as a literal the table can hold.
    const RESOURCE: &str = "urn:dtaccount:7a3e1c52-9b4d-4f8e-a6c1-2d5b8e0f9a13";
    assert_eq!(RESOURCE, resource);
    /// The form, then the status, `error` and words of `error_description` expected.
    type Case = (
        Vec<(&'static str, &'static str)>,
        u16,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            with(base(ADMIN_CLIENT_ID, "wrong"), &[("resource", RESOURCE)]),
            401,
            "invalid_client",
            "Client authentication failed",
        ),
        (
            with(base("dt0s02.NOBODY", "x"), &[("resource", RESOURCE)]),
            401,
            "invalid_client",
            "Client authentication failed",
        ),
        (
            vec![
                ("client_id", ADMIN_CLIENT_ID),
                ("client_secret", ADMIN_CLIENT_SECRET),
            ],
            400,
            "invalid_request",
            "grant_type is missing",
        ),
        (
            with(
                vec![
                    ("grant_type", "authorization_code"),
                    ("client_id", ADMIN_CLIENT_ID),
                    ("client_secret", ADMIN_CLIENT_SECRET),
                ],
                &[("resource", RESOURCE)],
            ),
            400,
            "unsupported_grant_type",
            "grant_type authorization_code is not supported",
        ),
        (
            base(ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET),
            400,
            "invalid_request",
            "the parameter resource is missing",
        ),
        (
            with(
                base(ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET),
                &[(
                    "resource",
                    "urn:dtaccount:00000000-0000-0000-0000-000000000000",
                )],
            ),
            400,
            "invalid_target",
            "names neither account",
        ),
        (
            with(
                base(VIEWER_CLIENT_ID, VIEWER_CLIENT_SECRET),
                &[
                    ("resource", RESOURCE),
                    ("scope", "settings:objects:read iam-policies-management"),
                ],
            ),
            400,
            "invalid_scope",
            "client dt0s02.RIGVIEWER may not grant iam-policies-management",
        ),
        (
            with(
                base(ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET),
                &[("resource", RESOURCE), ("resource", RESOURCE)],
            ),
            400,
            "invalid_request",
            "the parameter resource is given more than once",
        ),
        (
            vec![("grant_type", "client_credentials")],
            400,
            "invalid_request",
            "client_id is missing",
        ),
    ];
    for (pairs, status, code, words) in cases {
        let answer = token_request(&issuer, &pairs).await;
        assert_eq!(answer.status, status, "{pairs:?}: {}", answer.body);
        assert_eq!(answer.body["error"], code, "{pairs:?}");
        let description = answer.body["error_description"].as_str().unwrap();
        assert!(description.contains(words), "{pairs:?}: {description}");
        assert_eq!(answer.headers["cache-control"], "no-store");
    }
    // JSON is not a token request.
    let json_body = send(
        Client::new()
            .post(format!("{}/sso/oauth2/token", issuer.url()))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_eq!(json_body.status, 400);
    assert_eq!(json_body.body["error"], "invalid_request");
    // A client that authenticated with HTTP Basic gets the challenge with its 401.
    let basic = send(
        Client::new()
            .post(format!("{}/sso/oauth2/token", issuer.url()))
            .basic_auth(ADMIN_CLIENT_ID, Some("wrong"))
            .body(form(&[
                ("grant_type", "client_credentials"),
                ("resource", &resource),
            ])),
    )
    .await;
    assert_eq!(basic.status, 401);
    assert!(basic.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    // Only POST.
    let get = send(Client::new().get(format!("{}/sso/oauth2/token", issuer.url()))).await;
    assert_eq!(get.status, 405);
    assert_eq!(get.headers["allow"], "POST");
}

#[tokio::test]
async fn the_connector_gets_a_token_for_my_connection_in_both_forms() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, None).await;

    let legacy = connector_token(&issuer, &admin, LEGACY_CONNECTION_ID).await;
    assert_eq!(legacy.status, 200, "{}", legacy.body);
    assert_eq!(keys_of(&legacy.body), ["expires_at", "role_arn", "token"]);
    assert_eq!(
        legacy.body["role_arn"],
        "arn:aws:iam::000000000000:role/dynatrace-aws-connector"
    );
    let token = legacy.body["token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["iss"], "https://token.dynatrace.com");
    assert_eq!(c["sub"], "dtid:connection/my-connection");
    assert_eq!(
        c["aud"],
        "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector"
    );
    assert_eq!(legacy.body["expires_at"], c["exp"]);
    assert_eq!(header(token)["typ"], "JWT");

    let current = connector_token(&issuer, &admin, DEFAULT_CONNECTION_ID).await;
    assert_eq!(current.status, 200, "{}", current.body);
    assert_eq!(
        current.body["role_arn"],
        "arn:aws:iam::000000000000:role/dynatrace-connection"
    );
    let c = claims(current.body["token"].as_str().unwrap());
    assert_eq!(
        c["sub"],
        format!("dt:connection-id/{DEFAULT_CONNECTION_ID}")
    );
    assert_eq!(
        c["aud"],
        "https://abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector"
    );

    // Exactly what /mint would mint for the connection (the same claims, apart from times).
    let minted = issuer
        .mint(&issuer::MintRequest::new().field("connection_id", DEFAULT_CONNECTION_ID))
        .unwrap();
    assert_eq!(minted.claims["sub"], c["sub"]);
    assert_eq!(minted.claims["aud"], c["aud"]);

    // The decision log says who, what, and which statements allowed it.
    let log = send(Client::new().get(format!("{}/_issuer/decisions", issuer.url())))
        .await
        .body;
    let last = log["decisions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["result"], "allowed");
    assert_eq!(last["client_id"], ADMIN_CLIENT_ID);
    assert_eq!(last["object_id"], DEFAULT_CONNECTION_ID);
    assert_eq!(last["environment"], "abc12345");
    let reason = last["reason"].as_str().unwrap();
    assert!(reason.contains("allowed by policy \"AWS Connector\" statement 4 (ALLOW hyperscaler-authentication:aws:authenticate)"), "{reason}");
    assert!(
        reason.contains("allowed by policy \"AWS connections (current schema)\" statement 1"),
        "{reason}"
    );
}

#[tokio::test]
async fn the_viewer_is_refused_naming_the_permission_it_lacks() {
    let issuer = start().await;
    let viewer = access_token(&issuer, VIEWER, None).await;
    for object in [LEGACY_CONNECTION_ID, DEFAULT_CONNECTION_ID] {
        let answer = connector_token(&issuer, &viewer, object).await;
        assert_eq!(answer.status, 403, "{}", answer.body);
        let error = &answer.body["error"];
        assert_eq!(error["code"], 403);
        assert_eq!(
            error["message"],
            "Access denied: no statement allows hyperscaler-authentication:aws:authenticate"
        );
        assert_eq!(
            error["details"]["missingPermissions"],
            json!([AUTHENTICATE])
        );
        // settings:objects:read was granted by "Settings Reader", bound at environment level.
        let explanations = error["details"]["explanations"].as_array().unwrap();
        assert_eq!(explanations[1]["permission"], "settings:objects:read");
        assert_eq!(explanations[1]["decision"], "allow");
        assert_eq!(
            explanations[1]["deciding"]["policy_label"],
            "Settings Reader"
        );
    }
    // A token without the scope is refused before any policy is read, naming the scope.
    let narrow = access_token(&issuer, VIEWER, Some("settings:objects:read")).await;
    let answer = connector_token(&issuer, &narrow, LEGACY_CONNECTION_ID).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.body["error"]["message"],
        "The authorization token does not provide the necessary permissions."
    );
    assert_eq!(
        answer.body["error"]["details"]["missingScopes"],
        json!([AUTHENTICATE])
    );

    let log = send(Client::new().get(format!("{}/_issuer/decisions", issuer.url())))
        .await
        .body;
    let decisions = log["decisions"].as_array().unwrap();
    let denied: Vec<&Value> = decisions
        .iter()
        .filter(|d| d["result"] == "denied")
        .collect();
    assert_eq!(denied.len(), 3);
    assert_eq!(denied[0]["missing_permissions"], json!([AUTHENTICATE]));
    assert_eq!(denied[0]["client_id"], VIEWER_CLIENT_ID);
    assert_eq!(denied[2]["missing_scopes"], json!([AUTHENTICATE]));
}

#[tokio::test]
async fn bearer_tokens_are_checked() {
    let clock = Clock::frozen_at(time::OffsetDateTime::from_unix_timestamp(FROZEN).unwrap());
    let issuer = start_with(clock.clone()).await;
    let path = format!(
        "/platform/hyperscaler-authentication/aws/connections/{LEGACY_CONNECTION_ID}/token"
    );
    let url = format!("{}{path}", issuer.url());
    let none = send(Client::new().post(&url)).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    let basic = send(Client::new().post(&url).basic_auth("a", Some("b"))).await;
    assert_eq!(basic.status, 401);
    assert_eq!(
        basic.body["error"]["message"],
        "Unsupported authorization scheme 'Basic'. Dynatrace platform APIs require the authorization scheme 'Bearer'"
    );
    // An identity token from /mint, whatever claims it was given, is no access token.
    let forged = issuer
        .mint(
            &issuer::MintRequest::new()
                .claim("iss", "https://sso.dynatrace.com:443")
                .claim("client_id", ADMIN_CLIENT_ID)
                .claim("scope", AUTHENTICATE)
                .claim("aud", account_resource()),
        )
        .unwrap()
        .token;
    let answer = connector_token(&issuer, &forged, LEGACY_CONNECTION_ID).await;
    assert_eq!(answer.status, 401);
    assert!(answer.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at+jwt"));
    let tampered = {
        let admin = access_token(&issuer, ADMIN, None).await;
        let (head, sig) = admin.rsplit_once('.').unwrap();
        let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        sig[10] ^= 1;
        format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig))
    };
    let answer = connector_token(&issuer, &tampered, LEGACY_CONNECTION_ID).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.body["error"]["message"],
        "the token's signature does not verify"
    );

    // Access tokens expire on the shared clock.
    let admin = access_token(&issuer, ADMIN, None).await;
    assert_eq!(
        connector_token(&issuer, &admin, LEGACY_CONNECTION_ID)
            .await
            .status,
        200
    );
    clock.advance(299).unwrap();
    assert_eq!(
        connector_token(&issuer, &admin, LEGACY_CONNECTION_ID)
            .await
            .status,
        200
    );
    clock.advance(1).unwrap();
    let expired = connector_token(&issuer, &admin, LEGACY_CONNECTION_ID).await;
    assert_eq!(expired.status, 401);
    let message = expired.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("the token expired at {}", FROZEN + 300)),
        "{message}"
    );
    // The connection token's lifetime is the same clock's too.
    clock.advance(-300).unwrap();
    let fresh = connector_token(&issuer, &admin, LEGACY_CONNECTION_ID).await;
    assert_eq!(fresh.body["expires_at"], FROZEN + 300);

    // Unknown connections and paths.
    let unknown = connector_token(&issuer, &admin, "nope").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.body["error"]["message"],
        "No AWS connection with objectId nope"
    );
    let get = send(Client::new().get(&url).bearer_auth(&admin)).await;
    assert_eq!(get.status, 405);
    assert_eq!(get.headers["allow"], "POST");
}

/// Creates a policy at `level_path` (`account` or `environment/abc12345`) and binds it to
/// `group`; its UUID.
async fn policy_bound(
    issuer: &Issuer,
    admin: &str,
    level: &str,
    name: &str,
    statements: &str,
    group: &str,
) -> String {
    let level_path = match level {
        "account" => format!("account/{DYNATRACE_ACCOUNT}"),
        other => other.to_string(),
    };
    let created = call(
        issuer,
        Method::POST,
        &format!("/iam/v1/repo/{level_path}/policies"),
        admin,
        Some(
            json!({"name": name, "description": "test", "tags": [], "statementQuery": statements}),
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let uuid = created.body["uuid"].as_str().unwrap().to_string();
    let bound = call(
        issuer,
        Method::POST,
        &format!("/iam/v1/repo/{level_path}/bindings/{uuid}"),
        admin,
        Some(json!({"groups": [group]})),
    )
    .await;
    assert_eq!(bound.status, 204, "{}", bound.body);
    uuid
}

#[tokio::test]
async fn a_schema_condition_allows_that_schema_only() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, None).await;
    policy_bound(
        &issuer,
        &admin,
        "account",
        "Legacy connections only",
        r#"ALLOW hyperscaler-authentication:aws:authenticate;
           ALLOW settings:objects:read WHERE settings:schemaId = "builtin:hyperscaler-authentication.aws.connection";"#,
        VIEWERS,
    )
    .await;
    // The viewer's own "Settings Reader" would allow any schema: take it away.
    let removed = call(
        &issuer,
        Method::DELETE,
        "/iam/v1/repo/environment/abc12345/bindings",
        &admin,
        None,
    )
    .await;
    assert_eq!(removed.status, 204);

    let viewer = access_token(&issuer, VIEWER, None).await;
    let legacy = connector_token(&issuer, &viewer, LEGACY_CONNECTION_ID).await;
    assert_eq!(legacy.status, 200, "{}", legacy.body);
    let current = connector_token(&issuer, &viewer, DEFAULT_CONNECTION_ID).await;
    assert_eq!(current.status, 403);
    let error = &current.body["error"];
    assert_eq!(
        error["details"]["missingPermissions"],
        json!(["settings:objects:read"])
    );
    let message = error["message"].as_str().unwrap();
    assert_eq!(
        message,
        "Access denied: no statement allows settings:objects:read for this request; policy \"Legacy connections only\" statement 2 (ALLOW settings:objects:read WHERE settings:schemaId = \"builtin:hyperscaler-authentication.aws.connection\") at 2:12: settings:schemaId = \"builtin:hyperscaler-authentication.aws.connection\" does not hold for \"builtin:hyperscaler-authentication.connections.aws\""
    );
}

#[tokio::test]
async fn a_deny_overrides_an_allow() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, None).await;
    assert_eq!(
        connector_token(&issuer, &admin, LEGACY_CONNECTION_ID)
            .await
            .status,
        200
    );
    let deny = policy_bound(
        &issuer,
        &admin,
        "environment/abc12345",
        "No AWS in abc12345",
        "DENY hyperscaler-authentication:aws:authenticate;",
        ADMINS,
    )
    .await;
    let answer = connector_token(&issuer, &admin, LEGACY_CONNECTION_ID).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(
        answer.body["error"]["message"],
        "Access denied by policy \"No AWS in abc12345\" statement 1 (DENY hyperscaler-authentication:aws:authenticate) at 1:1"
    );
    // The ALLOW of "AWS Connector" matched too; the explanation lists it.
    let statements = answer.body["error"]["details"]["explanations"][0]["statements"]
        .as_array()
        .unwrap()
        .clone();
    assert!(statements
        .iter()
        .any(|s| s["policy_label"] == "AWS Connector" && s["applies"] == true));
    // Unbinding the DENY (DELETE bindings/{policy}/{group}) restores the ALLOW.
    let unbound = call(
        &issuer,
        Method::DELETE,
        &format!("/iam/v1/repo/environment/abc12345/bindings/{deny}/{ADMINS}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(unbound.status, 204);
    assert_eq!(
        connector_token(&issuer, &admin, LEGACY_CONNECTION_ID)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn bad_statements_get_positioned_errors() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, None).await;
    let answer = call(
        &issuer,
        Method::POST,
        &account_path("policies"),
        &admin,
        Some(json!({"name": "bad", "description": "", "statementQuery": "ALLOW settings:objects:read;\nALLOW settings:objects:write WHERE settings:schemaId LIKE \"x\";"})),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let error = answer.body["errorsMap"]["statementQuery"].as_str().unwrap();
    assert!(error.ends_with("found `LIKE` at 2:54"), "{error}");
    assert_eq!(answer.body["code"], 400);
    assert_eq!(
        answer.body["message"],
        format!("invalid statementQuery: {error}")
    );
    // Required fields and their types.
    let answer = call(
        &issuer,
        Method::POST,
        &account_path("policies"),
        &admin,
        Some(json!({"name": 1})),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["errorsMap"]["name"], "must be a string");
    assert_eq!(answer.body["errorsMap"]["statementQuery"], "is required");
    assert_eq!(answer.body["errorsMap"]["description"], "is required");
    // More than 100 statements.
    let many = "ALLOW a:b:c;".repeat(101);
    let answer = call(
        &issuer,
        Method::POST,
        &account_path("policies"),
        &admin,
        Some(json!({"name": "many", "description": "", "statementQuery": many})),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["message"].as_str().unwrap().contains("100"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn policies_are_managed_as_the_policy_management_api_does() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, Some("iam-policies-management")).await;
    let statements =
        r#"ALLOW settings:objects:read WHERE settings:schemaId IN ("a", "${bindParam:schema}");"#;
    let created = call(
        &issuer,
        Method::POST,
        &account_path("policies"),
        &admin,
        Some(json!({"name": "Templated", "description": "d", "tags": ["t"], "statementQuery": statements})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let uuid = created.body["uuid"].as_str().unwrap().to_string();
    assert_eq!(
        created.body["statements"],
        json!([{"effect": "ALLOW", "permissions": ["settings:objects:read"],
                "conditions": [{"name": "settings:schemaId", "operator": "IN", "values": ["a", "${bindParam:schema}"]}]}])
    );
    assert_eq!(
        keys_of(&created.body),
        [
            "description",
            "name",
            "statementQuery",
            "statements",
            "tags",
            "uuid"
        ]
    );
    let got = call(
        &issuer,
        Method::GET,
        &account_path(&format!("policies/{uuid}")),
        &admin,
        None,
    )
    .await;
    assert_eq!(got.body, created.body);
    let listed = call(
        &issuer,
        Method::GET,
        &account_path("policies?name=Templated"),
        &admin,
        None,
    )
    .await;
    assert_eq!(
        listed.body,
        json!({"policies": [{"uuid": uuid, "name": "Templated", "description": "d"}]})
    );
    // The same name twice at a level is refused.
    let twice = call(
        &issuer,
        Method::POST,
        &account_path("policies"),
        &admin,
        Some(json!({"name": "Templated", "description": "", "statementQuery": "ALLOW a:b:c;"})),
    )
    .await;
    assert_eq!(twice.status, 400);

    // A binding must fill the policy's parameters.
    let unfilled = call(
        &issuer,
        Method::POST,
        &account_path(&format!("bindings/{uuid}/{VIEWERS}")),
        &admin,
        Some(json!({})),
    )
    .await;
    assert_eq!(unfilled.status, 400);
    assert!(
        unfilled.body["message"]
            .as_str()
            .unwrap()
            .contains("gives no value for `schema`"),
        "{}",
        unfilled.body
    );
    let filled = call(
        &issuer,
        Method::POST,
        &account_path(&format!("bindings/{uuid}/{VIEWERS}")),
        &admin,
        Some(json!({"parameters": {"schema": LEGACY_SCHEMA}})),
    )
    .await;
    assert_eq!(filled.status, 204, "{}", filled.body);
    let bindings = call(
        &issuer,
        Method::GET,
        &account_path(&format!("bindings/{uuid}")),
        &admin,
        None,
    )
    .await;
    assert_eq!(
        bindings.body,
        json!({"levelType": "account", "levelId": DYNATRACE_ACCOUNT, "policyBindings": [
            {"policyUuid": uuid, "groups": [VIEWERS], "parameters": {"schema": LEGACY_SCHEMA}, "metadata": {}, "boundaries": []}]})
    );
    let of_group = call(
        &issuer,
        Method::GET,
        &account_path(&format!("bindings/groups/{VIEWERS}")),
        &admin,
        None,
    )
    .await;
    assert_eq!(of_group.body, json!({"policyUuids": [uuid]}));
    // An update that needs a parameter the binding lacks is refused; one that keeps it is fine.
    let breaking = call(
        &issuer,
        Method::PUT,
        &account_path(&format!("policies/{uuid}")),
        &admin,
        Some(json!({"name": "Templated", "description": "d", "statementQuery": "ALLOW a:b:c WHERE a:b = \"${bindParam:other}\";"})),
    )
    .await;
    assert_eq!(breaking.status, 400, "{}", breaking.body);
    let update = call(
        &issuer,
        Method::PUT,
        &account_path(&format!("policies/{uuid}")),
        &admin,
        Some(json!({"name": "Templated", "description": "d2", "statementQuery": statements})),
    )
    .await;
    assert_eq!(update.status, 204);
    assert_eq!(update.body, Value::Null);
    // PUT of a new UUID creates.
    let fresh = "0b6f2e9c-3d4a-4b5c-8d7e-1f2a3b4c5d6e";
    let put_new = call(
        &issuer,
        Method::PUT,
        &account_path(&format!("policies/{fresh}")),
        &admin,
        Some(json!({"name": "Fresh", "description": "", "statementQuery": "ALLOW a:b:c;"})),
    )
    .await;
    assert_eq!(put_new.status, 201);
    assert_eq!(put_new.body["uuid"], fresh);
    // A bound policy is deleted only with force=true, its bindings with it.
    let refused = call(
        &issuer,
        Method::DELETE,
        &account_path(&format!("policies/{uuid}?force=false")),
        &admin,
        None,
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body["message"]
        .as_str()
        .unwrap()
        .contains("still in use"));
    let forced = call(
        &issuer,
        Method::DELETE,
        &account_path(&format!("policies/{uuid}?force=true")),
        &admin,
        None,
    )
    .await;
    assert_eq!(forced.status, 204);
    let gone = call(
        &issuer,
        Method::GET,
        &account_path(&format!("policies/{uuid}")),
        &admin,
        None,
    )
    .await;
    assert_eq!(gone.status, 404);
    let of_group = call(
        &issuer,
        Method::GET,
        &account_path(&format!("bindings/groups/{VIEWERS}")),
        &admin,
        None,
    )
    .await;
    assert_eq!(of_group.body, json!({"policyUuids": []}));
    // PUT bindings/groups/{group} overwrites the group's policies at the level.
    let overwrite = call(
        &issuer,
        Method::PUT,
        &account_path(&format!("bindings/groups/{VIEWERS}")),
        &admin,
        Some(json!({"policyUuids": [fresh]})),
    )
    .await;
    assert_eq!(overwrite.status, 204);
    let of_group = call(
        &issuer,
        Method::GET,
        &account_path(&format!("bindings/groups/{VIEWERS}")),
        &admin,
        None,
    )
    .await;
    assert_eq!(of_group.body, json!({"policyUuids": [fresh]}));
    // Levels: an environment inherits the account's policies; unknown levels are 404.
    let aggregate = call(
        &issuer,
        Method::GET,
        "/iam/v1/repo/environment/abc12345/policies/aggregate",
        &admin,
        None,
    )
    .await;
    let names: Vec<&str> = aggregate.body["policyOverviewList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"AWS Connector") && names.contains(&"Fresh"),
        "{names:?}"
    );
    let unknown = call(
        &issuer,
        Method::GET,
        "/iam/v1/repo/environment/zzz99999/policies",
        &admin,
        None,
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["message"], "environment zzz99999 not found");
    let global = call(
        &issuer,
        Method::POST,
        "/iam/v1/repo/global/global/policies",
        &admin,
        Some(json!({})),
    )
    .await;
    assert_eq!(global.status, 400);
    assert_eq!(
        global.body["message"],
        "This endpoint is unavailable within global level"
    );
    let boundaries = call(
        &issuer,
        Method::POST,
        &account_path(&format!("bindings/{fresh}")),
        &admin,
        Some(json!({"groups": [VIEWERS], "boundaries": ["b"]})),
    )
    .await;
    assert_eq!(boundaries.status, 400);
}

#[tokio::test]
async fn policy_management_needs_iam_policies_management() {
    let issuer = start().await;
    let viewer = access_token(&issuer, VIEWER, None).await;
    let answer = call(
        &issuer,
        Method::GET,
        &account_path("policies"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.body["errorsMap"]["missingScopes"],
        "iam-policies-management"
    );
    assert_eq!(
        answer.body["message"],
        "The authorization token does not provide the necessary permissions."
    );
    // The admin's token without the scope is refused the same way.
    let narrow = access_token(&issuer, ADMIN, Some("settings:objects:read")).await;
    let answer = call(
        &issuer,
        Method::GET,
        &account_path("policies"),
        &narrow,
        None,
    )
    .await;
    assert_eq!(answer.status, 403);
    // The Account Management API's words for a missing bearer token.
    let none =
        send(Client::new().get(format!("{}{}", issuer.url(), account_path("policies")))).await;
    assert_eq!(none.status, 401);
    assert_eq!(
        none.body["message"],
        "Incorrect Authorization header in request - expected `Bearer`!"
    );
}

#[tokio::test]
async fn settings_objects_are_validated_and_authorized_per_schema() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, None).await;
    let connection = json!({"name": "new-connection", "type": "awsWebIdentity",
        "awsWebIdentity": {"roleArn": "arn:aws:iam::000000000000:role/dynatrace-connection",
                           "consumers": ["APP:dynatrace.aws.connector"]}});
    let created = call(
        &issuer,
        Method::POST,
        "/api/v2/settings/objects",
        &admin,
        Some(json!([{"schemaId": CURRENT_SCHEMA, "scope": "environment", "value": connection}])),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body[0]["code"], 200);
    let id = created.body[0]["objectId"].as_str().unwrap().to_string();

    let got = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/objects/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["schemaId"], CURRENT_SCHEMA);
    assert_eq!(got.body["scope"], "environment");
    assert_eq!(got.body["value"], connection);
    assert_eq!(got.body["createdBy"], ADMIN_CLIENT_ID);
    assert_eq!(
        got.body["resourceContext"]["operations"],
        json!(["read", "write", "delete"])
    );

    // Its token works at once, with the new object ID as sub.
    let token = connector_token(&issuer, &admin, &id).await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(
        claims(token.body["token"].as_str().unwrap())["sub"],
        format!("dt:connection-id/{id}")
    );

    // Schema validation: every violation at once, in Dynatrace's shape.
    let bad = call(
        &issuer,
        Method::POST,
        "/api/v2/settings/objects",
        &admin,
        Some(json!([
            {"schemaId": LEGACY_SCHEMA, "scope": "environment",
             "value": {"name": "x", "type": "awsWebIdentity", "webIdentity": {"roleArn": "not-an-arn"}}},
            {"schemaId": "builtin:nope", "scope": "environment", "value": {}},
        ])),
    )
    .await;
    assert_eq!(bad.status, 207, "{}", bad.body);
    let first = &bad.body[0];
    assert_eq!(first["code"], 400);
    assert_eq!(first["error"]["message"], "Constraints violated.");
    let paths: Vec<&str> = first["error"]["constraintViolations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["type", "webIdentity.roleArn"]);
    assert_eq!(
        first["error"]["constraintViolations"][0]["parameterLocation"],
        "PAYLOAD_BODY"
    );
    assert_eq!(first["invalidValue"]["name"], "x");
    assert_eq!(bad.body[1]["code"], 404);
    // A second connection of the same name is refused.
    let twice = call(
        &issuer,
        Method::POST,
        "/api/v2/settings/objects",
        &admin,
        Some(json!([{"schemaId": CURRENT_SCHEMA, "scope": "environment", "value": connection}])),
    )
    .await;
    assert_eq!(twice.status, 400);

    // The legacy role ARN is a secret: masked on read, kept when sent back masked.
    let legacy = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/objects/{LEGACY_CONNECTION_ID}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(legacy.body["value"]["webIdentity"]["roleArn"], "********");
    let mut value = legacy.body["value"].clone();
    value["webIdentity"]["policyArns"] = json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    let stale = call(
        &issuer,
        Method::PUT,
        &format!("/api/v2/settings/objects/{LEGACY_CONNECTION_ID}"),
        &admin,
        Some(json!({"value": value, "updateToken": "stale"})),
    )
    .await;
    assert_eq!(stale.status, 409);
    let put = call(
        &issuer,
        Method::PUT,
        &format!("/api/v2/settings/objects/{LEGACY_CONNECTION_ID}"),
        &admin,
        Some(json!({"value": value, "updateToken": legacy.body["updateToken"]})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        put.body,
        json!({"code": 200, "objectId": LEGACY_CONNECTION_ID})
    );
    let token = connector_token(&issuer, &admin, LEGACY_CONNECTION_ID).await;
    assert_eq!(
        token.body["role_arn"],
        "arn:aws:iam::000000000000:role/dynatrace-aws-connector"
    );

    // The viewer reads (its "Settings Reader" is bound in abc12345) but may not write.
    let viewer = access_token(&issuer, VIEWER, None).await;
    let listed = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/objects?schemaIds={CURRENT_SCHEMA}"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["totalCount"], 2);
    assert_eq!(listed.body["items"][0]["objectId"], DEFAULT_CONNECTION_ID);
    assert_eq!(keys_of(&listed.body["items"][0]), ["objectId", "value"]);
    let write = call(
        &issuer,
        Method::DELETE,
        &format!("/api/v2/settings/objects/{id}"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(write.status, 403);
    assert_eq!(
        write.body["error"]["details"]["missingScopes"],
        json!(["settings:objects:write"])
    );
    let without_schemas = call(
        &issuer,
        Method::GET,
        "/api/v2/settings/objects",
        &viewer,
        None,
    )
    .await;
    assert_eq!(without_schemas.status, 400);

    // Delete, then it is gone (and so is its token).
    let deleted = call(
        &issuer,
        Method::DELETE,
        &format!("/api/v2/settings/objects/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        call(
            &issuer,
            Method::GET,
            &format!("/api/v2/settings/objects/{id}"),
            &admin,
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(connector_token(&issuer, &admin, &id).await.status, 404);

    // The schemas, as settings:schemas:read allows them.
    let schemas = call(
        &issuer,
        Method::GET,
        "/api/v2/settings/schemas",
        &viewer,
        None,
    )
    .await;
    assert_eq!(schemas.body["totalCount"], 2);
    let schema = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/schemas/{LEGACY_SCHEMA}"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(schema.status, 200);
    assert_eq!(
        schema.body["types"]["WebIdentity"]["properties"]["roleArn"]["type"],
        "secret"
    );
}

#[tokio::test]
async fn a_list_shows_only_what_the_caller_may_read() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, None).await;
    // The admins' policies name the two connection schemas; a list of both shows both.
    let both = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/objects?schemaIds={LEGACY_SCHEMA},{CURRENT_SCHEMA}&fields=objectId,schemaId,summary&pageSize=1"),
        &admin,
        None,
    )
    .await;
    assert_eq!(both.status, 200, "{}", both.body);
    assert_eq!(both.body["totalCount"], 2);
    assert_eq!(
        both.body["items"],
        json!([{"objectId": LEGACY_CONNECTION_ID, "schemaId": LEGACY_SCHEMA, "summary": "my-connection"}])
    );
    let next = both.body["nextPageKey"].as_str().unwrap();
    let page2 = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/objects?nextPageKey={next}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(page2.body["items"][0]["objectId"], DEFAULT_CONNECTION_ID);
    assert_eq!(page2.body["nextPageKey"], Value::Null);
    // Take the current schema's statement away from the admins: that object disappears.
    let current_policy = "d1b2c3d4-e5f6-4071-9b82-a3c4d5e6f708";
    let unbound = call(
        &issuer,
        Method::DELETE,
        &account_path(&format!("bindings/{current_policy}")),
        &admin,
        None,
    )
    .await;
    assert_eq!(unbound.status, 204);
    let only_legacy = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/objects?schemaIds={LEGACY_SCHEMA},{CURRENT_SCHEMA}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(only_legacy.body["totalCount"], 1);
    let direct = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/objects/{DEFAULT_CONNECTION_ID}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(direct.status, 403);
    assert_eq!(
        direct.body["error"]["details"]["missingPermissions"],
        json!(["settings:objects:read"])
    );
}

#[tokio::test]
async fn a_setup_file_section_replaces_the_builtin_world() {
    let text = r#"
[dynatrace]
account = "11111111-2222-4333-8444-555555555555"
environments = ["xyz00001", "xyz00002"]

[[dynatrace.group]]
name = "ops"

[[dynatrace.client]]
client_id = "dt0s02.OPS"
client_secret = "s3cret"
scopes = ["hyperscaler-authentication:aws:authenticate", "settings:objects:read", "settings:objects:write"]
groups = ["ops"]

[[dynatrace.policy]]
name = "connect"
level = "environment:xyz00002"
statementQuery = "ALLOW hyperscaler-authentication:aws:authenticate, settings:objects:read, settings:objects:write;"

[[dynatrace.binding]]
level = "environment:xyz00002"
policy = "connect"
group = "ops"

[[dynatrace.settings_object]]
environment = "xyz00001"
objectId = "one"
schemaId = "builtin:hyperscaler-authentication.aws.connection"
value = { name = "c1", type = "webIdentity", webIdentity = { roleArn = "arn:aws:iam::000000000000:role/r1", policyArns = [] } }

[[dynatrace.settings_object]]
environment = "xyz00002"
objectId = "two"
schemaId = "builtin:hyperscaler-authentication.aws.connection"
value = { name = "c2", type = "webIdentity", webIdentity = { roleArn = "arn:aws:iam::000000000000:role/r2", policyArns = [] } }
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("setup.toml");
    std::fs::write(&path, text).unwrap();
    let setup = issuer::issuers::load_setup(&path).unwrap();
    assert!(setup.issuers.is_empty());
    let keys = KeySet::load_dir(KEYS_DIR.as_ref(), None).unwrap();
    let issuer = Issuer::start(IssuerConfig::new(keys).dynatrace(setup.dynatrace.unwrap()))
        .await
        .unwrap();
    let resource = "urn:dtaccount:11111111-2222-4333-8444-555555555555";
    let answer = token_request(
        &issuer,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "dt0s02.OPS"),
            ("client_secret", "s3cret"),
            ("resource", resource),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let token = answer.body["access_token"].as_str().unwrap();
    // The policy is bound in xyz00002 only.
    let two = connector_token(&issuer, token, "two").await;
    assert_eq!(two.status, 200, "{}", two.body);
    assert_eq!(
        claims(two.body["token"].as_str().unwrap())["aud"],
        "xyz00002.apps.dynatrace.com/app-id/dynatrace.aws.connector"
    );
    assert_eq!(
        claims(two.body["token"].as_str().unwrap())["sub"],
        "dtid:connection/c2"
    );
    let one = connector_token(&issuer, token, "one").await;
    assert_eq!(one.status, 403);
    // The built-in clients do not exist here.
    let admin = token_request(
        &issuer,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ADMIN_CLIENT_ID),
            ("client_secret", ADMIN_CLIENT_SECRET),
            ("resource", resource),
        ],
    )
    .await;
    assert_eq!(admin.status, 401);

    // With two environments, a create names its environment: by Host, or by the token.
    let connection = |name: &str| {
        json!([{"schemaId": LEGACY_SCHEMA, "scope": "environment",
            "value": {"name": name, "type": "webIdentity",
                      "webIdentity": {"roleArn": "arn:aws:iam::000000000000:role/r3", "policyArns": []}}}])
    };
    let post = |bearer: &str, host: Option<&str>, body: Value| {
        let mut request = Client::new()
            .post(format!("{}/api/v2/settings/objects", issuer.url()))
            .bearer_auth(bearer)
            .body(body.to_string());
        if let Some(host) = host {
            request = request.header("host", host);
        }
        send(request)
    };
    let unnamed = post(token, None, connection("c3")).await;
    assert_eq!(unnamed.status, 400, "{}", unnamed.body);
    let why = unnamed.body["error"]["constraintViolations"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        why.starts_with("name the environment (xyz00001, xyz00002)"),
        "{why}"
    );
    let by_host = post(token, Some("xyz00002.live.dynatrace.com"), connection("c3")).await;
    assert_eq!(by_host.status, 200, "{}", by_host.body);
    let id = by_host.body[0]["objectId"].as_str().unwrap().to_string();
    let got = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/objects/{id}"),
        token,
        None,
    )
    .await;
    assert_eq!(got.status, 200);
    let minted = connector_token(&issuer, token, &id).await;
    assert_eq!(
        claims(minted.body["token"].as_str().unwrap())["sub"],
        "dtid:connection/c3"
    );
    // A token for one environment sees only that one's objects, and creates only there.
    let env_token = token_request(
        &issuer,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "dt0s02.OPS"),
            ("client_secret", "s3cret"),
            ("resource", "urn:dtenvironment:xyz00001"),
        ],
    )
    .await;
    let env_token = env_token.body["access_token"].as_str().unwrap().to_string();
    let hidden = call(
        &issuer,
        Method::GET,
        &format!("/api/v2/settings/objects/{id}"),
        &env_token,
        None,
    )
    .await;
    assert_eq!(hidden.status, 404);
    assert_eq!(
        connector_token(&issuer, &env_token, "two").await.status,
        404
    );
    let clash = post(
        &env_token,
        Some("xyz00002.apps.dynatrace.com"),
        connection("c4"),
    )
    .await;
    assert_eq!(clash.status, 400);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused_in_dynatraces_shapes() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, None).await;
    let huge = "x".repeat(70 * 1024);
    let answer = send(
        Client::new()
            .post(format!("{}/api/v2/settings/objects", issuer.url()))
            .bearer_auth(&admin)
            .body(huge),
    )
    .await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.body["error"]["code"], 413);
    for body in ["", "{", "[1, 2]", "{\"schemaId\": 1}"] {
        let answer = send(
            Client::new()
                .post(format!("{}/api/v2/settings/objects", issuer.url()))
                .bearer_auth(&admin)
                .body(body),
        )
        .await;
        assert!(
            answer.status == 400 || answer.status == 207,
            "{body}: {}",
            answer.status
        );
    }
    let unknown =
        send(Client::new().get(format!("{}/api/v2/settings/nothing", issuer.url()))).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.body["error"]["message"],
        "no such endpoint: /api/v2/settings/nothing"
    );
    // /mint stays unconditional.
    let minted = send(
        Client::new()
            .post(format!("{}/mint", issuer.url()))
            .body("{}"),
    )
    .await;
    assert_eq!(minted.status, 200);
}

#[tokio::test]
async fn no_request_makes_a_server_error() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, None).await;
    let acct = format!("/iam/v1/repo/account/{DYNATRACE_ACCOUNT}");
    let paths = [
        "/sso/oauth2/token".to_string(),
        "/sso/".to_string(),
        format!("{acct}/policies"),
        format!("{acct}/policies/aggregate"),
        format!("{acct}/policies/not-a-uuid"),
        format!("{acct}/bindings"),
        format!("{acct}/bindings/x"),
        format!("{acct}/bindings/groups/{VIEWERS}"),
        format!("{acct}/bindings/x/{VIEWERS}"),
        format!("{acct}/bindings/x/y/z"),
        "/iam/v1/repo/account//policies".to_string(),
        "/iam/v1/repo/global/global/bindings/x".to_string(),
        "/iam/v1/repo/planet/x/policies".to_string(),
        "/iam/".to_string(),
        "/api/v2/settings/objects".to_string(),
        "/api/v2/settings/objects?schemaIds=&scopes=HOST-1&fields=owner,nope&pageSize=0"
            .to_string(),
        "/api/v2/settings/objects?nextPageKey=%FF%FE".to_string(),
        format!("/api/v2/settings/objects/{LEGACY_CONNECTION_ID}"),
        "/api/v2/settings/objects/%2F..%2F".to_string(),
        "/api/v2/settings/schemas/".to_string(),
        "/api/v2/settings/schemas/builtin:nope".to_string(),
        format!(
            "/platform/hyperscaler-authentication/aws/connections/{LEGACY_CONNECTION_ID}/token"
        ),
        "/platform/hyperscaler-authentication/aws/connections//token".to_string(),
        "/platform/x".to_string(),
        "/_issuer/decisions".to_string(),
    ];
    let bodies = [
        "",
        "null",
        "[]",
        "{}",
        "[{}]",
        "[null, 1, \"x\"]",
        "{\"name\": \"é\", \"description\": null, \"statementQuery\": \"ALLOW \\u0000:a:b\"}",
        "{\"groups\": [1]}",
        "{\"policyUuids\": \"x\"}",
        "{\"parameters\": {\"a\": 1}}",
        "{\"value\": {\"name\": [], \"type\": {}}}",
        "[{\"schemaId\": \"builtin:hyperscaler-authentication.aws.connection\", \"scope\": \"environment\", \"value\": {\"webIdentity\": {\"roleArn\": \"********\"}}}]",
        "grant_type=client_credentials&client_id=%FF&client_secret=",
        "\u{1F600}\u{0}",
    ];
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
    ];
    let bearers = [admin.as_str(), "", "x.y.z", "eyJhbGciOiJub25lIn0.e30."];
    let mut n = 0usize;
    for path in &paths {
        for method in &methods {
            for (i, body) in bodies.iter().enumerate() {
                // Every body with every path and method, the bearers in turn.
                let bearer = bearers[(n + i) % bearers.len()];
                n += 1;
                let response = Client::new()
                    .request(method.clone(), format!("{}{path}", issuer.url()))
                    .bearer_auth(bearer)
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                assert!(status < 500, "{method} {path} {body:?}: {status}");
                let bytes = response.bytes().await.unwrap();
                assert!(
                    bytes.is_empty() || serde_json::from_slice::<Value>(&bytes).is_ok(),
                    "{method} {path} {body:?}: {}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }
    // The server still answers (the admin's garbage deleted bindings on the way, so the
    // connector's request is refused now, in Dynatrace's shape).
    let after = connector_token(&issuer, &admin, LEGACY_CONNECTION_ID).await;
    assert_eq!(after.status, 403, "{}", after.body);
    assert_eq!(after.body["error"]["code"], 403);
}

#[tokio::test]
async fn what_clients_create_is_bounded() {
    let issuer = start().await;
    let admin = access_token(&issuer, ADMIN, None).await;
    // Dynatrace's limit: 200 policies per account (3 are built in).
    for i in 0..197 {
        let answer = call(
            &issuer,
            Method::POST,
            &account_path("policies"),
            &admin,
            Some(json!({"name": format!("p{i}"), "description": "", "statementQuery": "ALLOW a:b:c;"})),
        )
        .await;
        assert_eq!(answer.status, 201, "{i}: {}", answer.body);
    }
    let over = call(
        &issuer,
        Method::POST,
        "/iam/v1/repo/environment/abc12345/policies",
        &admin,
        Some(json!({"name": "one more", "description": "", "statementQuery": "ALLOW a:b:c;"})),
    )
    .await;
    assert_eq!(over.status, 400);
    assert_eq!(
        over.body["message"],
        "the account already has 200 policies, Dynatrace's limit"
    );
    // Settings objects: a thousand per environment (2 are built in).
    let mut made = 2;
    while made < 1000 {
        let batch: Vec<Value> = (made..(made + 100).min(1000))
            .map(|i| json!({"schemaId": LEGACY_SCHEMA, "scope": "environment",
                "value": {"name": format!("c{i}"), "type": "webIdentity",
                          "webIdentity": {"roleArn": "arn:aws:iam::000000000000:role/r", "policyArns": []}}}))
            .collect();
        made += batch.len();
        let answer = call(
            &issuer,
            Method::POST,
            "/api/v2/settings/objects",
            &admin,
            Some(Value::Array(batch)),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let over = call(
        &issuer,
        Method::POST,
        "/api/v2/settings/objects",
        &admin,
        Some(json!([{"schemaId": LEGACY_SCHEMA, "scope": "environment",
            "value": {"name": "c1000", "type": "webIdentity",
                      "webIdentity": {"roleArn": "arn:aws:iam::000000000000:role/r", "policyArns": []}}}])),
    )
    .await;
    assert_eq!(over.status, 400, "{}", over.body);
    assert_eq!(
        over.body[0]["error"]["constraintViolations"][0]["message"],
        "environment abc12345 already holds 1000 settings objects"
    );
    // A binding's parameters are bounded too.
    let params: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("p{i}"), json!("v"))).collect();
    let over = call(
        &issuer,
        Method::POST,
        &account_path(&format!(
            "bindings/e2c3d4e5-f607-4182-8c93-b4d5e6f70819/{VIEWERS}"
        )),
        &admin,
        Some(json!({ "parameters": params })),
    )
    .await;
    assert_eq!(over.status, 400);
    assert_eq!(
        over.body["message"],
        "a binding carries at most 10 parameters"
    );
    // The decision log keeps the last 200 only.
    let log = send(Client::new().get(format!("{}/_issuer/decisions", issuer.url()))).await;
    assert_eq!(log.body["decisions"].as_array().unwrap().len(), 200);
}

/// Keys rotated at run time (`/_issuer/keys`) sign the Dynatrace access tokens too, and those
/// tokens verify against the keys as they are now: the connector flow keeps working across a
/// rotation, and a token signed by a removed key is refused.
#[tokio::test]
async fn access_tokens_follow_keys_rotated_at_run_time() {
    let issuer = start().await;
    let before = access_token(&issuer, ADMIN, None).await;
    let root = issuer.get("dynatrace").unwrap();
    let old_kid = header(&before)["kid"].as_str().unwrap().to_string();
    root.add_key(
        issuer::SigningKey::generate("rotated", issuer::KeyAlg::Es256).unwrap(),
        true,
    )
    .unwrap();
    let after = access_token(&issuer, ADMIN, None).await;
    assert_eq!(header(&after)["kid"], "rotated");
    let answer = connector_token(&issuer, &after, LEGACY_CONNECTION_ID).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The token minted for AWS is signed by the new key as well.
    assert_eq!(
        header(answer.body["token"].as_str().unwrap())["kid"],
        "rotated"
    );
    // The old key still verifies until it is removed; then its tokens are refused.
    assert_eq!(
        connector_token(&issuer, &before, LEGACY_CONNECTION_ID)
            .await
            .status,
        200
    );
    root.remove_key(&old_kid).unwrap();
    assert_eq!(
        connector_token(&issuer, &before, LEGACY_CONNECTION_ID)
            .await
            .status,
        401
    );
}
