//! The GitLab CI profile: the `id_tokens` a GitLab CI/CD job gets from `https://gitlab.com` (or
//! a self-managed instance, whose URL is its issuer).
//!
//! Claims, formats and the example values used as defaults are GitLab's "OpenID Connect (OIDC)
//! Authentication Using ID Tokens" page (`doc/ci/secrets/id_token_authentication.md`): every
//! ID is a string except `runner_id`; `sub` is
//! `project_path:{group}/{project}:ref_type:{type}:ref:{branch_name}`; `aud` is what the job's
//! `id_tokens` entry asks for, the instance's URL by default. `user_access_level` came in
//! GitLab 16.9 and the `job_project_*`/`job_namespace_*` claims in 18.4 (the same page's
//! current table); AWS's STS condition keys name several of these (`gitlab.com:project_id`,
//! `:namespace_id`, `:ref_protected`, `:user_access_level`, ...).

use serde_json::{json, Map, Value};

use super::{field, put, Field, FieldKind, Fields};
use crate::mint::MintError;

/// GitLab.com's issuer.
pub const GITLAB_ISSUER_URL: &str = "https://gitlab.com";

pub(super) const JWKS_PATH: &str = "oauth/discovery/keys";

/// The documentation's example token is dated `nbf` = `iat` - 5 and `exp` = `iat` + 3600
/// (the expiry is the job's timeout, 60 minutes by default).
pub(super) const DEFAULT_TTL_SECS: i64 = 3600;
pub(super) const NOT_BEFORE_SKEW_SECS: i64 = 5;

pub(super) const FIELDS: &[Field] = &[
    field("project_path", FieldKind::Name),
    field("project_id", FieldKind::Name),
    field("namespace_id", FieldKind::Name),
    field("user_id", FieldKind::Name),
    field("user_login", FieldKind::Name),
    field("user_email", FieldKind::Name),
    field("user_access_level", FieldKind::Name),
    field("pipeline_id", FieldKind::Name),
    field("pipeline_source", FieldKind::Name),
    field("job_id", FieldKind::Name),
    field("ref", FieldKind::Name),
    field("ref_type", FieldKind::Name),
    field("ref_protected", FieldKind::Name),
    field("environment", FieldKind::Name),
    field("environment_protected", FieldKind::Name),
    field("deployment_tier", FieldKind::Name),
    field("runner_id", FieldKind::Integer),
    field("runner_environment", FieldKind::Name),
    field("sha", FieldKind::Name),
];

const DEFAULT_PROJECT_PATH: &str = "my-group/my-project";

pub(super) fn claims(issuer_url: &str, fields: &Fields) -> Result<Map<String, Value>, MintError> {
    let project_path = fields.str_or("project_path", DEFAULT_PROJECT_PATH);
    // Groups nest (`group/subgroup/project`): the namespace is everything before the project.
    let namespace_path = project_path
        .rsplit_once('/')
        .map(|(namespace, _)| namespace)
        .filter(|namespace| !namespace.is_empty())
        .ok_or_else(|| {
            MintError::Invalid(format!(
                "project_path must be GROUP/PROJECT (such as my-group/my-project), got {project_path:?}"
            ))
        })?;
    let ref_type = fields.str_or("ref_type", "branch");
    if ref_type != "branch" && ref_type != "tag" {
        return Err(MintError::Invalid(format!(
            "ref_type must be branch or tag, got {ref_type:?}"
        )));
    }
    let git_ref = fields.str_or("ref", "main");
    let ref_path = match ref_type {
        "tag" => format!("refs/tags/{git_ref}"),
        _ => format!("refs/heads/{git_ref}"),
    };
    let project_id = fields.str_or("project_id", "20");
    let namespace_id = fields.str_or("namespace_id", "72");

    let mut claims = Map::new();
    put(&mut claims, "namespace_id", namespace_id);
    put(&mut claims, "namespace_path", namespace_path);
    put(&mut claims, "project_id", project_id);
    put(&mut claims, "project_path", project_path);
    put(&mut claims, "user_id", fields.str_or("user_id", "1"));
    put(
        &mut claims,
        "user_login",
        fields.str_or("user_login", "sample-user"),
    );
    put(
        &mut claims,
        "user_email",
        fields.str_or("user_email", "sample-user@example.com"),
    );
    // Guess: the example token predates the claim; a developer runs most pipelines.
    put(
        &mut claims,
        "user_access_level",
        fields.str_or("user_access_level", "developer"),
    );
    put(
        &mut claims,
        "pipeline_id",
        fields.str_or("pipeline_id", "574"),
    );
    put(
        &mut claims,
        "pipeline_source",
        fields.str_or("pipeline_source", "push"),
    );
    put(&mut claims, "job_id", fields.str_or("job_id", "302"));
    put(&mut claims, "ref", git_ref);
    put(&mut claims, "ref_type", ref_type);
    put(&mut claims, "ref_path", ref_path);
    put(
        &mut claims,
        "ref_protected",
        fields.str_or("ref_protected", "false"),
    );
    // Present only when the job names an environment, as on GitLab.
    if let Some(environment) = fields.str("environment") {
        put(&mut claims, "environment", environment);
        put(
            &mut claims,
            "environment_protected",
            fields.str_or("environment_protected", "false"),
        );
        // Guess: GitLab's tier for an environment whose name says nothing more specific.
        put(
            &mut claims,
            "deployment_tier",
            fields.str_or("deployment_tier", "other"),
        );
    }
    claims.insert(
        "runner_id".into(),
        fields.value("runner_id").cloned().unwrap_or(Value::from(1)),
    );
    put(
        &mut claims,
        "runner_environment",
        fields.str_or("runner_environment", "gitlab-hosted"),
    );
    put(
        &mut claims,
        "sha",
        fields.str_or("sha", "714a629c0b401fdce83e847fc9589983fc6f46bc"),
    );
    // Where the job runs; the same project unless a fork's merge request runs in its target.
    put(&mut claims, "job_project_id", project_id);
    put(&mut claims, "job_project_path", project_path);
    put(&mut claims, "job_namespace_id", namespace_id);
    put(&mut claims, "job_namespace_path", namespace_path);
    put(
        &mut claims,
        "sub",
        format!("project_path:{project_path}:ref_type:{ref_type}:ref:{git_ref}"),
    );
    put(&mut claims, "aud", issuer_url);
    Ok(claims)
}

