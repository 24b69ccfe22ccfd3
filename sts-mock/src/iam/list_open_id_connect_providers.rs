//! `ListOpenIDConnectProviders`: the ARNs of the caller's account's providers.

use super::Call;
use crate::query::{AwsError, Xml};

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let mut xml = Xml::new();
    xml.open("OpenIDConnectProviderList");
    for p in call.model.providers(&call.account) {
        xml.open("member")
            .leaf("Arn", &p.arn(&call.account))
            .close("member");
    }
    xml.close("OpenIDConnectProviderList");
    Ok(xml.into_string())
}
