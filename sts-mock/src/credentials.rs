//! Stateless temporary credentials: what `AssumeRoleWithWebIdentity` hands out and what
//! `GetCallerIdentity` (and any other SigV4-signed call) reads back.
//!
//! Nothing is stored server-side. The session token *is* the session: the claims (who assumed
//! which role, until when, with which tags) and the access key id are sealed into it with
//! AES-256-GCM under a key derived from a server secret. The secret access key is not stored
//! either: it is an HMAC of the access key id under a second derived key, so the server can
//! recompute it from a token it opened. Two instances configured with the same secret therefore
//! accept each other's credentials, and memory does not grow with the number of sessions.
//!
//! Token layout (then base64url without padding, so it is opaque URL-safe text):
//! `version (1 byte) || nonce (12 bytes) || AES-256-GCM(json{access key id, claims}) || tag`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// First byte of every sealed token; bump it when the sealed layout changes so old tokens are
/// rejected as `Invalid` instead of being misread.
const TOKEN_VERSION: u8 = 2;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Upper bound on a token we are willing to decode. Claims are bounded by the STS parameter
/// limits (names of at most 64 characters, at most 50 tags of 128/256 characters), which seal
/// to well under this; anything longer is not ours and is rejected before any work is done.
pub const MAX_SESSION_TOKEN_LEN: usize = 16 * 1024;

/// HKDF `info` labels: one secret, independent keys per purpose.
const INFO_SEAL: &[u8] = b"sts-mock/v1/session-token-seal";
const INFO_SECRET: &[u8] = b"sts-mock/v1/secret-access-key";

/// Who a session is: everything `GetCallerIdentity` and policy evaluation need later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The 12-digit ID of the account that owns the role.
    pub account_id: String,
    /// The assumed role's name.
    pub role_name: String,
    /// The role's unique id (`AROA...`), the first half of the caller's `UserId`.
    pub role_id: String,
    /// The `RoleSessionName` the caller chose, the last part of the assumed-role ARN.
    pub session_name: String,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub assumed_role_arn: String,
    /// When the session ends; credentials are refused from this instant on.
    #[serde(with = "time::serde::rfc3339")]
    pub expiration: OffsetDateTime,
    /// The source identity, from the web identity token's `https://aws.amazon.com/source_identity`
    /// claim (`sts:SourceIdentity`), if it had one.
    pub source_identity: Option<String>,
    /// The session tags as (key, value) pairs, from the web identity token's
    /// `https://aws.amazon.com/tags` claim, `AssumeRole`'s `Tags`, or inherited as transitive.
    pub tags: Vec<(String, String)>,
    /// The keys of [`tags`](Self::tags) that pass on to sessions this one assumes (role
    /// chaining; IAM User Guide, "Chaining roles with session tags").
    #[serde(default)]
    pub transitive_tag_keys: Vec<String>,
    /// The inline session policy passed at assume time (`Policy`), as given.
    #[serde(default)]
    pub session_policy: Option<String>,
    /// The managed session policies passed at assume time (`PolicyArns`).
    #[serde(default)]
    pub policy_arns: Vec<String>,
    /// Whether the session was assumed by another role session (role chaining).
    #[serde(default)]
    pub chained: bool,
    /// The OIDC provider's ARN for a web-identity session (`aws:FederatedProvider`).
    #[serde(default)]
    pub federated_provider: Option<String>,
    /// When the session was issued (`aws:TokenIssueTime`).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub issued_at: Option<OffsetDateTime>,
}

impl SessionClaims {
    /// The role's ARN (IAM resolves an assumed-role session to its role for `aws:PrincipalArn`):
    /// `arn:aws:iam::ACCOUNT:role/NAME`, without the path the session ARN does not carry.
    pub fn role_arn_without_path(&self) -> String {
        format!("arn:aws:iam::{}:role/{}", self.account_id, self.role_name)
    }
    /// `aws:userid` of the session: `ROLEID:SESSION`.
    pub fn user_id(&self) -> String {
        format!("{}:{}", self.role_id, self.session_name)
    }
}

