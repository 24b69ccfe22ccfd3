//! `GetCallerIdentity`: who signed this request? The dispatcher has already verified the
//! caller ([`crate::caller`]): an assumed-role session answers its assumed-role ARN, an
//! account's administrator its root user (`arn:aws:iam::ACCOUNT:root`, `UserId` the account
//! ID, as AWS answers for root credentials). No permission is needed (STS API reference).

use crate::call::{Call, Reply};
use crate::caller::Caller;
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let (arn, user_id, account) = match &call.caller {
        Caller::Session(claims) => (
            claims.assumed_role_arn.clone(),
            claims.user_id(),
            claims.account_id.clone(),
        ),
        other => {
            let account = other.account(&call.services.default_account).to_string();
            (
                other.arn(&call.services.default_account),
                account.clone(),
                account,
            )
        }
    };
    let mut xml = Xml::new();
    xml.leaf("Arn", &arn)
        .leaf("UserId", &user_id)
        .leaf("Account", &account);
    Ok(xml.into_string())
}
