//! `SimulatePrincipalPolicy`: evaluates a role's inline permission policies (plus any given in
//! `PolicyInputList`). This is how `aws iam simulate-principal-policy` tells whether the assumed
//! role may do what the connection needs, e.g. `account:ListRegions`.

use super::simulate::{input_policies, simulate, Source};
use crate::call::{Call, Reply};
use crate::error::{AwsError, ErrorCode};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let arn = call.required("PolicySourceArn");
    let parsed = crate::arn::parse(arn).ok_or_else(AwsError::invalid_arn_iam)?;
    // Only roles exist here; users and groups are unknown entities.
    let role = parsed
        .role_name()
        .filter(|_| parsed.account == call.account)
        .and_then(|_| call.services.model.role_by_arn(arn))
        .ok_or_else(|| {
            // Guess: AWS's wording for a principal it cannot find.
            AwsError::new(
                ErrorCode::NoSuchEntity,
                format!("The entity {arn} cannot be found."),
            )
        })?;
    let mut sources: Vec<Source> = role
        .inline_policies
        .iter()
        .map(|(n, doc)| Source::new(n.clone(), "role", doc.policy.clone(), &doc.text))
        .collect();
    sources.extend(input_policies(call)?);
    simulate(call, &sources)
}
