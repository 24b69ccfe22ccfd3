//! `RemoveClientIDFromOpenIDConnectProvider`: idempotent, as AWS documents it.

use super::{validate, Call};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let client_id = call.required("ClientID")?;
    let mut c = validate::Checks::new();
    validate::client_id(&mut c, client_id);
    c.finish()?;
    let (_, p) = call.provider()?;
    call.model.update_provider(&call.account, &p.url, |p| {
        p.client_ids.retain(|id| id != client_id);
        Ok(())
    })?;
    Ok(String::new())
}
