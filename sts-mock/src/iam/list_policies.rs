//! `ListPolicies`: the account's customer managed policies (`Scope` `Local` or `All`; AWS
//! managed policies are not emulated, so `AWS` lists none), filtered by `OnlyAttached`,
//! `PathPrefix` and `PolicyUsageFilter`, by name, paged.

use super::{page, write_paging, write_policy, PolicyFields};
use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let (start, max) = page(call)?;
    let prefix = call.get("PathPrefix").unwrap_or("/");
    let only_attached = call.get("OnlyAttached") == Some("true");
    let mut views = match call.get("Scope") {
        Some("AWS") => Vec::new(),
        _ => call.services.model.policies(&call.account),
    };
    views.retain(|v| {
        v.policy.path.starts_with(prefix)
            && (!only_attached || v.attachments > 0)
            && match call.get("PolicyUsageFilter") {
                Some("PermissionsPolicy") => v.attachments > 0,
                Some("PermissionsBoundary") => v.boundary_usage > 0,
                _ => true,
            }
    });
    let page: Vec<_> = views.iter().skip(start).take(max).collect();
    let mut xml = Xml::new();
    xml.open("Policies");
    for v in &page {
        xml.open("member");
        write_policy(
            &mut xml,
            &v.policy,
            v.attachments,
            v.boundary_usage,
            PolicyFields::LISTED,
        );
        xml.close("member");
    }
    xml.close("Policies");
    write_paging(&mut xml, start + page.len(), views.len());
    Ok(xml.into_string())
}
