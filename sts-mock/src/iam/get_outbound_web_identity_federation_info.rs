//! `GetOutboundWebIdentityFederationInfo`: the account's issuer URL and whether tokens are
//! issued now. Guess: an account that never enabled the feature gets `FeatureDisabled`, one
//! that switched it off its issuer with `JwtVendingEnabled` false.

use crate::call::{Call, Reply};
use crate::error::AwsError;
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let federation = call
        .services
        .model
        .outbound_federation(&call.account)
        .ok_or_else(AwsError::outbound_feature_disabled)?;
    let mut xml = Xml::new();
    xml.leaf("IssuerIdentifier", &federation.issuer_identifier)
        .boolean("JwtVendingEnabled", federation.enabled);
    Ok(xml.into_string())
}
