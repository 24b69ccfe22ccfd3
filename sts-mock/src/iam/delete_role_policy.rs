//! `DeleteRolePolicy`.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.delete_role_policy(
        &call.account,
        call.required("RoleName"),
        call.required("PolicyName"),
    )?;
    Ok(String::new())
}
