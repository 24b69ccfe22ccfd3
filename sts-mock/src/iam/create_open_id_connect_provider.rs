//! `CreateOpenIDConnectProvider`.

use super::write_tags;
use crate::call::{Call, Reply};
use crate::model::ProviderSpec;
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let spec = ProviderSpec {
        url: call.required("Url").to_string(),
        client_ids: call.list("ClientIDList"),
        thumbprints: call.list("ThumbprintList"),
        tags: call.params.tags("Tags"),
    };
    let provider = call.services.model.create_provider(&call.account, spec)?;
    let mut xml = Xml::new();
    xml.leaf("OpenIDConnectProviderArn", &provider.arn(&call.account));
    if !provider.tags.is_empty() {
        write_tags(&mut xml, &provider.tags);
    }
    Ok(xml.into_string())
}
