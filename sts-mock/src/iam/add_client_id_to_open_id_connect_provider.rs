//! `AddClientIDToOpenIDConnectProvider`.

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services.model.add_client_id(
        &call.account,
        call.required("OpenIDConnectProviderArn"),
        call.required("ClientID"),
    )?;
    Ok(String::new())
}
