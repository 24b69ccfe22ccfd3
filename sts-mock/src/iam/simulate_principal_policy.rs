//! `SimulatePrincipalPolicy`: evaluates a role's permission policies, inline and attached
//! managed (plus any given in `PolicyInputList`), capped by its permissions boundary. This is how `aws iam simulate-principal-policy` tells whether the assumed
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
    let model = &call.services.model;
    for arn in &role.attached_policies {
        // A customer managed policy is `user-managed` (the model's PolicySourceType enum), named
        // by its name. Guess: AWS names it so in SourcePolicyId.
        if let Some(policy) = model.managed_policy(&call.account, arn) {
            if let Some(doc) = policy.document() {
                sources.push(Source::new(
                    policy.name.clone(),
                    "user-managed",
                    doc.policy.clone(),
                    &doc.text,
                ));
            }
        }
    }
    sources.extend(input_policies(call)?);
    let boundary = model.role_permissions(&role).boundary.map(|(_, doc)| {
        // A boundary that no longer exists allows nothing.
        doc.map(|d| d.policy).unwrap_or_else(|| {
            crate::policy::Policy::parse(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"*","Resource":"*"}]}"#,
                crate::policy::PolicyKind::Identity,
            )
            .expect("an empty policy parses")
        })
    });
    simulate(call, &sources, boundary)
}
