//! Who is calling: the one place that decides, for every signed action of every service, which
//! principal a request speaks for. The dispatcher asks [`identify`] before any handler runs, so
//! a credential is judged the same way by STS, IAM and the Account API.
//!
//! - A request that carries a session token (or an `ASIA` access key, which AWS issues only with
//!   one) is an assumed-role session: the token must open with this server's secret and belong
//!   to the access key, the session must not have expired, and the SigV4 signature must verify
//!   with the session's secret, else `InvalidClientTokenId`, `ExpiredToken` or
//!   `SignatureDoesNotMatch`, as AWS answers (and as `GetCallerIdentity` always did). A tampered
//!   credential therefore never gains anything.
//! - Any other credentials are the administrator (root user) of the account their access key
//!   names: twelve digits name the account (LocalStack's convention), anything else means the
//!   default account. Their signature is not checked: setting up a rig must stay easy.
//! - A request with no signature at all is `MissingAuthenticationToken`.

use std::time::SystemTime;

use time::OffsetDateTime;

use crate::credentials::SessionClaims;
use crate::error::{AwsError, ErrorCode};
use crate::services::Services;
use crate::sigv4::{self, SigV4Error, SignedRequest};

/// The principal a request speaks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// Nobody: the operation is unsigned (`AssumeRoleWithWebIdentity`).
    Anonymous,
    /// The administrator of `account`: its root user, which every policy check lets through.
    Admin {
        /// The account.
        account: String,
    },
    /// An assumed-role session this server (or one sharing its secret) issued.
    Session(Box<SessionClaims>),
}

impl Caller {
    /// The account the call acts in (`default` for anonymous calls).
    pub fn account<'a>(&'a self, default: &'a str) -> &'a str {
        match self {
            Caller::Anonymous => default,
            Caller::Admin { account } => account,
            Caller::Session(claims) => &claims.account_id,
        }
    }

    /// The principal's ARN as AWS names it in answers and error messages.
    pub fn arn(&self, default_account: &str) -> String {
        match self {
            Caller::Session(claims) => claims.assumed_role_arn.clone(),
            other => format!("arn:aws:iam::{}:root", other.account(default_account)),
        }
    }

    /// The session, if the caller is one.
    pub fn session(&self) -> Option<&SessionClaims> {
        match self {
            Caller::Session(claims) => Some(claims),
            _ => None,
        }
    }
}

/// Who signed a request, and the region it was signed for (`aws:RequestedRegion`).
#[derive(Debug, Clone)]
pub struct Identified {
    /// The caller.
    pub caller: Caller,
    /// The SigV4 credential scope's region, when the request named one.
    pub region: Option<String>,
}

/// An access key ID AWS issues only with a session token (temporary credentials).
fn is_temporary_key(key: &str) -> bool {
    key.starts_with("ASIA")
}

fn has_session_token(signed: &SignedRequest<'_>) -> bool {
    signed.headers.contains_key("x-amz-security-token")
        || signed
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("X-Amz-Security-Token=")))
}

fn is_signed_at_all(signed: &SignedRequest<'_>) -> bool {
    signed.headers.contains_key(http::header::AUTHORIZATION)
        || signed.uri.query().is_some_and(|q| {
            q.split('&').any(|p| {
                p.starts_with("X-Amz-Algorithm=")
                    || p.starts_with("X-Amz-Credential=")
                    || p.starts_with("X-Amz-Signature=")
            })
        })
}

/// Decides who sent `signed`, a request for an operation of the service whose SigV4 signing
/// name is `service` (`sts`, `iam`, `account`), at `now` on the shared clock.
pub fn identify(
    services: &Services,
    signed: &SignedRequest<'_>,
    service: &str,
    now: OffsetDateTime,
) -> Result<Identified, AwsError> {
    if !is_signed_at_all(signed) {
        return Err(SigV4Error::MissingAuthenticationToken.into());
    }
    let key = sigv4::access_key_id_of(signed);
    let temporary = has_session_token(signed) || key.as_deref().is_some_and(is_temporary_key);
    if !temporary {
        let account = match key {
            Some(key) if crate::model::check_account_id(&key).is_ok() => key,
            _ => services.default_account.clone(),
        };
        return Ok(Identified {
            caller: Caller::Admin { account },
            region: sigv4::region_of(signed),
        });
    }
    let opened = std::cell::RefCell::new(None);
    let verified = sigv4::verify(signed, SystemTime::from(now), |access_key_id, token| {
        // An ASIA key without its token, or a token sts-mock cannot open, is unknown to AWS.
        let token = token.ok_or(SigV4Error::InvalidClientTokenId)?;
        let session = services.credentials.open_at(access_key_id, token, now)?;
        let secret = session.secret_access_key.clone();
        *opened.borrow_mut() = Some(session);
        Ok(secret)
    })
    .map_err(AwsError::from)?;
    if verified.service != service {
        // Guess: AWS's wording for credentials scoped to another service.
        return Err(AwsError::new(
            ErrorCode::SignatureDoesNotMatch,
            format!("Credential should be scoped to correct service: '{service}'. "),
        ));
    }
    let session = opened
        .into_inner()
        .ok_or_else(|| AwsError::from(SigV4Error::InvalidClientTokenId))?;
    Ok(Identified {
        caller: Caller::Session(Box::new(session.claims)),
        region: Some(verified.region),
    })
}
