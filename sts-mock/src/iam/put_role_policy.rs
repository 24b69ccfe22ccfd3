//! `PutRolePolicy`: adds or replaces an inline permission policy, checked as an identity
//! policy (a `Principal` is `MalformedPolicyDocument`) and against the role's size quota.

use super::{validate, Call};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let name = call.required("RoleName")?;
    let policy_name = call.required("PolicyName")?;
    let document = call.required("PolicyDocument")?;
    let mut c = validate::Checks::new();
    validate::role_name(&mut c, name);
    validate::policy_name_checks(&mut c, policy_name);
    validate::policy_document(&mut c, "PolicyDocument", document);
    c.finish()?;
    let role = call.role(name)?;
    crate::policy::Policy::parse(document, crate::policy::PolicyKind::Identity)
        .map_err(|e| AwsError::new("MalformedPolicyDocument", 400, e.message))?;
    let others = role
        .inline_policies
        .iter()
        .filter(|(n, _)| n.as_str() != policy_name)
        .map(|(n, (d, _))| (n.as_str(), d.as_str()));
    validate::inline_policies_size(&role.name, others.chain([(policy_name, document)]))?;
    call.model
        .put_role_policy(&call.account, name, policy_name, document)?;
    Ok(String::new())
}
