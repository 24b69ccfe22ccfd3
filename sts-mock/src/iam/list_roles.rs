//! `ListRoles`: the account's roles under `PathPrefix`, paged with `MaxItems`/`Marker`.

use super::{validate, write_role, Call, RoleView};
use crate::query::{AwsError, Xml};

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let prefix = call.get("PathPrefix").unwrap_or("/");
    let mut c = validate::Checks::new();
    c.length("PathPrefix", prefix, 1, 512);
    c.pattern(
        "PathPrefix",
        prefix,
        validate::is_path_prefix(prefix),
        validate::PATH_PREFIX_PATTERN,
    );
    c.finish()?;
    let (start, max) = call.page()?;
    let mut roles = call.model.roles(&call.account);
    roles.retain(|r| r.path.starts_with(prefix));
    roles.sort_by(|a, b| {
        a.name
            .to_ascii_lowercase()
            .cmp(&b.name.to_ascii_lowercase())
    });
    let page: Vec<_> = roles.iter().skip(start).take(max).collect();
    let truncated = start + page.len() < roles.len();
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
    xml.close("Roles")
        .leaf("IsTruncated", if truncated { "true" } else { "false" });
    if truncated {
        xml.leaf("Marker", &(start + page.len()).to_string());
    }
    Ok(xml.into_string())
}
