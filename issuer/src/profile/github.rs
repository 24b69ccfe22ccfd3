//! The GitHub Actions profile: the OIDC token a workflow job gets from
//! `https://token.actions.githubusercontent.com` (or a GitHub Enterprise Server's
//! `https://HOST/_services/token`).
//!
//! Claims, their formats and the example values used as defaults are GitHub's "OpenID Connect
//! reference" and "OpenID Connect" concept pages (github/docs,
//! `content/actions/reference/security/oidc.md` and `content/actions/concepts/security/openid-connect.md`):
//! every ID is a string; `sub` is `repo:ORG/REPO:environment:NAME` when the job names an
//! environment, else `repo:ORG/REPO:pull_request` for a `pull_request` event, else
//! `repo:ORG/REPO:ref:REF`; a `:` inside a value becomes `%3A`; repositories on immutable
//! subject claims use `repo:ORG@OWNER_ID/REPO@REPO_ID:...`. The default audience is
//! `sts.amazonaws.com`, what aws-actions/configure-aws-credentials requests.

use serde_json::{json, Map, Value};

use super::{field, put, Field, FieldKind, Fields};
use crate::mint::MintError;

/// GitHub Actions' issuer on github.com.
pub const GITHUB_ISSUER_URL: &str = "https://token.actions.githubusercontent.com";

pub(super) const JWKS_PATH: &str = ".well-known/jwks";

/// Lifetime and `nbf`: both examples in GitHub's documentation are dated `nbf` = `iat` - 600
/// and `exp` = `iat` + 300.
pub(super) const DEFAULT_TTL_SECS: i64 = 300;
pub(super) const NOT_BEFORE_SKEW_SECS: i64 = 600;

pub(super) const FIELDS: &[Field] = &[
    field("repository", FieldKind::Name),
    field("repository_id", FieldKind::Name),
    field("repository_owner_id", FieldKind::Name),
    field("repository_visibility", FieldKind::Name),
    field("actor", FieldKind::Name),
    field("actor_id", FieldKind::Name),
    field("workflow", FieldKind::Text),
    field("workflow_ref", FieldKind::Name),
    field("workflow_sha", FieldKind::Name),
    field("job_workflow_ref", FieldKind::Name),
    field("job_workflow_sha", FieldKind::Name),
    field("ref", FieldKind::Name),
    field("ref_type", FieldKind::Name),
    field("ref_protected", FieldKind::Name),
    field("head_ref", FieldKind::Text),
    field("base_ref", FieldKind::Text),
    field("environment", FieldKind::Text),
    field("event_name", FieldKind::Name),
    field("sha", FieldKind::Name),
    field("run_id", FieldKind::Name),
    field("run_number", FieldKind::Name),
    field("run_attempt", FieldKind::Name),
    field("runner_environment", FieldKind::Name),
    field("enterprise", FieldKind::Name),
    field("enterprise_id", FieldKind::Name),
    field("check_run_id", FieldKind::Name),
    field("immutable_subject", FieldKind::Bool),
];

/// The example values of GitHub's documentation (`octo-org/octo-repo`, `octocat`, IDs 74, 65
/// and 12). Guess: the commit SHAs and run numbers are made up in their real formats.
const DEFAULT_REPOSITORY: &str = "octo-org/octo-repo";
const DEFAULT_SHA: &str = "5c4b0ac2d7cc7b5c0e8a6b2a3f91c8b4f2a1d9e3";

