//! `DetachRolePolicy`.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.detach_role_policy(
        &call.account,
        call.required("RoleName"),
        call.required("PolicyArn"),
    )?;
    Ok(String::new())
}
