//! One call of an action, as its handler sees it: the services, the validated parameters, who
//! sent it, and where the handler notes what the decision log should say.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Mutex;

use crate::decisions::Attempt;
use crate::error::AwsError;
use crate::query::Params;
use crate::services::Services;
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
    /// The account an IAM call acts in.
    pub account: String,
    attempt: Mutex<Attempt>,
}

impl<'a> Call<'a> {
    /// A call; `account` is the account an IAM call acts in.
    pub fn new(
        services: &'a Services,
        params: &'a Params,
        signed: SignedRequest<'a>,
        peer: IpAddr,
        account: String,
    ) -> Call<'a> {
        Call {
            services,
            params,
            signed,
            peer,
            account,
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
