//! `DeleteOpenIDConnectProvider`: deleting a provider that does not exist is no error (the IAM
//! API reference: "This operation is idempotent; it does not fail or return an error if you
//! call the operation for a provider that does not exist").

use crate::call::{Call, Reply};
use crate::error::ErrorCode;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let arn = call.required("OpenIDConnectProviderArn");
    match call.services.model.delete_provider(&call.account, arn) {
        Ok(_) => Ok(String::new()),
        Err(e) if e.code == ErrorCode::NoSuchEntity => Ok(String::new()),
        Err(e) => Err(e),
    }
}
