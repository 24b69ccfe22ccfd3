//! Shared test fixtures: wiremock plays the IdP (discovery + JWKS), josekit mints tokens, and
//! a raw HTTP client speaks the Query protocol to an in-process sts-mock.

#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jwk::KeyPair as _;
use josekit::jws::{JwsHeader, HS256, RS256};
use serde_json::{json, Map, Value};
use sts_mock::{RoleSpec, StsMock, StsMockConfig, DEFAULT_ACCOUNT};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const ISSUER: &str = "https://token.dynatrace.com";
pub const AUD: &str = "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector";
pub const ROLE_ARN: &str = "arn:aws:iam::000000000000:role/dynatrace-aws-connector";
/// The trust policy of shared/sources/000, filled in for tenant abc12345 and `my-connection`:
/// the shipped example, so the tests and the built-in default can never disagree.
pub const SEED_TRUST_POLICY: &str = include_str!("../../../examples/policies/dynatrace-trust.json");

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An IdP: a key pair published by wiremock under a discovery document.
pub struct Idp {
    pub server: MockServer,
    pub key: RsaKeyPair,
    pub kid: String,
}

impl Idp {
    pub async fn start() -> Idp {
        Self::start_with_key(RS256.generate_key_pair(2048).unwrap(), "idp-key").await
    }

    pub async fn start_with_key(key: RsaKeyPair, kid: &str) -> Idp {
        Self::start_publishing(key, kid, true).await
    }

    /// `with_alg: false` publishes the key without `alg`, as some IdPs do.
    pub async fn start_publishing(key: RsaKeyPair, kid: &str, with_alg: bool) -> Idp {
        let server = MockServer::start().await;
        let mut jwk = key.to_jwk_public_key();
        jwk.set_key_id(kid);
        if with_alg {
            jwk.set_algorithm("RS256");
        }
        jwk.set_key_use("sig");
        let jwk_value = Value::Object(jwk.as_ref().clone());
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": ISSUER,
                "authorization_endpoint": format!("{}/authorize", server.uri()),
                "jwks_uri": format!("{}/jwks", server.uri()),
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "keys": [jwk_value] })))
            .mount(&server)
            .await;
        Idp {
            server,
            key,
            kid: kid.to_string(),
        }
    }

    /// Claims of a good Dynatrace token for `connection`.
    pub fn claims(&self, connection: &str) -> Map<String, Value> {
        let now = now();
        json!({
            "iss": ISSUER,
            "sub": format!("dtid:connection/{connection}"),
            "aud": AUD,
            "iat": now, "nbf": now, "exp": now + 300,
            "jti": "test"
        })
        .as_object()
        .unwrap()
        .clone()
    }

    /// An IdP whose documents live under `prefix` (e.g. `/github`): the discovery document is
    /// `document(jwks_url)`, verbatim, and the JWKS is at `prefix/jwks_path`. The base to map
    /// the issuer to is `self.server.uri() + prefix`.
    pub async fn serving(prefix: &str, jwks_path: &str, document: impl Fn(&str) -> Value) -> Idp {
        let key = RS256.generate_key_pair(2048).unwrap();
        let kid = "real-shape-key";
        let server = MockServer::start().await;
        let mut jwk = key.to_jwk_public_key();
        jwk.set_key_id(kid);
        jwk.set_algorithm("RS256");
        jwk.set_key_use("sig");
        let jwks_url = format!("{}{prefix}/{jwks_path}", server.uri());
        Mock::given(method("GET"))
            .and(path(format!("{prefix}/.well-known/openid-configuration")))
            .respond_with(ResponseTemplate::new(200).set_body_json(document(&jwks_url)))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{prefix}/{jwks_path}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "keys": [Value::Object(jwk.as_ref().clone())] })),
            )
            .mount(&server)
            .await;
        Idp {
            server,
            key,
            kid: kid.to_string(),
        }
    }

    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        sign_with(&self.key, &self.kid, claims)
    }

    pub fn token(&self, connection: &str) -> String {
        self.sign(&self.claims(connection))
    }

    /// HS256 with the RSA public key (PEM) as the secret: the algorithm-confusion attack.
    pub fn hs256_confusion(&self, claims: &Map<String, Value>) -> String {
        let signer = HS256
            .signer_from_bytes(self.key.to_pem_public_key())
            .unwrap();
        let mut header = JwsHeader::new();
        header.set_key_id(&self.kid);
        josekit::jws::serialize_compact(&serde_json::to_vec(claims).unwrap(), &header, &signer)
            .unwrap()
    }

    pub fn alg_none(&self, claims: &Map<String, Value>) -> String {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": self.kid}).to_string());
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
        format!("{header}.{payload}.")
    }
}

