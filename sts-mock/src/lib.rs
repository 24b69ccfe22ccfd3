//! `sts-mock`: an AWS STS emulator that really verifies web-identity tokens and really
//! enforces IAM trust policies.
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

pub mod actions;
pub mod credentials;
pub mod decisions;
pub mod model;
pub mod oidc;
pub mod policy;
pub mod query;
pub mod server;

pub use model::{Model, RoleSpec, DEFAULT_ACCOUNT};
pub use server::{StsMock, StsMockConfig};
