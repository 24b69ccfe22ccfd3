//! `sts-mock`: an AWS STS emulator that really verifies web-identity tokens and really
//! enforces IAM trust policies, and says why it refused.
//!
//! ```
//! use sts_mock::{StsMock, StsMockConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let sts = StsMock::start(StsMockConfig::default()).await.unwrap(); // ephemeral port
//! sts.model()
//!     .add_provider("000000000000", "https://token.dynatrace.com",
//!                   vec!["abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector".into()], vec![])
//!     .unwrap();
//! assert!(sts.url().starts_with("http://127.0.0.1:"));
//! drop(sts); // stops the server
//! # }
//! ```
//!
//! How it is built: [`action`] holds the one action table and dispatcher; each action is a file
//! under `sts/`, `iam/` or `account/` that sees only the narrow [`Services`] (model, keys,
//! credentials, clock, decisions); [`caller`] decides who calls, for every API;
//! [`permissions`] authorizes what a role session calls; parameters are checked against AWS's
//! own model shapes ([`shape`], tables generated from botocore); errors are one typed
//! [`AwsError`]; the [`model`] is the one place IAM's checks live, for every entry point;
//! [`context`] builds the request contexts (web identity, and calls made with a session) for
//! the STS and `explain` alike; [`policy`] is the pure IAM policy engine; [`lint`] reads trust
//! policies for the mistakes AWS accepts; [`decisions`] and [`coverage`] say why each request
//! was decided and how often each condition held, live on the page at `/_sts-mock/`.

#![warn(missing_docs)]

mod account;
mod action;
mod admin;
mod arn;
#[rustfmt::skip]
mod aws_model;
mod call;
pub mod caller;
pub mod config;
pub mod context;
pub mod coverage;
pub mod credentials;
pub mod decisions;
pub mod error;
pub mod explain;
mod health;
mod iam;
pub mod lint;
pub mod model;
pub mod oidc;
pub mod outbound;
mod page;
pub mod permissions;
pub mod policy;
mod query;
pub mod remote;
pub mod rest_json;
mod server;
mod services;
pub mod shape;
pub mod sigv4;
pub mod state;
mod sts;
mod time_format;

pub use error::{AwsError, ErrorCode};
pub use model::{Model, ProviderSpec, RoleSpec, Tag, DEFAULT_ACCOUNT};
pub use query::Params;
pub use rig_core::Clock;
pub use server::{StsMock, StsMockConfig, DEFAULT_LISTEN, MAX_BODY_BYTES, REASON_HEADER};
pub use services::Services;
