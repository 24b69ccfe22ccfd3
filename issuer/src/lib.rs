//! `issuer`: a local OIDC token issuer for tests of web-identity federation into AWS.
//!
//! It serves OIDC discovery and a JWKS, and mints signed JWTs on request, with the Dynatrace
//! AWS-connector profile built in (`aud` = `<tenant>.apps.dynatrace.com/app-id/dynatrace.aws.connector`,
//! `sub` = `dtid:connection/<connection>`) and deliberately bad tokens for negative tests.
//! The issuer identity (`iss`, default `https://token.dynatrace.com`) is independent of the
//! address it listens on, so production trust policies work unchanged.
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

// The modules are private: the crate root is the whole public API, so internals can move
// without breaking the tests and tools that use the issuer.
mod keys;
mod mint;
mod server;

pub use keys::{write_new_key, KeyAlg, KeyError, KeySet, SigningKey};
pub use mint::{
    Fault, MintError, MintRequest, MintedToken, Minter, DEFAULT_CONNECTION, DEFAULT_TENANT,
    DEFAULT_TTL_SECS, MAX_TTL_SECS, WRONG_ISSUER,
};
/// The clock and the server limits an [`IssuerConfig`] takes, re-exported so a test needs no
/// direct dependency on rig-core.
pub use rig_core::{http::Limits, Clock};
pub use server::{
    Issuer, IssuerConfig, StartError, CLOCK_PATH, DISCOVERY_PATH, JWKS_PATH, MAX_BODY_BYTES,
    MINT_PATH,
};

/// The real Dynatrace issuer: the default identity of minted tokens.
pub const DEFAULT_ISSUER_URL: &str = "https://token.dynatrace.com";
/// Default listen address: a port no common dev tool uses (sts-mock defaults to 9401).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9400";
/// Default key directory, relative to the working directory.
pub const DEFAULT_KEYS_DIR: &str = "keys";
