//! `TagRole`: adds tags to a role or changes their values.

use super::{check_new_tags, merge_tags, Call};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let name = call.role_name()?;
    let tags = call.tags("Tags");
    if tags.is_empty() {
        call.required("Tags")?;
    }
    let role = call.role(name)?;
    check_new_tags(&role.tags, &tags, "Role")?;
    call.model.update_role(&call.account, name, |r| {
        merge_tags(&mut r.tags, &tags);
        Ok(())
    })?;
    Ok(String::new())
}
