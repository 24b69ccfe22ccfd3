//! What a session may do: the authorization of every action called with credentials
//! sts-mock issued, by IAM's evaluation logic for a same-account request (IAM User Guide,
//! "Policy evaluation logic"; no resource-based policies, SCPs or VPC endpoint policies exist
//! here):
//!
//! 1. an explicit `Deny` in any identity-based policy, permissions boundary or session policy
//!    denies ("... with an explicit deny in an identity-based policy");
//! 2. otherwise an identity-based policy (the role's inline policies and attached managed
//!    policies) must allow ("... because no identity-based policy allows the ACTION action");
//! 3. if the role has a permissions boundary, it must allow too ("... because no permissions
//!    boundary allows ...");
//! 4. if the session was given session policies (`Policy`, `PolicyArns`), one of them must
//!    allow ("... because no session policy allows ...").
//!
//! The administrator (root) of an account is allowed everything, as AWS's root user is. Each
//! action names its IAM action and resource here ([`Resource`], a column of the action table);
//! the request context comes from [`crate::context::permission_context`]; every decision goes
//! to the decision log with the engine's explanations.

use serde::Serialize;

use crate::call::Call;
use crate::context::{self, PermissionRequest};
use crate::decisions::{DecisionRecord, Outcome};
use crate::error::{AwsError, Denial, ErrorCode, PolicyType};
use crate::policy::{evaluate_explained, Context, Decision, Explanation, Policy, Request};
use crate::time_format::iso8601;

/// Which resource an action acts on, read from its parameters (Service Authorization
/// Reference's resource types; how IAM names it in `AccessDenied` messages is quoted from real
/// answers: "on resource: role NAME", "on resource: policy ARN", "on resource: policy NAME" for
/// CreatePolicy, "on resource: policy path /" for ListPolicies, the full ARN for CreateRole and
/// ListRoles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Not authorized by policy (`GetCallerIdentity` needs no permission; unsigned actions).
    Unchecked,
    /// The handler authorizes itself (`AssumeRole`: several permissions, and the trust policy).
    InHandler,
    /// `*` (actions without a resource type).
    Any,
    /// The role named by `RoleName`.
    Role,
    /// The role `CreateRole` would create (`Path` and `RoleName`).
    NewRole,
    /// The roles under `PathPrefix` (`ListRoles`).
    Roles,
    /// The managed policy named by `PolicyArn`.
    Policy,
    /// The policy `CreatePolicy` would create.
    NewPolicy,
    /// The policies under `PathPrefix` (`ListPolicies`).
    Policies,
    /// The OIDC provider named by `OpenIDConnectProviderArn`.
    Provider,
    /// The provider `CreateOpenIDConnectProvider` would create (`Url`).
    NewProvider,
    /// The principal `SimulatePrincipalPolicy` simulates (`PolicySourceArn`).
    PolicySource,
    /// The account itself (`arn:aws:account::ACCOUNT:account`, the Account API's resource).
    Account,
}

/// One permission a call needs: an IAM action on a resource, with the context keys the action
/// adds to the request (`aws:RequestTag/*`, `iam:PolicyARN`, ...).
#[derive(Debug, Clone)]
pub struct Permission {
    /// `iam:GetRole`.
    pub action: String,
    /// The resource's ARN, as policies match it.
    pub resource: String,
    /// The resource as AWS's message shows it (`role my-role`).
    pub shown: String,
    /// Action-specific context keys.
    pub keys: Vec<(String, Vec<String>)>,
}

/// How one kind of policy answered, for the decision log.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyEvaluation {
    /// `identity`, `permissions_boundary` or `session`.
    pub policy_type: PolicyType,
    /// What this kind alone decided.
    pub decision: Decision,
    /// Why, statement by statement.
    pub explanation: Explanation,
}

/// The outcome of evaluating a permission.
#[derive(Debug, Clone)]
pub struct PermissionDecision {
    /// Allowed, or why not.
    pub denial: Option<Denial>,
    /// Each kind of policy's evaluation.
    pub evaluations: Vec<PolicyEvaluation>,
}

