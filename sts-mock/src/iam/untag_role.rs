//! `UntagRole`: removes tags by key (keys compare without case, as IAM's do); absent keys are
//! ignored.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.untag_role(
        &call.account,
        call.required("RoleName"),
        &call.list("TagKeys"),
    )?;
    Ok(String::new())
}
