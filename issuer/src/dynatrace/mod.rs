//! The Dynatrace side of an AWS connection. Before a Dynatrace workflow reaches AWS, two
//! policy worlds must say yes: AWS's trust policy (sts-mock's business) and Dynatrace's own
//! IAM, where the caller needs `hyperscaler-authentication:aws:authenticate` and
//! `settings:objects:read` on the connection's schema before the platform issues a token for
//! the connection (shared/sources/000, 002, 003). This module is the issuer's stand-in for
//! that half, served by the issuer at `/`:
//!
//! - `POST /sso/oauth2/token`: OAuth client credentials (`oauth.rs`);
//! - `/iam/v1/repo/{levelType}/{levelId}/policies` and `.../bindings`: IAM policy management
//!   (`iam.rs`);
//! - `/api/v2/settings/objects` and `/api/v2/settings/schemas`: Settings 2.0 for the two AWS
//!   connection schemas (`settings.rs`);
//! - `POST /platform/hyperscaler-authentication/aws/connections/{objectId}/token`: the
//!   connector's token request, the web-identity token for a connection, only if the caller's
//!   policies allow it (`connector.rs`);
//! - `GET /_issuer/decisions`: every authorization decision, explained (`decisions.rs`).
//!
//! The world (account, environments, groups, clients, policies, bindings, settings objects)
//! comes from the `[dynatrace]` section of the issuer's setup file, or the built-in default
//! ([`setup`]), and lives in `model.rs`; policies are decided by the `dt-policy` engine
//! (`authz.rs`). `/mint` stays unconditional: a test rig needs a way in that asks no one.

mod authz;
mod connector;
pub(crate) mod decisions;
pub mod explain;
mod http;
mod iam;
mod model;
mod oauth;
pub(crate) mod schemas;
mod settings;
pub mod setup;

use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use rig_core::http::{Body, Limits};
use rig_core::Clock;
use serde_json::json;

use self::decisions::Decisions;
use self::http::{Req, Shape};
use self::model::World;
use self::oauth::{AuthError, Caller};
use self::setup::DynatraceSetup;
use crate::keys::KeySet;
use crate::mint::Minter;

pub use self::connector::CONNECTIONS_PATH;
pub use self::oauth::{ACCESS_TOKEN_TTL, SSO_ISSUER, TOKEN_PATH};
pub use self::schemas::{LEGACY_SCHEMA, SECRET_MASK};

/// Where the issuer serves its recent Dynatrace decisions.
pub const DECISIONS_PATH: &str = "/_issuer/decisions";

/// The Dynatrace world of a running issuer and its decision log.
#[derive(Debug)]
pub struct Dynatrace {
    world: Mutex<World>,
    decisions: Decisions,
}

impl Dynatrace {
    /// Starts from `setup`; objects from a setup file are dated at the clock's "now".
    pub(crate) fn new(setup: DynatraceSetup, clock: &Clock) -> Dynatrace {
        let mut world = setup.world;
        let now = clock.unix() * 1000;
        for object in &mut world.objects {
            object.created = now;
            object.modified = now;
        }
        Dynatrace {
            world: Mutex::new(world),
            decisions: Decisions::default(),
        }
    }

    /// The recent authorization decisions, most recent last (what `GET /_issuer/decisions`
    /// serves).
    pub fn decisions(&self) -> Vec<decisions::DecisionRecord> {
        self.decisions.recent()
    }

    /// The world as it is now (changed by the API since the start), as a setup.
    pub fn snapshot(&self) -> DynatraceSetup {
        DynatraceSetup {
            world: self.world().clone(),
        }
    }

    fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock cannot leave the world half-changed: every change
        // is checked first and applied in one step.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a handler works with: the world, the log, and the issuer at `/` (its keys sign access
/// tokens, its minter the connection tokens, its clock dates everything).
pub(crate) struct Ctx<'a> {
    dt: &'a Dynatrace,
    minter: &'a Minter,
}

