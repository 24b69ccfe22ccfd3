//! `GetRole`: one role, its trust policy URL-encoded as IAM returns it.

use super::{write_role, Call, RoleView};
use crate::query::{AwsError, Xml};

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let role = call.role(call.role_name()?)?;
    let mut xml = Xml::new();
    xml.open("Role");
    write_role(
        &mut xml,
        &role,
        RoleView {
            max_session_duration: true,
            tags: true,
            role_last_used: true,
        },
    );
    xml.close("Role");
    Ok(xml.into_string())
}
