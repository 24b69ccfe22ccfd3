//! `PutRolePermissionsBoundary`: sets a managed policy as the role's permissions boundary.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.put_role_permissions_boundary(
        &call.account,
        call.required("RoleName"),
        call.required("PermissionsBoundary"),
    )?;
    Ok(String::new())
}
