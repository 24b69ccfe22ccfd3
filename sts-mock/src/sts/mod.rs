//! The STS actions, one file each.

pub mod assume_role;
pub mod assume_role_with_web_identity;
pub mod get_caller_identity;
pub mod get_web_identity_token;

use crate::credentials::IssuedCredentials;
use crate::query::Xml;
use crate::time_format::iso8601;

/// `<Credentials>` of an assume answer (AssumeRole, AssumeRoleWithWebIdentity): the members in
/// the model's order.
pub fn write_credentials(xml: &mut Xml, issued: &IssuedCredentials) {
    xml.open("Credentials")
        .leaf("AccessKeyId", &issued.access_key_id)
        .leaf("SecretAccessKey", &issued.secret_access_key)
        .leaf("SessionToken", &issued.session_token)
        .leaf("Expiration", &iso8601(issued.expiration))
        .close("Credentials");
}

/// `<AssumedRoleUser>`: `AssumedRoleId` (`ROLEID:SESSION`) and the session's ARN.
pub fn write_assumed_role_user(xml: &mut Xml, role_id: &str, session_name: &str, arn: &str) {
    xml.open("AssumedRoleUser")
        .leaf("AssumedRoleId", &format!("{role_id}:{session_name}"))
        .leaf("Arn", arn)
        .close("AssumedRoleUser");
}
