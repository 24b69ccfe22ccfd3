//! `GetRolePolicy`: an inline policy's document, URL-encoded as IAM returns it.

use super::{url_encode, validate, Call};
use crate::query::{AwsError, Xml};

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let name = call.required("RoleName")?;
    let policy_name = call.required("PolicyName")?;
    let mut c = validate::Checks::new();
    validate::role_name(&mut c, name);
    validate::policy_name_checks(&mut c, policy_name);
    c.finish()?;
    let role = call.role(name)?;
    let (document, _) = role
        .inline_policies
        .get(policy_name)
        .ok_or_else(|| no_such_policy(policy_name))?;
    let mut xml = Xml::new();
    xml.leaf("RoleName", &role.name)
        .leaf("PolicyName", policy_name)
        .leaf("PolicyDocument", &url_encode(document));
    Ok(xml.into_string())
}

pub fn no_such_policy(policy_name: &str) -> AwsError {
    AwsError::new(
        "NoSuchEntity",
        404,
        format!("The role policy with name {policy_name} cannot be found."),
    )
}
