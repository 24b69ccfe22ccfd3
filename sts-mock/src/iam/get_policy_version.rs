//! `GetPolicyVersion`: one version's document, URL-encoded as IAM returns documents.

use super::write_policy_version;
use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let (version, default) = call.services.model.policy_version(
        &call.account,
        call.required("PolicyArn"),
        call.required("VersionId"),
    )?;
    let mut xml = Xml::new();
    xml.open("PolicyVersion");
    write_policy_version(&mut xml, &version, default, true);
    xml.close("PolicyVersion");
    Ok(xml.into_string())
}
