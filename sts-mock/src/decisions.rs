//! "Why was I denied?": every decision (trust decisions of the assume actions, and permission
//! decisions of every call a role session makes), kept in a bounded ring buffer for
//! `GET /_sts-mock/decisions`, logged as one compact line, counted for the trust policies'
//! coverage ([`crate::coverage`]) and sent live to the page's open streams
//! (`/_sts-mock/decisions/stream`), together with the lint's warnings about trust policies
//! created or updated through IAM.
//!
//! Everything here is bounded: the ring ([`CAPACITY`] decisions, [`WARNINGS_CAPACITY`]
//! warnings), the live feed ([`FEED_BUFFER`] events per subscriber; one that falls further
//! behind is told so and closed, and catches up from the ring when it reconnects) and the
//! number of open streams ([`MAX_STREAMS`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::{broadcast, OwnedSemaphorePermit, Semaphore};

use crate::coverage::Coverage;
use crate::lint::Finding;
use crate::policy::Explanation;

/// How many recent decisions are kept: memory stays bounded whatever the traffic.
pub const CAPACITY: usize = 200;
/// How many recent lint warnings are kept.
pub const WARNINGS_CAPACITY: usize = 50;
/// How many events a live subscriber may be behind before it is dropped.
pub const FEED_BUFFER: usize = 256;
/// How many live streams may be open at once. Guess: a handful of browser tabs and test
/// clients; each costs a task and at most a ring's worth of events.
pub const MAX_STREAMS: usize = 32;

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

/// A decision with its place in the log: ids grow by one per event (decisions and warnings
/// share them), so a reconnecting stream asks for what came after the last id it saw.
#[derive(Debug, Clone, Serialize)]
pub struct Logged {
    /// The event's id.
    pub id: u64,
    /// The decision.
    #[serde(flatten)]
    pub record: DecisionRecord,
}

/// The lint's findings about a trust policy IAM just accepted (`CreateRole`,
/// `UpdateAssumeRolePolicy`): AWS accepts these policies, so the API does too, and the page
/// shows the findings as warnings.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    /// The event's id.
    pub id: u64,
    /// When (RFC 3339, the shared clock).
    pub time: String,
    /// The IAM action that saved the policy.
    pub action: String,
    /// The role.
    pub role_arn: String,
    /// What the lint found.
    pub findings: Vec<Finding>,
}

/// One event of the live feed.
#[derive(Debug, Clone)]
pub enum FeedEvent {
    /// A decision was made.
    Decision(Arc<Logged>),
    /// A trust policy was saved with lint findings.
    Warning(Arc<Warning>),
}

impl FeedEvent {
    /// The event's id.
    pub fn id(&self) -> u64 {
        match self {
            FeedEvent::Decision(d) => d.id,
            FeedEvent::Warning(w) => w.id,
        }
    }

    /// The server-sent event's name: `decision` or `warning`.
    pub fn name(&self) -> &'static str {
        match self {
            FeedEvent::Decision(_) => "decision",
            FeedEvent::Warning(_) => "warning",
        }
    }

    /// The event as JSON.
    pub fn to_json(&self) -> String {
        match self {
            FeedEvent::Decision(d) => serde_json::to_string(&**d),
            FeedEvent::Warning(w) => serde_json::to_string(&**w),
        }
        .unwrap_or_else(|_| "{}".into())
    }
}

/// A live subscription: what the log already holds after the id asked for, then every new
/// event. Holding it holds one of the [`MAX_STREAMS`] places.
#[derive(Debug)]
pub struct Subscription {
    /// The events already logged, oldest first.
    pub replay: Vec<FeedEvent>,
    /// Every later event.
    pub live: broadcast::Receiver<FeedEvent>,
    /// This server's instance: a page that sees it change knows the log started over.
    pub instance: String,
    _permit: OwnedSemaphorePermit,
}

#[derive(Debug, Default)]
struct Log {
    next_id: u64,
    recent: VecDeque<Arc<Logged>>,
    warnings: VecDeque<Arc<Warning>>,
}

