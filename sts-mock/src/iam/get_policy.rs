//! `GetPolicy`: a managed policy with its usage counts.

use super::{write_policy, PolicyFields};
use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let view = call
        .services
        .model
        .get_policy(&call.account, call.required("PolicyArn"))?;
    let mut xml = Xml::new();
    xml.open("Policy");
    write_policy(
        &mut xml,
        &view.policy,
        view.attachments,
        view.boundary_usage,
        PolicyFields::GOT,
    );
    xml.close("Policy");
    Ok(xml.into_string())
}
