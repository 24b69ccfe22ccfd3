//! `UpdateAssumeRolePolicy`: replaces a role's trust policy. What IAM accepts is accepted; the
//! lint's findings on the new policy go to the decisions page as a warning.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let name = call.required("RoleName");
    call.services.model.update_trust_policy(
        &call.account,
        name,
        call.required("PolicyDocument"),
    )?;
    if let Some(role) = call.services.model.role(&call.account, name) {
        super::warn_about_trust_policy(call, &role);
    }
    Ok(String::new())
}