/// A fresh set of temporary credentials, as `AssumeRoleWithWebIdentity` returns them.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCredentials {
    /// `ASIA` followed by 16 characters of `A-Z2-7`, like AWS temporary keys.
    pub access_key_id: String,
    /// 40 characters of base64, like AWS secret keys.
    pub secret_access_key: String,
    /// The session token (base64url) that seals the claims; clients send it back as
    /// `X-Amz-Security-Token`.
    pub session_token: String,
    /// When the credentials expire (the claims' expiration).
    pub expiration: OffsetDateTime,
}

/// A session token successfully opened: its claims and the secret the caller must have signed with.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedSession {
    /// Who the session is, as sealed when the credentials were issued.
    pub claims: SessionClaims,
    /// The secret access key that belongs to the presented access key id, recomputed from it.
    pub secret_access_key: String,
}

/// Why a presented access key id / session token pair was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Not sealed by this secret, tampered with, malformed, or sealed for another access key id.
    #[error("the security token is invalid")]
    Invalid,
    /// Genuine, but past its expiration.
    #[error("the security token is expired")]
    Expired,
}

/// What is actually encrypted: the claims bound to the access key id they were issued with.
#[derive(Serialize, Deserialize)]
struct Sealed {
    #[serde(rename = "k")]
    access_key_id: String,
    #[serde(rename = "c")]
    claims: SessionClaims,
}

/// Issues and opens stateless credentials under one server secret. Cheap to clone.
#[derive(Clone)]
pub struct CredentialSealer {
    cipher: Aes256Gcm,
    secret_key: [u8; 32],
}

impl std::fmt::Debug for CredentialSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("CredentialSealer").finish_non_exhaustive()
    }
}

impl CredentialSealer {
    /// A sealer keyed by `secret` (any length; HKDF-SHA256 stretches it into two 256-bit keys).
    /// Instances built from the same secret accept each other's credentials.
    pub fn new(secret: &[u8]) -> Self {
        let hk = Hkdf::<Sha256>::new(None, secret);
        let mut seal_key = [0u8; 32];
        let mut secret_key = [0u8; 32];
        hk.expand(INFO_SEAL, &mut seal_key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        hk.expand(INFO_SECRET, &mut secret_key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self {
            cipher: Aes256Gcm::new(&seal_key.into()),
            secret_key,
        }
    }

    /// A sealer with a fresh random secret: credentials survive only as long as this process.
    pub fn random() -> Self {
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        Self::new(&secret)
    }

    /// Seals `claims` into a new set of credentials with a fresh random access key id.
    pub fn issue(&self, claims: &SessionClaims) -> IssuedCredentials {
        // `ASIA` + 16 base32 characters: 80 random bits, so ids never collide in practice.
        let access_key_id = crate::model::random_id("ASIA", 16);
        let sealed = Sealed {
            access_key_id: access_key_id.clone(),
            claims: claims.clone(),
        };
        let plaintext = serde_json::to_vec(&sealed).expect("claims always serialise to JSON");

        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plaintext,
                    aad: &[TOKEN_VERSION],
                },
            )
            .expect("AES-GCM encryption of a bounded message cannot fail");

        let mut token = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        token.push(TOKEN_VERSION);
        token.extend_from_slice(&nonce);
        token.extend_from_slice(&ciphertext);

        IssuedCredentials {
            secret_access_key: self.secret_access_key_for(&access_key_id),
            access_key_id,
            session_token: URL_SAFE_NO_PAD.encode(token),
            expiration: claims.expiration,
        }
    }

    /// Opens a session token presented with `access_key_id`, checking expiry against the clock.
    pub fn open(
        &self,
        access_key_id: &str,
        session_token: &str,
    ) -> Result<OpenedSession, CredentialError> {
        self.open_at(access_key_id, session_token, OffsetDateTime::now_utc())
    }

