//! One call of an action, as its handler sees it: the services, the validated parameters, who
//! sent it, and where the handler notes what the decision log should say.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Mutex;

use crate::caller::Caller;
use crate::decisions::Attempt;
use crate::error::AwsError;
use crate::query::Params;
use crate::services::Services;
use crate::shape::Service;
use crate::sigv4::SignedRequest;

/// A boxed, sendable future (the form async handlers take in the action table).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a handler answers: the XML inside the operation's result wrapper.
pub type Reply = Result<String, AwsError>;

/// A handler, sync or async.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Answers at once.
    Sync(fn(&Call<'_>) -> Reply),
    /// May wait (on an identity provider, say).
    Async(for<'a> fn(&'a Call<'a>) -> BoxFuture<'a, Reply>),
}

/// One call.
pub struct Call<'a> {
    /// What the handler may use.
    pub services: &'a Services,
    /// The parameters, already checked against the operation's shape.
    pub params: &'a Params,
    /// The HTTP request, for signature checks.
    pub signed: SignedRequest<'a>,
    /// The client's address.
    pub peer: IpAddr,
    /// The account the call acts in: the caller's.
    pub account: String,
    /// Who is calling (decided by the dispatcher, [`crate::caller::identify`]).
    pub caller: Caller,
    /// The region the request was signed for (`aws:RequestedRegion`), when it names one.
    pub region: Option<String>,
    /// The action's name (`GetRole`).
    pub action: &'static str,
    /// The action's service.
    pub service: Service,
    /// The request's ID.
    pub request_id: String,
    attempt: Mutex<Attempt>,
}

/// Where a call comes from, as the dispatcher established it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The client's address.
    pub peer: IpAddr,
    /// Who is calling.
    pub caller: Caller,
    /// The signed region.
    pub region: Option<String>,
    /// The action's name.
    pub action: &'static str,
    /// Its service.
    pub service: Service,
    /// The request's ID.
    pub request_id: String,
}

impl<'a> Call<'a> {
    /// A call from `origin`; it acts in the caller's account.
    pub fn new(
        services: &'a Services,
        params: &'a Params,
        signed: SignedRequest<'a>,
        origin: Origin,
    ) -> Call<'a> {
        Call {
            services,
            params,
            signed,
            peer: origin.peer,
            account: origin.caller.account(&services.default_account).to_string(),
            caller: origin.caller,
            region: origin.region,
            action: origin.action,
            service: origin.service,
            request_id: origin.request_id,
            attempt: Mutex::new(Attempt::default()),
        }
    }

    /// A parameter (constraints were checked before the handler ran).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.params.get(name)
    }

    /// A required parameter: present, since the shape check refused its absence.
    pub fn required(&self, name: &str) -> &'a str {
        self.params.get(name).unwrap_or_default()
    }

    /// An integer parameter (the shape check refused non-integers).
    pub fn integer(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|t| t.trim().parse().ok())
    }

    /// `Name.member.N`.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.params.list(name, "")
    }

    /// Notes what the decision log should record about this call.
    pub fn note(&self, note: impl FnOnce(&mut Attempt)) {
        note(&mut self.attempt.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// What was noted.
    pub fn into_attempt(self) -> Attempt {
        self.attempt.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}
