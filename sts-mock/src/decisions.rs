//! "Why was I denied?": every STS decision, kept in a bounded ring buffer for
//! `GET /_sts-mock/decisions`, and logged as one line.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::actions::Outcome;
use crate::policy::Explanation;

/// How many recent decisions are kept: memory stays bounded whatever the traffic.
pub const CAPACITY: usize = 200;

#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    pub time: String,
    pub request_id: String,
    pub action: String,
    pub source_ip: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// A one-line reason (also sent in the `x-sts-mock-reason` header on denials).
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

#[derive(Debug, Clone, Default)]
pub struct Decisions {
    recent: Arc<Mutex<VecDeque<DecisionRecord>>>,
}

impl Decisions {
    pub fn record(&self, record: DecisionRecord) {
        tracing::info!(
            request_id = %record.request_id,
            action = %record.action,
            role = record.role_arn.as_deref().unwrap_or("-"),
            sub = record.subject.as_deref().unwrap_or("-"),
            outcome = match &record.outcome {
                Outcome::Allowed => "allowed",
                Outcome::Refused { code, .. } => code.as_str(),
            },
            reason = %record.reason,
            "decision"
        );
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
