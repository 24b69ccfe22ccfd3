//! The Account Management API (REST-JSON, version 2021-02-01) on the STS listener: the
//! operations a connector calls with assumed credentials, one file each. Its requests arrive
//! flattened from JSON ([`crate::rest_json`]) and checked against the model shape; its answers
//! and errors are JSON documents.

pub mod list_regions;
