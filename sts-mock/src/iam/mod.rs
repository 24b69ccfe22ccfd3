//! The IAM Query API (version 2010-05-08) on the STS listener: OIDC providers, roles, inline
//! permission policies and policy simulation, one file per action. Input checks shared with the
//! setup file live in [`validate`]; this file holds what the actions share: which account a
//! call acts in, parameter reading, and the XML of roles, tags and lists.
//!
//! Admin calls accept any SigV4 credentials (as LocalStack and moto do): the access key ID only
//! picks the account, when it is twelve digits; anything else acts in the default account.

mod add_client_id_to_open_id_connect_provider;
mod create_open_id_connect_provider;
mod create_role;
mod delete_open_id_connect_provider;
mod delete_role;
mod delete_role_policy;
mod get_open_id_connect_provider;
mod get_role;
mod get_role_policy;
mod list_open_id_connect_providers;
mod list_role_policies;
mod list_roles;
mod positions;
mod put_role_policy;
mod remove_client_id_from_open_id_connect_provider;
mod simulate;
mod simulate_custom_policy;
mod simulate_principal_policy;
mod tag_open_id_connect_provider;
mod tag_role;
mod untag_role;
mod update_assume_role_policy;
mod update_open_id_connect_provider_thumbprint;
mod update_role;
pub mod validate;

use crate::actions::{iso8601, parse_arn};
use crate::model::{provider_key, Model, ModelError, OidcProvider, Role, Tag};
use crate::query::{AwsError, Params, Xml};
use crate::sigv4::{access_key_id_of, SignedRequest};
use crate::state::{Snapshot, StateFile};
use validate::Invalid;

/// The IAM API version clients send.
pub const IAM_VERSION: &str = "2010-05-08";

/// How the IAM API behaves beyond the model: the default account and where state is kept.
#[derive(Debug, Clone)]
pub struct IamOptions {
    /// The account of calls whose access key ID is not twelve digits.
    pub default_account: String,
    /// Written after every successful change (`--state FILE`).
    pub state_file: Option<StateFile>,
}

impl Default for IamOptions {
    fn default() -> Self {
        IamOptions {
            default_account: crate::model::DEFAULT_ACCOUNT.to_string(),
            state_file: None,
        }
    }
}

/// One IAM call: the model, the account it acts in, its parameters.
pub struct Call<'a> {
    pub model: &'a Model,
    pub account: String,
    pub params: &'a Params,
}

type Handler = fn(&Call<'_>) -> Result<String, AwsError>;

/// Every IAM action served: name, handler, whether it changes the model.
const ACTIONS: &[(&str, Handler, bool)] = &[
    (
        "CreateOpenIDConnectProvider",
        create_open_id_connect_provider::handle,
        true,
    ),
    (
        "GetOpenIDConnectProvider",
        get_open_id_connect_provider::handle,
        false,
    ),
    (
        "ListOpenIDConnectProviders",
        list_open_id_connect_providers::handle,
        false,
    ),
    (
        "DeleteOpenIDConnectProvider",
        delete_open_id_connect_provider::handle,
        true,
    ),
    (
        "AddClientIDToOpenIDConnectProvider",
        add_client_id_to_open_id_connect_provider::handle,
        true,
    ),
    (
        "RemoveClientIDFromOpenIDConnectProvider",
        remove_client_id_from_open_id_connect_provider::handle,
        true,
    ),
    (
        "UpdateOpenIDConnectProviderThumbprint",
        update_open_id_connect_provider_thumbprint::handle,
        true,
    ),
    (
        "TagOpenIDConnectProvider",
        tag_open_id_connect_provider::handle,
        true,
    ),
    ("CreateRole", create_role::handle, true),
    ("GetRole", get_role::handle, false),
    ("ListRoles", list_roles::handle, false),
    ("UpdateRole", update_role::handle, true),
    ("DeleteRole", delete_role::handle, true),
    (
        "UpdateAssumeRolePolicy",
        update_assume_role_policy::handle,
        true,
    ),
    ("TagRole", tag_role::handle, true),
    ("UntagRole", untag_role::handle, true),
    ("PutRolePolicy", put_role_policy::handle, true),
    ("GetRolePolicy", get_role_policy::handle, false),
    ("ListRolePolicies", list_role_policies::handle, false),
    ("DeleteRolePolicy", delete_role_policy::handle, true),
    (
        "SimulatePrincipalPolicy",
        simulate_principal_policy::handle,
        false,
    ),
    (
        "SimulateCustomPolicy",
        simulate_custom_policy::handle,
        false,
    ),
];

/// The static name of an IAM action, if `action` is one.
pub fn action(action: &str) -> Option<&'static str> {
    ACTIONS
        .iter()
        .find(|(name, ..)| *name == action)
        .map(|(name, ..)| *name)
}

