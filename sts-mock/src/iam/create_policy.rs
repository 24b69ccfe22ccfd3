//! `CreatePolicy`: a customer managed policy, version `v1` its default.

use super::{write_policy, PolicyFields};
use crate::call::{Call, Reply};
use crate::model::PolicySpec;
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let spec = PolicySpec {
        name: call.required("PolicyName").to_string(),
        path: call.get("Path").unwrap_or("/").to_string(),
        document: call.required("PolicyDocument").to_string(),
        description: call.get("Description").map(str::to_string),
        tags: call.params.tags("Tags"),
    };
    let policy = call.services.model.create_policy(&call.account, spec)?;
    let mut xml = Xml::new();
    xml.open("Policy");
    write_policy(&mut xml, &policy, 0, 0, PolicyFields::CREATED);
    xml.close("Policy");
    Ok(xml.into_string())
}
