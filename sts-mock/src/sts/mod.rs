//! The STS actions, one file each.

pub mod assume_role;
pub mod assume_role_with_web_identity;
pub mod get_caller_identity;
pub mod get_web_identity_token;