/// The policies a session's request is evaluated against.
#[derive(Debug, Clone, Default)]
pub struct SessionPolicies {
    /// Identity-based policies, each with the ARN of its managed policy (inline: `None`).
    pub identity: Vec<(Option<String>, Policy)>,
    /// The permissions boundary (its ARN, and its document if the policy still exists).
    pub boundary: Option<(String, Option<Policy>)>,
    /// Session policies, when the session was given any (an ARN that no longer resolves
    /// contributes nothing).
    pub session: Option<Vec<(Option<String>, Policy)>>,
}

/// Evaluates `request` against `policies` as IAM does for a same-account request. Pure.
pub fn decide(policies: &SessionPolicies, request: &Request<'_>) -> PermissionDecision {
    let mut evaluations = Vec::new();
    let mut evaluate = |kind: PolicyType, set: &[(Option<String>, Policy)]| {
        let refs: Vec<&Policy> = set.iter().map(|(_, p)| p).collect();
        let (decision, explanation) = evaluate_explained(&refs, request);
        let denying_arn = explanation
            .deciding
            .as_ref()
            .filter(|_| decision == Decision::ExplicitDeny)
            .and_then(|d| set.get(d.policy))
            .and_then(|(arn, _)| arn.clone());
        evaluations.push(PolicyEvaluation {
            policy_type: kind,
            decision,
            explanation,
        });
        (decision, denying_arn)
    };
    let identity = evaluate(PolicyType::Identity, &policies.identity);
    let boundary = policies.boundary.as_ref().map(|(arn, policy)| {
        let set: Vec<(Option<String>, Policy)> = policy
            .iter()
            .map(|p| (Some(arn.clone()), p.clone()))
            .collect();
        evaluate(PolicyType::PermissionsBoundary, &set)
    });
    let session = policies
        .session
        .as_ref()
        .map(|set| evaluate(PolicyType::Session, set));
    // Guess: when several kinds deny, AWS names one; this names them in the order of the
    // evaluation flow chart (identity, then boundary, then session).
    let kinds = [
        (PolicyType::Identity, Some(identity)),
        (PolicyType::PermissionsBoundary, boundary),
        (PolicyType::Session, session),
    ];
    let explicit = kinds.iter().find_map(|(kind, result)| match result {
        Some((Decision::ExplicitDeny, arn)) => Some(Denial::Explicit(*kind, arn.clone())),
        _ => None,
    });
    let denial = explicit.or_else(|| {
        kinds.iter().find_map(|(kind, result)| match result {
            Some((Decision::Allow, _)) | None => None,
            Some(_) => Some(Denial::Implicit(*kind)),
        })
    });
    PermissionDecision {
        denial,
        evaluations,
    }
}