pub(super) fn claims(fields: &Fields) -> Result<Map<String, Value>, MintError> {
    let repository = fields.str_or("repository", DEFAULT_REPOSITORY);
    let (owner, name) = repository
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        .ok_or_else(|| {
            MintError::Invalid(format!(
                "repository must be OWNER/REPO (such as octo-org/octo-repo), got {repository:?}"
            ))
        })?;
    let event_name = fields.str_or("event_name", "push");
    let pull_request = event_name == "pull_request";
    // A pull_request run's ref is the PR's merge ref (GitHub's `GITHUB_REF`).
    let git_ref = fields.str_or(
        "ref",
        if pull_request {
            "refs/pull/1/merge"
        } else {
            "refs/heads/main"
        },
    );
    // Guess: GitHub calls a pull request's merge ref a branch.
    let ref_type = fields
        .str("ref_type")
        .unwrap_or(if git_ref.starts_with("refs/tags/") {
            "tag"
        } else {
            "branch"
        });
    let repository_id = fields.str_or("repository_id", "74");
    let owner_id = fields.str_or("repository_owner_id", "65");
    let environment = fields.str("environment");
    let sha = fields.str_or("sha", DEFAULT_SHA);
    // Guess: a workflow file and name for the requests that give none (`deploy.yml`, `deploy`);
    // GitHub names the workflow file and the ref that ran it, also for non-reusable workflows.
    let workflow_file = format!("{repository}/.github/workflows/deploy.yml@{git_ref}");
    let workflow_ref = fields.str("workflow_ref").unwrap_or(&workflow_file);
    let job_workflow_ref = fields.str_or("job_workflow_ref", workflow_ref);
    let (head_ref, base_ref) = if pull_request {
        // Guess: the PR's branches, when the request does not name them.
        ("feature-branch", "main")
    } else {
        ("", "")
    };

    let escape = |value: &str| value.replace(':', "%3A");
    let repo = if fields.bool_or("immutable_subject", false) {
        format!(
            "{}@{owner_id}/{}@{repository_id}",
            escape(owner),
            escape(name)
        )
    } else {
        escape(repository)
    };
    let context = match environment {
        Some(env) => format!("environment:{}", escape(env)),
        // Guess: only the `pull_request` event has the pull_request context
        // (`pull_request_target` runs on the base branch's ref).
        None if pull_request => "pull_request".to_string(),
        None => format!("ref:{}", escape(git_ref)),
    };

    let mut claims = Map::new();
    put(&mut claims, "sub", format!("repo:{repo}:{context}"));
    if let Some(env) = environment {
        put(&mut claims, "environment", env);
    }
    put(&mut claims, "aud", "sts.amazonaws.com");
    put(&mut claims, "ref", git_ref);
    put(&mut claims, "sha", sha);
    put(&mut claims, "repository", repository);
    put(&mut claims, "repository_owner", owner);
    put(&mut claims, "repository_owner_id", owner_id);
    put(
        &mut claims,
        "repository_visibility",
        fields.str_or("repository_visibility", "private"),
    );
    put(&mut claims, "repository_id", repository_id);
    put(&mut claims, "actor_id", fields.str_or("actor_id", "12"));
    put(&mut claims, "actor", fields.str_or("actor", "octocat"));
    put(&mut claims, "workflow", fields.str_or("workflow", "deploy"));
    put(&mut claims, "head_ref", fields.str_or("head_ref", head_ref));
    put(&mut claims, "base_ref", fields.str_or("base_ref", base_ref));
    put(&mut claims, "event_name", event_name);
    put(
        &mut claims,
        "ref_protected",
        fields.str_or("ref_protected", "false"),
    );
    put(&mut claims, "ref_type", ref_type);
    put(&mut claims, "workflow_ref", workflow_ref);
    put(
        &mut claims,
        "workflow_sha",
        fields.str_or("workflow_sha", sha),
    );
    put(&mut claims, "job_workflow_ref", job_workflow_ref);
    put(
        &mut claims,
        "job_workflow_sha",
        fields.str_or("job_workflow_sha", sha),
    );
    put(&mut claims, "run_id", fields.str_or("run_id", "4283094502"));
    put(&mut claims, "run_number", fields.str_or("run_number", "10"));
    put(
        &mut claims,
        "run_attempt",
        fields.str_or("run_attempt", "1"),
    );
    put(
        &mut claims,
        "runner_environment",
        fields.str_or("runner_environment", "github-hosted"),
    );
    // Present only for repositories of an enterprise, as on GitHub.
    for optional in ["enterprise", "enterprise_id", "check_run_id"] {
        if let Some(value) = fields.str(optional) {
            put(&mut claims, optional, value);
        }
    }
    Ok(claims)
}

