//! `ListAttachedRolePolicies`: the managed policies attached to a role, under `PathPrefix`,
//! in the order they were attached, paged.

use super::{page, role, write_paging};
use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let role = role(call)?;
    let (start, max) = page(call)?;
    let prefix = call.get("PathPrefix").unwrap_or("/");
    let attached: Vec<(String, String)> = role
        .attached_policies
        .iter()
        .filter_map(|arn| {
            let policy = call.services.model.managed_policy(&call.account, arn)?;
            policy
                .path
                .starts_with(prefix)
                .then(|| (policy.name.clone(), arn.clone()))
        })
        .collect();
    let page: Vec<_> = attached.iter().skip(start).take(max).collect();
    let mut xml = Xml::new();
    xml.open("AttachedPolicies");
    for (name, arn) in &page {
        xml.open("member")
            .leaf("PolicyName", name)
            .leaf("PolicyArn", arn)
            .close("member");
    }
    xml.close("AttachedPolicies");
    write_paging(&mut xml, start + page.len(), attached.len());
    Ok(xml.into_string())
}
