//! `EnableOutboundWebIdentityFederation`: switches on `GetWebIdentityToken` for the account
//! and answers its issuer URL (`FeatureEnabled`, 409, when already on).

use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let issuer = call
        .services
        .model
        .enable_outbound_federation(&call.account)?;
    let mut xml = Xml::new();
    xml.leaf("IssuerIdentifier", &issuer);
    Ok(xml.into_string())
}
