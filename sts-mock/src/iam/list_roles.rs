//! `ListRoles`: the account's roles under `PathPrefix`, paged with `MaxItems`/`Marker`.

use super::{page, write_paging, write_role, RoleView};
use crate::call::{Call, Reply};
use crate::query::Xml;

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let prefix = call.get("PathPrefix").unwrap_or("/");
    let (start, max) = page(call)?;
    let mut roles = call.services.model.roles(&call.account);
    roles.retain(|r| r.path.starts_with(prefix));
    roles.sort_by(|a, b| {
        a.name
            .to_ascii_lowercase()
            .cmp(&b.name.to_ascii_lowercase())
    });
    let page: Vec<_> = roles.iter().skip(start).take(max).collect();
    let mut xml = Xml::new();
    xml.open("Roles");
    for role in &page {
        xml.open("member");
        write_role(
            &mut xml,
            role,
            RoleView {
                max_session_duration: true,
                tags: false,
                role_last_used: false,
            },
        );
        xml.close("member");
    }
    xml.close("Roles");
    write_paging(&mut xml, start + page.len(), roles.len());
    Ok(xml.into_string())
}
