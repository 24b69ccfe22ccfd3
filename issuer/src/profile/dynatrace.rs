//! The Dynatrace profile: the tokens `https://token.dynatrace.com` issues for an AWS connection.
//!
//! Two forms, as Dynatrace has shipped them:
//! - legacy connections (settings schema `builtin:hyperscaler-authentication.aws.connection`,
//!   deprecated on 2026-03-31): `sub` `dtid:connection/<connection name>`, `aud`
//!   `<tenant>.apps.dynatrace.com/app-id/dynatrace.aws.connector` (the Dynatrace AWS Connector
//!   documentation, shared/sources/000);
//! - current connections (schema `builtin:hyperscaler-authentication.connections.aws`):
//!   `sub` `dt:connection-id/<settings object ID>` and `aud`
//!   `<TENANT_URL>/app-id/dynatrace.aws.connector` (dynatrace-oss/terraform-provider-dynatrace,
//!   `docs/resources/aws_connection.md`, whose example trust policy conditions on exactly these).

use openidconnect::core::{
    CoreClaimName, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthUrl, EmptyAdditionalProviderMetadata, IssuerUrl, JsonWebKeySetUrl, ResponseTypes,
};
use serde_json::{Map, Value};

use super::{field, put, Field, FieldKind, Fields};
use crate::mint::{MintError, DEFAULT_CONNECTION, DEFAULT_TENANT, DEFAULT_TTL_SECS as TTL};

/// The settings schema of the connections whose tokens carry `dt:connection-id/...`.
pub const DYNATRACE_SETTINGS_SCHEMA: &str = "builtin:hyperscaler-authentication.connections.aws";

/// The settings object ID of the built-in default's current-form connection. Guess: made up in
/// the layout of the Settings 2.0 object IDs Dynatrace publishes (base64url of a magic number,
/// the schema ID, the scope and a UUID), for the schema above.
pub const DEFAULT_CONNECTION_ID: &str = "vu9U3hXa3q0AAAABADJidWlsdGluOmh5cGVyc2NhbGVyLWF1dGhlbnRpY2F0aW9uLmNvbm5lY3Rpb25zLmF3cwAGdGVuYW50AAZ0ZW5hbnQAJDVmM2M4YTIxLTdkNGUtM2I5Zi1hNmMyLTFlOGQwYjQ3ZjkzNb7vVN4V2t6t";

pub(super) const DEFAULT_TTL_SECS: i64 = TTL;

/// `sub` of a legacy connection's token: `dtid:connection/<connection name>`.
pub(crate) fn legacy_subject(connection: &str) -> String {
    format!("dtid:connection/{connection}")
}

/// `sub` of a current connection's token: `dt:connection-id/<settings object ID>`.
pub(crate) fn current_subject(object_id: &str) -> String {
    format!("dt:connection-id/{object_id}")
}

pub(super) const FIELDS: &[Field] = &[
    field("tenant", FieldKind::Name),
    field("connection", FieldKind::Name),
    field("connection_id", FieldKind::Name),
];

pub(super) fn claims(fields: &Fields) -> Result<Map<String, Value>, MintError> {
    let tenant = fields.str_or("tenant", DEFAULT_TENANT);
    let mut claims = Map::new();
    match (fields.str("connection"), fields.str("connection_id")) {
        (Some(_), Some(_)) => {
            return Err(MintError::Invalid(
                "give connection (a legacy connection's name) or connection_id (a current connection's settings object ID), not both".into(),
            ))
        }
        (None, Some(id)) => {
            put(&mut claims, "sub", current_subject(id));
            // Guess: TENANT_URL is the environment URL with its scheme, as the Terraform
            // provider's examples build it from `dynatrace_environment_url`
            // (`${trimsuffix(var.dynatrace_environment_url, "/")}/app-id/...`).
            put(
                &mut claims,
                "aud",
                format!("https://{tenant}.apps.dynatrace.com/app-id/dynatrace.aws.connector"),
            );
        }
        (connection, None) => {
            let connection = connection.unwrap_or(DEFAULT_CONNECTION);
            put(&mut claims, "sub", legacy_subject(connection));
            put(
                &mut claims,
                "aud",
                format!("{tenant}.apps.dynatrace.com/app-id/dynatrace.aws.connector"),
            );
        }
    }
    Ok(claims)
}

/// OIDC discovery as an OIDC client expects it. Dynatrace publishes nothing about its own
/// document, so this one is a complete OIDC provider metadata document (built with
/// openidconnect); its authorization endpoint is a local path that explains how tokens are
/// really obtained (POST mint), as this issuer has no interactive flow.
pub(super) fn discovery(
    issuer_url: &str,
    local_base: &str,
    jwks_url: &str,
    algs: &[&str],
) -> Result<Value, crate::StartError> {
    let issuer = IssuerUrl::new(issuer_url.to_string())
        .map_err(|e| crate::StartError::IssuerUrl(issuer_url.to_string(), e.to_string()))?;
    let jwks = JsonWebKeySetUrl::new(jwks_url.to_string())
        .map_err(|e| crate::StartError::JwksUri(jwks_url.to_string(), e.to_string()))?;
    let authorize = AuthUrl::new(format!("{local_base}/authorize"))
        .map_err(|e| crate::StartError::IssuerUrl(local_base.to_string(), e.to_string()))?;
    let algs = algs
        .iter()
        .map(|alg| match *alg {
            "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            _ => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        })
        .collect();
    let claims = [
        "iss", "sub", "aud", "iat", "nbf", "exp", "jti", "azp", "amr", "email",
    ]
    .iter()
    .map(|c| CoreClaimName::new(c.to_string()))
    .collect();
    let metadata = CoreProviderMetadata::new(
        issuer,
        authorize,
        jwks,
        vec![ResponseTypes::new(vec![CoreResponseType::IdToken])],
        vec![CoreSubjectIdentifierType::Public],
        algs,
        EmptyAdditionalProviderMetadata {},
    )
    .set_claims_supported(Some(claims));
    Ok(serde_json::to_value(&metadata).unwrap_or_default())
}
