//! `PutRolePolicy`: adds or replaces an inline permission policy.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.put_role_policy(
        &call.account,
        call.required("RoleName"),
        call.required("PolicyName"),
        call.required("PolicyDocument"),
    )?;
    Ok(String::new())
}