/// The account an admin call acts in (LocalStack's convention).
pub fn account_of(signed: &SignedRequest<'_>, default_account: &str) -> String {
    match access_key_id_of(signed) {
        Some(key) if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) => key,
        _ => default_account.to_string(),
    }
}

/// Runs the IAM action `name` (from [`action`]) and returns its `...Result` XML.
pub fn handle(
    model: &Model,
    options: &IamOptions,
    name: &str,
    params: &Params,
    signed: &SignedRequest<'_>,
) -> Result<String, AwsError> {
    if let Some(version) = params.get("Version") {
        if version != IAM_VERSION {
            return Err(AwsError::new(
                "InvalidAction",
                400,
                format!("Could not find operation {name} for version {version}"),
            ));
        }
    }
    let Some((_, handler, mutates)) = ACTIONS.iter().find(|(n, ..)| *n == name) else {
        return Err(AwsError::new(
            "InvalidAction",
            400,
            format!("Could not find operation {name}"),
        ));
    };
    let call = Call {
        model,
        account: account_of(signed, &options.default_account),
        params,
    };
    let xml = handler(&call)?;
    if *mutates {
        if let Some(file) = &options.state_file {
            persist(model, file)?;
        }
    }
    Ok(xml)
}

/// Writes the model to the state file; serialised so that concurrent calls never interleave
/// and the last write holds the latest model.
fn persist(model: &Model, file: &StateFile) -> Result<(), AwsError> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    file.save(&Snapshot::capture(model)).map_err(|e| {
        tracing::error!(error = %e, "cannot persist IAM state");
        AwsError::new(
            "ServiceFailure",
            500,
            "The change was made but could not be saved to the state file.",
        )
    })
}

// --- errors ---

impl From<Invalid> for AwsError {
    fn from(e: Invalid) -> AwsError {
        match e {
            Invalid::Validation(m) => AwsError::new("ValidationError", 400, m),
            Invalid::Input(m) => AwsError::new("InvalidInput", 400, m),
            Invalid::Limit(m) => AwsError::new("LimitExceeded", 409, m),
            Invalid::Malformed(m) => AwsError::new("MalformedPolicyDocument", 400, m),
        }
    }
}

impl From<ModelError> for AwsError {
    fn from(e: ModelError) -> AwsError {
        match e {
            ModelError::AlreadyExists(m) => AwsError::new("EntityAlreadyExists", 409, m),
            ModelError::NoSuchEntity(m) => AwsError::new("NoSuchEntity", 404, m),
            ModelError::MalformedPolicy(p) => {
                AwsError::new("MalformedPolicyDocument", 400, p.message)
            }
            ModelError::Invalid(m) => AwsError::new("ValidationError", 400, m),
            ModelError::DeleteConflict(m) => AwsError::new("DeleteConflict", 409, m),
        }
    }
}

pub fn no_such_role(name: &str) -> AwsError {
    AwsError::new(
        "NoSuchEntity",
        404,
        format!("The role with name {name} cannot be found."),
    )
}

// --- parameters ---

impl Call<'_> {
    /// A required parameter, or AWS's "Value null ... Member must not be null".
    pub fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.params.get(name).ok_or_else(|| {
            AwsError::constraint(None, &validate::member(name), "Member must not be null")
        })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// `Name.member.N`.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.params.list(name, "")
    }

    /// `Tags.member.N.Key` / `.Value`.
    pub fn tags(&self, name: &str) -> Vec<(String, String)> {
        let keys = self.params.list(name, ".Key");
        keys.into_iter()
            .enumerate()
            .map(|(i, key)| {
                let value = self
                    .params
                    .get(&format!("{name}.member.{}.Value", i + 1))
                    .unwrap_or_default()
                    .to_string();
                (key, value)
            })
            .collect()
    }

    /// A role of this call's account.
    pub fn role(&self, name: &str) -> Result<Role, AwsError> {
        self.model
            .role(&self.account, name)
            .ok_or_else(|| no_such_role(name))
    }

    /// Checks `RoleName`, then returns it.
    pub fn role_name(&self) -> Result<&str, AwsError> {
        let name = self.required("RoleName")?;
        let mut c = validate::Checks::new();
        validate::role_name(&mut c, name);
        c.finish()?;
        Ok(name)
    }

    /// The provider named by `OpenIDConnectProviderArn`, which must be in this call's account.
    pub fn provider(&self) -> Result<(String, OidcProvider), AwsError> {
        let arn = self.required("OpenIDConnectProviderArn")?;
        let mut c = validate::Checks::new();
        c.length("OpenIDConnectProviderArn", arn, 20, 2048);
        c.finish()?;
        let not_found = || {
            AwsError::new(
                "NoSuchEntity",
                404,
                format!("OpenIDConnect Provider not found for arn {arn}"),
            )
        };
        let parsed = parse_arn(arn).ok_or_else(|| {
            // Guess: the message AWS gives for an ARN it cannot parse (aws-recorded shows this
            // wording for policy ARNs).
            AwsError::new("ValidationError", 400, "Invalid ARN:  Could not be parsed!")
        })?;
        let key = parsed
            .resource
            .strip_prefix("oidc-provider/")
            .filter(|_| parsed.service == "iam")
            .ok_or_else(not_found)?;
        if parsed.account != self.account {
            return Err(not_found());
        }
        let provider = self
            .model
            .provider(&self.account, key)
            .ok_or_else(not_found)?;
        Ok((arn.to_string(), provider))
    }

    /// An optional integer parameter; text that is not an integer is refused.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(text) => text.parse::<i64>().map(Some).map_err(|_| {
                // Guess: the Query deserialiser's wording for a non-integer.
                AwsError::new(
                    "MalformedInput",
                    400,
                    format!("Invalid value for {name}: {text}"),
                )
            }),
        }
    }

    /// `MaxItems` and `Marker` for list actions: (start index, page size).
    pub fn page(&self) -> Result<(usize, usize), AwsError> {
        let mut c = validate::Checks::new();
        let max = match self.integer("MaxItems")? {
            None => 100,
            Some(n) => {
                c.range("MaxItems", n, 1, 1000);
                n.clamp(1, 1000) as usize
            }
        };
        c.finish()?;
        let start = match self.get("Marker") {
            None => 0,
            Some(m) => m.parse::<usize>().map_err(|_| {
                // Guess: AWS's answer to a marker it did not issue.
                AwsError::new("InvalidInput", 400, "Invalid Marker.")
            })?,
        };
        Ok((start, max))
    }
}

