//! Whatever arrives, SigV4 verification answers with an error value: it never panics (a panic in
//! the server would be a dropped connection or a 500, which AWS never gives for bad signatures).

use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use sts_mock::sigv4::{access_key_id_of, verify, SigV4Error, SignedRequest};

/// Fragments that steer generated input into the parser's interesting corners.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("AWS4-HMAC-SHA256 ".to_owned()),
        Just("Credential=".to_owned()),
        Just("SignedHeaders=".to_owned()),
        Just("Signature=".to_owned()),
        Just("AKIDEXAMPLE/20240506/us-east-1/sts/aws4_request".to_owned()),
        Just("host;x-amz-date".to_owned()),
        Just("X-Amz-Algorithm=AWS4-HMAC-SHA256&".to_owned()),
        Just("X-Amz-Credential=A%2F20240506%2Fr%2Fs%2Faws4_request&".to_owned()),
        Just("X-Amz-Date=20240506T070809Z&".to_owned()),
        Just("X-Amz-Expires=60&".to_owned()),
        Just("X-Amz-SignedHeaders=host&".to_owned()),
        Just("X-Amz-Signature=00&".to_owned()),
        Just("X-Amz-Security-Token=t&".to_owned()),
        Just(", ".to_owned()),
        Just("/".to_owned()),
        Just("=".to_owned()),
        Just("%".to_owned()),
        "[ -~]{0,12}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..12).prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn verify_never_panics(
        authorization in prop::option::of(text()),
        query in text(),
        date in prop::option::of(prop_oneof![Just("20240506T070809Z".to_owned()), text()]),
        host in prop::option::of(text()),
        body in prop::collection::vec(any::<u8>(), 0..64),
        skew in -2000i64..2000,
    ) {
        let mut headers = http::HeaderMap::new();
        let mut put = |name: &'static str, value: Option<String>| {
            if let Some(v) = value.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
                headers.insert(name, v);
            }
        };
        put("authorization", authorization);
        put("x-amz-date", date);
        put("host", host);
        let uri = format!("/?{}", query)
            .parse::<http::Uri>()
            .unwrap_or_else(|_| "/".parse().unwrap());
        let request = SignedRequest { method: "POST", uri: &uri, headers: &headers, body: &body };
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_979_289);
        let now = if skew >= 0 {
            base + Duration::from_secs(skew as u64)
        } else {
            base - Duration::from_secs(skew.unsigned_abs())
        };
        let _ = access_key_id_of(&request);
        let result = verify(&request, now, |_, _| Ok("secret".to_owned()));
        // Nothing random can carry a valid signature.
        prop_assert!(result.is_err());
        let err: SigV4Error = result.unwrap_err();
        prop_assert!(matches!(err.status(), 400 | 403));
        prop_assert!(!err.message().is_empty());
    }
}
