//! `SimulateCustomPolicy`: evaluates the identity policies given in `PolicyInputList`.

use super::simulate::{input_policies, simulate};
use crate::call::{Call, Reply};

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    let sources = input_policies(call)?;
    simulate(call, &sources, None)
}
