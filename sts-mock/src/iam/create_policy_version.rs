//! `CreatePolicyVersion`: a new version, the default if `SetAsDefault` says so.

use super::write_policy_version;
use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let set_as_default = call.get("SetAsDefault") == Some("true");
    let version = call.services.model.create_policy_version(
        &call.account,
        call.required("PolicyArn"),
        call.required("PolicyDocument"),
        set_as_default,
    )?;
    let mut xml = Xml::new();
    xml.open("PolicyVersion");
    write_policy_version(&mut xml, &version, set_as_default, false);
    xml.close("PolicyVersion");
    Ok(xml.into_string())
}
