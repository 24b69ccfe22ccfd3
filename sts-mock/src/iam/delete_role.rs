//! `DeleteRole`: refused with `DeleteConflict` while the role still has inline policies.

use super::Call;
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let name = call.role_name()?;
    call.model.remove_role(&call.account, name)?;
    Ok(String::new())
}