/// GitHub's discovery document, as `token.actions.githubusercontent.com` serves it: no
/// `authorization_endpoint` (there is no browser login), `pairwise` subjects listed, only the
/// `openid` scope. The member list is the one a `curl` of the real document shows (quoted in
/// public write-ups), with the claims GitHub added since (`enterprise`, `enterprise_id`,
/// `ref_protected`, `runner_environment`, `check_run_id`, in the reference page).
pub(super) fn discovery(issuer_url: &str, jwks_url: &str, algs: &[&str]) -> Value {
    json!({
        "issuer": issuer_url,
        "jwks_uri": jwks_url,
        "subject_types_supported": ["public", "pairwise"],
        "response_types_supported": ["id_token"],
        "claims_supported": [
            "sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository",
            "repository_id", "repository_owner", "repository_owner_id", "enterprise",
            "enterprise_id", "run_id", "run_number", "run_attempt", "actor", "actor_id",
            "workflow", "workflow_ref", "workflow_sha", "head_ref", "base_ref", "event_name",
            "ref_type", "ref_protected", "environment", "environment_node_id",
            "job_workflow_ref", "job_workflow_sha", "repository_visibility",
            "runner_environment", "check_run_id"
        ],
        "id_token_signing_alg_values_supported": algs,
        "scopes_supported": ["openid"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MintRequest;

    fn sub(request: MintRequest) -> String {
        let fields = Fields::collect(crate::Profile::GithubActions, &request).unwrap();
        claims(&fields).unwrap()["sub"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn sub_is_computed_as_github_computes_it() {
        assert_eq!(
            sub(MintRequest::new()),
            "repo:octo-org/octo-repo:ref:refs/heads/main"
        );
        assert_eq!(
            sub(MintRequest::new().field("ref", "refs/tags/v1.2")),
            "repo:octo-org/octo-repo:ref:refs/tags/v1.2"
        );
        assert_eq!(
            sub(MintRequest::new().field("event_name", "pull_request")),
            "repo:octo-org/octo-repo:pull_request"
        );
        // An environment wins over the event and the ref.
        assert_eq!(
            sub(MintRequest::new()
                .field("event_name", "pull_request")
                .field("environment", "Production:V1")),
            "repo:octo-org/octo-repo:environment:Production%3AV1"
        );
        assert_eq!(
            sub(MintRequest::new()
                .field("immutable_subject", true)
                .field("repository_id", "456789")
                .field("repository_owner_id", "123456")),
            "repo:octo-org@123456/octo-repo@456789:ref:refs/heads/main"
        );
    }

    #[test]
    fn claims_follow_the_repository_and_ref() {
        let request = MintRequest::new()
            .field("repository", "acme/api")
            .field("ref", "refs/tags/v2");
        let fields = Fields::collect(crate::Profile::GithubActions, &request).unwrap();
        let claims = claims(&fields).unwrap();
        assert_eq!(claims["repository_owner"], "acme");
        assert_eq!(claims["ref_type"], "tag");
        assert_eq!(
            claims["job_workflow_ref"],
            "acme/api/.github/workflows/deploy.yml@refs/tags/v2"
        );
        assert!(claims.get("environment").is_none());
        assert!(claims.get("enterprise").is_none());
        for bad in ["acme", "acme/", "/api", "a/b/c"] {
            let request = MintRequest::new().field("repository", bad);
            let fields = Fields::collect(crate::Profile::GithubActions, &request).unwrap();
            let error = super::claims(&fields).unwrap_err();
            assert!(error.to_string().contains("OWNER/REPO"), "{bad}: {error}");
        }
    }
}
