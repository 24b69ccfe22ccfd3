//! `ListRegions` (`POST /listRegions`, `account:ListRegions` on
//! `arn:aws:account::ACCOUNT:account`): the regions of the `aws` partition with their opt-in
//! status for the calling account, from botocore's region list (generated into
//! [`crate::aws_model::REGIONS`]): regions launched before March 20, 2019 are
//! `ENABLED_BY_DEFAULT`, later ones opt-in and `DISABLED` (this emulator enables none). Filtered
//! by `RegionOptStatusContains`, paged by `MaxResults` and `NextToken`, by name. This is the
//! call the Dynatrace AWS connector makes with the role's credentials (shared/sources/000).

use serde_json::{json, Value};

use crate::call::{Call, Reply};
use crate::caller::Caller;
use crate::error::{AwsError, ErrorCode};

/// The opt-in status of a region for an account.
fn status(opt_in: bool) -> &'static str {
    if opt_in {
        "DISABLED"
    } else {
        "ENABLED_BY_DEFAULT"
    }
}

/// The handler.
pub fn handle(call: &Call<'_>) -> Reply {
    if let Some(account) = call.get("AccountId").filter(|a| *a != call.account) {
        // No organizations here: another account's regions are out of reach, with the words
        // AWS uses when trusted access is not enabled (quoted from AWS's ADF documentation).
        let principal = match &call.caller {
            Caller::Session(s) => s.assumed_role_arn.clone(),
            other => other.arn(&call.services.default_account),
        };
        let _ = account;
        return Err(AwsError::new(
            ErrorCode::AccessDeniedException,
            format!("User: {principal} is not authorized to perform: account:ListRegions (Your organization must first enable trusted access with AWS Account Management.)"),
        ));
    }
    let wanted = call.list("RegionOptStatusContains");
    let regions: Vec<(&str, &str)> = crate::aws_model::REGIONS
        .iter()
        .map(|(name, opt_in)| (*name, status(*opt_in)))
        .filter(|(_, s)| wanted.is_empty() || wanted.iter().any(|w| w == s))
        .collect();
    let start = match call.get("NextToken") {
        None | Some("") => 0,
        Some(token) => token
            .strip_prefix("r")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= regions.len())
            .ok_or_else(|| {
                // Guess: AWS's answer to a token it did not issue.
                AwsError::new(ErrorCode::ValidationException, "The NextToken is invalid.")
            })?,
    };
    // Guess: without MaxResults, AWS answers every region at once.
    let max = call
        .integer("MaxResults")
        .map(|m| m.clamp(1, 50) as usize)
        .unwrap_or(regions.len().max(1));
    let page: Vec<Value> = regions
        .iter()
        .skip(start)
        .take(max)
        .map(|(name, status)| json!({ "RegionName": name, "RegionOptStatus": status }))
        .collect();
    let next = start + page.len();
    let mut answer = json!({ "Regions": page });
    if next < regions.len() {
        answer["NextToken"] = json!(format!("r{next}"));
    }
    Ok(answer.to_string())
}
