//! `DeleteRolePermissionsBoundary`.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services
        .model
        .delete_role_permissions_boundary(&call.account, call.required("RoleName"))?;
    Ok(String::new())
}
