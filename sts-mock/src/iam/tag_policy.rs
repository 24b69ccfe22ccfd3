//! `TagPolicy`: adds tags to a managed policy or changes their values.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.tag_policy(
        &call.account,
        call.required("PolicyArn"),
        &call.params.tags("Tags"),
    )?;
    Ok(String::new())
}
