//! "Why was I denied?": every decision (trust decisions of the assume actions, and permission
//! decisions of every call a role session makes), kept in a bounded ring buffer for
//! `GET /_sts-mock/decisions`, and logged as one compact line.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::policy::Explanation;

/// How many recent decisions are kept: memory stays bounded whatever the traffic.
pub const CAPACITY: usize = 200;

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// Served.
    Allowed,
    /// Refused with an AWS error.
    Refused {
        /// The AWS error code.
        code: String,
        /// The AWS error message.
        message: String,
    },
}

/// What a handler learnt about a request, filled in as far as the request got.
#[derive(Debug, Default, Clone)]
pub struct Attempt {
    /// The role asked for.
    pub role_arn: Option<String>,
    /// The session name asked for.
    pub session_name: Option<String>,
    /// The token's issuer.
    pub issuer: Option<String>,
    /// The token's subject.
    pub subject: Option<String>,
    /// The policy engine's explanation, when a policy was evaluated.
    pub explanation: Option<Explanation>,
    /// The precise reason behind a generic AWS message (a malformed token's defect, say).
    pub detail: Option<String>,
    /// The calling principal (`AssumeRole`'s caller).
    pub principal: Option<String>,
}

/// One decision, as served by `GET /_sts-mock/decisions`.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    /// When (RFC 3339, the shared clock).
    pub time: String,
    /// The request's ID.
    pub request_id: String,
    /// The action.
    pub action: String,
    /// The client's address.
    pub source_ip: String,
    /// The role asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The session name asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// The token's issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The token's subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Allowed, or the error.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// A one-line reason (also sent in the `x-sts-mock-reason` header on denials).
    pub reason: String,
    /// The full explanation, when a policy was evaluated (for a permission decision: the kind
    /// of policy that decided).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    /// `permission` for a permission decision; absent for trust decisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The calling principal (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// The account the call acted in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The IAM action authorized (`iam:GetRole`, `account:ListRegions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The resource it was authorized on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Every kind of policy's evaluation (identity, permissions boundary, session).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evaluations: Vec<crate::permissions::PolicyEvaluation>,
}

impl DecisionRecord {
    /// A trust decision's record (no permission fields).
    pub fn trust(
        time: String,
        request_id: String,
        action: String,
        source_ip: String,
        attempt: Attempt,
        outcome: Outcome,
        reason: String,
    ) -> DecisionRecord {
        DecisionRecord {
            time,
            request_id,
            action,
            source_ip,
            role_arn: attempt.role_arn,
            session_name: attempt.session_name,
            issuer: attempt.issuer,
            subject: attempt.subject,
            outcome,
            reason,
            explanation: attempt.explanation,
            kind: None,
            principal: attempt.principal,
            account: None,
            permission: None,
            resource: None,
            evaluations: Vec::new(),
        }
    }
}

/// The decision log. Cheap to clone (a handle).
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    recent: Arc<Mutex<VecDeque<DecisionRecord>>>,
}

impl Decisions {
    /// Logs `record` and keeps it among the recent ones.
    pub fn record(&self, record: DecisionRecord) {
        match &record.outcome {
            Outcome::Allowed if record.permission.is_some() => tracing::info!(
                target: "sts_mock::decision",
                "{} allowed {} on {} principal={}",
                record.action,
                record.permission.as_deref().unwrap_or("-"),
                record.resource.as_deref().unwrap_or("-"),
                record.principal.as_deref().unwrap_or("-"),
            ),
            Outcome::Allowed => tracing::info!(
                target: "sts_mock::decision",
                "{} allowed role={} sub={}",
                record.action,
                record.role_arn.as_deref().unwrap_or("-"),
                record.subject.as_deref().unwrap_or("-"),
            ),
            Outcome::Refused { code, .. } if record.permission.is_some() => tracing::info!(
                target: "sts_mock::decision",
                "{} {code} {} on {} principal={} reason={:?} request_id={}",
                record.action,
                record.permission.as_deref().unwrap_or("-"),
                record.resource.as_deref().unwrap_or("-"),
                record.principal.as_deref().unwrap_or("-"),
                record.reason,
                record.request_id,
            ),
            Outcome::Refused { code, .. } => tracing::info!(
                target: "sts_mock::decision",
                "{} {code} role={} sub={} reason={:?} request_id={}",
                record.action,
                record.role_arn.as_deref().unwrap_or("-"),
                record.subject.as_deref().unwrap_or("-"),
                record.reason,
                record.request_id,
            ),
        }
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == CAPACITY {
            recent.pop_front();
        }
        recent.push_back(record);
    }

    /// Most recent last.
    pub fn recent(&self) -> Vec<DecisionRecord> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.iter().cloned().collect()
    }
}
