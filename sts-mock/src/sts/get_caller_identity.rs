//! `GetCallerIdentity`: who signed this request? Verifies the SigV4 signature (header or
//! presigned query) against the sealed session credentials this server issued, so only
//! credentials from `AssumeRoleWithWebIdentity` (of this server or one sharing its secret) work.

use crate::call::{Call, Reply};
use crate::error::{AwsError, ErrorCode};
use crate::query::Xml;
use crate::sigv4::{self, SigV4Error};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let services = call.services;
    let now = services.clock.now();
    let opened = std::cell::RefCell::new(None);
    let verified = sigv4::verify(&call.signed, now.into(), |access_key_id, token| {
        // Only temporary credentials exist here: anything else is an unknown key.
        let token = token.ok_or(SigV4Error::InvalidClientTokenId)?;
        let session = services.credentials.open_at(access_key_id, token, now)?;
        let secret = session.secret_access_key.clone();
        *opened.borrow_mut() = Some(session);
        Ok(secret)
    })
    .map_err(AwsError::from)?;
    if verified.service != "sts" {
        // Guess: AWS's wording for credentials scoped to another service.
        return Err(AwsError::new(
            ErrorCode::SignatureDoesNotMatch,
            "Credential should be scoped to correct service: 'sts'. ",
        ));
    }
    let session = opened
        .into_inner()
        .ok_or_else(|| AwsError::from(SigV4Error::InvalidClientTokenId))?;
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
