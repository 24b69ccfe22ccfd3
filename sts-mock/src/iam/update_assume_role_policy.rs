//! `UpdateAssumeRolePolicy`: replaces a role's trust policy.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.update_trust_policy(
        &call.account,
        call.required("RoleName"),
        call.required("PolicyDocument"),
    )?;
    Ok(String::new())
}
