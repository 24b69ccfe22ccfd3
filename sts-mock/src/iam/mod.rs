//! The IAM Query API (version 2010-05-08) on the STS listener: OIDC providers, roles, inline
//! and managed permission policies, permissions boundaries, outbound identity federation and
//! policy simulation, one file per action. Parameters arrive checked
//! against the operation's model shape; every change goes through the model, which applies
//! IAM's semantic checks and persists. This file holds what the actions share: paging, and the
//! XML of roles, policies, tags and lists. Who calls, and so which account a call acts in, the
//! dispatcher decides ([`crate::caller`]); what a role session may call, [`crate::permissions`].

pub mod add_client_id_to_open_id_connect_provider;
pub mod attach_role_policy;
pub mod create_open_id_connect_provider;
pub mod create_policy;
pub mod create_policy_version;
pub mod create_role;
pub mod delete_open_id_connect_provider;
pub mod delete_policy;
pub mod delete_policy_version;
pub mod delete_role;
pub mod delete_role_permissions_boundary;
pub mod delete_role_policy;
pub mod detach_role_policy;
pub mod disable_outbound_web_identity_federation;
pub mod enable_outbound_web_identity_federation;
pub mod get_open_id_connect_provider;
pub mod get_outbound_web_identity_federation_info;
pub mod get_policy;
pub mod get_policy_version;
pub mod get_role;
pub mod get_role_policy;
pub mod list_attached_role_policies;
pub mod list_open_id_connect_providers;
pub mod list_policies;
pub mod list_policy_versions;
pub mod list_role_policies;
pub mod list_roles;
mod positions;
pub mod put_role_permissions_boundary;
pub mod put_role_policy;
pub mod remove_client_id_from_open_id_connect_provider;
mod simulate;
pub mod simulate_custom_policy;
pub mod simulate_principal_policy;
pub mod tag_open_id_connect_provider;
pub mod tag_policy;
pub mod tag_role;
pub mod untag_policy;
pub mod untag_role;
pub mod update_assume_role_policy;
pub mod update_open_id_connect_provider_thumbprint;
pub mod update_role;

use crate::call::Call;
use crate::error::{AwsError, ErrorCode};
use crate::model::{ManagedPolicy, PolicyVersion, Role, Tag};
use crate::query::Xml;
use crate::time_format::iso8601;

/// Which optional members of `Policy` an action returns (aws-recorded: `CreatePolicy` answers
/// neither `Description` nor `Tags` when there are none; `ListPolicies` omits both. Guess:
/// `GetPolicy` answers both when set).
#[derive(Clone, Copy)]
pub struct PolicyFields {
    /// `Description`.
    pub description: bool,
    /// `Tags`.
    pub tags: bool,
}

impl PolicyFields {
    /// `CreatePolicy`'s.
    pub const CREATED: PolicyFields = PolicyFields {
        description: true,
        tags: true,
    };
    /// `GetPolicy`'s.
    pub const GOT: PolicyFields = PolicyFields {
        description: true,
        tags: true,
    };
    /// `ListPolicies`'.
    pub const LISTED: PolicyFields = PolicyFields {
        description: false,
        tags: false,
    };
}

/// A `Policy` structure, members in the botocore model's order.
pub fn write_policy(
    xml: &mut Xml,
    policy: &ManagedPolicy,
    attachments: usize,
    boundary_usage: usize,
    fields: PolicyFields,
) {
    xml.leaf("PolicyName", &policy.name)
        .leaf("PolicyId", &policy.policy_id)
        .leaf("Arn", &policy.arn())
        .leaf("Path", &policy.path)
        .leaf("DefaultVersionId", &policy.default_version)
        .leaf("AttachmentCount", &attachments.to_string())
        .leaf("PermissionsBoundaryUsageCount", &boundary_usage.to_string())
        .boolean("IsAttachable", true);
    if fields.description {
        xml.leaf_opt("Description", policy.description.as_deref());
    }
    xml.leaf("CreateDate", &iso8601(policy.create_date))
        .leaf("UpdateDate", &iso8601(policy.update_date));
    if fields.tags && !policy.tags.is_empty() {
        write_tags(xml, &policy.tags);
    }
}

