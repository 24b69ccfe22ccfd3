//! The Dynatrace IAM policy language as a pure engine: parse policy statements, bind them to a
//! group with bind parameters and boundaries, and decide requests, with an explanation of
//! every decision. No I/O, no clock, no async: text and a request in, a decision out.
//!
//! This is the Dynatrace side of the rig, next to the AWS policy engine of `sts-mock`: before
//! the issuer mints a token for an AWS connection it asks whether the caller's groups may use
//! `hyperscaler-authentication:aws:authenticate` and read the connection's settings object.
//!
//! ```
//! use dt_policy::{evaluate, evaluate_explained, parse, Bindings, Decision, Request};
//!
//! // The permissions the AWS Connector documentation lists (shared/sources/000).
//! let policy = parse(
//!     r#"ALLOW app-engine:apps:install;
//!        ALLOW settings:objects:read, settings:objects:write, settings:schemas:read
//!          WHERE settings:schemaId = "builtin:hyperscaler-authentication.aws.connection";
//!        ALLOW hyperscaler-authentication:aws:authenticate;"#,
//! )?;
//! let bound = policy.bind(&Bindings::new())?;
//!
//! let authenticate = Request::new("hyperscaler-authentication:aws:authenticate");
//! assert_eq!(evaluate(&[&bound], &authenticate), Decision::Allow);
//!
//! let read = Request::new("settings:objects:read")
//!     .with("settings:schemaId", "builtin:hyperscaler-authentication.connections.aws");
//! let why = evaluate_explained(&[&bound], &read);
//! assert_eq!(why.decision, Decision::DefaultDeny);
//! assert!(why.summary.starts_with("denied: no statement allows settings:objects:read"));
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
//!
//! # Semantics
//!
//! - A statement matches a request when it names the permission exactly (there are no
//!   permission wildcards) and all its conditions hold.
//! - "A DENY statement always overrules an ALLOW statement"; with nothing matching, the
//!   answer is a default deny. The deciding statement is picked in the order Dynatrace
//!   documents: unconditional `DENY`, conditional `DENY`, unconditional `ALLOW`, conditional
//!   `ALLOW`.
//! - `IN`/`NOT IN`: equal to one / none of the values; `startsWith` tests a prefix; `MATCH`
//!   tests `*` patterns, and is the only operator that tests a multi-valued attribute (true
//!   when any value matches any pattern).
//! - Guess: a condition on an attribute the request lacks never holds (for negated operators
//!   too); values compare case-sensitively.
//! - Boundaries restrict the `ALLOW` statements of the policies bound with them, per
//!   permission, as [`Policy::bind_within`] describes.
//!
//! Role implication (e.g. that `environment:roles:manage-settings` also lets a user see the
//! environment) is the environment service's business, not the language's: the engine
//! answers for the permission asked.

#![warn(missing_docs)]

mod bind;
mod catalog;
mod eval;
mod explain;
mod global;
mod parse;
mod policy;

pub use bind::{BindError, Bindings, BoundPolicy};
pub use eval::{evaluate, AttributeValue, Decision, Outcome, Request};
pub use explain::{evaluate_explained, ConditionTrace, Explanation, StatementRef, StatementTrace};
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
