//! `UpdateAssumeRolePolicy`: replaces a role's trust policy (same checks as `CreateRole`).

use super::{validate, Call};
use crate::policy::{Policy, PolicyKind};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let name = call.required("RoleName")?;
    let document = call.required("PolicyDocument")?;
    let mut c = validate::Checks::new();
    validate::role_name(&mut c, name);
    validate::policy_document(&mut c, "PolicyDocument", document);
    c.finish()?;
    call.role(name)?;
    let policy = Policy::parse(document, PolicyKind::Trust)
        .map_err(|e| AwsError::new("MalformedPolicyDocument", 400, e.message))?
        .labelled("trust policy");
    validate::trust_policy_size(document)?;
    call.model.update_role(&call.account, name, |r| {
        r.trust_policy_document = document.to_string();
        r.trust_policy = policy;
        Ok(())
    })?;
    Ok(String::new())
}
