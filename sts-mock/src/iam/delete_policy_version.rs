//! `DeletePolicyVersion`: any version but the default.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.delete_policy_version(
        &call.account,
        call.required("PolicyArn"),
        call.required("VersionId"),
    )?;
    Ok(String::new())
}
