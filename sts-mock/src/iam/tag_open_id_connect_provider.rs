//! `TagOpenIDConnectProvider`: adds tags or changes their values.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.tag_provider(
        &call.account,
        call.required("OpenIDConnectProviderArn"),
        &call.params.tags("Tags"),
    )?;
    Ok(String::new())
}