/// The permission `call` needs for its action, if the action is authorized by policy here.
pub fn required(call: &Call<'_>, action: &str, resource: Resource) -> Option<Permission> {
    let account = call.account.as_str();
    let iam = |kind: &str, rest: &str| format!("arn:aws:iam::{account}:{kind}{rest}");
    let model = &call.services.model;
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    let (resource, shown) = match resource {
        Resource::Unchecked | Resource::InHandler => return None,
        Resource::Any => ("*".to_string(), "*".to_string()),
        Resource::Role => {
            let name = call.required("RoleName");
            match model.role(account, name) {
                Some(role) => {
                    for tag in &role.tags {
                        keys.push((
                            format!("aws:ResourceTag/{}", tag.key),
                            vec![tag.value.clone()],
                        ));
                        keys.push((
                            format!("iam:ResourceTag/{}", tag.key),
                            vec![tag.value.clone()],
                        ));
                    }
                    if let Some(boundary) = &role.permissions_boundary {
                        keys.push(("iam:PermissionsBoundary".into(), vec![boundary.clone()]));
                    }
                    (role.arn(), format!("role {name}"))
                }
                None => (iam("role/", name), format!("role {name}")),
            }
        }
        Resource::NewRole => {
            let arn = iam(
                "role",
                &format!(
                    "{}{}",
                    call.get("Path").unwrap_or("/"),
                    call.required("RoleName")
                ),
            );
            (arn.clone(), arn)
        }
        Resource::Roles => {
            let arn = iam("role", call.get("PathPrefix").unwrap_or("/"));
            (arn.clone(), arn)
        }
        Resource::Policy => {
            let arn = call.required("PolicyArn").to_string();
            if let Some(policy) = model.managed_policy(account, &arn) {
                for tag in &policy.tags {
                    keys.push((
                        format!("aws:ResourceTag/{}", tag.key),
                        vec![tag.value.clone()],
                    ));
                }
            }
            (arn.clone(), format!("policy {arn}"))
        }
        Resource::NewPolicy => {
            let name = call.required("PolicyName");
            (
                iam(
                    "policy",
                    &format!("{}{name}", call.get("Path").unwrap_or("/")),
                ),
                format!("policy {name}"),
            )
        }
        Resource::Policies => {
            let prefix = call.get("PathPrefix").unwrap_or("/");
            (iam("policy", prefix), format!("policy path {prefix}"))
        }
        Resource::Provider => {
            let arn = call.required("OpenIDConnectProviderArn").to_string();
            (arn.clone(), arn)
        }
        Resource::NewProvider => {
            let arn = crate::model::provider_arn(account, call.required("Url"));
            (arn.clone(), arn)
        }
        Resource::PolicySource => {
            let arn = call.required("PolicySourceArn").to_string();
            (arn.clone(), arn)
        }
        Resource::Account => {
            let arn = format!("arn:aws:account::{account}:account");
            (arn.clone(), arn)
        }
    };
    let tags = call.params.tags("Tags");
    if !tags.is_empty() {
        for tag in &tags {
            keys.push((
                format!("aws:RequestTag/{}", tag.key),
                vec![tag.value.clone()],
            ));
        }
        keys.push((
            "aws:TagKeys".into(),
            tags.iter().map(|t| t.key.clone()).collect(),
        ));
    }
    let tag_keys = call.list("TagKeys");
    if !tag_keys.is_empty() {
        keys.push(("aws:TagKeys".into(), tag_keys));
    }
    if let Some(arn) = call
        .get("PolicyArn")
        .filter(|_| action.ends_with("RolePolicy"))
    {
        keys.push(("iam:PolicyARN".into(), vec![arn.to_string()]));
    }
    // GetWebIdentityToken's keys (IAM User Guide, outbound identity federation).
    let audiences = call.list("Audience");
    if !audiences.is_empty() {
        keys.push(("sts:IdentityTokenAudience".into(), audiences));
    }
    if action == "sts:GetWebIdentityToken" {
        let duration = call.get("DurationSeconds").unwrap_or("300");
        keys.push((
            "sts:DurationSeconds".into(),
            vec![duration.trim().to_string()],
        ));
    }
    if let Some(boundary) = call.get("PermissionsBoundary") {
        keys.push(("iam:PermissionsBoundary".into(), vec![boundary.to_string()]));
    }
    Some(Permission {
        action: action.to_string(),
        resource,
        shown,
        keys,
    })
}

/// The policies in force for `session` now: its role's (inline, attached managed, boundary)
/// and the session policies it was given. A role deleted since (or deleted and made anew, a
/// different principal on AWS) contributes nothing.
pub fn session_policies(
    call: &Call<'_>,
    session: &crate::credentials::SessionClaims,
) -> SessionPolicies {
    let model = &call.services.model;
    let mut policies = SessionPolicies::default();
    if let Some(role) = model
        .role(&session.account_id, &session.role_name)
        .filter(|r| r.role_id == session.role_id)
    {
        let resolved = model.role_permissions(&role);
        policies.identity = resolved
            .identity
            .into_iter()
            .map(|(arn, doc)| match arn {
                Some(arn) => (Some(arn.clone()), doc.policy.labelled(arn)),
                None => (None, doc.policy),
            })
            .collect();
        policies.boundary = resolved.boundary.map(|(arn, doc)| {
            let policy = doc.map(|d| d.policy.labelled(arn.clone()));
            (arn, policy)
        });
    }
    if session.session_policy.is_some() || !session.policy_arns.is_empty() {
        let mut set = Vec::new();
        if let Some(text) = &session.session_policy {
            if let Ok(p) = Policy::parse(text, crate::policy::PolicyKind::Session) {
                set.push((None, p.labelled("session policy")));
            }
        }
        for arn in &session.policy_arns {
            if let Some(doc) = model.managed_policy_document(&session.account_id, arn) {
                set.push((Some(arn.clone()), doc.policy.labelled(arn.clone())));
            }
        }
        policies.session = Some(set);
    }
    policies
}