    /// Like [`open`](Self::open) but with an explicit `now`, so expiry is testable without sleeping.
    /// A token is expired from its expiration instant on.
    pub fn open_at(
        &self,
        access_key_id: &str,
        session_token: &str,
        now: OffsetDateTime,
    ) -> Result<OpenedSession, CredentialError> {
        if session_token.len() > MAX_SESSION_TOKEN_LEN {
            return Err(CredentialError::Invalid);
        }
        let raw = URL_SAFE_NO_PAD
            .decode(session_token)
            .map_err(|_| CredentialError::Invalid)?;
        if raw.len() < 1 + NONCE_LEN + TAG_LEN || raw[0] != TOKEN_VERSION {
            return Err(CredentialError::Invalid);
        }
        let (nonce, ciphertext) = raw[1..].split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &[TOKEN_VERSION],
                },
            )
            .map_err(|_| CredentialError::Invalid)?;
        let sealed: Sealed =
            serde_json::from_slice(&plaintext).map_err(|_| CredentialError::Invalid)?;

        // The token is only valid together with the access key id it was issued with.
        if !bool::from(
            sealed
                .access_key_id
                .as_bytes()
                .ct_eq(access_key_id.as_bytes()),
        ) {
            return Err(CredentialError::Invalid);
        }
        if now >= sealed.claims.expiration {
            return Err(CredentialError::Expired);
        }
        Ok(OpenedSession {
            secret_access_key: self.secret_access_key_for(&sealed.access_key_id),
            claims: sealed.claims,
        })
    }

    /// The secret access key is a MAC of the (random, sealed) access key id, so it never needs
    /// storing and cannot be computed without the server secret.
    fn secret_access_key_for(&self, access_key_id: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret_key)
            .expect("HMAC accepts keys of any length");
        mac.update(access_key_id.as_bytes());
        let digest = mac.finalize().into_bytes();
        // 30 bytes encode to exactly 40 base64 characters, the length of an AWS secret key.
        STANDARD.encode(&digest[..30])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn claims(expiration: OffsetDateTime) -> SessionClaims {
        SessionClaims {
            account_id: "123456789012".into(),
            role_name: "dynatrace-monitoring".into(),
            role_id: "AROAEXAMPLEEXAMPLE123".into(),
            session_name: "dt-session".into(),
            assumed_role_arn:
                "arn:aws:sts::123456789012:assumed-role/dynatrace-monitoring/dt-session".into(),
            expiration,
            source_identity: Some("tenant-abc".into()),
            tags: vec![("team".into(), "observability".into())],
            transitive_tag_keys: vec!["team".into()],
            session_policy: None,
            policy_arns: vec![],
            chained: false,
            federated_provider: None,
            issued_at: Some(expiration - Duration::hours(1)),
        }
    }

    fn in_an_hour() -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::hours(1)
    }

    #[test]
    fn issue_then_open_round_trips() {
        let sealer = CredentialSealer::new(b"shared secret");
        let c = claims(in_an_hour());
        let issued = sealer.issue(&c);
        assert_eq!(issued.expiration, c.expiration);

        let opened = sealer
            .open(&issued.access_key_id, &issued.session_token)
            .unwrap();
        assert_eq!(opened.claims, c);
        assert_eq!(opened.secret_access_key, issued.secret_access_key);
    }

    #[test]
    fn credentials_look_like_aws_ones() {
        let sealer = CredentialSealer::random();
        let issued = sealer.issue(&claims(in_an_hour()));
        let id = &issued.access_key_id;
        assert_eq!(id.len(), 20, "{id}");
        assert!(id.starts_with("ASIA"), "{id}");
        assert!(
            id[4..]
                .bytes()
                .all(|b| crate::model::ID_ALPHABET.contains(&b)),
            "{id} must be A-Z2-7"
        );
        assert_eq!(issued.secret_access_key.len(), 40);
        assert!(issued
            .secret_access_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'));
        assert!(issued
            .session_token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(issued.session_token.len() < MAX_SESSION_TOKEN_LEN);
    }

    #[test]
    fn every_issue_is_a_distinct_key() {
        let sealer = CredentialSealer::random();
        let c = claims(in_an_hour());
        let a = sealer.issue(&c);
        let b = sealer.issue(&c);
        assert_ne!(a.access_key_id, b.access_key_id);
        assert_ne!(a.secret_access_key, b.secret_access_key);
        assert_ne!(a.session_token, b.session_token);
    }

    #[test]
    fn instances_sharing_a_secret_accept_each_others_credentials() {
        let a = CredentialSealer::new(b"cluster secret");
        let b = CredentialSealer::new(b"cluster secret");
        let c = claims(in_an_hour());
        let issued = a.issue(&c);
        let opened = b
            .open(&issued.access_key_id, &issued.session_token)
            .unwrap();
        assert_eq!(opened.claims, c);
        assert_eq!(opened.secret_access_key, issued.secret_access_key);
    }

    #[test]
    fn another_secret_rejects_the_token() {
        let issued = CredentialSealer::new(b"one").issue(&claims(in_an_hour()));
        let other = CredentialSealer::new(b"two");
        assert_eq!(
            other.open(&issued.access_key_id, &issued.session_token),
            Err(CredentialError::Invalid)
        );
        assert_eq!(
            CredentialSealer::random().open(&issued.access_key_id, &issued.session_token),
            Err(CredentialError::Invalid)
        );
    }

    #[test]
    fn tampered_tokens_are_invalid() {
        let sealer = CredentialSealer::random();
        let issued = sealer.issue(&claims(in_an_hour()));
        let mut raw = URL_SAFE_NO_PAD.decode(&issued.session_token).unwrap();
        // Flip one bit in every position in turn: version, nonce, ciphertext and tag.
        for i in 0..raw.len() {
            raw[i] ^= 0x01;
            let tampered = URL_SAFE_NO_PAD.encode(&raw);
            assert_eq!(
                sealer.open(&issued.access_key_id, &tampered),
                Err(CredentialError::Invalid),
                "bit flip at byte {i} accepted"
            );
            raw[i] ^= 0x01;
        }
        for junk in [
            "",
            "not base64 !",
            "AAAA",
            &issued.session_token[..issued.session_token.len() - 4],
        ] {
            assert_eq!(
                sealer.open(&issued.access_key_id, junk),
                Err(CredentialError::Invalid),
                "{junk:?}"
            );
        }
        let huge = "A".repeat(MAX_SESSION_TOKEN_LEN + 1);
        assert_eq!(
            sealer.open(&issued.access_key_id, &huge),
            Err(CredentialError::Invalid)
        );
    }

    #[test]
    fn token_is_bound_to_its_access_key_id() {
        let sealer = CredentialSealer::random();
        let c = claims(in_an_hour());
        let first = sealer.issue(&c);
        let second = sealer.issue(&c);
        assert_eq!(
            sealer.open(&second.access_key_id, &first.session_token),
            Err(CredentialError::Invalid)
        );
        assert_eq!(
            sealer.open("ASIAAAAAAAAAAAAAAAAA", &first.session_token),
            Err(CredentialError::Invalid)
        );
    }

    #[test]
    fn expiry_is_checked_against_now() {
        let sealer = CredentialSealer::random();
        let expiration = OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
        let issued = sealer.issue(&claims(expiration));
        let open_at = |now| sealer.open_at(&issued.access_key_id, &issued.session_token, now);

        assert!(open_at(expiration - Duration::seconds(1)).is_ok());
        assert_eq!(open_at(expiration), Err(CredentialError::Expired));
        assert_eq!(
            open_at(expiration + Duration::hours(1)),
            Err(CredentialError::Expired)
        );
        // The wall-clock variant sees a token that expired in the past.
        let past = sealer.issue(&claims(OffsetDateTime::now_utc() - Duration::seconds(1)));
        assert_eq!(
            sealer.open(&past.access_key_id, &past.session_token),
            Err(CredentialError::Expired)
        );
    }

    #[test]
    fn expiry_does_not_mask_forgery() {
        // A forged token is Invalid, never Expired: expiry is only read from authentic claims.
        let issued = CredentialSealer::new(b"a").issue(&claims(in_an_hour()));
        let far_future = OffsetDateTime::now_utc() + Duration::days(365);
        assert_eq!(
            CredentialSealer::new(b"b").open_at(
                &issued.access_key_id,
                &issued.session_token,
                far_future
            ),
            Err(CredentialError::Invalid)
        );
    }

    #[test]
    fn sealer_is_clone_send_sync() {
        fn assert_traits<T: Clone + Send + Sync + 'static>() {}
        assert_traits::<CredentialSealer>();
    }
}
