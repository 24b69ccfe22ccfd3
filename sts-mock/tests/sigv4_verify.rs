//! SigV4 verification against requests signed by real signers: the `aws-sigv4` crate the Rust SDK
//! uses (header and presigned forms, with and without session tokens), botocore (fixed vectors
//! captured from botocore's `SigV4Auth` / `SigV4QueryAuth`), and AWS's published test suite.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SessionTokenMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use sts_mock::credentials::{CredentialSealer, SessionClaims};
use sts_mock::sigv4::{access_key_id_of, verify, SigV4Error, SignedRequest, VerifiedRequest};

const KEY: &str = "ASIAEXAMPLEKEY234567";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "session-token-from-sts";
const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// 2024-05-06T07:08:09Z
fn signing_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_979_289)
}

/// A request as the server receives it: origin-form URI, `Host` header.
struct Received {
    method: String,
    uri: http::Uri,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn signed(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: &self.method,
            uri: &self.uri,
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn verify_at(&self, now: SystemTime) -> Result<VerifiedRequest, SigV4Error> {
        verify(&self.signed(), now, known_key)
    }

    fn verify(&self) -> Result<VerifiedRequest, SigV4Error> {
        self.verify_at(signing_time())
    }
}

/// The credential store the tests verify against: one key, requiring its session token.
fn known_key(key: &str, token: Option<&str>) -> Result<String, SigV4Error> {
    match (key, token) {
        (KEY, Some(TOKEN)) | ("AKIDEXAMPLE", None) | ("AKIAEXAMPLELONGTERM1", None) => {
            Ok(SECRET.to_owned())
        }
        ("ASIAEXAMPLEBOTOCORE1", Some("botocore-session-token")) => {
            Ok("botocoreSecretKeyEXAMPLEEXAMPLEEXAMPLE12".to_owned())
        }
        _ => Err(SigV4Error::InvalidClientTokenId),
    }
}

enum Form {
    Header,
    Presigned(Duration),
}

/// Signs like an SDK client does (full URL, host taken from it), then turns the request into what
/// a server sees.
fn client_signed(
    method: &str,
    url: &str,
    extra_headers: &[(&str, &str)],
    body: &str,
    (key, secret, token): (&str, &str, Option<&str>),
    form: Form,
) -> Received {
    let mut request = http::Request::builder().method(method).uri(url);
    for (k, v) in extra_headers {
        request = request.header(*k, *v);
    }
    let mut request = request.body(body.as_bytes().to_vec()).unwrap();

    let identity: Identity =
        Credentials::new(key, secret, token.map(str::to_owned), None, "test").into();
    let mut settings = SigningSettings::default();
    if let Form::Presigned(expires) = form {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(signing_time())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        request.method().as_str(),
        request.uri().to_string(),
        request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
        SignableBody::Bytes(request.body()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    received(request)
}

fn received(request: http::Request<Vec<u8>>) -> Received {
    let (parts, body) = request.into_parts();
    let mut headers = parts.headers;
    if let Some(authority) = parts.uri.authority() {
        headers.insert("host", authority.as_str().parse().unwrap());
    }
    Received {
        method: parts.method.to_string(),
        uri: parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .parse()
            .unwrap(),
        headers,
        body,
    }
}

fn post_with_token() -> Received {
    client_signed(
        "POST",
        "https://sts.us-east-1.amazonaws.com/",
        &[("content-type", "application/x-www-form-urlencoded")],
        BODY,
        (KEY, SECRET, Some(TOKEN)),
        Form::Header,
    )
}

fn presigned_get(token: Option<&str>, key: &str) -> Received {
    client_signed(
        "GET",
        "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        &[],
        "",
        (key, SECRET, token),
        Form::Presigned(Duration::from_secs(60)),
    )
}

fn set_header(r: &mut Received, name: &'static str, value: &str) {
    r.headers.insert(name, value.parse().unwrap());
}

fn set_query(r: &mut Received, query: &str) {
    r.uri = format!("{}?{query}", r.uri.path()).parse().unwrap();
}

// --- forms that must verify -------------------------------------------------------------------

#[test]
fn header_signed_post_with_session_token_verifies() {
    let r = post_with_token();
    assert!(r.headers.contains_key("x-amz-security-token"));
    assert_eq!(
        r.verify().unwrap(),
        VerifiedRequest {
            access_key_id: KEY.into(),
            session_token: Some(TOKEN.into()),
            region: "us-east-1".into(),
            service: "sts".into(),
        }
    );
}

#[test]
fn header_signed_post_without_session_token_verifies() {
    let r = client_signed(
        "POST",
        "https://sts.amazonaws.com/",
        &[("content-type", "application/x-www-form-urlencoded")],
        BODY,
        ("AKIAEXAMPLELONGTERM1", SECRET, None),
        Form::Header,
    );
    let verified = r.verify().unwrap();
    assert_eq!(verified.access_key_id, "AKIAEXAMPLELONGTERM1");
    assert_eq!(verified.session_token, None);
}

#[test]
fn header_signed_get_with_query_verifies() {
    let r = client_signed(
        "GET",
        "http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15",
        &[],
        "",
        (KEY, SECRET, Some(TOKEN)),
        Form::Header,
    );
    assert_eq!(r.headers["host"], "127.0.0.1:4566");
    r.verify().unwrap();
}

#[test]
fn header_signed_with_session_token_added_after_signing_verifies() {
    // SessionTokenMode::Exclude: the token header is sent but not in SignedHeaders.
    let mut request = http::Request::builder()
        .method("POST")
        .uri("https://sts.amazonaws.com/")
        .body(BODY.as_bytes().to_vec())
        .unwrap();
    let identity: Identity = Credentials::new(KEY, SECRET, Some(TOKEN.into()), None, "test").into();
    let mut settings = SigningSettings::default();
    settings.session_token_mode = SessionTokenMode::Exclude;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("sts")
        .time(signing_time())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "POST",
        "https://sts.amazonaws.com/",
        std::iter::empty(),
        SignableBody::Bytes(BODY.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    let r = received(request);
    let auth = r.headers["authorization"].to_str().unwrap();
    assert!(!auth.contains("x-amz-security-token"), "{auth}");
    let verified = r.verify().unwrap();
    assert_eq!(verified.session_token.as_deref(), Some(TOKEN));
    assert_eq!(verified.region, "eu-west-1");
}

#[test]
fn presigned_get_with_session_token_verifies() {
    let r = presigned_get(Some(TOKEN), KEY);
    assert!(r.uri.query().unwrap().contains("X-Amz-Security-Token="));
    assert!(!r.headers.contains_key("authorization"));
    let verified = r.verify().unwrap();
    assert_eq!(verified.session_token.as_deref(), Some(TOKEN));
}

#[test]
fn presigned_get_without_session_token_verifies() {
    presigned_get(None, "AKIAEXAMPLELONGTERM1")
        .verify()
        .unwrap();
}

#[test]
fn presigned_post_with_body_verifies() {
    let r = client_signed(
        "POST",
        "https://sts.amazonaws.com/",
        &[("content-type", "application/x-www-form-urlencoded")],
        BODY,
        (KEY, SECRET, Some(TOKEN)),
        Form::Presigned(Duration::from_secs(900)),
    );
    r.verify().unwrap();
}

#[test]
fn presigned_with_token_appended_after_signing_verifies() {
    let mut r = presigned_get(None, KEY);
    let query = format!("{}&X-Amz-Security-Token={TOKEN}", r.uri.query().unwrap());
    set_query(&mut r, &query);
    let verified = r.verify().unwrap();
    assert_eq!(verified.session_token.as_deref(), Some(TOKEN));
}

/// AWS's SigV4 test suite, `get-vanilla`: an independent implementation's published signature.
#[test]
fn aws_published_test_vector_get_vanilla() {
    let mut headers = http::HeaderMap::new();
    headers.insert("host", "example.amazonaws.com".parse().unwrap());
    headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
    headers.insert(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, \
         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            .parse()
            .unwrap(),
    );
    let uri: http::Uri = "/".parse().unwrap();
    let request = SignedRequest {
        method: "GET",
        uri: &uri,
        headers: &headers,
        body: b"",
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 20150830T123600Z
    let verified = verify(&request, now, known_key).unwrap();
    assert_eq!(verified.service, "service");

    // ... and a wrong secret for it does not verify.
    let wrong = verify(&request, now, |_, _| Ok("wrong".into()));
    assert_eq!(wrong, Err(SigV4Error::SignatureDoesNotMatch));
}

/// Captured from botocore 1.x `SigV4Auth(creds, "sts", "us-east-1").add_auth(...)`, as the AWS
/// CLI signs `aws sts get-caller-identity`.
#[test]
fn botocore_header_signed_request_verifies() {
    let mut headers = http::HeaderMap::new();
    headers.insert("host", "sts.us-east-1.amazonaws.com".parse().unwrap());
    headers.insert(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8"
            .parse()
            .unwrap(),
    );
    headers.insert("x-amz-date", "20261123T065140Z".parse().unwrap());
    headers.insert(
        "x-amz-security-token",
        "botocore-session-token".parse().unwrap(),
    );
    headers.insert(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEBOTOCORE1/20261123/us-east-1/sts/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, \
         Signature=7b9628d882adffe66cc3bbe081aebff99e686cd26857f1cfb68556cb5a5c808c"
            .parse()
            .unwrap(),
    );
    let uri: http::Uri = "/".parse().unwrap();
    let request = SignedRequest {
        method: "POST",
        uri: &uri,
        headers: &headers,
        body: BODY.as_bytes(),
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_416_700); // 20261123T065140Z
    let verified = verify(&request, now, known_key).unwrap();
    assert_eq!(verified.access_key_id, "ASIAEXAMPLEBOTOCORE1");

    let other_body = SignedRequest {
        body: b"Action=GetCallerIdentity&Version=2011-06-16",
        ..request
    };
    assert_eq!(
        verify(&other_body, now, known_key),
        Err(SigV4Error::SignatureDoesNotMatch)
    );
}

/// Captured from botocore's `SigV4QueryAuth(creds, "sts", "us-east-1", expires=60)`.
#[test]
fn botocore_presigned_url_verifies() {
    let uri: http::Uri = "/?Action=GetCallerIdentity&Version=2011-06-15\
        &X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=ASIAEXAMPLEBOTOCORE1%2F20261123%2Fus-east-1%2Fsts%2Faws4_request\
        &X-Amz-Date=20261123T065140Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host\
        &X-Amz-Security-Token=botocore-session-token\
        &X-Amz-Signature=6c13fdbe484a1bcc4fed797b0e00a42c9e0a50f1804e1141f796fe98bd45e472"
        .parse()
        .unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("host", "sts.us-east-1.amazonaws.com".parse().unwrap());
    let request = SignedRequest {
        method: "GET",
        uri: &uri,
        headers: &headers,
        body: b"",
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_416_700);
    assert_eq!(
        verify(&request, now, known_key)
            .unwrap()
            .session_token
            .as_deref(),
        Some("botocore-session-token")
    );
    assert_eq!(
        access_key_id_of(&request).as_deref(),
        Some("ASIAEXAMPLEBOTOCORE1")
    );
}

// --- forms that must not verify ---------------------------------------------------------------

#[test]
fn wrong_secret_is_signature_does_not_match() {
    for r in [post_with_token(), presigned_get(Some(TOKEN), KEY)] {
        let result = verify(&r.signed(), signing_time(), |_, _| {
            Ok("AnotherSecretAnotherSecretAnotherSecret0".into())
        });
        let err = result.unwrap_err();
        assert_eq!(err, SigV4Error::SignatureDoesNotMatch);
        assert_eq!(err.code().as_str(), "SignatureDoesNotMatch");
        assert_eq!(err.status(), 403);
        assert_eq!(
            err.message(),
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details."
        );
    }
}

#[test]
fn altered_body_is_signature_does_not_match() {
    let mut r = post_with_token();
    r.body = b"Action=GetCallerIdentity&Version=2011-06-15&x=1".to_vec();
    assert_eq!(r.verify(), Err(SigV4Error::SignatureDoesNotMatch));
}

#[test]
fn altered_signed_header_is_signature_does_not_match() {
    let mut r = post_with_token();
    set_header(&mut r, "content-type", "text/plain");
    assert_eq!(r.verify(), Err(SigV4Error::SignatureDoesNotMatch));

    let mut r = post_with_token();
    set_header(&mut r, "host", "evil.example.com");
    assert_eq!(r.verify(), Err(SigV4Error::SignatureDoesNotMatch));

    // The session token is signed too: swapping it is caught even if the store accepted it.
    let mut r = post_with_token();
    set_header(&mut r, "x-amz-security-token", "another-token");
    let result = verify(&r.signed(), signing_time(), |_, _| Ok(SECRET.into()));
    assert_eq!(result, Err(SigV4Error::SignatureDoesNotMatch));
}

#[test]
fn unsigned_headers_may_change() {
    let mut r = post_with_token();
    set_header(&mut r, "user-agent", "something else");
    set_header(&mut r, "x-extra", "not signed");
    r.verify().unwrap();
}

#[test]
fn altered_method_or_path_is_signature_does_not_match() {
    let mut r = post_with_token();
    r.method = "PUT".into();
    assert_eq!(r.verify(), Err(SigV4Error::SignatureDoesNotMatch));

    let mut r = post_with_token();
    r.uri = "/other".parse().unwrap();
    assert_eq!(r.verify(), Err(SigV4Error::SignatureDoesNotMatch));
}

#[test]
fn altered_query_is_signature_does_not_match() {
    let mut r = client_signed(
        "GET",
        "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        &[],
        "",
        (KEY, SECRET, Some(TOKEN)),
        Form::Header,
    );
    set_query(&mut r, "Action=GetCallerIdentity&Version=2011-06-16");
    assert_eq!(r.verify(), Err(SigV4Error::SignatureDoesNotMatch));

    let mut r = presigned_get(Some(TOKEN), KEY);
    let query = r
        .uri
        .query()
        .unwrap()
        .replace("Version=2011-06-15", "Version=2011-06-16");
    set_query(&mut r, &query);
    assert_eq!(r.verify(), Err(SigV4Error::SignatureDoesNotMatch));

    let mut r = presigned_get(Some(TOKEN), KEY);
    let query = format!("{}&Extra=1", r.uri.query().unwrap());
    set_query(&mut r, &query);
    assert_eq!(r.verify(), Err(SigV4Error::SignatureDoesNotMatch));

    let mut r = presigned_get(Some(TOKEN), KEY);
    let query = r
        .uri
        .query()
        .unwrap()
        .replace("X-Amz-Expires=60", "X-Amz-Expires=900");
    set_query(&mut r, &query);
    assert_eq!(r.verify(), Err(SigV4Error::SignatureDoesNotMatch));
}

#[test]
fn scope_for_another_day_is_signature_does_not_match() {
    let r = post_with_token();
    let auth = r.headers["authorization"].to_str().unwrap().to_owned();
    let mut r2 = post_with_token();
    set_header(
        &mut r2,
        "authorization",
        &auth.replace("/20240506/", "/20240505/"),
    );
    // IAM User Guide, "Troubleshoot signing errors": this exact message.
    let err = r2.verify().unwrap_err();
    assert_eq!(err.code().as_str(), "SignatureDoesNotMatch");
    assert_eq!(
        err.message(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"
    );
}

#[test]
fn unknown_key_is_propagated_from_secret_for() {
    let r = presigned_get(Some(TOKEN), "ASIAUNKNOWNKEY234567");
    assert_eq!(r.verify(), Err(SigV4Error::InvalidClientTokenId));
    let err = SigV4Error::InvalidClientTokenId;
    assert_eq!(err.status(), 403);
    assert_eq!(
        err.message(),
        "The security token included in the request is invalid."
    );

    // Whatever secret_for answers is what the caller gets, and it sees key and token.
    let r = post_with_token();
    let result = verify(&r.signed(), signing_time(), |key, token| {
        assert_eq!((key, token), (KEY, Some(TOKEN)));
        Err(SigV4Error::ExpiredToken)
    });
    assert_eq!(result, Err(SigV4Error::ExpiredToken));
}

#[test]
fn expired_token_error_matches_aws() {
    let err = SigV4Error::ExpiredToken;
    assert_eq!(err.code().as_str(), "ExpiredToken");
    assert_eq!(err.status(), 403);
    assert_eq!(
        err.message(),
        "The security token included in the request is expired"
    );
}

// --- time ----------------------------------------------------------------------------------------

#[test]
fn requests_within_fifteen_minutes_verify() {
    let r = post_with_token();
    let fourteen = Duration::from_secs(14 * 60);
    r.verify_at(signing_time() + fourteen).unwrap();
    r.verify_at(signing_time() - fourteen).unwrap();
}

#[test]
fn old_request_is_signature_expired_as_aws_words_it() {
    let r = post_with_token();
    let err = r
        .verify_at(signing_time() + Duration::from_secs(16 * 60))
        .unwrap_err();
    assert_eq!(err.code().as_str(), "SignatureDoesNotMatch");
    assert_eq!(err.status(), 403);
    assert_eq!(
        err.message(),
        "Signature expired: 20240506T070809Z is now earlier than 20240506T070909Z \
         (20240506T072409Z - 15 min.)"
    );
}

#[test]
fn future_request_is_not_yet_current() {
    let r = post_with_token();
    let err = r
        .verify_at(signing_time() - Duration::from_secs(16 * 60))
        .unwrap_err();
    assert_eq!(err.code().as_str(), "SignatureDoesNotMatch");
    assert_eq!(
        err.message(),
        "Signature not yet current: 20240506T070809Z is still later than 20240506T070709Z \
         (20240506T065209Z + 15 min.)"
    );
}

#[test]
fn presigned_url_lives_fifteen_minutes_like_sts() {
    // Presigned with X-Amz-Expires=60, yet STS honours it for 15 minutes (EKS tokens rely on it).
    let r = presigned_get(Some(TOKEN), KEY);
    r.verify_at(signing_time() + Duration::from_secs(5 * 60))
        .unwrap();
    let err = r
        .verify_at(signing_time() + Duration::from_secs(15 * 60 + 1))
        .unwrap_err();
    assert!(
        err.message()
            .starts_with("Signature expired: 20240506T070809Z"),
        "{}",
        err.message()
    );
}

#[test]
fn skew_is_checked_before_credentials() {
    let r = presigned_get(Some(TOKEN), "ASIAUNKNOWNKEY234567");
    let err = r
        .verify_at(signing_time() + Duration::from_secs(3600))
        .unwrap_err();
    assert_eq!(err.code().as_str(), "SignatureDoesNotMatch");
}

// --- malformed and missing -------------------------------------------------------------------

#[test]
fn no_authentication_at_all_is_missing_authentication_token() {
    let uri: http::Uri = "/?Action=GetCallerIdentity&Version=2011-06-15"
        .parse()
        .unwrap();
    let headers = http::HeaderMap::new();
    let request = SignedRequest {
        method: "GET",
        uri: &uri,
        headers: &headers,
        body: b"",
    };
    let err = verify(&request, signing_time(), known_key).unwrap_err();
    assert_eq!(err, SigV4Error::MissingAuthenticationToken);
    assert_eq!(err.code().as_str(), "MissingAuthenticationToken");
    assert_eq!(err.status(), 403);
    assert_eq!(access_key_id_of(&request), None);
}

fn with_authorization(value: &str) -> Received {
    let mut r = post_with_token();
    set_header(&mut r, "authorization", value);
    r
}

#[test]
fn authorization_missing_parts_is_incomplete_signature() {
    let header =
        "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEKEY234567/20240506/us-east-1/sts/aws4_request";
    let err = with_authorization(header).verify().unwrap_err();
    assert_eq!(err.code().as_str(), "IncompleteSignature");
    assert_eq!(err.status(), 400);
    assert_eq!(
        err.message(),
        format!(
            "Authorization header requires 'Signature' parameter. Authorization header requires \
             'SignedHeaders' parameter. Authorization={header}"
        )
    );

    let mut r = with_authorization(header);
    r.headers.remove("x-amz-date");
    let err = r.verify().unwrap_err();
    assert!(err.message().contains(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    ));
}

#[test]
fn authorization_pair_without_equals_is_incomplete_signature() {
    let header = "AWS4-HMAC-SHA256 Credential ASIAEXAMPLEKEY234567/20240506/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00";
    let err = with_authorization(header).verify().unwrap_err();
    assert_eq!(
        err,
        SigV4Error::IncompleteSignature(format!(
            "'Credential ASIAEXAMPLEKEY234567/20240506/us-east-1/sts/aws4_request' not a valid \
             key=value pair (missing equal-sign) in Authorization header: '{header}'."
        ))
    );
}

#[test]
fn malformed_authorization_values_are_incomplete_signature_never_panics() {
    for header in [
        "",
        "AWS4-HMAC-SHA256",
        "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig",
        "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
        "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=a/20240506/us-east-1/sts/wrong, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=a/20240506/us-east-1/sts/aws4_request, SignedHeaders=x-amz-date, Signature=00",
        "AWS4-HMAC-SHA256 Credential=a/20240506/us-east-1/sts/aws4_request, SignedHeaders=host;nope, Signature=00",
        "AWS4-ECDSA-P256-SHA256 Credential=a/20240506/sts/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 ,,,=,=,",
    ] {
        let err = with_authorization(header).verify().unwrap_err();
        assert_eq!(err.code().as_str(), "IncompleteSignature", "{header:?}: {err:?}");
    }
}

#[test]
fn signed_header_missing_from_request_is_incomplete_signature() {
    let mut r = post_with_token();
    r.headers.remove("content-type");
    assert_eq!(
        r.verify(),
        Err(SigV4Error::IncompleteSignature(
            "'content-type' is named as a SignedHeader, but it does not exist in the HTTP request."
                .into()
        ))
    );
}

#[test]
fn bad_date_is_incomplete_signature() {
    let mut r = post_with_token();
    set_header(&mut r, "x-amz-date", "2024-05-06T07:08:09Z");
    assert_eq!(
        r.verify().unwrap_err().code().as_str(),
        "IncompleteSignature"
    );
}

#[test]
fn malformed_presigned_query_is_incomplete_signature_never_panics() {
    let good = presigned_get(Some(TOKEN), KEY);
    let query = good.uri.query().unwrap().to_owned();
    let without = |param: &str| {
        query
            .split('&')
            .filter(|p| !p.starts_with(param))
            .collect::<Vec<_>>()
            .join("&")
    };
    for q in [
        without("X-Amz-Credential="),
        without("X-Amz-Date="),
        without("X-Amz-Expires="),
        without("X-Amz-SignedHeaders="),
        without("X-Amz-Algorithm="),
        without("X-Amz-Signature="),
        query.replace("X-Amz-Expires=60", "X-Amz-Expires=soon"),
        query.replace("X-Amz-Expires=60", "X-Amz-Expires=604801"),
        query.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders="),
        query.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=HMAC"),
        "X-Amz-Signature=%ZZ&X-Amz-Credential=%".to_owned(),
    ] {
        let mut r = presigned_get(Some(TOKEN), KEY);
        set_query(&mut r, &q);
        let err = r.verify().unwrap_err();
        assert_eq!(err.code().as_str(), "IncompleteSignature", "{q}: {err:?}");
    }
}

#[test]
fn both_header_and_query_signature_is_refused() {
    let mut r = presigned_get(Some(TOKEN), KEY);
    let auth = post_with_token().headers["authorization"].clone();
    r.headers.insert("authorization", auth);
    assert_eq!(
        r.verify().unwrap_err().code().as_str(),
        "IncompleteSignature"
    );
}

// --- access_key_id_of ------------------------------------------------------------------------

#[test]
fn access_key_id_of_reads_both_forms_without_verifying() {
    assert_eq!(
        access_key_id_of(&post_with_token().signed()).as_deref(),
        Some(KEY)
    );
    assert_eq!(
        access_key_id_of(&presigned_get(None, "AKIAEXAMPLELONGTERM1").signed()).as_deref(),
        Some("AKIAEXAMPLELONGTERM1")
    );
    let r = with_authorization("AWS4-HMAC-SHA256 Credential=AKIAANY/x, Signature=1");
    assert_eq!(access_key_id_of(&r.signed()).as_deref(), Some("AKIAANY"));
    let r = with_authorization("Bearer token");
    assert_eq!(access_key_id_of(&r.signed()), None);
}

// --- with credentials this crate issued --------------------------------------------------------

#[test]
fn credentials_issued_by_the_sealer_verify_and_expire() {
    let sealer = CredentialSealer::new(b"server secret");
    let expiration = time::OffsetDateTime::from(signing_time()) + time::Duration::hours(1);
    let issued = sealer.issue(&SessionClaims {
        account_id: "123456789012".into(),
        role_name: "r".into(),
        role_id: "AROAEXAMPLEEXAMPLE123".into(),
        session_name: "s".into(),
        assumed_role_arn: "arn:aws:sts::123456789012:assumed-role/r/s".into(),
        expiration,
        source_identity: None,
        tags: vec![],
        transitive_tag_keys: vec![],
        session_policy: None,
        policy_arns: vec![],
        chained: false,
        federated_provider: None,
        issued_at: None,
    });
    let r = client_signed(
        "POST",
        "https://sts.amazonaws.com/",
        &[("content-type", "application/x-www-form-urlencoded")],
        BODY,
        (
            &issued.access_key_id,
            &issued.secret_access_key,
            Some(&issued.session_token),
        ),
        Form::Header,
    );
    let store = |now: SystemTime| {
        let sealer = sealer.clone();
        move |key: &str, token: Option<&str>| {
            let token = token.ok_or(SigV4Error::InvalidClientTokenId)?;
            Ok(sealer.open_at(key, token, now.into())?.secret_access_key)
        }
    };
    let verified = verify(&r.signed(), signing_time(), store(signing_time())).unwrap();
    assert_eq!(verified.access_key_id, issued.access_key_id);

    // The same request, checked as if the session had ended meanwhile.
    let later = signing_time() + Duration::from_secs(2 * 3600);
    assert_eq!(
        verify(&r.signed(), signing_time(), store(later)),
        Err(SigV4Error::ExpiredToken)
    );
    // Another server secret does not know the key.
    let stranger = CredentialSealer::new(b"other secret");
    let result = verify(&r.signed(), signing_time(), |key, token| {
        Ok(stranger
            .open_at(key, token.unwrap_or(""), signing_time().into())?
            .secret_access_key)
    });
    assert_eq!(result, Err(SigV4Error::InvalidClientTokenId));
}

#[test]
fn a_scope_without_five_elements_gets_stss_own_message() {
    let header = "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEKEY234567/20240506/us-east-1/aws4_request, SignedHeaders=host, Signature=00";
    let err = with_authorization(header).verify().unwrap_err();
    assert_eq!(err.code().as_str(), "IncompleteSignature");
    assert_eq!(
        err.message(),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'ASIAEXAMPLEKEY234567/20240506/us-east-1/aws4_request'"
    );
}
