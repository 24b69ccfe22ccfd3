//! The emulated IAM world: accounts, their OIDC providers and their roles. STS reads it; the
//! Rust API, the setup file, the IAM API and `--state` restore all change it through the methods
//! here, which are the one place IAM's checks live:
//!
//! 1. the parameter constraints of the IAM operation that makes the change (the generated
//!    tables of [`crate::aws_model`], so the Rust API and the setup file refuse exactly what the
//!    IAM API refuses, with the same words);
//! 2. the semantic checks (policy grammar, quotas, duplicates, references);
//! 3. the change itself, then, with a state file attached, the save.
//!
//! Every entity lives in its account, as on AWS: a role in account B trusts only providers
//! registered in B.

mod checks;
pub mod idp_controls;
mod policies;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use rig_core::Clock;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use checks::{
    account_id as check_account_id, policy_size, MANAGED_POLICY_MAX, MAX_ACCOUNTS,
    MAX_ATTACHED_POLICIES_PER_ROLE, MAX_CLIENT_IDS, MAX_POLICIES_PER_ACCOUNT, MAX_POLICY_VERSIONS,
    MAX_PROVIDERS_PER_ACCOUNT, MAX_ROLES_PER_ACCOUNT, MAX_THUMBPRINTS, ROLE_INLINE_POLICIES_MAX,
    TRUST_POLICY_MAX,
};
pub use policies::{
    ManagedPolicy, OutboundFederation, PolicySpec, PolicyVersion, PolicyView, RolePermissions,
    OUTBOUND_ISSUER_SUFFIX,
};

use crate::error::{AwsError, ErrorCode};
use crate::policy::{Policy, PolicyKind};
use crate::query::Params;
use crate::shape::{self, Service};
use crate::state::{StateError, StateFile};

/// The account everything lives in unless said otherwise (AWS's documentation account ID, as
/// LocalStack and moto use).
pub const DEFAULT_ACCOUNT: &str = "000000000000";
/// IAM's default `MaxSessionDuration` of a role, in seconds.
pub const DEFAULT_MAX_SESSION_DURATION: u32 = 3600;

/// A tag of an IAM entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The key (unique per entity, compared without case).
    pub key: String,
    /// The value.
    pub value: String,
}

impl Tag {
    /// A tag.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// An IAM OIDC identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProvider {
    /// The issuer without scheme, as IAM keys it: `token.dynatrace.com` (host and optional
    /// path). Also the prefix of its condition keys (`token.dynatrace.com:sub`).
    pub url: String,
    /// The audiences it accepts.
    pub client_ids: Vec<String>,
    /// Certificate thumbprints (stored; not used to verify: AWS trusts well-known CAs).
    pub thumbprints: Vec<String>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
}

impl OidcProvider {
    /// `arn:aws:iam::ACCOUNT:oidc-provider/URL`.
    pub fn arn(&self, account: &str) -> String {
        provider_arn(account, &self.url)
    }
    /// The issuer URL a token must carry in `iss`: `https://` and the key.
    pub fn issuer_url(&self) -> String {
        format!("https://{}", self.url)
    }
}

/// The ARN of `account`'s provider for issuer `url` (normalised by [`provider_key`]).
pub fn provider_arn(account: &str, url: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{}", provider_key(url))
}

/// IAM's key of a provider URL given to `CreateOpenIDConnectProvider`: without `https://`
/// (IAM stores providers without the scheme) and a trailing `/`, the host lower-cased.
/// Guess: AWS compares the path case-sensitively.
pub fn provider_key(url: &str) -> String {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let rest = rest.trim_end_matches('/');
    match rest.split_once('/') {
        Some((host, path)) => format!("{}/{}", host.to_ascii_lowercase(), path),
        None => rest.to_ascii_lowercase(),
    }
}

/// A policy document as the user wrote it, with the engine's parsed form.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    /// The JSON text, byte for byte as given (IAM returns it so).
    pub text: String,
    /// The parsed policy.
    pub policy: Policy,
}

impl PolicyDocument {
    fn parse(text: &str, kind: PolicyKind, label: String) -> Result<PolicyDocument, AwsError> {
        let policy = Policy::parse(text, kind)?.labelled(label);
        Ok(PolicyDocument {
            text: text.to_string(),
            policy,
        })
    }
}

