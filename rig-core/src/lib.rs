//! `rig-core`: what the issuer and sts-mock must agree on, kept in one place so it cannot
//! drift between them.
//!
//! - [`Clock`]: the one clock every time-dependent check reads (token lifetimes, credential
//!   expiry, `aws:CurrentTime`, SigV4's request-time window). A test shares one handle between
//!   an in-process issuer and sts-mock and moves it, instead of sleeping.
//! - [`http`]: the one HTTP server plumbing (accept loop, limits, graceful shutdown, the body
//!   reader, 405 with `Allow`), so both servers meet clients the same way.
//! - [`logging`]: the one logging setup (`--log-format text|json`, `RUST_LOG`, colour only on
//!   a terminal).
//!
//! ```
//! use rig_core::{Clock, ClockMode};
//!
//! let clock: Clock = "2026-11-23T05:00:00Z".parse().unwrap(); // frozen there, as `--clock`
//! let shared = clock.clone(); // the same clock: hand one to the issuer, one to sts-mock
//! shared.advance(3600);
//! assert_eq!(clock.unix(), 1_795_410_000 + 3600);
//! assert_eq!(clock.mode(), ClockMode::Frozen);
//! ```

#![warn(missing_docs)]

mod clock;
mod config_error;
pub mod http;
pub mod logging;

pub use clock::{
    http_answer as clock_http_answer, rfc3339, Clock, ClockChange, ClockError, ClockMode,
    ClockState,
};
pub use config_error::ConfigError;
