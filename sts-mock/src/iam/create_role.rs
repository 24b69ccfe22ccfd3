//! `CreateRole`: a role with its trust policy, checked by the policy engine as a trust policy
//! (a `Resource`, an unknown operator or a bad principal is `MalformedPolicyDocument`).

use super::{to_tags, validate, write_role, Call, RoleView};
use crate::model::{RoleSpec, DEFAULT_MAX_SESSION_DURATION};
use crate::query::{AwsError, Xml};

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let name = call.required("RoleName")?;
    let document = call.required("AssumeRolePolicyDocument")?;
    let path = call.get("Path").unwrap_or("/");
    let description = call.get("Description");
    let max = call.integer("MaxSessionDuration")?;
    let tags = call.tags("Tags");
    let mut c = validate::Checks::new();
    validate::role_name(&mut c, name);
    c.length("Path", path, 1, 512);
    c.pattern(
        "Path",
        path,
        validate::is_path(path),
        validate::PATH_PATTERN,
    );
    validate::policy_document(&mut c, "AssumeRolePolicyDocument", document);
    if let Some(d) = description {
        c.length("Description", d, 0, 1000);
        c.pattern(
            "Description",
            d,
            validate::is_description(d),
            validate::DESCRIPTION_PATTERN,
        );
    }
    if let Some(m) = max {
        c.range("MaxSessionDuration", m, 3600, 43200);
    }
    validate::tags(&mut c, &tags);
    c.finish()?;
    validate::duplicate_tag_keys(&tags)?;
    // The grammar first (an invalid document is malformed whatever its size), then the quota.
    crate::policy::Policy::parse(document, crate::policy::PolicyKind::Trust)
        .map_err(|e| AwsError::new("MalformedPolicyDocument", 400, e.message))?;
    validate::trust_policy_size(document)?;

    let accounts = call.model.accounts();
    validate::entity_quota(
        "RolesPerAccount",
        call.model.roles(&call.account).len(),
        validate::MAX_ROLES_PER_ACCOUNT,
        !accounts.contains(&call.account),
        accounts.len(),
    )?;

    let spec = RoleSpec {
        name: name.to_string(),
        path: path.to_string(),
        trust_policy: document.to_string(),
        max_session_duration: max
            .map(|m| m as u32)
            .unwrap_or(DEFAULT_MAX_SESSION_DURATION),
        description: description.map(str::to_string),
        tags: to_tags(&tags),
    };
    let role = call.model.add_role(&call.account, spec)?;
    let mut xml = Xml::new();
    xml.open("Role");
    write_role(
        &mut xml,
        &role,
        RoleView {
            max_session_duration: false,
            tags: true,
            role_last_used: false,
        },
    );
    xml.close("Role");
    Ok(xml.into_string())
}
