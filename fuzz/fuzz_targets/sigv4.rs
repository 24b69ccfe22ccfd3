//! SigV4 as sts-mock checks it on every signed call: the `Authorization: AWS4-HMAC-SHA256`
//! header (`Credential`, `SignedHeaders`, `Signature`, `X-Amz-Date` or `Date`) and the
//! presigned query string (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Expires`, ...), parsed
//! and recomputed by `sigv4::verify` at a fixed time with a fixed secret; also the unverified
//! readers `access_key_id_of` and `region_of`.
//!
//! Input: an HTTP request in the text form of `rig_fuzz::HttpInput`. Seeds: requests signed at
//! `rig_fuzz::SEED_INSTANT` with the seed key (header-signed POSTs to STS and IAM, with and
//! without a session token, with `Date` instead of `X-Amz-Date`, and presigned GETs as EKS
//! tokens are), so the fuzzer starts from signatures that verify.
//!
//! Checked beyond "no panic": a request that verifies was signed with the seed key, and does
//! not verify once its body changes (STS and IAM sign the body's hash).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rig_fuzz::{HttpInput, SEED_ACCESS_KEY, SEED_SECRET_KEY};
use sts_mock::sigv4::{access_key_id_of, region_of, verify, SigV4Error, SignedRequest};

fn secret_for(key: &str, _token: Option<&str>) -> Result<String, SigV4Error> {
    match key == SEED_ACCESS_KEY {
        true => Ok(SEED_SECRET_KEY.to_string()),
        false => Err(SigV4Error::InvalidClientTokenId),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = HttpInput::parse(data) else {
        return;
    };
    let Ok(uri) = input.target.parse::<http::Uri>() else {
        return;
    };
    let mut headers = http::HeaderMap::new();
    for (name, value) in &input.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    let request = SignedRequest {
        method: &input.method,
        uri: &uri,
        headers: &headers,
        body: &input.body,
    };
    let _ = (access_key_id_of(&request), region_of(&request));
    let now = rig_fuzz::seed_instant().into();
    if let Ok(verified) = verify(&request, now, secret_for) {
        assert_eq!(verified.access_key_id, SEED_ACCESS_KEY);
        let mut body = input.body.clone();
        body.push(b'&');
        let changed = SignedRequest {
            body: &body,
            ..request
        };
        assert!(
            verify(&changed, now, secret_for).is_err(),
            "a signed request verified with another body"
        );
    }
});