pub fn sign_with(key: &RsaKeyPair, kid: &str, claims: &Map<String, Value>) -> String {
    let signer = RS256.signer_from_jwk(&key.to_jwk_private_key()).unwrap();
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id(kid);
    josekit::jws::serialize_compact(&serde_json::to_vec(claims).unwrap(), &header, &signer).unwrap()
}

/// sts-mock wired to `idp` as the issuer `https://token.dynatrace.com`, with the seed scenario.
pub async fn seed_sts(idp: &Idp) -> StsMock {
    seed_sts_fetching_from(&idp.server.uri()).await
}

/// The seed scenario, fetching the issuer's documents from `base` (which may be unreachable).
pub async fn seed_sts_fetching_from(base: &str) -> StsMock {
    seed_sts_with(
        StsMockConfig::default()
            .oidc_endpoint(ISSUER, base)
            .secret("test-secret"),
    )
    .await
}

/// An sts-mock started with `config`, with the seed scenario's provider and role.
pub async fn seed_sts_with(config: StsMockConfig) -> StsMock {
    let sts = StsMock::start(config).await.unwrap();
    sts.model()
        .add_provider(DEFAULT_ACCOUNT, ISSUER, vec![AUD.to_string()], vec![])
        .unwrap();
    sts.model()
        .add_role(
            DEFAULT_ACCOUNT,
            RoleSpec::new("dynatrace-aws-connector", SEED_TRUST_POLICY),
        )
        .unwrap();
    sts
}

pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Answer {
    /// The text of the first `<name>` element.
    pub fn element(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{name}>"))? + start;
        Some(self.body[start..end].to_string())
    }

    pub fn assert_error(&self, status: u16, code: &str, message: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.element("Code").as_deref(), Some(code), "{}", self.body);
        assert_eq!(
            self.element("Type").as_deref(),
            Some("Sender"),
            "{}",
            self.body
        );
        let got = self.element("Message").unwrap_or_default();
        assert!(got.contains(message), "message {got:?} lacks {message:?}");
        let request_id = self.element("RequestId").unwrap();
        assert_eq!(self.headers["x-amzn-requestid"], request_id.as_str());
    }
}

pub async fn post_form(url: &str, form: &[(&str, &str)]) -> Answer {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    send("POST", url, body).await
}

pub async fn send(method: &str, url: &str, body: String) -> Answer {
    send_with_headers(method, url, &[], body).await
}

/// A form request with extra headers (e.g. an `authorization` naming the caller's access key).
pub async fn send_with_headers(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: String,
) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request.body(Full::new(Bytes::from(body))).unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

pub async fn assume(sts: &StsMock, token: &str) -> Answer {
    assume_with(sts, token, &[]).await
}

pub async fn assume_with(sts: &StsMock, token: &str, extra: &[(&str, &str)]) -> Answer {
    let mut form = vec![
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", ROLE_ARN),
        ("RoleSessionName", "test-session"),
        ("WebIdentityToken", token),
    ];
    for (k, v) in extra {
        form.retain(|(name, _)| name != k);
        form.push((k, v));
    }
    post_form(sts.url(), &form).await
}

/// An IAM Query call to `sts` (any credentials: the access key names the default account).
pub async fn iam_call(sts: &StsMock, action: &str, params: &[(&str, &str)]) -> Answer {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", action)
        .append_pair("Version", "2010-05-08");
    form.extend_pairs(params);
    let authorization = "AWS4-HMAC-SHA256 Credential=test/20261123/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0000".to_string();
    send_with_headers(
        "POST",
        sts.url(),
        &[("authorization", authorization)],
        form.finish(),
    )
    .await
}
