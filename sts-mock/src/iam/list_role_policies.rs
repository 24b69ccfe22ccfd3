//! `ListRolePolicies`: the names of a role's inline policies, paged.

use super::Call;
use crate::query::{AwsError, Xml};

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let role = call.role(call.role_name()?)?;
    let (start, max) = call.page()?;
    let names: Vec<&String> = role.inline_policies.keys().collect();
    let page: Vec<_> = names.iter().skip(start).take(max).collect();
    let truncated = start + page.len() < names.len();
    let mut xml = Xml::new();
    xml.open("PolicyNames");
    for n in &page {
        xml.leaf("member", n);
    }
    xml.close("PolicyNames")
        .leaf("IsTruncated", if truncated { "true" } else { "false" });
    if truncated {
        xml.leaf("Marker", &(start + page.len()).to_string());
    }
    Ok(xml.into_string())
}
