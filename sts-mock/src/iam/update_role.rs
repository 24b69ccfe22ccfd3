//! `UpdateRole`: a role's description and maximum session duration. Its answer is an empty
//! `<UpdateRoleResult/>` (the action table writes the wrapper the model names).

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.update_role(
        &call.account,
        call.required("RoleName"),
        call.get("Description"),
        call.integer("MaxSessionDuration"),
    )?;
    Ok(String::new())
}
