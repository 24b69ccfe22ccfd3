//! `UntagRole`: removes tags by key (keys compare without case, as IAM's do); absent keys are
//! ignored.

use super::{validate, Call};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let name = call.role_name()?;
    let keys = call.list("TagKeys");
    if keys.is_empty() {
        call.required("TagKeys")?;
    }
    let mut c = validate::Checks::new();
    c.list_length("TagKeys", keys.len(), 50);
    c.finish()?;
    call.model.update_role(&call.account, name, |r| {
        r.tags
            .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        Ok(())
    })?;
    Ok(String::new())
}
