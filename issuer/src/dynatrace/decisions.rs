//! "Why was I refused?" on the Dynatrace side: every authorization decision of the Dynatrace
//! API (which client, which permissions, which statement decided), kept in a bounded ring
//! buffer for `GET /_issuer/decisions` and logged as one line, as sts-mock keeps its own.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use dt_policy::Explanation;
use serde::Serialize;

/// How many recent decisions are kept: memory stays bounded whatever the traffic (the same
/// bound as sts-mock's log).
pub const CAPACITY: usize = 200;

/// One decision, as served by `GET /_issuer/decisions`.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    /// When (RFC 3339, the shared clock).
    pub time: String,
    /// `METHOD /path`.
    pub request: String,
    /// The OAuth client that asked (empty when none authenticated).
    pub client_id: String,
    /// The environment the request acted in, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The settings object (connection) concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// `allowed` or `denied`.
    pub result: &'static str,
    /// The HTTP status answered.
    pub status: u16,
    /// One line: what decided.
    pub reason: String,
    /// Scopes the token lacked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_scopes: Vec<String>,
    /// Permissions the caller's policies do not grant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_permissions: Vec<String>,
    /// The policy engine's explanation of every permission evaluated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<Explanation>,
}

/// The decision log. Cheap to clone (a handle).
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    recent: Arc<Mutex<VecDeque<DecisionRecord>>>,
}

impl Decisions {
    /// Logs `record` and keeps it among the recent ones.
    pub fn record(&self, record: DecisionRecord) {
        tracing::info!(
            target: "issuer::dynatrace::decision",
            "{} {} client={} status={} reason={:?}",
            record.request,
            record.result,
            if record.client_id.is_empty() { "-" } else { &record.client_id },
            record.status,
            record.reason,
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