/// The request context of `session`'s call, with `permission`'s own keys.
pub fn request_context(
    call: &Call<'_>,
    session: &crate::credentials::SessionClaims,
    permission: &Permission,
) -> Context {
    let role = call
        .services
        .model
        .role(&session.account_id, &session.role_name)
        .filter(|r| r.role_id == session.role_id);
    let role_arn = role
        .as_ref()
        .map(|r| r.arn())
        .unwrap_or_else(|| session.role_arn_without_path());
    let mut context = context::permission_context(&PermissionRequest {
        session,
        role_arn: &role_arn,
        role_tags: role.as_ref().map(|r| r.tags.as_slice()).unwrap_or_default(),
        region: call.region.as_deref(),
        source_ip: Some(call.peer),
        now: call.services.clock.now(),
    });
    for (key, values) in &permission.keys {
        context.insert_multi(key.clone(), values.clone());
    }
    context
}

/// Authorizes `permission` for the call's caller: always for an administrator; for a session,
/// by the evaluation logic above, recording the decision. A refusal is `AccessDenied` (or
/// `AccessDeniedException` for the Account API) in AWS's words.
pub fn authorize(call: &Call<'_>, permission: &Permission) -> Result<(), AwsError> {
    authorize_with(call, permission, None)
}

/// As [`authorize`], with a context built by the caller (AssumeRole adds `sts:*` keys).
pub fn authorize_with(
    call: &Call<'_>,
    permission: &Permission,
    context: Option<Context>,
) -> Result<(), AwsError> {
    let Some(session) = call.caller.session() else {
        return Ok(());
    };
    let policies = session_policies(call, session);
    let context = context.unwrap_or_else(|| request_context(call, session, permission));
    let request = Request {
        principal: None,
        action: &permission.action,
        resource: Some(&permission.resource),
        context: &context,
    };
    let decision = decide(&policies, &request);
    let code = match call.service {
        crate::shape::Service::Account => ErrorCode::AccessDeniedException,
        _ => ErrorCode::AccessDenied,
    };
    let error = decision.denial.as_ref().map(|why| {
        AwsError::access_denied(
            code,
            &session.assumed_role_arn,
            &permission.action,
            &permission.shown,
            why,
        )
    });
    record(call, session, permission, &decision, error.as_ref());
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn record(
    call: &Call<'_>,
    session: &crate::credentials::SessionClaims,
    permission: &Permission,
    decision: &PermissionDecision,
    error: Option<&AwsError>,
) {
    let deciding = decision
        .evaluations
        .iter()
        .find(|e| match &decision.denial {
            Some(Denial::Explicit(kind, _)) | Some(Denial::Implicit(kind)) => {
                e.policy_type == *kind
            }
            _ => e.policy_type == PolicyType::Identity,
        })
        .map(|e| e.explanation.clone());
    let reason = match (&decision.denial, &deciding) {
        (None, Some(x)) => x.summary(),
        (Some(Denial::Implicit(kind)), Some(x)) => {
            format!(
                "no {} allows {}: {}",
                kind.phrase(),
                permission.action,
                x.summary()
            )
        }
        (Some(Denial::Explicit(kind, _)), Some(x)) => {
            format!("explicit deny in {}: {}", kind.phrase(), x.summary())
        }
        _ => "denied".to_string(),
    };
    call.services.decisions.record(DecisionRecord {
        time: iso8601(call.services.clock.now()),
        request_id: call.request_id.clone(),
        action: call.action.to_string(),
        source_ip: call.peer.to_string(),
        role_arn: Some(session.role_arn_without_path()),
        session_name: Some(session.session_name.clone()),
        issuer: None,
        subject: None,
        outcome: match error {
            None => Outcome::Allowed,
            Some(e) => Outcome::Refused {
                code: e.code.to_string(),
                message: e.message.clone(),
            },
        },
        reason,
        explanation: deciding,
        kind: Some("permission".into()),
        principal: Some(session.assumed_role_arn.clone()),
        account: Some(session.account_id.clone()),
        permission: Some(permission.action.clone()),
        resource: Some(permission.resource.clone()),
        evaluations: decision.evaluations.clone(),
    });
}
