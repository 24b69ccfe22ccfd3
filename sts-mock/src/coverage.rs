//! Coverage of the trust policies: for each role, how many trust decisions found each
//! statement and each condition true and how many false, since the server started or since
//! `DELETE /_sts-mock/coverage`. Negative tests are only as good as the conditions they make
//! fail: a CI run reads `GET /_sts-mock/coverage` (or `sts-mock coverage --url URL
//! --fail-under-conditions 100`) to see that, say, the `sub` condition was never seen failing.
//!
//! What counts: every trust decision that evaluated a role's trust policy
//! (`AssumeRoleWithWebIdentity`, `AssumeRole`), from the policy engine's explanation in the
//! decision log. A statement is true when it applied; a condition is counted only in
//! decisions whose principal and action its statement matched (a GitHub token says nothing
//! about a statement for Dynatrace). Counts are kept per role for the trust policy they were
//! made with: a new trust policy starts from zero. Memory is bounded: one entry per role, of
//! the size of its trust policy, and at most [`MAX_ROLES`] roles.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use hyper::body::Incoming;
use rig_core::http::{Body, Limits, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::admin::json as answer;
use crate::call::BoxFuture;
use crate::decisions::DecisionRecord;
use crate::policy::{Explanation, Policy};
use crate::services::Services;
use crate::time_format::iso8601;

/// The most roles counted at once; past it, the role counted longest ago is dropped. Guess:
/// far above what one rig serves.
pub const MAX_ROLES: usize = 10_000;

/// The counts, shared by the decision log and the endpoint.
#[derive(Debug, Default)]
pub struct Coverage {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When the counts were last reset (`None`: since start).
    since: Option<String>,
    roles: BTreeMap<String, RoleCounts>,
    /// Counting order, to drop the oldest role past [`MAX_ROLES`].
    tick: u64,
}

#[derive(Debug, Clone, Default)]
struct RoleCounts {
    fingerprint: u64,
    decisions: u64,
    statements: Vec<StatementCounts>,
    last: u64,
}

#[derive(Debug, Clone, Default)]
struct StatementCounts {
    applied: u64,
    not_applied: u64,
    conditions: Vec<(u64, u64)>,
}

/// What identifies a trust policy's statements and conditions: the same policy gives the same
/// value from its text (for the report) and from an explanation of it (when counting).
fn fingerprint<'a>(
    statements: impl Iterator<Item = (usize, Vec<(&'a str, &'a str, Vec<&'a str>)>)>,
) -> u64 {
    let mut hasher = DefaultHasher::new();
    for (index, conditions) in statements {
        index.hash(&mut hasher);
        conditions.hash(&mut hasher);
    }
    hasher.finish()
}

fn explanation_fingerprint(explanation: &Explanation) -> u64 {
    fingerprint(
        explanation
            .statements
            .iter()
            .filter(|s| s.policy == 0)
            .map(|s| {
                (
                    s.statement,
                    s.conditions
                        .iter()
                        .map(|c| {
                            (
                                c.operator.as_str(),
                                c.key.as_str(),
                                c.policy_values.iter().map(String::as_str).collect(),
                            )
                        })
                        .collect(),
                )
            }),
    )
}

fn policy_fingerprint(policy: &Policy) -> u64 {
    fingerprint(policy.statement_views().into_iter().map(|s| {
        (
            s.index,
            s.conditions
                .iter()
                .map(|c| (c.operator_text, c.key, c.values.clone()))
                .collect(),
        )
    }))
}

impl Coverage {
    /// Counts a decision, if it is a trust decision that evaluated a role's trust policy.
    pub fn count(&self, record: &DecisionRecord) {
        if record.kind.is_some() {
            return;
        }
        let (Some(role), Some(explanation)) = (&record.role_arn, &record.explanation) else {
            return;
        };
        let traces: Vec<_> = explanation
            .statements
            .iter()
            .filter(|s| s.policy == 0)
            .collect();
        if traces.is_empty() {
            return;
        }
        let print = explanation_fingerprint(explanation);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.tick += 1;
        let tick = state.tick;
        if !state.roles.contains_key(role) && state.roles.len() >= MAX_ROLES {
            if let Some(oldest) = state
                .roles
                .iter()
                .min_by_key(|(_, c)| c.last)
                .map(|(k, _)| k.clone())
            {
                state.roles.remove(&oldest);
            }
        }
        let counts = state.roles.entry(role.clone()).or_default();
        if counts.fingerprint != print || counts.statements.len() != traces.len() {
            *counts = RoleCounts {
                fingerprint: print,
                decisions: 0,
                statements: traces
                    .iter()
                    .map(|t| StatementCounts {
                        conditions: vec![(0, 0); t.conditions.len()],
                        ..StatementCounts::default()
                    })
                    .collect(),
                last: tick,
            };
        }
        counts.decisions += 1;
        counts.last = tick;
        for (trace, statement) in traces.iter().zip(counts.statements.iter_mut()) {
            if trace.applies {
                statement.applied += 1;
            } else {
                statement.not_applied += 1;
            }
            if trace.principal == Some(false) || trace.action == Some(false) {
                continue;
            }
            for (condition, count) in trace.conditions.iter().zip(statement.conditions.iter_mut()) {
                if condition.result {
                    count.0 += 1;
                } else {
                    count.1 += 1;
                }
            }
        }
    }

    /// Forgets every count; the report then says `since`.
    pub fn reset(&self, since: String) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.roles.clear();
        state.since = Some(since);
    }

    /// The report of `GET /_sts-mock/coverage`: every role of the model (or those of `only`),
    /// each statement and condition of its current trust policy with its counts, and the
    /// share of conditions seen both true and false.
    pub fn report(&self, model: &crate::Model, only: &[String]) -> Value {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut roles = Vec::new();
        let (mut total, mut both) = (0usize, 0usize);
        for account in model.accounts() {
            for role in model.roles(&account) {
                let arn = role.arn();
                if !only.is_empty() && !only.contains(&arn) {
                    continue;
                }
                let policy = &role.trust_policy.policy;
                let counts = state
                    .roles
                    .get(&arn)
                    .filter(|c| c.fingerprint == policy_fingerprint(policy));
                let views = policy.statement_views();
                let statements: Vec<Value> = views
                    .iter()
                    .enumerate()
                    .map(|(i, view)| {
                        let stats = counts.and_then(|c| c.statements.get(i));
                        let conditions: Vec<Value> = view
                            .conditions
                            .iter()
                            .enumerate()
                            .map(|(j, c)| {
                                let (yes, no) = stats
                                    .and_then(|s| s.conditions.get(j).copied())
                                    .unwrap_or((0, 0));
                                total += 1;
                                if yes > 0 && no > 0 {
                                    both += 1;
                                }
                                json!({
                                    "operator": c.operator_text,
                                    "key": c.key,
                                    "values": c.values,
                                    "true": yes,
                                    "false": no,
                                })
                            })
                            .collect();
                        json!({
                            "statement": view.index,
                            "sid": view.sid,
                            "effect": view.effect,
                            "true": stats.map(|s| s.applied).unwrap_or(0),
                            "false": stats.map(|s| s.not_applied).unwrap_or(0),
                            "conditions": conditions,
                        })
                    })
                    .collect();
                roles.push(json!({
                    "role_arn": arn,
                    "decisions": counts.map(|c| c.decisions).unwrap_or(0),
                    "statements": statements,
                }));
            }
        }
        let percent = if total == 0 {
            100.0
        } else {
            (both as f64 * 1000.0 / total as f64).floor() / 10.0
        };
        json!({
            "since": state.since,
            "roles": roles,
            "conditions": {"total": total, "seen_both_ways": both, "percent": percent},
        })
    }
}

/// `GET /_sts-mock/coverage[?role=ARN...]` (the report) and `DELETE /_sts-mock/coverage`
/// (start counting again).
pub(crate) fn handle<'a>(
    services: &'a Services,
    request: Request<Incoming>,
    _: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move {
        let coverage = services.decisions.coverage();
        if request.method() == Method::DELETE {
            let now = iso8601(services.clock.now());
            coverage.reset(now.clone());
            return answer(StatusCode::OK, &json!({ "since": now }));
        }
        let only: Vec<String> =
            form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
                .filter(|(k, _)| k == "role")
                .map(|(_, v)| v.into_owned())
                .collect();
        answer(StatusCode::OK, &coverage.report(&services.model, &only))
    })
}
