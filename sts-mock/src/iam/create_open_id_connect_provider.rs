//! `CreateOpenIDConnectProvider`: registers an issuer URL with its client IDs (audiences) in
//! the caller's account.

use super::{to_tags, validate, write_tags, Call};
use crate::query::{AwsError, Xml};

pub fn handle(call: &Call<'_>) -> Result<String, AwsError> {
    let url = call.required("Url")?;
    let client_ids = call.list("ClientIDList");
    let thumbprints = call.list("ThumbprintList");
    let tags = call.tags("Tags");
    validate::provider(url, &client_ids, &thumbprints, &tags)?;
    let accounts = call.model.accounts();
    validate::entity_quota(
        "OpenIdConnectProvidersPerAccount",
        call.model.providers(&call.account).len(),
        validate::MAX_PROVIDERS_PER_ACCOUNT,
        !accounts.contains(&call.account),
        accounts.len(),
    )?;
    // IAM keeps each client ID once.
    let mut unique: Vec<String> = Vec::new();
    for id in client_ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    let provider = call
        .model
        .add_provider(&call.account, url, unique, thumbprints)?;
    let arn = provider.arn(&call.account);
    let tags = to_tags(&tags);
    if !tags.is_empty() {
        let t = tags.clone();
        call.model.update_provider(&call.account, url, |p| {
            p.tags = t;
            Ok(())
        })?;
    }
    let mut xml = Xml::new();
    xml.leaf("OpenIDConnectProviderArn", &arn);
    if !tags.is_empty() {
        write_tags(&mut xml, &tags);
    }
    Ok(xml.into_string())
}
