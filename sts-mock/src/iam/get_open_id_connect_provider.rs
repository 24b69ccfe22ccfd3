//! `GetOpenIDConnectProvider`: a provider's URL (without scheme, as AWS answers), client IDs,
//! thumbprints, creation date and tags.

use super::{write_tags, Call};
use crate::actions::iso8601;
use crate::query::{AwsError, Xml};

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let (_, p) = call.provider()?;
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
