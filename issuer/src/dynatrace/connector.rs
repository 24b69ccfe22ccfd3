//! The AWS Connector's token request: `POST
//! /platform/hyperscaler-authentication/aws/connections/{objectId}/token` with the caller's
//! bearer token answers `{"token", "expires_at", "role_arn"}`, the web-identity token of that
//! connection and the role to assume with it, only if Dynatrace IAM says yes.
//!
//! Dynatrace has no public wire API for this step (the platform does it inside a workflow's
//! AWS action); the path is this rig's. What it checks is what the documents say a user or
//! workflow needs: "hyperscaler-authentication:aws:authenticate" and "settings:objects:read"
//! on the connection's schema (shared/sources/000, "Grant permissions to Workflows"; the IAM
//! policy reference: "Grants permission to authenticate against AWS").
//!
//! The token is the Dynatrace issuer's (`/`), exactly as `/mint` would mint it for the
//! connection: legacy connections `sub` = `dtid:connection/<name>` and `aud` =
//! `<env>.apps.dynatrace.com/app-id/dynatrace.aws.connector`, current ones `sub` =
//! `dt:connection-id/<objectId>` and `aud` = `https://<env>.apps.dynatrace.com/app-id/...`.

use hyper::{Method, Response, StatusCode};
use rig_core::http::Body;
use serde_json::{json, Map, Value};

use super::authz::{self, Audit, Need};
use super::http::{self, envelope, Req, Shape};
use super::oauth::Resource;
use super::schemas::{self, AWS_CONNECTOR_CONSUMER, LEGACY_SCHEMA};
use super::Ctx;
use crate::mint::{MintError, MintRequest};

/// The collection the token request is under (`{objectId}/token` follows).
pub const CONNECTIONS_PATH: &str = "/platform/hyperscaler-authentication/aws/connections/";
/// The permission to authenticate against AWS.
pub const AUTHENTICATE: &str = "hyperscaler-authentication:aws:authenticate";

/// `rest` is the path after [`CONNECTIONS_PATH`].
pub fn route(ctx: &Ctx<'_>, req: &Req, rest: &str) -> Response<Body> {
    let Some(object_id) = rest
        .strip_suffix("/token")
        .filter(|id| !id.is_empty() && !id.contains('/'))
    else {
        return http::no_endpoint(Shape::Envelope, &req.path);
    };
    if req.method != Method::POST {
        return http::not_allowed(Shape::Envelope, &req.path, &[Method::POST]);
    }
    let caller = match ctx.authenticate(req, Shape::Envelope) {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let mut audit = Audit {
        request: req.line(),
        client_id: caller.client_id.clone(),
        environment: None,
        object_id: Some(object_id.to_string()),
    };
    let refuse = |audit: &Audit, status: StatusCode, message: String| {
        audit.refusal(ctx.log(), ctx.now(), status.as_u16(), message.clone());
        envelope(status, message, None)
    };

    let world = ctx.world();
    // A token for one environment sees only that environment's objects. Guess: as
    // `urn:dtenvironment:` scopes EdgeConnect's tokens to one environment.
    let object = world.object(object_id).filter(|o| match &caller.resource {
        Resource::Account(_) => true,
        Resource::Environment(e) => &o.environment == e,
    });
    let Some(object) = object else {
        return refuse(
            &audit,
            StatusCode::NOT_FOUND,
            format!("No AWS connection with objectId {object_id}"),
        );
    };
    audit.environment = Some(object.environment.clone());
    let environment = object.environment.clone();
    let schema_id = object.schema_id.clone();
    let connection = schemas::connection(&schema_id, &object.value);
    let Some(role_arn) = connection.web_identity_role.clone() else {
        // Guess: such a connection is used by Dynatrace assuming the role itself; there is no
        // web-identity token to hand out.
        return refuse(
            &audit,
            StatusCode::BAD_REQUEST,
            format!(
                "connection {object_id} ({:?}) is of type {}: it does not authenticate with a web-identity token",
                connection.name, connection.kind
            ),
        );
    };
    if schema_id != LEGACY_SCHEMA
        && !connection
            .consumers
            .iter()
            .any(|c| c == AWS_CONNECTOR_CONSUMER)
    {
        // Guess: `consumers` lists the "Dynatrace integrations that can use this connection"
        // (schema table), so the AWS Connector may use only a connection that lists it.
        return refuse(
            &audit,
            StatusCode::FORBIDDEN,
            format!(
                "connection {object_id} ({:?}) does not list {AWS_CONNECTOR_CONSUMER} among its consumers",
                connection.name
            ),
        );
    }
    let needs = [
        Need::new(AUTHENTICATE),
        Need::settings("settings:objects:read", &schema_id),
    ];
    let verdict = authz::decide(&world, &caller, Some(&environment), &needs);
    drop(world);
    if let Some(response) = verdict.response(Shape::Envelope) {
        audit.verdict(ctx.log(), ctx.now(), &verdict, 403);
        return response;
    }

    let request = if schema_id == LEGACY_SCHEMA {
        // The name is the connection's as written (a name may hold spaces, which the mint
        // field `connection` refuses), so `sub` is set from the profile's own builder.
        let mut claims = Map::new();
        claims.insert(
            "sub".into(),
            Value::String(crate::profile::legacy_subject(&connection.name)),
        );
        MintRequest {
            tenant: Some(environment.clone()),
            claims: Some(claims),
            ..Default::default()
        }
    } else {
        MintRequest::new()
            .field("tenant", environment.clone())
            .field("connection_id", object_id)
    };
    match ctx.minter.mint(&request) {
        Ok(minted) => {
            audit.verdict(ctx.log(), ctx.now(), &verdict, 200);
            http::json(
                StatusCode::OK,
                &json!({
                    "token": minted.token,
                    "expires_at": minted.expires_at,
                    "role_arn": role_arn,
                }),
            )
        }
        Err(MintError::Invalid(message)) => refuse(&audit, StatusCode::BAD_REQUEST, message),
        Err(e) => refuse(&audit, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
