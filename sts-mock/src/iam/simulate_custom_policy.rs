//! `SimulateCustomPolicy`: evaluates the identity policies given in the request.

use super::simulate::{input_policies, simulate};
use super::Call;
use crate::query::AwsError;

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let sources = input_policies(call, true)?;
    simulate(call, &sources)
}
