//! The whole rig in one call, for Rust tests: the issuer process (every built-in issuer:
//! Dynatrace at `/`, GitHub Actions, GitLab CI, EKS) and sts-mock in-process, wired on the
//! built-in default exactly as `make run` wires the binaries (sts-mock's built-in setup, with
//! each issuer's identity mapped to its prefix on the in-process issuer), both reading one
//! shared clock. End-to-end tests with real AWS clients live in `tests/tests/`.
//!
//! ```
//! use e2e_tests::{Rig, GITHUB_ROLE_ARN, ROLE_ARN};
//! use issuer::MintRequest;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let rig = Rig::start().await; // both servers on free ports; dropping `rig` stops them
//! let token = rig.token("my-connection", None);
//! assert!(rig.model().role_by_arn(ROLE_ARN).is_some());
//! // Any built-in issuer mints too: a workflow of octo-org/octo-repo on main.
//! let github = rig.mint("github", &MintRequest::new().field("ref", "refs/heads/main"));
//! assert!(rig.model().role_by_arn(GITHUB_ROLE_ARN).is_some());
//! assert!(rig.sts_url().starts_with("http://127.0.0.1:"));
//! rig.clock().advance(3600).unwrap(); // issuer and sts-mock both an hour later: `token` expired
//! # let _ = (token, github);
//! # }
//! ```

#![warn(missing_docs)]

use issuer::{Issuer, IssuerConfig, KeySet, MintRequest};
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
/// The built-in default's role for a current-form Dynatrace connection (`dt:connection-id/`
/// and the issuer's default connection ID).
pub const DYNATRACE_CONNECTION_ROLE_ARN: &str =
    "arn:aws:iam::000000000000:role/dynatrace-connection";
/// The built-in default's GitHub Actions role (`repo:octo-org/octo-repo:ref:refs/heads/main`).
pub const GITHUB_ROLE_ARN: &str = "arn:aws:iam::000000000000:role/github-deploy";
/// The built-in default's GitLab CI role (`project_path:my-group/my-project:ref_type:branch:ref:main`).
pub const GITLAB_ROLE_ARN: &str = "arn:aws:iam::000000000000:role/gitlab-deploy";
/// The built-in default's EKS role (`system:serviceaccount:default:app`).
pub const EKS_ROLE_ARN: &str = "arn:aws:iam::000000000000:role/eks-app";

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
        let config = IssuerConfig::new(keys)
            .clock(clock.clone())
            .builtin_issuers(keys_dir.as_ref())
            .expect("the built-in issuers' keys in keys/NAME/");
        let issuer = Issuer::start(config).await.expect("issuer");
        let mut config = Setup::builtin()
            .server_config("built-in default")
            .expect("the built-in default is valid")
            .clock(clock);
        // As `make run`, but to this issuer's ephemeral port instead of 9400: every issuer's
        // identity to its prefix there.
        config.oidc_endpoints = issuer
            .issuers()
            .iter()
            .map(|i| (i.issuer_url().to_string(), i.base_url().to_string()))
            .collect();
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

    /// A token from the built-in issuer `issuer` (`dynatrace`, `github`, `gitlab`, `eks`),
    /// exactly as its `POST mint` would answer `request`.
    pub fn mint(&self, issuer: &str, request: &MintRequest) -> String {
        self.issuer
            .get(issuer)
            .unwrap_or_else(|| panic!("no issuer called {issuer}"))
            .mint(request)
            .expect("mint")
            .token
    }
}

/// The README's Rust examples, compiled and run as doctests so they never rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The Rust example of docs/testing-time-and-failure.md, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../docs/testing-time-and-failure.md")]
pub struct TimeAndFailureDoctests;
