//! `issuer`: local OIDC token issuers for tests of web-identity federation into AWS.
//!
//! One process serves several issuers, each at its own path prefix with its own identity
//! (`iss`), keys and [`Profile`] (the claims the real issuer puts in its tokens): Dynatrace at
//! `/` (`aud` = `<tenant>.apps.dynatrace.com/app-id/dynatrace.aws.connector`, `sub` =
//! `dtid:connection/<connection>`, or a current connection's `dt:connection-id/<ID>`), and,
//! with [`IssuerConfig::builtin_issuers`], GitHub Actions at `/github/`, GitLab CI at
//! `/gitlab/` and an EKS cluster at `/eks/`; a configuration file ([`issuers::load_file`])
//! declares more. Each serves OIDC discovery in its real issuer's shape, its JWKS, and mints
//! signed JWTs on request, deliberately bad ones too for negative tests. Identities are
//! independent of the address the process listens on, so production trust policies work
//! unchanged.
//!
//! The issuer at `/` is also the Dynatrace side of a connection ([`dynatrace`]): OAuth client
//! credentials, IAM policies and bindings, Settings 2.0 connection objects, and the connector's
//! token request, answered only when the caller's Dynatrace policies allow it.
//!
//! ```
//! use issuer::{Issuer, IssuerConfig, KeyAlg, KeySet, MintRequest, SigningKey};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let keys = KeySet::new(vec![SigningKey::generate("doc-key", KeyAlg::Es256).unwrap()], None).unwrap();
//! let issuer = Issuer::start(IssuerConfig::new(keys)).await.unwrap();
//! assert!(issuer.url().starts_with("http://127.0.0.1:"));
//!
//! let minted = issuer
//!     .mint(&MintRequest {
//!         tenant: Some("abc12345".into()),
//!         connection: Some("my-connection".into()),
//!         ..Default::default()
//!     })
//!     .unwrap();
//! assert_eq!(minted.claims["sub"], "dtid:connection/my-connection");
//! assert_eq!(minted.claims["iss"], "https://token.dynatrace.com");
//! drop(issuer); // stops the server
//! # }
//! ```

#![warn(missing_docs)]

// The modules are private, but for the issuers file: the crate root is the whole public API,
// so internals can move without breaking the tests and tools that use the issuer.
mod control;
pub mod dynatrace;
pub mod issuers;
mod keys;
mod mint;
mod profile;
mod server;

pub use control::{
    ControlError, IdpFault, IdpFaults, FAULTS_PATH, KEYS_PATH, MAX_DELAY_MS, MAX_KEYS,
};
pub use dynatrace::decisions::DecisionRecord;
pub use dynatrace::setup::{
    ClientInfo, DynatraceSetup, ObjectInfo, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET,
    DYNATRACE_ACCOUNT, DYNATRACE_ENVIRONMENT, LEGACY_CONNECTION_ID, VIEWER_CLIENT_ID,
    VIEWER_CLIENT_SECRET,
};
pub use dynatrace::{
    Dynatrace, ACCESS_TOKEN_TTL, CONNECTIONS_PATH, DECISIONS_PATH, LEGACY_SCHEMA, SSO_ISSUER,
    TOKEN_PATH,
};
pub use issuers::{Builtin, IssuerSpec, KeySource, BUILTIN_ISSUERS, ROOT_ISSUER};
pub use keys::{write_new_key, KeyAlg, KeyError, KeySet, SigningKey};
pub use mint::{
    Fault, MintError, MintRequest, MintedToken, Minter, DEFAULT_CONNECTION, DEFAULT_TENANT,
    DEFAULT_TTL_SECS, MAX_TTL_SECS, WRONG_ISSUER,
};
pub use profile::{
    Field, FieldKind, Profile, DEFAULT_CONNECTION_ID, DYNATRACE_SETTINGS_SCHEMA, EKS_CLUSTER_ID,
    EKS_ISSUER_URL, GITHUB_ISSUER_URL, GITLAB_ISSUER_URL,
};
/// The clock and the server limits an [`IssuerConfig`] takes, re-exported so a test needs no
/// direct dependency on rig-core.
pub use rig_core::{http::Limits, Clock};
pub use server::{
    Issuer, IssuerConfig, ServedIssuer, StartError, CLOCK_PATH, DISCOVERY_PATH, JWKS_PATH,
    MAX_BODY_BYTES, MINT_PATH,
};

/// The real Dynatrace issuer: the default identity of minted tokens.
pub const DEFAULT_ISSUER_URL: &str = "https://token.dynatrace.com";
/// Default listen address: a port no common dev tool uses (sts-mock defaults to 9401).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9400";
/// Default key directory, relative to the working directory.
pub const DEFAULT_KEYS_DIR: &str = "keys";
