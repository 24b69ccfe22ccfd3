//! `DeleteOpenIDConnectProvider`. Idempotent, as AWS documents it: deleting a provider that
//! does not exist succeeds. Roles trusting it stay, and can no longer be assumed with its tokens.

use super::Call;
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    match call.provider() {
        Ok((_, p)) => {
            call.model.remove_provider(&call.account, &p.url)?;
            Ok(String::new())
        }
        Err(e) if e.code == "NoSuchEntity" => Ok(String::new()),
        Err(e) => Err(e),
    }
}
