//! The Dynatrace IAM policy language as a pure engine: parse policy statements and
//! boundaries into typed values that know where they were written, or say what was expected
//! where. No I/O, no clock, no async.
//!
//! This is the Dynatrace side of the rig, next to the AWS policy engine of `sts-mock`.
//!
//! ```
//! use dt_policy::{parse, Effect};
//!
//! // The permissions the AWS Connector documentation lists (shared/sources/000).
//! let policy = parse(
//!     r#"ALLOW app-engine:apps:install;
//!        ALLOW settings:objects:read, settings:objects:write, settings:schemas:read
//!          WHERE settings:schemaId = "builtin:hyperscaler-authentication.aws.connection";
//!        ALLOW hyperscaler-authentication:aws:authenticate;"#,
//! )?;
//! assert_eq!(policy.statements().len(), 3);
//! assert_eq!(policy.statements()[2].effect, Effect::Allow);
//!
//! let e = parse("ALLOW settings:objects:read\nALLOW settings:schemas:read;").unwrap_err();
//! assert_eq!(e.to_string(), "expected `;` after statement, found `ALLOW` at 2:1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The language
//!
//! From Dynatrace's "IAM policy statement syntax and examples": a policy is up to
//! [`MAX_STATEMENTS`] statements `ALLOW|DENY service:resource:action[, …] [WHERE condition
//! [AND condition …]];`. A condition is `service:attribute` with `=`, `!=`, `IN (…)`,
//! `NOT IN (…)`, `startsWith`, `NOT startsWith`, `MATCH (…)` ("Permissions in Grail"), or `<`
//! and `>` for the global date and time conditions; `WHERE null` means no condition. Values
//! are quoted with `'` or `"` and may hold `${bindParam:NAME}` ("Policy templating") and
//! `${global:userId}` / `${global:userGroup}` ("Policy global attributes"). `//` starts a
//! comment. Keywords are case-insensitive. The grammar, as EBNF, opens the `parse` module's
//! source.

#![warn(missing_docs)]

mod global;
mod parse;
mod policy;

pub use parse::{ParseError, MAX_BOUNDARY_CONDITIONS, MAX_STATEMENTS};
pub use policy::{Boundary, Condition, Effect, Operator, Policy, Position, Statement, Value};

/// Parses policy text (a policy's `statementQuery`).
pub fn parse(text: &str) -> Result<Policy, ParseError> {
    parse::statements(text).map(Policy::from_statements)
}

/// Parses boundary text (a boundary's `boundaryQuery`): up to [`MAX_BOUNDARY_CONDITIONS`]
/// conditions, each ended by `;`, without `AND`.
pub fn parse_boundary(text: &str) -> Result<Boundary, ParseError> {
    parse::boundary(text)
}
