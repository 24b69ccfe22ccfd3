//! `UpdateOpenIDConnectProviderThumbprint`: replaces the thumbprint list.

use super::{validate, Call};
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let thumbprints = call.list("ThumbprintList");
    if thumbprints.is_empty() && !call.params.has_prefix("ThumbprintList") {
        call.required("ThumbprintList")?;
    }
    let mut c = validate::Checks::new();
    validate::thumbprints(&mut c, &thumbprints);
    c.finish()?;
    validate::thumbprint_count(thumbprints.len())?;
    let (_, p) = call.provider()?;
    call.model.update_provider(&call.account, &p.url, |p| {
        p.thumbprints = thumbprints;
        Ok(())
    })?;
    Ok(String::new())
}
