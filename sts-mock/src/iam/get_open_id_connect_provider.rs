//! `GetOpenIDConnectProvider`.

use super::write_tags;
use crate::call::{Call, Reply};
use crate::query::Xml;
use crate::time_format::iso8601;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let arn = call.required("OpenIDConnectProviderArn");
    let p = call.services.model.provider_by_arn(&call.account, arn)?;
    let mut xml = Xml::new();
    xml.leaf("Url", &p.url).open("ClientIDList");
    for id in &p.client_ids {
        xml.leaf("member", id);
    }
    xml.close("ClientIDList").open("ThumbprintList");
    for t in &p.thumbprints {
        xml.leaf("member", t);
    }
    xml.close("ThumbprintList")
        .leaf("CreateDate", &iso8601(p.create_date));
    write_tags(&mut xml, &p.tags);
    Ok(xml.into_string())
}
