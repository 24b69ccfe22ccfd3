//! `AttachRolePolicy`: attaches a managed policy to a role (at most ten per role).

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.attach_role_policy(
        &call.account,
        call.required("RoleName"),
        call.required("PolicyArn"),
    )?;
    Ok(String::new())
}
