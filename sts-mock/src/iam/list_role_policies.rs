//! `ListRolePolicies`: the names of a role's inline policies, paged.

use super::{page, role, write_paging};
use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let role = role(call)?;
    let (start, max) = page(call)?;
    let names: Vec<&String> = role.inline_policies.keys().collect();
    let page: Vec<_> = names.iter().skip(start).take(max).collect();
    let mut xml = Xml::new();
    xml.open("PolicyNames");
    for n in &page {
        xml.leaf("member", n);
    }
    xml.close("PolicyNames");
    write_paging(&mut xml, start + page.len(), names.len());
    Ok(xml.into_string())
}
