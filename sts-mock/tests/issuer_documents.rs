//! Discovery as STS reads it, for the real issuers' documents: GitHub's (no
//! `authorization_endpoint`), EKS's (a `urn:` one) and GitLab's, served verbatim under a path
//! prefix and reached through `--oidc-endpoint ISSUER=BASE/PREFIX`, all accepted; and the
//! provider-specific condition keys STS adds for GitHub and GitLab deciding trust policies
//! that name them (an absent claim is an absent key).

mod common;

use common::{assume_with, now, Idp};
use serde_json::{json, Map, Value};
use sts_mock::{RoleSpec, StsMock, StsMockConfig, DEFAULT_ACCOUNT};

const GITHUB: &str = "https://token.actions.githubusercontent.com";
const GITLAB: &str = "https://gitlab.com";
const EKS: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B";

/// GitHub's document as `curl https://token.actions.githubusercontent.com/.well-known/openid-configuration`
/// shows it (quoted in public write-ups), with the keys' location local.
fn github_document(jwks_uri: &str) -> Value {
    json!({
        "issuer": GITHUB,
        "jwks_uri": jwks_uri,
        "subject_types_supported": ["public", "pairwise"],
        "response_types_supported": ["id_token"],
        "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref",
            "repository", "repository_id", "repository_owner", "repository_owner_id", "run_id",
            "run_number", "run_attempt", "actor", "actor_id", "workflow", "workflow_ref",
            "workflow_sha", "head_ref", "base_ref", "event_name", "ref_type", "environment",
            "environment_node_id", "job_workflow_ref", "job_workflow_sha", "repository_visibility"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid"]
    })
}

/// An EKS cluster's document (Kubernetes' service-account issuer discovery).
fn eks_document(jwks_uri: &str) -> Value {
    json!({
        "issuer": EKS,
        "jwks_uri": jwks_uri,
        "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss"],
        "id_token_signing_alg_values_supported": ["RS256"]
    })
}

/// GitLab.com's document (doorkeeper-openid_connect), abridged to its members' kinds.
fn gitlab_document(jwks_uri: &str) -> Value {
    json!({
        "issuer": GITLAB,
        "authorization_endpoint": "https://gitlab.com/oauth/authorize",
        "token_endpoint": "https://gitlab.com/oauth/token",
        "revocation_endpoint": "https://gitlab.com/oauth/revoke",
        "introspection_endpoint": "https://gitlab.com/oauth/introspect",
        "userinfo_endpoint": "https://gitlab.com/oauth/userinfo",
        "jwks_uri": jwks_uri,
        "scopes_supported": ["api", "read_api", "openid", "profile", "email"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claim_types_supported": ["normal"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat"],
        "code_challenge_methods_supported": ["plain", "S256"]
    })
}

fn trust(provider: &str, condition: Value) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::000000000000:oidc-provider/{provider}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition
        }]
    })
    .to_string()
}

fn claims(issuer: &str, extra: Value) -> Map<String, Value> {
    let now = now();
    let mut claims = json!({"iss": issuer, "iat": now, "nbf": now, "exp": now + 300, "jti": "t"})
        .as_object()
        .unwrap()
        .clone();
    claims.extend(extra.as_object().unwrap().clone());
    claims
}

/// sts-mock mapping `issuer` to `idp`'s documents under `prefix`, with a provider for it
/// accepting `audience`.
async fn sts_for(issuer: &str, idp: &Idp, prefix: &str, audience: &str) -> StsMock {
    let sts = StsMock::start(
        StsMockConfig::default().oidc_endpoint(issuer, format!("{}{prefix}", idp.server.uri())),
    )
    .await
    .unwrap();
    sts.model()
        .add_provider(DEFAULT_ACCOUNT, issuer, vec![audience.to_string()], vec![])
        .unwrap();
    sts
}

async fn assume_role(sts: &StsMock, role: &str, token: &str) -> common::Answer {
    let arn = format!("arn:aws:iam::000000000000:role/{role}");
    assume_with(sts, token, &[("RoleArn", &arn)]).await
}

fn add_role(sts: &StsMock, name: &str, trust_policy: String) {
    sts.model()
        .add_role(DEFAULT_ACCOUNT, RoleSpec::new(name, trust_policy))
        .unwrap();
}

#[tokio::test]
async fn the_real_issuers_documents_are_accepted() {
    for (issuer, prefix, jwks_path, document, audience, sub) in [
        (
            GITHUB,
            "/github",
            ".well-known/jwks",
            github_document as fn(&str) -> Value,
            "sts.amazonaws.com",
            "repo:octo-org/octo-repo:ref:refs/heads/main",
        ),
        (
            EKS,
            "/eks",
            "keys",
            eks_document,
            "sts.amazonaws.com",
            "system:serviceaccount:default:app",
        ),
        (
            GITLAB,
            "/gitlab",
            "oauth/discovery/keys",
            gitlab_document,
            GITLAB,
            "project_path:my-group/my-project:ref_type:branch:ref:main",
        ),
    ] {
        let idp = Idp::serving(prefix, jwks_path, document).await;
        let sts = sts_for(issuer, &idp, prefix, audience).await;
        let provider = issuer.strip_prefix("https://").unwrap();
        add_role(
            &sts,
            "r",
            trust(
                provider,
                json!({"StringEquals": {format!("{provider}:sub"): sub, format!("{provider}:aud"): audience}}),
            ),
        );
        let token = idp.sign(&claims(issuer, json!({"sub": sub, "aud": [audience]})));
        let answer = assume_role(&sts, "r", &token).await;
        assert_eq!(answer.status, 200, "{issuer}: {}", answer.body);
        assert_eq!(answer.element("Provider").as_deref(), Some(issuer));
        assert_eq!(
            answer.element("SubjectFromWebIdentityToken").as_deref(),
            Some(sub)
        );
        // The decision names no missing document field: the keys were fetched once.
        assert_eq!(sts.key_store().fetch_count(), 1, "{issuer}");
    }
}

