//! `DeleteRolePolicy`: removes an inline policy.

use super::get_role_policy::no_such_policy;
use super::{validate, Call};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let name = call.required("RoleName")?;
    let policy_name = call.required("PolicyName")?;
    let mut c = validate::Checks::new();
    validate::role_name(&mut c, name);
    validate::policy_name_checks(&mut c, policy_name);
    c.finish()?;
    call.role(name)?;
    call.model
        .update_role(&call.account, name, |r| {
            r.inline_policies
                .remove(policy_name)
                .map(|_| ())
                .ok_or_else(|| crate::model::ModelError::NoSuchEntity(String::new()))
        })
        .map_err(|_| no_such_policy(policy_name))?;
    Ok(String::new())
}
