//! `UpdateRole`: a role's description and maximum session duration.

use super::{validate, Call};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let name = call.role_name()?;
    let description = call.get("Description");
    let max = call.integer("MaxSessionDuration")?;
    let mut c = validate::Checks::new();
    if let Some(d) = description {
        c.length("Description", d, 0, 1000);
        c.pattern(
            "Description",
            d,
            validate::is_description(d),
            validate::DESCRIPTION_PATTERN,
        );
    }
    if let Some(m) = max {
        c.range("MaxSessionDuration", m, 3600, 43200);
    }
    c.finish()?;
    call.model.update_role(&call.account, name, |r| {
        if let Some(d) = description {
            r.description = Some(d.to_string());
        }
        if let Some(m) = max {
            r.max_session_duration = m as u32;
        }
        Ok(())
    })?;
    Ok(String::new())
}
