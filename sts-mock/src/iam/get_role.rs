//! `GetRole`.

use super::{role, write_role, RoleView};
use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let role = role(call)?;
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
