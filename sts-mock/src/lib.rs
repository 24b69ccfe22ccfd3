//! `sts-mock`: an AWS STS emulator that really verifies web-identity tokens and really
//! enforces IAM trust policies.

pub mod credentials;
pub mod policy;
pub mod sigv4;