/// A `PolicyVersion` structure; the document (URL-encoded) only where IAM answers it.
pub fn write_policy_version(xml: &mut Xml, version: &PolicyVersion, default: bool, document: bool) {
    if document {
        xml.leaf("Document", &url_encode(&version.document.text));
    }
    xml.leaf("VersionId", &version.id)
        .boolean("IsDefaultVersion", default)
        .leaf("CreateDate", &iso8601(version.create_date));
}

/// `MaxItems` and `Marker` for list actions: (start index, page size). Their constraints were
/// checked by the shape; a marker this server did not issue is then refused.
pub fn page(call: &Call<'_>) -> Result<(usize, usize), AwsError> {
    let max = call.integer("MaxItems").unwrap_or(100).clamp(1, 1000) as usize;
    let start = match call.get("Marker") {
        None => 0,
        Some(m) => m.parse::<usize>().map_err(|_| {
            // Guess: AWS's answer to a marker it did not issue.
            AwsError::new(ErrorCode::InvalidInput, "Invalid Marker.")
        })?,
    };
    Ok((start, max))
}

/// `IsTruncated` and, when truncated, the next `Marker`.
pub fn write_paging(xml: &mut Xml, next: usize, total: usize) {
    let truncated = next < total;
    xml.boolean("IsTruncated", truncated);
    if truncated {
        xml.leaf("Marker", &next.to_string());
    }
}

/// Percent-encodes a policy document as IAM returns it (`%7B%22Version%22...`): boto3 and the
/// AWS CLI decode it with `urllib.parse.unquote`, so spaces must be `%20`, never `+`.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `<Tags><member><Key/><Value/></member>...</Tags>`.
pub fn write_tags(xml: &mut Xml, tags: &[Tag]) {
    xml.open("Tags");
    for t in tags {
        xml.open("member")
            .leaf("Key", &t.key)
            .leaf("Value", &t.value)
            .close("member");
    }
    xml.close("Tags");
}

/// Which optional members of `Role` an action returns (aws-recorded: `CreateRole` has neither
/// `MaxSessionDuration` nor `RoleLastUsed`, `GetRole` both, `ListRoles` no `RoleLastUsed`).
#[derive(Clone, Copy)]
pub struct RoleView {
    /// `MaxSessionDuration`.
    pub max_session_duration: bool,
    /// `Tags`.
    pub tags: bool,
    /// `RoleLastUsed`.
    pub role_last_used: bool,
}

/// A `Role` structure, members in the botocore model's order.
pub fn write_role(xml: &mut Xml, role: &Role, view: RoleView) {
    xml.leaf("Path", &role.path)
        .leaf("RoleName", &role.name)
        .leaf("RoleId", &role.role_id)
        .leaf("Arn", &role.arn())
        .leaf("CreateDate", &iso8601(role.create_date))
        .leaf(
            "AssumeRolePolicyDocument",
            &url_encode(&role.trust_policy.text),
        )
        .leaf_opt("Description", role.description.as_deref());
    if view.max_session_duration {
        xml.leaf("MaxSessionDuration", &role.max_session_duration.to_string());
    }
    if let Some(boundary) = &role.permissions_boundary {
        xml.open("PermissionsBoundary")
            .leaf("PermissionsBoundaryType", "Policy")
            .leaf("PermissionsBoundaryArn", boundary)
            .close("PermissionsBoundary");
    }
    if view.tags && !role.tags.is_empty() {
        write_tags(xml, &role.tags);
    }
    if view.role_last_used {
        xml.open("RoleLastUsed").close("RoleLastUsed");
    }
}

/// The role named by the call's `RoleName`.
pub fn role(call: &Call<'_>) -> Result<Role, AwsError> {
    let name = call.required("RoleName");
    call.services
        .model
        .role(&call.account, name)
        .ok_or_else(|| AwsError::no_such_role(name))
}

/// Sends the lint's findings on `role`'s trust policy, just saved by this call, to the
/// decisions page (AWS accepts such policies, so IAM here does too).
pub fn warn_about_trust_policy(call: &Call<'_>, role: &Role) {
    let findings = crate::lint::lint_role(&call.services.model, role);
    call.services.decisions.warn(
        iso8601(call.services.clock.now()),
        call.action,
        role.arn(),
        findings,
    );
}
