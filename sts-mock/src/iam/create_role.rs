//! `CreateRole`. What IAM accepts is accepted; the lint's findings on the trust policy go to
//! the decisions page as a warning.

use super::{write_role, RoleView};
use crate::call::{Call, Reply};
use crate::model::RoleSpec;
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let spec = RoleSpec {
        name: call.required("RoleName").to_string(),
        path: call.get("Path").unwrap_or("/").to_string(),
        trust_policy: call.required("AssumeRolePolicyDocument").to_string(),
        max_session_duration: call.integer("MaxSessionDuration"),
        description: call.get("Description").map(str::to_string),
        permissions_boundary: call.get("PermissionsBoundary").map(str::to_string),
        tags: call.params.tags("Tags"),
    };
    let role = call.services.model.add_role(&call.account, spec)?;
    super::warn_about_trust_policy(call, &role);
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