#[derive(Debug)]
struct Shared {
    log: Mutex<Log>,
    feed: broadcast::Sender<FeedEvent>,
    streams: Arc<Semaphore>,
    coverage: Coverage,
    instance: String,
}

/// The decision log. Cheap to clone (a handle).
#[derive(Debug, Clone)]
pub struct Decisions {
    shared: Arc<Shared>,
}

impl Default for Decisions {
    fn default() -> Self {
        let (feed, _) = broadcast::channel(FEED_BUFFER);
        Decisions {
            shared: Arc::new(Shared {
                log: Mutex::new(Log {
                    next_id: 1,
                    ..Log::default()
                }),
                feed,
                streams: Arc::new(Semaphore::new(MAX_STREAMS)),
                coverage: Coverage::default(),
                instance: uuid::Uuid::new_v4().to_string(),
            }),
        }
    }
}

impl Decisions {
    /// Logs `record`, keeps it among the recent ones, counts it for coverage and sends it to
    /// the live streams.
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
        self.shared.coverage.count(&record);
        let mut log = self.lock();
        let id = log.take_id();
        let logged = Arc::new(Logged { id, record });
        if log.recent.len() == CAPACITY {
            log.recent.pop_front();
        }
        log.recent.push_back(logged.clone());
        // Sent under the lock, so a subscription's replay and its live events neither overlap
        // nor leave a gap. No subscriber is not an error.
        let _ = self.shared.feed.send(FeedEvent::Decision(logged));
    }

    /// Keeps the lint's findings about a trust policy just saved and sends them to the live
    /// streams (nothing when there are none).
    pub fn warn(&self, time: String, action: &str, role_arn: String, findings: Vec<Finding>) {
        if findings.is_empty() {
            return;
        }
        tracing::warn!(
            target: "sts_mock::lint",
            "{action} role={role_arn}: the trust policy has {} lint finding(s): {}",
            findings.len(),
            findings.iter().map(|f| f.id).collect::<Vec<_>>().join(", "),
        );
        let mut log = self.lock();
        let id = log.take_id();
        let warning = Arc::new(Warning {
            id,
            time,
            action: action.to_string(),
            role_arn,
            findings,
        });
        if log.warnings.len() == WARNINGS_CAPACITY {
            log.warnings.pop_front();
        }
        log.warnings.push_back(warning.clone());
        let _ = self.shared.feed.send(FeedEvent::Warning(warning));
    }

    /// Most recent last.
    pub fn recent(&self) -> Vec<DecisionRecord> {
        self.lock()
            .recent
            .iter()
            .map(|l| l.record.clone())
            .collect()
    }

    /// Most recent last, with their ids.
    pub fn recent_logged(&self) -> Vec<Arc<Logged>> {
        self.lock().recent.iter().cloned().collect()
    }

    /// The recent warnings, most recent last.
    pub fn warnings(&self) -> Vec<Arc<Warning>> {
        self.lock().warnings.iter().cloned().collect()
    }

    /// Opens a live subscription to the events after `after` (all those kept, without it), or
    /// `None` when [`MAX_STREAMS`] are open already.
    pub fn subscribe(&self, after: Option<u64>) -> Option<Subscription> {
        let permit = self.shared.streams.clone().try_acquire_owned().ok()?;
        let log = self.lock();
        let live = self.shared.feed.subscribe();
        let after = after.unwrap_or(0);
        let mut replay: Vec<FeedEvent> = log
            .recent
            .iter()
            .filter(|d| d.id > after)
            .map(|d| FeedEvent::Decision(d.clone()))
            .chain(
                log.warnings
                    .iter()
                    .filter(|w| w.id > after)
                    .map(|w| FeedEvent::Warning(w.clone())),
            )
            .collect();
        replay.sort_by_key(FeedEvent::id);
        Some(Subscription {
            replay,
            live,
            instance: self.shared.instance.clone(),
            _permit: permit,
        })
    }

    /// How many more streams may open now.
    pub fn streams_available(&self) -> usize {
        self.shared.streams.available_permits()
    }

    /// The trust policies' coverage.
    pub fn coverage(&self) -> &Coverage {
        &self.shared.coverage
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Log {
    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}
