//! `AssumeRole`: a role session (role chaining) assumes a role, in its own account or another
//! (the multi-account pattern: a session in account A assumes a role in account B whose trust
//! policy names A's role or A). Both sides must agree: the caller's policies must allow
//! `sts:AssumeRole` on the role (and `sts:TagSession` / `sts:SetSourceIdentity` when it passes
//! tags or carries a source identity: IAM User Guide, "Passing session tags in AWS STS" and
//! "Monitor and control actions taken with assumed roles"), and the role's trust policy must
//! allow the caller as an AWS principal. The new session inherits the caller's transitive tags
//! and source identity, and is capped at one hour ("role chaining limits your role session to
//! a maximum of one hour").

use crate::call::{Call, Reply};
use crate::context;
use crate::credentials::{IssuedCredentials, SessionClaims};
use crate::error::{AwsError, Denial, ErrorCode};
use crate::permissions::{self, Permission};
use crate::policy::{limits, Policy, PolicyKind, Principal, PrincipalKind};
use crate::query::Xml;

/// The action, as policies name it.
pub const IAM_ACTION: &str = "sts:AssumeRole";
/// Default session length when `DurationSeconds` is absent.
const DEFAULT_DURATION: i64 = 3600;
/// The one-hour cap of chained sessions.
const CHAINED_MAX: i64 = 3600;
/// Managed session policies per request (STS API reference: "up to 10 managed policies").
const MAX_POLICY_ARNS: usize = 10;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let Some(session) = call.caller.session() else {
        return Err(AwsError::root_cannot_assume());
    };
    let role_arn = call.required("RoleArn");
    let session_name = call.required("RoleSessionName");
    call.note(|a| {
        a.role_arn = Some(role_arn.to_string());
        a.session_name = Some(session_name.to_string());
        a.principal = Some(session.assumed_role_arn.clone());
    });
    let policy_arns = call.params.list("PolicyArns", ".arn");
    if policy_arns.len() > MAX_POLICY_ARNS {
        return Err(AwsError::validation(&[format!(
            "Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to {MAX_POLICY_ARNS}"
        )]));
    }
    for arn in policy_arns.iter().map(String::as_str).chain([role_arn]) {
        if crate::arn::parse(arn).is_none() {
            return Err(AwsError::invalid_arn_sts(arn));
        }
    }
    let session_policy = call.get("Policy");
    let session_policy_size = match session_policy {
        Some(text) => {
            Policy::parse(text, PolicyKind::Session)?;
            limits::counted_length(text)
        }
        None => 0,
    };

    // Session tags: the request's, checked as STS checks them (aws-recorded), then the
    // caller's transitive tags, which they may not override.
    let new_tags = call.params.tags("Tags");
    for (i, t) in new_tags.iter().enumerate() {
        if new_tags[..i]
            .iter()
            .any(|o| o.key.eq_ignore_ascii_case(&t.key))
        {
            return Err(AwsError::duplicate_tag_keys(
                ErrorCode::InvalidParameterValue,
            ));
        }
    }
    let new_transitive = call.list("TransitiveTagKeys");
    if new_transitive
        .iter()
        .any(|k| !new_tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)))
    {
        return Err(AwsError::transitive_tag_not_requested());
    }
    let inherited: Vec<(String, String)> = session
        .tags
        .iter()
        .filter(|(k, _)| {
            session
                .transitive_tag_keys
                .iter()
                .any(|t| t.eq_ignore_ascii_case(k))
        })
        .cloned()
        .collect();
    if new_tags.iter().any(|t| {
        inherited
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(&t.key))
    }) {
        return Err(AwsError::transitive_tag_conflict());
    }

    // The source identity is set once and persists through the chain.
    let requested_source = call.get("SourceIdentity");
    if let (Some(set), Some(asked)) = (&session.source_identity, requested_source) {
        if set != asked {
            // Guess: STS's wording ("After the source identity is set, the value cannot be
            // changed", IAM User Guide).
            return Err(AwsError::new(
                ErrorCode::InvalidParameterValue,
                "The source identity of the calling session cannot be changed.",
            ));
        }
    }
    let source_identity = session
        .source_identity
        .clone()
        .or_else(|| requested_source.map(str::to_string));

    // The request context of both sides: the caller's keys, and what STS adds for AssumeRole.
    let target = call.services.model.role_by_arn(role_arn);
    let permission = |action: &str| Permission {
        action: action.to_string(),
        resource: role_arn.to_string(),
        shown: role_arn.to_string(),
        keys: Vec::new(),
    };
    let mut request_context = permissions::request_context(call, session, &permission(IAM_ACTION));
    request_context.insert("sts:RoleSessionName", session_name);
    if let Some(id) = call.get("ExternalId") {
        request_context.insert("sts:ExternalId", id);
    }
    if let Some(source) = &source_identity {
        request_context.insert("sts:SourceIdentity", source.clone());
    }
    if !new_tags.is_empty() {
        for t in &new_tags {
            request_context.insert(format!("aws:RequestTag/{}", t.key), t.value.clone());
        }
        request_context.insert_multi(
            "aws:TagKeys",
            new_tags.iter().map(|t| t.key.clone()).collect(),
        );
        request_context.insert_multi("sts:TransitiveTagKeys", new_transitive.clone());
    }
    if let Some(role) = &target {
        for t in &role.tags {
            request_context.insert(format!("aws:ResourceTag/{}", t.key), t.value.clone());
        }
    }

    // 1. The caller's side: its policies must allow each permission on the role.
    let mut needed = vec![IAM_ACTION];
    if !new_tags.is_empty() {
        needed.push("sts:TagSession");
    }
    if source_identity.is_some() {
        needed.push("sts:SetSourceIdentity");
    }
    for action in &needed {
        permissions::authorize_with(call, &permission(action), Some(request_context.clone()))?;
    }

    // 2. The role's side: its trust policy, for the caller as an AWS principal. A role that
    // does not exist is refused exactly like one whose trust policy says no, and the message
    // gives no reason (the trust policy is the other account's).
    let refused = |action: &str| {
        AwsError::access_denied(
            ErrorCode::AccessDenied,
            &session.assumed_role_arn,
            action,
            role_arn,
            &Denial::Unstated,
        )
    };
    let role = target.ok_or_else(|| refused(IAM_ACTION))?;
    let principal = Principal {
        kind: PrincipalKind::Aws,
        id: session.assumed_role_arn.clone(),
    };
    let trust = context::decide_trust_for(
        &role.trust_policy.policy,
        &principal,
        &request_context,
        !new_tags.is_empty(),
        source_identity.is_some(),
        IAM_ACTION,
    );
    let refused_action = trust.refused_action.clone();
    call.note(|a| a.explanation = Some(trust.explanation));
    if let Some(action) = refused_action {
        return Err(refused(&action));
    }

    // 3. Duration: one hour at most for a chained session, the role's maximum otherwise.
    let duration = call.integer("DurationSeconds").unwrap_or(DEFAULT_DURATION);
    if duration > CHAINED_MAX {
        return Err(AwsError::duration_exceeds_chaining());
    }
    if duration > i64::from(role.max_session_duration) {
        return Err(AwsError::duration_exceeds_max());
    }
    let mut tags = inherited.clone();
    tags.extend(new_tags.iter().map(|t| (t.key.clone(), t.value.clone())));
    let tag_size: usize = new_tags.iter().map(|t| t.key.len() + t.value.len()).sum();
    // Guess: the same approximation of AWS's packed size as AssumeRoleWithWebIdentity's.
    let packed =
        (session_policy_size + policy_arns.iter().map(String::len).sum::<usize>() + tag_size) * 100
            / limits::SESSION_POLICY;
    if packed > 100 {
        return Err(AwsError::packed_policy_too_large(packed));
    }
    let mut transitive: Vec<String> = session
        .transitive_tag_keys
        .iter()
        .filter(|k| inherited.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)))
        .cloned()
        .collect();
    transitive.extend(new_transitive);

    // 4. The credentials.
    let now = call.services.clock.now();
    let account = &role.account_id;
    let assumed_role_arn = format!(
        "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
        role.name
    );
    let issued: IssuedCredentials = call.services.credentials.issue(&SessionClaims {
        account_id: account.clone(),
        role_name: role.name.clone(),
        role_id: role.role_id.clone(),
        session_name: session_name.to_string(),
        assumed_role_arn: assumed_role_arn.clone(),
        expiration: now + time::Duration::seconds(duration),
        source_identity: source_identity.clone(),
        tags,
        transitive_tag_keys: transitive,
        session_policy: session_policy.map(str::to_string),
        policy_arns: policy_arns.clone(),
        chained: true,
        federated_provider: None,
        issued_at: Some(now),
    });
    let mut xml = Xml::new();
    super::write_credentials(&mut xml, &issued);
    super::write_assumed_role_user(&mut xml, &role.role_id, session_name, &assumed_role_arn);
    if session_policy.is_some() || !policy_arns.is_empty() || tag_size > 0 {
        xml.leaf("PackedPolicySize", &packed.to_string());
    }
    xml.leaf_opt("SourceIdentity", source_identity.as_deref());
    Ok(xml.into_string())
}
