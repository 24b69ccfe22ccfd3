//! IAM's semantic checks, the ones its service model cannot express: quotas, URL rules,
//! duplicate tag keys. Called only by the model's methods, so every entry point applies them.

use std::collections::BTreeMap;

use super::{Account, Tag};
use crate::error::{AwsError, ErrorCode};

/// IAM's default quotas on entities per account (IAM User Guide, "IAM and AWS STS quotas").
/// They also bound what a client can make the emulator hold.
pub const MAX_ROLES_PER_ACCOUNT: usize = 1000;
/// OIDC providers per account (IAM quotas).
pub const MAX_PROVIDERS_PER_ACCOUNT: usize = 100;
/// Not an AWS quota: the emulator holds at most this many accounts with anything in them, so
/// access keys naming ever new accounts cannot grow it without bound.
pub const MAX_ACCOUNTS: usize = 1000;
/// Client IDs per provider (IAM quotas).
pub const MAX_CLIENT_IDS: usize = 100;
/// Thumbprints per provider (IAM API reference).
pub const MAX_THUMBPRINTS: usize = 5;
/// Tags per entity (IAM quotas).
pub const MAX_TAGS: usize = 50;
/// The trust policy quota (ACLSizePerRole, default 2048 characters).
pub const TRUST_POLICY_MAX: usize = 2048;
/// The quota on all inline policies of a role together.
pub const ROLE_INLINE_POLICIES_MAX: usize = 10240;
/// The size quota of a managed policy version (IAM quotas: 6,144 characters).
pub const MANAGED_POLICY_MAX: usize = 6144;
/// Customer managed policies per account (IAM quotas, default 1,500).
pub const MAX_POLICIES_PER_ACCOUNT: usize = 1500;
/// Versions a managed policy keeps (IAM quotas: 5).
pub const MAX_POLICY_VERSIONS: usize = 5;
/// Managed policies attached to one role (IAM quotas, default 10).
pub const MAX_ATTACHED_POLICIES_PER_ROLE: usize = 10;

/// The managed policy size quota ("Cannot exceed quota for PolicySize: 6144", as AWS answers).
pub fn managed_policy_size(doc: &str) -> Result<(), AwsError> {
    if policy_size(doc) > MANAGED_POLICY_MAX {
        return Err(AwsError::quota("PolicySize", MANAGED_POLICY_MAX));
    }
    Ok(())
}

/// IAM's size of a policy: characters, not counting white space (IAM User Guide, "IAM and AWS
/// STS quotas"). Guess: white space inside strings is not counted either.
pub fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

/// A twelve-digit AWS account ID.
pub fn account_id(id: &str) -> Result<(), AwsError> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        // Guess: an emulator check (the account comes from the caller's credentials on AWS).
        Err(AwsError::validation_message(format!(
            "{id:?} is not an AWS account ID (twelve digits)"
        )))
    }
}

/// A new account may only appear while fewer than [`MAX_ACCOUNTS`] exist.
pub fn account_quota(accounts: &BTreeMap<String, Account>, account: &str) -> Result<(), AwsError> {
    if !accounts.contains_key(account) && accounts.len() >= MAX_ACCOUNTS {
        // Guess: an emulator limit, worded like IAM's quotas.
        return Err(AwsError::new(
            ErrorCode::LimitExceeded,
            format!("Cannot exceed the emulator's quota of {MAX_ACCOUNTS} accounts"),
        ));
    }
    Ok(())
}

/// The URL of an OIDC provider: `https://host[/path]`.
pub fn provider_url(url: &str) -> Result<(), AwsError> {
    let invalid =
        || AwsError::validation_message("Invalid Open ID Connect Provider URL".to_string());
    let parsed = url::Url::parse(url).map_err(|_| invalid())?;
    if parsed.host_str().unwrap_or_default().is_empty() {
        return Err(invalid());
    }
    if parsed.scheme() != "https" {
        // Guess: AWS's wording for a non-https URL.
        return Err(AwsError::new(
            ErrorCode::InvalidInput,
            "Invalid Open ID Connect Provider URL. The URL must begin with https://.",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        // Guess: AWS refuses queries, fragments and credentials in the URL as InvalidInput.
        return Err(AwsError::new(
            ErrorCode::InvalidInput,
            "Invalid Open ID Connect Provider URL.",
        ));
    }
    Ok(())
}

/// At most [`MAX_CLIENT_IDS`] client IDs.
pub fn client_id_count(n: usize) -> Result<(), AwsError> {
    if n > MAX_CLIENT_IDS {
        return Err(AwsError::quota(
            "ClientIdsPerOpenIdConnectProvider",
            MAX_CLIENT_IDS,
        ));
    }
    Ok(())
}

/// At most [`MAX_THUMBPRINTS`] thumbprints.
pub fn thumbprint_count(n: usize) -> Result<(), AwsError> {
    if n > MAX_THUMBPRINTS {
        return Err(AwsError::new(
            ErrorCode::InvalidInput,
            format!("Thumbprint list must contain fewer than {MAX_THUMBPRINTS} entries."),
        ));
    }
    Ok(())
}

/// New tags for an entity that has `existing`: keys unique regardless of case, and at most
/// [`MAX_TAGS`] once merged.
/// `entity` names the quota (`Role` gives `TagsPerRole`).
pub fn tags(new: &[Tag], existing: &[Tag], entity: &str) -> Result<(), AwsError> {
    for (i, t) in new.iter().enumerate() {
        if new[..i].iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(AwsError::duplicate_tag_keys(ErrorCode::InvalidInput));
        }
    }
    let mut merged = existing.to_vec();
    merge_tags(&mut merged, new);
    if merged.len() > MAX_TAGS {
        // Guess: the quota name in AWS's message.
        return Err(AwsError::quota(&format!("TagsPer{entity}"), MAX_TAGS));
    }
    Ok(())
}

/// Merges `new` into `tags`: an existing key (compared without case) gets the new value.
pub fn merge_tags(tags: &mut Vec<Tag>, new: &[Tag]) {
    for n in new {
        match tags.iter_mut().find(|t| t.key.eq_ignore_ascii_case(&n.key)) {
            Some(t) => t.value = n.value.clone(),
            None => tags.push(n.clone()),
        }
    }
}

/// The trust policy quota.
pub fn trust_policy_size(doc: &str) -> Result<(), AwsError> {
    if policy_size(doc) > TRUST_POLICY_MAX {
        return Err(AwsError::quota("ACLSizePerRole", TRUST_POLICY_MAX));
    }
    Ok(())
}

/// The aggregate inline policy quota of a role.
pub fn inline_policies_size<'a>(
    role: &str,
    documents: impl Iterator<Item = &'a str>,
) -> Result<(), AwsError> {
    // Guess: AWS counts the documents only; the wording is moto's, matching reports from AWS.
    let total: usize = documents.map(policy_size).sum();
    if total > ROLE_INLINE_POLICIES_MAX {
        return Err(AwsError::new(
            ErrorCode::LimitExceeded,
            format!(
                "Maximum policy size of {ROLE_INLINE_POLICIES_MAX} bytes exceeded for role {role}"
            ),
        ));
    }
    Ok(())
}