/// An IAM role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    /// Its account.
    pub account_id: String,
    /// Its name (unique per account, compared without case).
    pub name: String,
    /// Its path, `/` or `/a/b/`.
    pub path: String,
    /// `AROA` + 17 characters, stable for the role's life.
    pub role_id: String,
    /// The trust policy.
    #[serde(with = "serde_trust_policy")]
    pub trust_policy: PolicyDocument,
    /// `MaxSessionDuration`, in seconds.
    pub max_session_duration: u32,
    /// The description.
    pub description: Option<String>,
    /// The permissions boundary's ARN.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    /// Inline permission policies by name.
    #[serde(with = "serde_inline_policies")]
    pub inline_policies: BTreeMap<String, PolicyDocument>,
    /// The ARNs of the managed policies attached to it, in the order they were attached.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
}

impl Role {
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account_id, self.path, self.name
        )
    }
}

/// What is needed to create a role (`CreateRole`'s input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    /// `RoleName`.
    pub name: String,
    /// `Path`, default `/`.
    pub path: String,
    /// `AssumeRolePolicyDocument`.
    pub trust_policy: String,
    /// `MaxSessionDuration`, default 3600.
    pub max_session_duration: Option<i64>,
    /// `Description`.
    pub description: Option<String>,
    /// `PermissionsBoundary`.
    pub permissions_boundary: Option<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

impl RoleSpec {
    /// A role called `name` trusting as `trust_policy` says, everything else default.
    pub fn new(name: impl Into<String>, trust_policy: impl Into<String>) -> RoleSpec {
        RoleSpec {
            name: name.into(),
            path: "/".into(),
            trust_policy: trust_policy.into(),
            max_session_duration: None,
            description: None,
            permissions_boundary: None,
            tags: Vec::new(),
        }
    }
}

/// What is needed to create an OIDC provider (`CreateOpenIDConnectProvider`'s input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSpec {
    /// `Url`: `https://host[/path]`.
    pub url: String,
    /// `ClientIDList`.
    pub client_ids: Vec<String>,
    /// `ThumbprintList`.
    pub thumbprints: Vec<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Account {
    #[serde(with = "serde_by_key_providers")]
    providers: BTreeMap<String, OidcProvider>,
    #[serde(with = "serde_by_key_roles")]
    roles: BTreeMap<String, Role>,
    /// Customer managed policies, by name (unique per account).
    #[serde(default, with = "serde_by_key_policies")]
    policies: BTreeMap<String, ManagedPolicy>,
    /// Outbound identity federation (`EnableOutboundWebIdentityFederation`), once enabled.
    #[serde(default)]
    outbound: Option<OutboundFederation>,
}

/// Everything the model holds, in the form a state file keeps.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    accounts: BTreeMap<String, Account>,
}

/// The shared, thread-safe model. Cheap to clone (a handle): clones share everything.
#[derive(Debug, Clone, Default)]
pub struct Model {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    accounts: RwLock<BTreeMap<String, Account>>,
    clock: RwLock<Clock>,
    state: RwLock<Option<StateFile>>,
    /// Held from before a change until it is saved, so saves happen in the order of changes.
    saving: Mutex<()>,
}

/// The characters of AWS IDs (role IDs, access key IDs): RFC 4648 base32.
pub const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `prefix` followed by `len` random [`ID_ALPHABET`] characters (5 random bits each).
pub fn random_id(prefix: &str, len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let mut id = String::with_capacity(prefix.len() + len);
    id.push_str(prefix);
    for _ in 0..len {
        id.push(ID_ALPHABET[rng.gen_range(0..ID_ALPHABET.len())] as char);
    }
    id
}

/// The query-protocol form of a change, checked against its operation's generated shape: the
/// one copy of IAM's parameter constraints, whichever entry point the change comes from.
struct Input(Vec<(String, String)>);

impl Input {
    fn new() -> Input {
        Input(Vec::new())
    }
    fn put(mut self, name: &str, value: &str) -> Input {
        self.0.push((name.to_string(), value.to_string()));
        self
    }
    fn put_opt(self, name: &str, value: Option<&str>) -> Input {
        match value {
            Some(v) => self.put(name, v),
            None => self,
        }
    }
    fn list(mut self, name: &str, values: &[String]) -> Input {
        for (i, v) in values.iter().enumerate() {
            self.0.push((format!("{name}.member.{}", i + 1), v.clone()));
        }
        self
    }
    fn tags(mut self, name: &str, tags: &[Tag]) -> Input {
        for (i, t) in tags.iter().enumerate() {
            self.0
                .push((format!("{name}.member.{}.Key", i + 1), t.key.clone()));
            self.0
                .push((format!("{name}.member.{}.Value", i + 1), t.value.clone()));
        }
        self
    }
    fn check(self, operation: &str) -> Result<(), AwsError> {
        let op = shape::operation(Service::Iam, operation)
            .unwrap_or_else(|| panic!("{operation} is a served IAM operation"));
        shape::validate(op, &Params::from_pairs(self.0))
    }
}

