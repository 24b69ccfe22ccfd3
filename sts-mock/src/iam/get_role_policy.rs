//! `GetRolePolicy`: an inline policy's document, URL-encoded as IAM returns it.

use super::{role, url_encode};
use crate::call::{Call, Reply};
use crate::model::no_such_role_policy;
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let role = role(call)?;
    let policy_name = call.required("PolicyName");
    let document = role
        .inline_policies
        .get(policy_name)
        .ok_or_else(|| no_such_role_policy(policy_name))?;
    let mut xml = Xml::new();
    xml.leaf("RoleName", &role.name)
        .leaf("PolicyName", policy_name)
        .leaf("PolicyDocument", &url_encode(&document.text));
    Ok(xml.into_string())
}
