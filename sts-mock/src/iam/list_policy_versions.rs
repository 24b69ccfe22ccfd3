//! `ListPolicyVersions`: a policy's versions (without their documents, as IAM lists them),
//! newest first, paged. Guess: AWS's order.

use super::{page, write_paging, write_policy_version};
use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let (start, max) = page(call)?;
    let view = call
        .services
        .model
        .get_policy(&call.account, call.required("PolicyArn"))?;
    let versions: Vec<_> = view.policy.versions.iter().rev().collect();
    let page: Vec<_> = versions.iter().skip(start).take(max).collect();
    let mut xml = Xml::new();
    xml.open("Versions");
    for v in &page {
        xml.open("member");
        write_policy_version(&mut xml, v, v.id == view.policy.default_version, false);
        xml.close("member");
    }
    xml.close("Versions");
    write_paging(&mut xml, start + page.len(), versions.len());
    Ok(xml.into_string())
}
