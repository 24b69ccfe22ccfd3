//! `TagOpenIDConnectProvider`: adds tags or changes their values.

use super::{check_new_tags, merge_tags, Call};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let tags = call.tags("Tags");
    if tags.is_empty() {
        call.required("Tags")?;
    }
    let (_, p) = call.provider()?;
    check_new_tags(&p.tags, &tags, "OpenIdConnectProvider")?;
    call.model.update_provider(&call.account, &p.url, |p| {
        merge_tags(&mut p.tags, &tags);
        Ok(())
    })?;
    Ok(String::new())
}
