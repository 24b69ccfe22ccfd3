//! `UntagPolicy`: removes tags by key (keys compare without case); absent keys are ignored.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.untag_policy(
        &call.account,
        call.required("PolicyArn"),
        &call.list("TagKeys"),
    )?;
    Ok(String::new())
}