impl Model {
    /// An empty model on the real clock, without a state file.
    pub fn new() -> Model {
        Model::default()
    }

    /// Reads creation times from `clock` (the server's, so every time agrees).
    pub fn use_clock(&self, clock: Clock) {
        *self.inner.clock.write().unwrap_or_else(|e| e.into_inner()) = clock;
    }

    /// Saves the whole model to `file` after every change from now on (and once now).
    pub fn persist_to(&self, file: StateFile) -> Result<(), StateError> {
        let _saving = self.inner.saving.lock().unwrap_or_else(|e| e.into_inner());
        file.save(&self.snapshot())?;
        *self.inner.state.write().unwrap_or_else(|e| e.into_inner()) = Some(file);
        Ok(())
    }

    fn now(&self) -> OffsetDateTime {
        self.inner
            .clock
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .now()
    }

    /// Everything, as a state file keeps it.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            accounts: self.read().clone(),
        }
    }

    /// A model holding exactly `snapshot` (whose policies were re-parsed when it was read).
    pub fn from_snapshot(snapshot: Snapshot) -> Result<Model, String> {
        for (id, account) in &snapshot.accounts {
            checks::account_id(id).map_err(|e| e.message)?;
            for (key, role) in &account.roles {
                if *key != role.name || role.account_id != *id {
                    return Err(format!(
                        "role {key} in account {id} is filed under the wrong name"
                    ));
                }
            }
            for (key, policy) in &account.policies {
                if *key != policy.name || policy.account_id != *id {
                    return Err(format!(
                        "policy {key} in account {id} is filed under the wrong name"
                    ));
                }
                policy.check_versions()?;
            }
        }
        let model = Model::new();
        *model
            .inner
            .accounts
            .write()
            .unwrap_or_else(|e| e.into_inner()) = snapshot.accounts;
        Ok(model)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Account>> {
        self.inner
            .accounts
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `change` to the accounts under the write lock, then saves if a state file is
    /// attached. A refused change leaves everything as it was.
    fn change<T>(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, Account>) -> Result<T, AwsError>,
    ) -> Result<T, AwsError> {
        let state = self
            .inner
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let _saving = state
            .as_ref()
            .map(|_| self.inner.saving.lock().unwrap_or_else(|e| e.into_inner()));
        let (result, snapshot) = {
            let mut accounts = self
                .inner
                .accounts
                .write()
                .unwrap_or_else(|e| e.into_inner());
            let result = change(&mut accounts)?;
            let snapshot = state.as_ref().map(|_| Snapshot {
                accounts: accounts.clone(),
            });
            (result, snapshot)
        };
        if let (Some(file), Some(snapshot)) = (state, snapshot) {
            file.save(&snapshot).map_err(|e| {
                tracing::error!(error = %e, "cannot persist IAM state");
                AwsError::new(
                    ErrorCode::ServiceFailure,
                    "The change was made but could not be saved to the state file.",
                )
            })?;
        }
        Ok(result)
    }

    // --- OIDC providers ---

    /// Registers an OIDC provider for issuer `url` (`https://...`).
    pub fn add_provider(
        &self,
        account: &str,
        url: &str,
        client_ids: Vec<String>,
        thumbprints: Vec<String>,
    ) -> Result<OidcProvider, AwsError> {
        self.create_provider(
            account,
            ProviderSpec {
                url: url.to_string(),
                client_ids,
                thumbprints,
                tags: Vec::new(),
            },
        )
    }

    /// `CreateOpenIDConnectProvider`.
    pub fn create_provider(
        &self,
        account: &str,
        spec: ProviderSpec,
    ) -> Result<OidcProvider, AwsError> {
        Input::new()
            .put("Url", &spec.url)
            .list("ClientIDList", &spec.client_ids)
            .list("ThumbprintList", &spec.thumbprints)
            .tags("Tags", &spec.tags)
            .check("CreateOpenIDConnectProvider")?;
        checks::account_id(account)?;
        checks::provider_url(&spec.url)?;
        checks::thumbprint_count(spec.thumbprints.len())?;
        checks::client_id_count(spec.client_ids.len())?;
        checks::tags(&spec.tags, &[], "OpenIdConnectProvider")?;
        let key = provider_key(&spec.url);
        // IAM keeps each client ID once.
        let mut client_ids: Vec<String> = Vec::new();
        for id in spec.client_ids {
            if !client_ids.contains(&id) {
                client_ids.push(id);
            }
        }
        let provider = OidcProvider {
            url: key.clone(),
            client_ids,
            thumbprints: spec.thumbprints,
            tags: spec.tags,
            create_date: self.now(),
        };
        self.change(|accounts| {
            checks::account_quota(accounts, account)?;
            let entry = accounts.entry(account.to_string()).or_default();
            if entry.providers.contains_key(&key) {
                return Err(AwsError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("Provider with url https://{key} already exists."),
                ));
            }
            if entry.providers.len() >= MAX_PROVIDERS_PER_ACCOUNT {
                return Err(AwsError::quota(
                    "OpenIdConnectProvidersPerAccount",
                    MAX_PROVIDERS_PER_ACCOUNT,
                ));
            }
            entry.providers.insert(key, provider.clone());
            Ok(provider)
        })
    }

    /// The provider of `account` whose ARN is `arn`.
    pub fn provider_by_arn(&self, account: &str, arn: &str) -> Result<OidcProvider, AwsError> {
        let parsed = crate::arn::parse(arn).ok_or_else(AwsError::invalid_arn_iam)?;
        let key = parsed
            .resource
            .strip_prefix("oidc-provider/")
            .filter(|_| parsed.service == "iam" && parsed.account == account)
            .ok_or_else(|| AwsError::no_such_provider(arn))?;
        self.read()
            .get(account)
            .and_then(|a| a.providers.get(key))
            .cloned()
            .ok_or_else(|| AwsError::no_such_provider(arn))
    }

    /// The provider a token with issuer `iss` must come from: IAM provider URLs are https, so
    /// the token's `iss` must be `https://` followed by the provider's URL exactly (a trailing
    /// `/`, another scheme or none at all name no provider, as on AWS). Guess: the host
    /// compares without case, as DNS names do.
    pub fn provider_for_issuer(&self, account: &str, iss: &str) -> Option<OidcProvider> {
        let rest = iss.strip_prefix("https://")?;
        let key = match rest.split_once('/') {
            Some((host, path)) => format!("{}/{}", host.to_ascii_lowercase(), path),
            None => rest.to_ascii_lowercase(),
        };
        self.read().get(account)?.providers.get(&key).cloned()
    }

    /// The provider of `account` for issuer `url` as IAM keys it ([`provider_key`]).
    pub fn provider(&self, account: &str, url: &str) -> Option<OidcProvider> {
        self.read()
            .get(account)?
            .providers
            .get(&provider_key(url))
            .cloned()
    }

    /// Every provider of `account`, by URL.
    pub fn providers(&self, account: &str) -> Vec<OidcProvider> {
        self.read()
            .get(account)
            .map(|a| a.providers.values().cloned().collect())
            .unwrap_or_default()
    }

    fn change_provider(
        &self,
        account: &str,
        arn: &str,
        change: impl FnOnce(&mut OidcProvider) -> Result<(), AwsError>,
    ) -> Result<(), AwsError> {
        let key = self.provider_by_arn(account, arn)?.url;
        self.change(|accounts| {
            let provider = accounts
                .get_mut(account)
                .and_then(|a| a.providers.get_mut(&key))
                .ok_or_else(|| AwsError::no_such_provider(arn))?;
            change(provider)
        })
    }

    /// `AddClientIDToOpenIDConnectProvider` (a client ID already there is not added twice).
    pub fn add_client_id(&self, account: &str, arn: &str, client_id: &str) -> Result<(), AwsError> {
        Input::new()
            .put("OpenIDConnectProviderArn", arn)
            .put("ClientID", client_id)
            .check("AddClientIDToOpenIDConnectProvider")?;
        self.change_provider(account, arn, |p| {
            if !p.client_ids.iter().any(|id| id == client_id) {
                checks::client_id_count(p.client_ids.len() + 1)?;
                p.client_ids.push(client_id.to_string());
            }
            Ok(())
        })
    }

    /// `RemoveClientIDFromOpenIDConnectProvider` (an absent client ID is no error).
    pub fn remove_client_id(
        &self,
        account: &str,
        arn: &str,
        client_id: &str,
    ) -> Result<(), AwsError> {
        Input::new()
            .put("OpenIDConnectProviderArn", arn)
            .put("ClientID", client_id)
            .check("RemoveClientIDFromOpenIDConnectProvider")?;
        self.change_provider(account, arn, |p| {
            p.client_ids.retain(|id| id != client_id);
            Ok(())
        })
    }

    /// `UpdateOpenIDConnectProviderThumbprint`.
    pub fn set_thumbprints(
        &self,
        account: &str,
        arn: &str,
        thumbprints: Vec<String>,
    ) -> Result<(), AwsError> {
        let input = Input::new()
            .put("OpenIDConnectProviderArn", arn)
            .list("ThumbprintList", &thumbprints);
        // An empty list still names the member (botocore sends `ThumbprintList=`).
        let input = if thumbprints.is_empty() {
            input.put("ThumbprintList", "")
        } else {
            input
        };
        input.check("UpdateOpenIDConnectProviderThumbprint")?;
        checks::thumbprint_count(thumbprints.len())?;
        self.change_provider(account, arn, |p| {
            p.thumbprints = thumbprints;
            Ok(())
        })
    }

    /// `TagOpenIDConnectProvider`: adds tags or changes their values.
    pub fn tag_provider(&self, account: &str, arn: &str, tags: &[Tag]) -> Result<(), AwsError> {
        Input::new()
            .put("OpenIDConnectProviderArn", arn)
            .tags("Tags", tags)
            .check("TagOpenIDConnectProvider")?;
        self.change_provider(account, arn, |p| {
            checks::tags(tags, &p.tags, "OpenIdConnectProvider")?;
            checks::merge_tags(&mut p.tags, tags);
            Ok(())
        })
    }

    /// `DeleteOpenIDConnectProvider`.
    pub fn delete_provider(&self, account: &str, arn: &str) -> Result<OidcProvider, AwsError> {
        Input::new()
            .put("OpenIDConnectProviderArn", arn)
            .check("DeleteOpenIDConnectProvider")?;
        let key = self.provider_by_arn(account, arn)?.url;
        self.change(|accounts| {
            accounts
                .get_mut(account)
                .and_then(|a| a.providers.remove(&key))
                .ok_or_else(|| AwsError::no_such_provider(arn))
        })
    }

    // --- roles ---

    /// `CreateRole`.
    pub fn add_role(&self, account: &str, spec: RoleSpec) -> Result<Role, AwsError> {
        let max = spec.max_session_duration.map(|m| m.to_string());
        Input::new()
            .put("Path", &spec.path)
            .put("RoleName", &spec.name)
            .put("AssumeRolePolicyDocument", &spec.trust_policy)
            .put_opt("Description", spec.description.as_deref())
            .put_opt("MaxSessionDuration", max.as_deref())
            .put_opt("PermissionsBoundary", spec.permissions_boundary.as_deref())
            .tags("Tags", &spec.tags)
            .check("CreateRole")?;
        checks::account_id(account)?;
        checks::tags(&spec.tags, &[], "Role")?;
        // The grammar first (an invalid document is malformed whatever its size), then the quota.
        let trust_policy =
            PolicyDocument::parse(&spec.trust_policy, PolicyKind::Trust, "trust policy".into())?;
        idp_controls::check(&trust_policy.policy)?;
        checks::trust_policy_size(&spec.trust_policy)?;
        if let Some(boundary) = &spec.permissions_boundary {
            self.boundary_policy(account, boundary)?;
        }
        let role = Role {
            account_id: account.to_string(),
            name: spec.name.clone(),
            path: spec.path,
            role_id: random_id("AROA", 17),
            trust_policy,
            max_session_duration: spec
                .max_session_duration
                .map(|m| m as u32)
                .unwrap_or(DEFAULT_MAX_SESSION_DURATION),
            description: spec.description,
            permissions_boundary: spec.permissions_boundary,
            inline_policies: BTreeMap::new(),
            attached_policies: Vec::new(),
            tags: spec.tags,
            create_date: self.now(),
        };
        self.change(|accounts| {
            checks::account_quota(accounts, account)?;
            let entry = accounts.entry(account.to_string()).or_default();
            // IAM role names are unique case-insensitively within an account.
            if entry
                .roles
                .keys()
                .any(|n| n.eq_ignore_ascii_case(&role.name))
            {
                return Err(AwsError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("Role with name {} already exists.", role.name),
                ));
            }
            if entry.roles.len() >= MAX_ROLES_PER_ACCOUNT {
                return Err(AwsError::quota("RolesPerAccount", MAX_ROLES_PER_ACCOUNT));
            }
            entry.roles.insert(role.name.clone(), role.clone());
            Ok(role)
        })
    }

    /// The role `name` of `account`.
    pub fn role(&self, account: &str, name: &str) -> Option<Role> {
        self.read().get(account)?.roles.get(name).cloned()
    }

    /// The role whose ARN is `arn` (path included), if any.
    pub fn role_by_arn(&self, arn: &str) -> Option<Role> {
        let parsed = crate::arn::parse(arn)?;
        let name = parsed.role_name()?;
        self.role(parsed.account, name)
            .filter(|r| parsed.service == "iam" && r.arn() == arn)
    }

    /// Every role of `account`, by name.
    pub fn roles(&self, account: &str) -> Vec<Role> {
        self.read()
            .get(account)
            .map(|a| a.roles.values().cloned().collect())
            .unwrap_or_default()
    }

    fn change_role<T>(
        &self,
        account: &str,
        name: &str,
        change: impl FnOnce(&mut Role) -> Result<T, AwsError>,
    ) -> Result<T, AwsError> {
        self.change(|accounts| {
            let role = accounts
                .get_mut(account)
                .and_then(|a| a.roles.get_mut(name))
                .ok_or_else(|| AwsError::no_such_role(name))?;
            change(role)
        })
    }

    /// `UpdateRole`: description and maximum session duration.
    pub fn update_role(
        &self,
        account: &str,
        name: &str,
        description: Option<&str>,
        max_session_duration: Option<i64>,
    ) -> Result<(), AwsError> {
        let max = max_session_duration.map(|m| m.to_string());
        Input::new()
            .put("RoleName", name)
            .put_opt("Description", description)
            .put_opt("MaxSessionDuration", max.as_deref())
            .check("UpdateRole")?;
        self.change_role(account, name, |r| {
            if let Some(d) = description {
                r.description = Some(d.to_string());
            }
            if let Some(m) = max_session_duration {
                r.max_session_duration = m as u32;
            }
            Ok(())
        })
    }

    /// `UpdateAssumeRolePolicy`.
    pub fn update_trust_policy(
        &self,
        account: &str,
        name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        Input::new()
            .put("RoleName", name)
            .put("PolicyDocument", document)
            .check("UpdateAssumeRolePolicy")?;
        if self.role(account, name).is_none() {
            return Err(AwsError::no_such_role(name));
        }
        let policy = PolicyDocument::parse(document, PolicyKind::Trust, "trust policy".into())?;
        idp_controls::check(&policy.policy)?;
        checks::trust_policy_size(document)?;
        self.change_role(account, name, |r| {
            r.trust_policy = policy;
            Ok(())
        })
    }

    /// `TagRole`: adds tags or changes their values.
    pub fn tag_role(&self, account: &str, name: &str, tags: &[Tag]) -> Result<(), AwsError> {
        Input::new()
            .put("RoleName", name)
            .tags("Tags", tags)
            .check("TagRole")?;
        self.change_role(account, name, |r| {
            checks::tags(tags, &r.tags, "Role")?;
            checks::merge_tags(&mut r.tags, tags);
            Ok(())
        })
    }

    /// `UntagRole`: removes tags by key (compared without case); absent keys are ignored.
    pub fn untag_role(&self, account: &str, name: &str, keys: &[String]) -> Result<(), AwsError> {
        Input::new()
            .put("RoleName", name)
            .list("TagKeys", keys)
            .check("UntagRole")?;
        self.change_role(account, name, |r| {
            r.tags
                .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok(())
        })
    }

    /// `DeleteRole` (a role with inline policies must lose them first, as on AWS).
    pub fn remove_role(&self, account: &str, name: &str) -> Result<Role, AwsError> {
        Input::new().put("RoleName", name).check("DeleteRole")?;
        self.change(|accounts| {
            let entry = accounts
                .get_mut(account)
                .ok_or_else(|| AwsError::no_such_role(name))?;
            match entry.roles.get(name) {
                None => Err(AwsError::no_such_role(name)),
                Some(role) if !role.inline_policies.is_empty() => Err(AwsError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete entity, must delete policies first.",
                )),
                // Guess: IAM's wording, as widely quoted from AWS answers.
                Some(role) if !role.attached_policies.is_empty() => Err(AwsError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete entity, must detach all policies first.",
                )),
                Some(_) => entry
                    .roles
                    .remove(name)
                    .ok_or_else(|| AwsError::no_such_role(name)),
            }
        })
    }

    /// `PutRolePolicy`: adds or replaces an inline permission policy of a role.
    pub fn put_role_policy(
        &self,
        account: &str,
        role: &str,
        name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        Input::new()
            .put("RoleName", role)
            .put("PolicyName", name)
            .put("PolicyDocument", document)
            .check("PutRolePolicy")?;
        if self.role(account, role).is_none() {
            return Err(AwsError::no_such_role(role));
        }
        let policy = PolicyDocument::parse(
            document,
            PolicyKind::Identity,
            format!("inline policy {name}"),
        )?;
        self.change_role(account, role, |r| {
            let others = r
                .inline_policies
                .iter()
                .filter(|(n, _)| n.as_str() != name)
                .map(|(_, d)| d.text.as_str());
            checks::inline_policies_size(&r.name, others.chain([document]))?;
            r.inline_policies.insert(name.to_string(), policy);
            Ok(())
        })
    }

    /// `DeleteRolePolicy`.
    pub fn delete_role_policy(
        &self,
        account: &str,
        role: &str,
        name: &str,
    ) -> Result<(), AwsError> {
        Input::new()
            .put("RoleName", role)
            .put("PolicyName", name)
            .check("DeleteRolePolicy")?;
        self.change_role(account, role, |r| {
            r.inline_policies
                .remove(name)
                .map(|_| ())
                .ok_or_else(|| no_such_role_policy(name))
        })
    }

    /// Every account ID with anything in it.
    pub fn accounts(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }
}