// --- XML ---

/// Percent-encodes a policy document as IAM returns it (`%7B%22Version%22...`): boto3 and the
/// AWS CLI decode it with `urllib.parse.unquote`, so spaces must be `%20`, never `+`.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn write_tags(xml: &mut Xml, tags: &[Tag]) {
    xml.open("Tags");
    for t in tags {
        xml.open("member")
            .leaf("Key", &t.key)
            .leaf("Value", &t.value)
            .close("member");
    }
    xml.close("Tags");
}

/// Which optional members of `Role` an action returns (aws-recorded: `CreateRole` has neither
/// `MaxSessionDuration` nor `RoleLastUsed`, `GetRole` both, `ListRoles` no `RoleLastUsed`).
#[derive(Clone, Copy)]
pub struct RoleView {
    pub max_session_duration: bool,
    pub tags: bool,
    pub role_last_used: bool,
}

/// A `Role` structure, members in the botocore model's order.
pub fn write_role(xml: &mut Xml, role: &Role, view: RoleView) {
    xml.leaf("Path", &role.path)
        .leaf("RoleName", &role.name)
        .leaf("RoleId", &role.role_id)
        .leaf("Arn", &role.arn())
        .leaf("CreateDate", &iso8601(role.create_date))
        .leaf(
            "AssumeRolePolicyDocument",
            &url_encode(&role.trust_policy_document),
        )
        .leaf_opt("Description", role.description.as_deref());
    if view.max_session_duration {
        xml.leaf("MaxSessionDuration", &role.max_session_duration.to_string());
    }
    if view.tags && !role.tags.is_empty() {
        write_tags(xml, &role.tags);
    }
    if view.role_last_used {
        xml.open("RoleLastUsed").close("RoleLastUsed");
    }
}

pub fn to_tags(pairs: &[(String, String)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Merges `new` into `tags`: an existing key (compared without case) gets the new value.
pub fn merge_tags(tags: &mut Vec<Tag>, new: &[(String, String)]) {
    for (k, v) in new {
        match tags.iter_mut().find(|t| t.key.eq_ignore_ascii_case(k)) {
            Some(t) => t.value = v.clone(),
            None => tags.push(Tag {
                key: k.clone(),
                value: v.clone(),
            }),
        }
    }
}

/// Checks tags given to a `Tag*` action, and the quota on the result.
pub fn check_new_tags(
    existing: &[Tag],
    new: &[(String, String)],
    what: &str,
) -> Result<(), AwsError> {
    let mut c = validate::Checks::new();
    validate::tags(&mut c, new);
    c.finish()?;
    validate::duplicate_tag_keys(new)?;
    let mut merged = existing.to_vec();
    merge_tags(&mut merged, new);
    if merged.len() > 50 {
        // Guess: the quota name in AWS's message.
        return Err(AwsError::new(
            "LimitExceeded",
            409,
            format!("Cannot exceed quota for TagsPer{what}: 50"),
        ));
    }
    Ok(())
}

/// The provider's key (`token.dynatrace.com`) as IAM's model stores it.
pub fn key_of(url: &str) -> String {
    provider_key(url)
}
