//! `DisableOutboundWebIdentityFederation` (`FeatureDisabled` when already off).

use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    call.services
        .model
        .disable_outbound_federation(&call.account)?;
    Ok(String::new())
}
