//! `DeletePolicy`: a managed policy detached from everything, down to its default version.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services
        .model
        .delete_policy(&call.account, call.required("PolicyArn"))?;
    Ok(String::new())
}
