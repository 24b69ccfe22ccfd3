//! `AddClientIDToOpenIDConnectProvider`: one more audience; adding one already there is a no-op.

use super::{validate, Call};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let client_id = call.required("ClientID")?;
    let mut c = validate::Checks::new();
    validate::client_id(&mut c, client_id);
    c.finish()?;
    let (_, p) = call.provider()?;
    call.model
        .update_provider(&call.account, &p.url, |p| {
            if !p.client_ids.iter().any(|id| id == client_id) {
                validate::client_id_count(p.client_ids.len() + 1)
                    .map_err(|e| crate::model::ModelError::Invalid(e.to_string()))?;
                p.client_ids.push(client_id.to_string());
            }
            Ok(())
        })
        .map_err(|e| match e {
            // The only `Invalid` raised above is the client-ID quota.
            crate::model::ModelError::Invalid(m) => AwsError::new("LimitExceeded", 409, m),
            other => other.into(),
        })?;
    Ok(String::new())
}
