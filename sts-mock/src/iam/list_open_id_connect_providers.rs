//! `ListOpenIDConnectProviders`.

use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let mut xml = Xml::new();
    xml.open("OpenIDConnectProviderList");
    for p in call.services.model.providers(&call.account) {
        xml.open("member")
            .leaf("Arn", &p.arn(&call.account))
            .close("member");
    }
    xml.close("OpenIDConnectProviderList");
    Ok(xml.into_string())
}