impl Ctx<'_> {
    fn clock(&self) -> &Clock {
        self.minter.clock()
    }
    /// The root issuer's keys as they are now (they change at run time: `/_issuer/keys`).
    fn keys(&self) -> KeySet {
        self.minter.keys()
    }
    fn now(&self) -> String {
        rig_core::rfc3339(self.clock().now())
    }
    fn world(&self) -> MutexGuard<'_, World> {
        self.dt.world()
    }
    fn log(&self) -> &Decisions {
        &self.dt.decisions
    }

    /// The caller of `req`, or the 401 (recorded) in `shape`.
    fn authenticate(&self, req: &Req, shape: Shape) -> Result<Caller, http::Answer> {
        let result = {
            let world = self.world();
            oauth::authenticate(
                &world,
                &self.keys(),
                self.clock(),
                req.authorization.as_deref(),
            )
        };
        let error = match result {
            Ok(caller) => return Ok(caller),
            Err(e) => e,
        };
        let message = match (&error, shape) {
            // The Account Management API's words (terraform-provider-dynatrace #325).
            (AuthError::Missing | AuthError::Scheme(_), Shape::Dto) => {
                "Incorrect Authorization header in request - expected `Bearer`!".to_string()
            }
            // The platform's words (dynatrace-oss/dynatrace-mcp #9).
            (AuthError::Scheme(scheme), _) => format!(
                "Unsupported authorization scheme '{scheme}'. Dynatrace platform APIs require the authorization scheme 'Bearer'"
            ),
            // Guess: the wording for a request without credentials.
            (AuthError::Missing, _) => format!(
                "Authentication required: send Authorization: Bearer <access token> (from POST {TOKEN_PATH})"
            ),
            (AuthError::Invalid(why), _) => why.clone(),
        };
        let audit = authz::Audit {
            request: req.line(),
            ..Default::default()
        };
        audit.refusal(self.log(), self.now(), 401, message.clone());
        let mut response = http::error(shape, StatusCode::UNAUTHORIZED, message);
        // RFC 6750 §3: a 401 for a bearer-protected resource carries the challenge.
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        Err(Box::new(response))
    }
}

/// Whether `path` is one of the Dynatrace endpoints (the issuer at `/` hands them here).
pub(crate) fn owns(path: &str) -> bool {
    path == DECISIONS_PATH
        || path.starts_with("/sso/")
        || path.starts_with("/iam/")
        || path.starts_with("/api/v2/settings/")
        || path.starts_with("/platform/")
}

/// The error shape of the endpoints under `path`.
fn shape_of(path: &str) -> Shape {
    if path.starts_with("/sso/") {
        Shape::OAuth
    } else if path.starts_with("/iam/") {
        Shape::Dto
    } else {
        Shape::Envelope
    }
}

/// Answers a Dynatrace endpoint: reads the body within `limits`, then routes.
pub(crate) async fn handle(
    dt: &Dynatrace,
    minter: &Minter,
    limits: &Limits,
    request: Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let shape = shape_of(parts.uri.path());
    let body = if matches!(parts.method, Method::POST | Method::PUT) {
        match limits.read_body(body).await {
            Ok(body) => body,
            Err(e) => {
                let mut response = http::error(shape, e.status(), e.to_string());
                rig_core::http::close_connection(&mut response);
                return response;
            }
        }
    } else {
        Bytes::new()
    };
    let req = Req::new(&parts, body);
    route(&Ctx { dt, minter }, &req)
}

fn route(ctx: &Ctx<'_>, req: &Req) -> Response<Body> {
    let path = req.path.as_str();
    if path == DECISIONS_PATH {
        return match req.method {
            Method::GET => http::json(
                StatusCode::OK,
                &json!({ "decisions": ctx.dt.decisions.recent() }),
            ),
            _ => http::not_allowed(Shape::Envelope, path, &[Method::GET]),
        };
    }
    if path == TOKEN_PATH {
        return match req.method {
            Method::POST => {
                let world = ctx.world();
                oauth::token(&world, &ctx.keys(), ctx.clock(), req)
            }
            _ => http::not_allowed(Shape::OAuth, path, &[Method::POST]),
        };
    }
    if let Some(rest) = path.strip_prefix("/iam/v1/repo/") {
        return iam::route(ctx, req, rest);
    }
    if let Some(rest) = path.strip_prefix("/api/v2/settings/") {
        return settings::route(ctx, req, rest);
    }
    if let Some(rest) = path.strip_prefix(CONNECTIONS_PATH) {
        return connector::route(ctx, req, rest);
    }
    http::no_endpoint(shape_of(path), path)
}