/// `NoSuchEntity` for an inline policy (IAM's wording).
pub fn no_such_role_policy(name: &str) -> AwsError {
    AwsError::new(
        ErrorCode::NoSuchEntity,
        format!("The role policy with name {name} cannot be found."),
    )
}

// --- serde: policies are kept as the documents the user gave and parsed again on load, so a
// state file never depends on the policy engine's internal types ---

mod serde_trust_policy {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(doc: &PolicyDocument, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&doc.text)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PolicyDocument, D::Error> {
        let text = String::deserialize(d)?;
        PolicyDocument::parse(&text, PolicyKind::Trust, "trust policy".into())
            .map_err(|e| serde::de::Error::custom(format!("trust policy: {}", e.message)))
    }
}

mod serde_inline_policies {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        docs: &BTreeMap<String, PolicyDocument>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(docs.iter().map(|(n, d)| (n, &d.text)))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, PolicyDocument>, D::Error> {
        let texts = BTreeMap::<String, String>::deserialize(d)?;
        texts
            .into_iter()
            .map(|(name, text)| {
                PolicyDocument::parse(&text, PolicyKind::Identity, format!("inline policy {name}"))
                    .map(|doc| (name.clone(), doc))
                    .map_err(|e| {
                        serde::de::Error::custom(format!("inline policy {name}: {}", e.message))
                    })
            })
            .collect()
    }
}

/// Maps keyed by a field of their values are kept as lists (the key is derived on load).
macro_rules! by_key {
    ($module:ident, $ty:ty, $key:ident) => {
        mod $module {
            use super::*;
            use serde::{Deserializer, Serializer};

            pub fn serialize<S: Serializer>(
                map: &BTreeMap<String, $ty>,
                s: S,
            ) -> Result<S::Ok, S::Error> {
                s.collect_seq(map.values())
            }
            pub fn deserialize<'de, D: Deserializer<'de>>(
                d: D,
            ) -> Result<BTreeMap<String, $ty>, D::Error> {
                let items = Vec::<$ty>::deserialize(d)?;
                let mut map = BTreeMap::new();
                for item in items {
                    let key = item.$key.clone();
                    if map.insert(key.clone(), item).is_some() {
                        return Err(serde::de::Error::custom(format!("{key} appears twice")));
                    }
                }
                Ok(map)
            }
        }
    };
}
by_key!(serde_by_key_providers, OidcProvider, url);
by_key!(serde_by_key_roles, Role, name);
by_key!(serde_by_key_policies, ManagedPolicy, name);
