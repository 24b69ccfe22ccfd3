//! The one place a Dynatrace API call is authorized: the token's scopes first (a platform
//! permission is also the OAuth scope a token must carry), then Dynatrace IAM, the policies
//! bound to the caller's groups at account level and in the environment acted in, decided
//! and explained by the `dt-policy` engine. Every decision goes to the decision log; a denial
//! is a 403 naming the missing scope or permission and the deciding statement.

use dt_policy::{evaluate_explained, BoundPolicy, Decision, Explanation, Request};
use hyper::{Response, StatusCode};
use rig_core::http::Body;
use serde_json::{json, Map, Value};

use super::decisions::{DecisionRecord, Decisions};
use super::http::{envelope, error_dto, Shape};
use super::model::World;
use super::oauth::Caller;

/// The message of a 403 for missing scopes, as Dynatrace words it ("The authorization token
/// does not provide the necessary permissions.", seen with `details.missingScopes` in
/// dynatrace-oss/dynatrace-mcp #458).
pub const MISSING_SCOPES: &str =
    "The authorization token does not provide the necessary permissions.";

/// One permission a call needs, with the condition attributes of what it acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// `service:resource:action`.
    pub permission: String,
    /// Attributes for `WHERE` conditions, e.g. `settings:schemaId`.
    pub attributes: Vec<(String, String)>,
}

impl Need {
    /// A permission with no attributes.
    pub fn new(permission: &str) -> Need {
        Need {
            permission: permission.to_string(),
            attributes: Vec::new(),
        }
    }

    /// Adds an attribute.
    pub fn with(mut self, key: &str, value: &str) -> Need {
        self.attributes.push((key.to_string(), value.to_string()));
        self
    }

    /// The settings permission `permission` on an object (or schema) of `schema_id` in the
    /// `environment` scope: the attributes the IAM policy reference lists for settings.
    pub fn settings(permission: &str, schema_id: &str) -> Need {
        Need::new(permission)
            .with("settings:schemaId", schema_id)
            .with("settings:scope", super::schemas::ENVIRONMENT_SCOPE)
    }

    fn request(&self) -> Request {
        let mut request = Request::new(&self.permission);
        for (k, v) in &self.attributes {
            request = request.with(k, v);
        }
        request
    }
}

/// The outcome of an authorization.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Every permission is granted.
    Allowed(Vec<Explanation>),
    /// The token lacks these scopes (policies were not consulted).
    MissingScopes(Vec<String>),
    /// The caller's groups lack this account permission (no policy is involved).
    MissingAccountPermission(String),
    /// The caller's policies do not grant these permissions.
    Denied {
        /// The permissions not granted.
        missing: Vec<String>,
        /// Every permission's explanation.
        explanations: Vec<Explanation>,
    },
}

impl Verdict {
    /// Whether the call may go ahead.
    pub fn allowed(&self) -> bool {
        matches!(self, Verdict::Allowed(_))
    }