/// GitLab's discovery document (doorkeeper-openid_connect's), as gitlab.com serves it: the
/// OAuth endpoints of the instance (named under the issuer URL, as there; this rig serves only
/// the keys), a `code` flow, and the OIDC login claims.
pub(super) fn discovery(issuer_url: &str, jwks_url: &str, algs: &[&str]) -> Value {
    json!({
        "issuer": issuer_url,
        "authorization_endpoint": format!("{issuer_url}/oauth/authorize"),
        "token_endpoint": format!("{issuer_url}/oauth/token"),
        "revocation_endpoint": format!("{issuer_url}/oauth/revoke"),
        "introspection_endpoint": format!("{issuer_url}/oauth/introspect"),
        "userinfo_endpoint": format!("{issuer_url}/oauth/userinfo"),
        "jwks_uri": jwks_url,
        "scopes_supported": [
            "api", "read_api", "read_user", "create_runner", "manage_runner", "k8s_proxy",
            "self_rotate", "read_repository", "write_repository", "read_registry",
            "write_registry", "read_virtual_registry", "write_virtual_registry",
            "read_observability", "write_observability", "ai_features", "sudo", "admin_mode",
            "read_service_ping", "openid", "profile", "email", "ai_workflows", "user:*"
        ],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": [
            "authorization_code", "password", "client_credentials", "device_code",
            "refresh_token"
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "claim_types_supported": ["normal"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "sub_legacy", "name", "nickname",
            "preferred_username", "email", "email_verified", "website", "profile", "picture",
            "groups", "groups_direct", "https://gitlab.org/claims/groups/owner",
            "https://gitlab.org/claims/groups/maintainer",
            "https://gitlab.org/claims/groups/developer"
        ],
        "code_challenge_methods_supported": ["plain", "S256"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MintRequest;

    fn claims_of(request: MintRequest) -> Result<Map<String, Value>, MintError> {
        let fields = Fields::collect(crate::Profile::GitlabCi, &request)?;
        claims(GITLAB_ISSUER_URL, &fields)
    }

    #[test]
    fn sub_and_paths_follow_the_project_and_ref() {
        let claims = claims_of(MintRequest::new()).unwrap();
        assert_eq!(
            claims["sub"],
            "project_path:my-group/my-project:ref_type:branch:ref:main"
        );
        assert_eq!(claims["aud"], GITLAB_ISSUER_URL);
        assert_eq!(claims["ref_path"], "refs/heads/main");
        assert!(claims.get("environment").is_none());

        let claims = claims_of(
            MintRequest::new()
                .field("project_path", "acme/platform/api")
                .field("ref", "v1.0")
                .field("ref_type", "tag")
                .field("environment", "production"),
        )
        .unwrap();
        assert_eq!(
            claims["sub"],
            "project_path:acme/platform/api:ref_type:tag:ref:v1.0"
        );
        assert_eq!(claims["namespace_path"], "acme/platform");
        assert_eq!(claims["ref_path"], "refs/tags/v1.0");
        assert_eq!(claims["environment"], "production");
        assert_eq!(claims["deployment_tier"], "other");

        for (request, why) in [
            (
                MintRequest::new().field("project_path", "solo"),
                "GROUP/PROJECT",
            ),
            (
                MintRequest::new().field("ref_type", "commit"),
                "branch or tag",
            ),
        ] {
            let error = claims_of(request).unwrap_err().to_string();
            assert!(error.contains(why), "{error}");
        }
    }
}
