//! `issuer policy explain --statements FILE --permission P [--condition KEY=VALUE ...]`:
//! decides one request against Dynatrace policy statements offline, with the same engine the
//! issuer's Dynatrace API uses, and says why. For CI checks of a policy before it is bound.
//!
//! ```
//! use issuer::dynatrace::explain::{explain, ExplainError};
//!
//! let statements = r#"ALLOW settings:objects:read WHERE settings:schemaId = "builtin:hyperscaler-authentication.aws.connection";"#;
//! let why = explain(statements, "settings:objects:read",
//!     &[("settings:schemaId".into(), "builtin:hyperscaler-authentication.connections.aws".into())], &[]).unwrap();
//! assert!(!why.decision.is_allowed());
//! assert!(matches!(explain("ALLOW", "a:b:c", &[], &[]), Err(ExplainError::Parse(_))));
//! ```

use dt_policy::{evaluate_explained, Bindings, Explanation, Request};

/// Why a request could not be decided (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// The statements do not parse; the message carries line and column.
    #[error("the statements do not parse: {0}")]
    Parse(String),
    /// A `${bindParam:NAME}` has no `--param`.
    #[error("{0}")]
    Bind(String),
    /// The permission is not `service:resource:action`.
    #[error("permission `{0}` must be service:resource:action, such as hyperscaler-authentication:aws:authenticate")]
    Permission(String),
}

/// Decides `permission` with `conditions` (a key given twice is a multi-valued attribute, as
/// `MATCH` tests) against `statements`, bound with `params`.
pub fn explain(
    statements: &str,
    permission: &str,
    conditions: &[(String, String)],
    params: &[(String, String)],
) -> Result<Explanation, ExplainError> {
    let segments: Vec<&str> = permission.split(':').collect();
    if segments.len() != 3 || segments.iter().any(|s| s.is_empty()) {
        return Err(ExplainError::Permission(permission.to_string()));
    }
    let policy = dt_policy::parse(statements).map_err(|e| ExplainError::Parse(e.to_string()))?;
    let bindings: Bindings = params.iter().cloned().collect();
    let bound = policy
        .bind(&bindings)
        .map_err(|e| ExplainError::Bind(format!("{e} (give it with --param NAME=VALUE)")))?;
    let mut request = Request::new(permission);
    let mut keys: Vec<&str> = conditions.iter().map(|(k, _)| k.as_str()).collect();
    keys.dedup();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        let values: Vec<&str> = conditions
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect();
        request = match values.as_slice() {
            [one] => request.with(key, *one),
            many => request.with_values(key, many.iter().copied()),
        };
    }
    Ok(evaluate_explained(&[&bound], &request))
}
