//! `DeleteRole`.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services
        .model
        .remove_role(&call.account, call.required("RoleName"))?;
    Ok(String::new())
}
