//! `SimulatePrincipalPolicy`: evaluates a role's inline permission policies (plus any given in
//! `PolicyInputList`). This is how `aws iam simulate-principal-policy` tells whether the assumed
//! role may do what the connection needs, e.g. `account:ListRegions`.

use super::simulate::{input_policies, simulate, Source};
use super::{no_such_role, Call};
use crate::actions::parse_arn;
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let arn = call.required("PolicySourceArn")?;
    let parsed = parse_arn(arn)
        .ok_or_else(|| AwsError::new("InvalidInput", 400, format!("Invalid ARN: {arn}")))?;
    // Only roles exist here; users and groups are unknown entities.
    let name = parsed
        .role_name()
        .filter(|_| parsed.account == call.account)
        .ok_or_else(|| {
            // Guess: AWS's wording for a principal it cannot find.
            AwsError::new(
                "NoSuchEntity",
                404,
                format!("The entity {arn} cannot be found."),
            )
        })?;
    let role = call
        .model
        .role(&call.account, name)
        .filter(|r| r.arn() == arn)
        .ok_or_else(|| no_such_role(name))?;
    let mut sources: Vec<Source> = role
        .inline_policies
        .iter()
        .map(|(n, (document, policy))| Source::new(n.clone(), "role", policy.clone(), document))
        .collect();
    sources.extend(input_policies(call, false)?);
    simulate(call, &sources)
}
