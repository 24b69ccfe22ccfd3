//! The IAM Query API (version 2010-05-08) on the STS listener: OIDC providers, roles, inline
//! permission policies and policy simulation, one file per action. Input checks shared with the
//! setup file live in [`validate`].

pub mod validate;
