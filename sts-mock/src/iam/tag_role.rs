//! `TagRole`: adds tags to a role or changes their values.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.tag_role(
        &call.account,
        call.required("RoleName"),
        &call.params.tags("Tags"),
    )?;
    Ok(String::new())
}