#[tokio::test]
async fn githubs_provider_specific_keys_decide_a_trust_policy_that_names_them() {
    let idp = Idp::serving("/github", ".well-known/jwks", github_document).await;
    let sts = sts_for(GITHUB, &idp, "/github", "sts.amazonaws.com").await;
    let p = "token.actions.githubusercontent.com";
    // Any branch of the repository (a scoped sub, as the controls require), but only from
    // the production environment of the repository with this immutable ID.
    add_role(
        &sts,
        "deploy",
        trust(
            p,
            json!({
                "StringLike": {format!("{p}:sub"): "repo:octo-org/octo-repo:*"},
                "StringEquals": {
                    format!("{p}:repository_id"): "74",
                    format!("{p}:environment"): "production",
                    format!("{p}:job_workflow_ref"): "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main"
                }
            }),
        ),
    );
    let token = |extra: Value| {
        let mut base = json!({
            "sub": "repo:octo-org/octo-repo:environment:production",
            "aud": "sts.amazonaws.com",
            "repository": "octo-org/octo-repo",
            "repository_id": "74",
            "environment": "production",
            "job_workflow_ref": "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main"
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        idp.sign(&claims(GITHUB, base))
    };
    let answer = assume_role(&sts, "deploy", &token(json!({}))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    for (neighbour, why) in [
        (
            json!({"repository_id": "75"}),
            "another repository with the same name",
        ),
        (
            json!({"environment": "staging", "sub": "repo:octo-org/octo-repo:environment:staging"}),
            "another environment",
        ),
        (
            json!({"environment": null, "sub": "repo:octo-org/octo-repo:ref:refs/heads/main"}),
            "no environment: an absent key",
        ),
        (
            json!({"job_workflow_ref": "octo-org/octo-repo/.github/workflows/other.yml@refs/heads/main"}),
            "another workflow",
        ),
    ] {
        let answer = assume_role(&sts, "deploy", &token(neighbour)).await;
        assert_eq!(answer.status, 403, "{why}: {}", answer.body);
        answer.assert_error(
            403,
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        );
    }
    // The explanation shows the key the STS put in the context.
    let explained = sts_mock::explain::explain(
        &sts.model()
            .role(DEFAULT_ACCOUNT, "deploy")
            .unwrap()
            .trust_policy
            .text,
        &sts_mock::explain::ExplainInput {
            token: Some(token(json!({"environment": "staging"}))),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(explained.decision, sts_mock::policy::Decision::ImplicitDeny);
    assert!(
        format!("{}", explained.explanation)
            .contains("token.actions.githubusercontent.com:environment"),
        "{}",
        explained.explanation
    );
}

#[tokio::test]
async fn gitlabs_provider_specific_keys_decide_too_and_other_providers_get_none() {
    let idp = Idp::serving("/gitlab", "oauth/discovery/keys", gitlab_document).await;
    let sts = sts_for(GITLAB, &idp, "/gitlab", GITLAB).await;
    add_role(
        &sts,
        "protected",
        trust(
            "gitlab.com",
            json!({
                "StringLike": {"gitlab.com:sub": "project_path:my-group/my-project:*"},
                "StringEquals": {"gitlab.com:project_id": "20", "gitlab.com:ref_protected": "true"}
            }),
        ),
    );
    let token = |protected: &str, project_id: &str| {
        idp.sign(&claims(
            GITLAB,
            json!({
                "sub": "project_path:my-group/my-project:ref_type:branch:ref:main",
                "aud": GITLAB, "project_id": project_id, "ref_protected": protected
            }),
        ))
    };
    assert_eq!(
        assume_role(&sts, "protected", &token("true", "20"))
            .await
            .status,
        200
    );
    assume_role(&sts, "protected", &token("false", "20"))
        .await
        .assert_error(403, "AccessDenied", "Not authorized");
    assume_role(&sts, "protected", &token("true", "21"))
        .await
        .assert_error(403, "AccessDenied", "Not authorized");

    // EKS is on no provider list: its `kubernetes.io` claim and the like reach no key.
    let idp = Idp::serving("/eks", "keys", eks_document).await;
    let sts = sts_for(EKS, &idp, "/eks", "sts.amazonaws.com").await;
    let provider = EKS.strip_prefix("https://").unwrap();
    add_role(
        &sts,
        "ns",
        trust(
            provider,
            json!({"StringEquals": {format!("{provider}:namespace"): "default"}}),
        ),
    );
    let token = idp.sign(&claims(
        EKS,
        json!({"sub": "system:serviceaccount:default:app", "aud": ["sts.amazonaws.com"], "namespace": "default"}),
    ));
    assume_role(&sts, "ns", &token)
        .await
        .assert_error(403, "AccessDenied", "Not authorized");
}
