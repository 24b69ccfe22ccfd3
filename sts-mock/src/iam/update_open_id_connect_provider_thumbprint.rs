//! `UpdateOpenIDConnectProviderThumbprint`.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.set_thumbprints(
        &call.account,
        call.required("OpenIDConnectProviderArn"),
        call.list("ThumbprintList"),
    )?;
    Ok(String::new())
}
