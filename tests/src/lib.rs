//! The whole rig in one call, for Rust tests: the issuer and sts-mock in-process, wired on the
//! built-in default exactly as `make run` wires the binaries (sts-mock's built-in setup, with
//! `https://token.dynatrace.com` mapped to the in-process issuer), both reading one shared
//! clock. End-to-end tests with real AWS clients live in `tests/tests/`.
//!
//! ```
//! use e2e_tests::{Rig, ROLE_ARN};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let rig = Rig::start().await; // both servers on free ports; dropping `rig` stops them
//! let token = rig.token("my-connection", None);
//! assert!(rig.model().role_by_arn(ROLE_ARN).is_some());
//! assert!(rig.sts_url().starts_with("http://127.0.0.1:"));
//! rig.clock().advance(3600).unwrap(); // issuer and sts-mock both an hour later: `token` expired
//! # let _ = token;
//! # }
//! ```

#![warn(missing_docs)]

use issuer::{Issuer, IssuerConfig, KeySet};
use rig_core::Clock;
use sts_mock::config::Setup;
use sts_mock::{Model, StsMock};

/// The identity of the built-in Dynatrace issuer.
pub const ISSUER_URL: &str = "https://token.dynatrace.com";
/// The audience of tenant `abc12345`'s AWS connector, the provider's client ID.
pub const AUDIENCE: &str = "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector";
/// The built-in default's role.
pub const ROLE_NAME: &str = "dynatrace-aws-connector";
/// Its ARN.
pub const ROLE_ARN: &str = "arn:aws:iam::000000000000:role/dynatrace-aws-connector";
/// The role's trust policy: the shipped example of shared/sources/000.
pub const TRUST_POLICY: &str = include_str!("../../examples/policies/dynatrace-trust.json");

/// The issuer and sts-mock, both on ephemeral ports; dropping it stops both.
pub struct Rig {
    /// The issuer.
    pub issuer: Issuer,
    /// sts-mock.
    pub sts: StsMock,
}

impl Rig {
    /// Starts both on the built-in default, on a real-time clock they share.
    pub async fn start() -> Rig {
        Rig::start_with_clock(Clock::real()).await
    }

    /// Starts both on the built-in default, reading `clock` (keep a clone to move it).
    pub async fn start_with_clock(clock: Clock) -> Rig {
        let keys_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys");
        let keys = KeySet::load_dir(keys_dir.as_ref(), None).expect("the dev keys in keys/");
        let issuer = Issuer::start(IssuerConfig::new(keys).clock(clock.clone()))
            .await
            .expect("issuer");
        let mut config = Setup::builtin()
            .server_config("built-in default")
            .expect("the built-in default is valid")
            .clock(clock);
        // As `make run`, but to this issuer's ephemeral port instead of 9400.
        config.oidc_endpoints = vec![(ISSUER_URL.to_string(), issuer.url().to_string())];
        let sts = StsMock::start(config).await.expect("sts-mock");
        Rig { issuer, sts }
    }

    /// The STS (and IAM) endpoint.
    pub fn sts_url(&self) -> &str {
        self.sts.url()
    }

    /// The IAM world sts-mock serves.
    pub fn model(&self) -> &Model {
        self.sts.model()
    }

    /// The clock both servers read.
    pub fn clock(&self) -> &Clock {
        self.sts.clock()
    }

    /// A token from the issuer for `connection` of tenant abc12345, with an optional fault.
    pub fn token(&self, connection: &str, fault: Option<issuer::Fault>) -> String {
        self.issuer
            .mint(&issuer::MintRequest {
                tenant: Some("abc12345".into()),
                connection: Some(connection.into()),
                fault,
                ..Default::default()
            })
            .expect("mint")
            .token
    }
}

/// The README's Rust examples, compiled and run as doctests so they never rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
