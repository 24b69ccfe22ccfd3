//! `GetCallerIdentity`: who signed this request? Verifies the SigV4 signature (header or
//! presigned query) against the sealed session credentials this server issued, so only
//! credentials from `AssumeRoleWithWebIdentity` (of this server or one sharing its secret) work.

use std::time::SystemTime;

use crate::credentials::CredentialSealer;
use crate::query::{AwsError, Xml};
use crate::sigv4::{self, SigV4Error, SignedRequest};

pub const ACTION: &str = "GetCallerIdentity";

fn from_sigv4(error: SigV4Error) -> AwsError {
    AwsError::new(error.code(), error.status(), error.message())
}

pub fn handle(sealer: &CredentialSealer, request: &SignedRequest<'_>) -> Result<String, AwsError> {
    let opened = std::cell::RefCell::new(None);
    let verified = sigv4::verify(request, SystemTime::now(), |access_key_id, token| {
        // Only temporary credentials exist here: anything else is an unknown key.
        let token = token.ok_or(SigV4Error::InvalidClientTokenId)?;
        let session = sealer.open(access_key_id, token)?;
        let secret = session.secret_access_key.clone();
        *opened.borrow_mut() = Some(session);
        Ok(secret)
    })
    .map_err(from_sigv4)?;
    if verified.service != "sts" {
        // Guess: AWS's wording for credentials scoped to another service.
        return Err(AwsError::new(
            "SignatureDoesNotMatch",
            403,
            "Credential should be scoped to correct service: 'sts'. ",
        ));
    }
    let session = opened
        .into_inner()
        .ok_or_else(|| from_sigv4(SigV4Error::InvalidClientTokenId))?;
    let claims = session.claims;
    let mut xml = Xml::new();
    xml.leaf("Arn", &claims.assumed_role_arn)
        .leaf(
            "UserId",
            &format!("{}:{}", claims.role_id, claims.session_name),
        )
        .leaf("Account", &claims.account_id);
    Ok(xml.into_string())
}