    /// One line: what decided.
    pub fn reason(&self) -> String {
        match self {
            Verdict::Allowed(explanations) => explanations
                .iter()
                .map(|e| e.summary.clone())
                .collect::<Vec<_>>()
                .join("; "),
            Verdict::MissingScopes(scopes) => {
                format!("the token lacks the scope(s) {}", scopes.join(", "))
            }
            Verdict::MissingAccountPermission(p) => {
                format!("Access denied: the client's groups lack the account permission {p}")
            }
            Verdict::Denied { explanations, .. } => explanations
                .iter()
                .filter(|e| !e.decision.is_allowed())
                .map(|e| format!("Access {}", e.summary))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// The 403 for a refusal, in `shape`; `None` when allowed.
    pub fn response(&self, shape: Shape) -> Option<Response<Body>> {
        let forbidden = StatusCode::FORBIDDEN;
        match (self, shape) {
            (Verdict::Allowed(_), _) => None,
            (Verdict::MissingScopes(scopes), Shape::Dto) => {
                let mut errors = Map::new();
                errors.insert("missingScopes".into(), Value::String(scopes.join(" ")));
                Some(error_dto(forbidden, MISSING_SCOPES, errors))
            }
            (Verdict::MissingScopes(scopes), _) => Some(envelope(
                forbidden,
                MISSING_SCOPES,
                Some(json!({ "missingScopes": scopes })),
            )),
            (Verdict::MissingAccountPermission(p), Shape::Dto) => {
                let mut errors = Map::new();
                errors.insert("missingPermissions".into(), Value::String(p.clone()));
                Some(error_dto(forbidden, self.reason(), errors))
            }
            (Verdict::MissingAccountPermission(p), _) => Some(envelope(
                forbidden,
                self.reason(),
                Some(json!({ "missingPermissions": [p] })),
            )),
            (Verdict::Denied { missing, .. }, Shape::Dto) => {
                let mut errors = Map::new();
                errors.insert(
                    "missingPermissions".into(),
                    Value::String(missing.join(" ")),
                );
                Some(error_dto(forbidden, self.reason(), errors))
            }
            // Dynatrace's platform error handling: "missingPermissions, which should be set if
            // the API returns a 403 - Forbidden response in case of missing OAuth user
            // permissions". The explanations are the rig's own addition to `details`. Guess:
            // the message ("Access denied: ...", the engine's summary) is the rig's; Dynatrace
            // publishes none for a policy denial.
            (
                Verdict::Denied {
                    missing,
                    explanations,
                },
                _,
            ) => Some(envelope(
                forbidden,
                self.reason(),
                Some(json!({ "missingPermissions": missing, "explanations": explanations })),
            )),
        }
    }
}

/// The scopes of `permissions` the token of `caller` lacks, as a refusal.
pub fn missing_scopes(caller: &Caller, permissions: &[&str]) -> Option<Verdict> {
    let mut missing: Vec<String> = Vec::new();
    for p in permissions {
        if !caller.scopes.iter().any(|s| s == p) && !missing.iter().any(|m| m == p) {
            missing.push(p.to_string());
        }
    }
    (!missing.is_empty()).then_some(Verdict::MissingScopes(missing))
}

/// The policies that apply to one caller in one environment, bound once: what a request that
/// decides many things (a list of objects) evaluates against, instead of binding every
/// binding again for each object.
pub struct Policies<'c> {
    caller: &'c Caller,
    bound: Vec<BoundPolicy>,
}

impl<'c> Policies<'c> {
    /// The policies bound to `caller`'s groups that apply in `environment` (`None`: the
    /// account itself, where only account-level bindings apply).
    pub fn of(world: &World, caller: &'c Caller, environment: Option<&str>) -> Policies<'c> {
        let bound = match world.client(&caller.client_id) {
            Some(client) => world.bound_policies(client, environment),
            None => Vec::new(),
        };
        Policies { caller, bound }
    }

    /// Decides `needs`: the token's scopes first, then the policies.
    pub fn decide(&self, needs: &[Need]) -> Verdict {
        let permissions: Vec<&str> = needs.iter().map(|n| n.permission.as_str()).collect();
        if let Some(refusal) = missing_scopes(self.caller, &permissions) {
            return refusal;
        }
        let refs: Vec<&BoundPolicy> = self.bound.iter().collect();
        let explanations: Vec<Explanation> = needs
            .iter()
            .map(|need| evaluate_explained(&refs, &need.request()))
            .collect();
        let missing: Vec<String> = explanations
            .iter()
            .filter(|e| e.decision != Decision::Allow)
            .map(|e| e.permission.clone())
            .collect();
        if missing.is_empty() {
            Verdict::Allowed(explanations)
        } else {
            Verdict::Denied {
                missing,
                explanations,
            }
        }
    }

    /// Whether `need` is granted, without an explanation (for filtering lists).
    pub fn allows(&self, need: &Need) -> bool {
        if missing_scopes(self.caller, &[need.permission.as_str()]).is_some() {
            return false;
        }
        let refs: Vec<&BoundPolicy> = self.bound.iter().collect();
        dt_policy::evaluate(&refs, &need.request()).is_allowed()
    }
}

/// Decides whether `caller` may do what `needs` lists in `environment` (`None`: the account
/// itself, where only account-level bindings apply).
pub fn decide(
    world: &World,
    caller: &Caller,
    environment: Option<&str>,
    needs: &[Need],
) -> Verdict {
    Policies::of(world, caller, environment).decide(needs)
}

/// What a decision record says about the call, apart from the verdict.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// `METHOD /path`.
    pub request: String,
    /// The client, if authenticated.
    pub client_id: String,
    /// The environment acted in.
    pub environment: Option<String>,
    /// The settings object concerned.
    pub object_id: Option<String>,
}

impl Audit {
    /// Records `verdict` (answered with `status`).
    pub fn verdict(&self, log: &Decisions, time: String, verdict: &Verdict, status: u16) {
        let (missing_scopes, missing_permissions, explanations) = match verdict {
            Verdict::Allowed(e) => (Vec::new(), Vec::new(), e.clone()),
            Verdict::MissingScopes(s) => (s.clone(), Vec::new(), Vec::new()),
            Verdict::MissingAccountPermission(p) => (Vec::new(), vec![p.clone()], Vec::new()),
            Verdict::Denied {
                missing,
                explanations,
            } => (Vec::new(), missing.clone(), explanations.clone()),
        };
        log.record(DecisionRecord {
            time,
            request: self.request.clone(),
            client_id: self.client_id.clone(),
            environment: self.environment.clone(),
            object_id: self.object_id.clone(),
            result: if verdict.allowed() {
                "allowed"
            } else {
                "denied"
            },
            status,
            reason: verdict.reason(),
            missing_scopes,
            missing_permissions,
            explanations,
        });
    }

    /// Records a refusal that no policy decided (an invalid token, a connection that cannot
    /// authenticate).
    pub fn refusal(&self, log: &Decisions, time: String, status: u16, reason: String) {
        log.record(DecisionRecord {
            time,
            request: self.request.clone(),
            client_id: self.client_id.clone(),
            environment: self.environment.clone(),
            object_id: self.object_id.clone(),
            result: "denied",
            status,
            reason,
            missing_scopes: Vec::new(),
            missing_permissions: Vec::new(),
            explanations: Vec::new(),
        });
    }
}
