//! The emulated IAM world: accounts, their OIDC providers and their roles. STS reads it; the
//! Rust API here (and the IAM API and config files on top of it) change it. Every entity lives
//! in its account, as on AWS: a role in account B trusts only providers registered in B.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::policy::{Policy, PolicyError, PolicyKind};

/// The account everything lives in unless said otherwise.
pub const DEFAULT_ACCOUNT: &str = "000000000000";
/// Role session limits (seconds): IAM's `MaxSessionDuration` range and default.
pub const MIN_MAX_SESSION_DURATION: u32 = 3600;
pub const MAX_MAX_SESSION_DURATION: u32 = 43200;
pub const DEFAULT_MAX_SESSION_DURATION: u32 = 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An IAM OIDC identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProvider {
    /// The issuer without scheme, as IAM keys it: `token.dynatrace.com` (host and optional path).
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub tags: Vec<Tag>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
}

impl OidcProvider {
    pub fn arn(&self, account: &str) -> String {
        provider_arn(account, &self.url)
    }
}

/// The ARN of `account`'s provider for issuer `url` (normalised by [`provider_key`]).
pub fn provider_arn(account: &str, url: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{}", provider_key(url))
}

/// IAM's normalisation of an issuer URL to the provider key: drop `https://` (IAM stores
/// providers without the scheme), a trailing `/`, and lower-case the host.
/// Guess: AWS compares the path case-sensitively.
pub fn provider_key(issuer: &str) -> String {
    let rest = issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
        .unwrap_or(issuer);
    let rest = rest.trim_end_matches('/');
    match rest.split_once('/') {
        Some((host, path)) => format!("{}/{}", host.to_ascii_lowercase(), path),
        None => rest.to_ascii_lowercase(),
    }
}

/// An IAM role.
#[derive(Debug, Clone)]
pub struct Role {
    pub account_id: String,
    pub name: String,
    pub path: String,
    /// `AROA` + 17 characters, stable for the role's life.
    pub role_id: String,
    pub trust_policy_document: String,
    pub trust_policy: Policy,
    pub max_session_duration: u32,
    pub description: Option<String>,
    /// Inline permission policies: name to (document, parsed).
    pub inline_policies: BTreeMap<String, (String, Policy)>,
    pub tags: Vec<Tag>,
    pub create_date: OffsetDateTime,
}

impl Role {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account_id, self.path, self.name
        )
    }
}

/// What is needed to create a role.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    pub name: String,
    pub path: String,
    pub trust_policy: String,
    pub max_session_duration: u32,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

impl RoleSpec {
    pub fn new(name: impl Into<String>, trust_policy: impl Into<String>) -> RoleSpec {
        RoleSpec {
            name: name.into(),
            path: "/".into(),
            trust_policy: trust_policy.into(),
            max_session_duration: DEFAULT_MAX_SESSION_DURATION,
            description: None,
            tags: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    MalformedPolicy(PolicyError),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    DeleteConflict(String),
}

#[derive(Debug, Default)]
struct Account {
    providers: BTreeMap<String, OidcProvider>,
    roles: BTreeMap<String, Role>,
}

/// The shared, thread-safe model. Cheap to clone (a handle).
#[derive(Debug, Clone, Default)]
pub struct Model {
    accounts: Arc<RwLock<BTreeMap<String, Account>>>,
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

impl Model {
    pub fn new() -> Model {
        Model::default()
    }

    /// Registers an OIDC provider for issuer `url` (with or without `https://`).
    pub fn add_provider(
        &self,
        account: &str,
        url: &str,
        client_ids: Vec<String>,
        thumbprints: Vec<String>,
    ) -> Result<OidcProvider, ModelError> {
        let key = provider_key(url);
        let mut accounts = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        let account_entry = accounts.entry(account.to_string()).or_default();
        if account_entry.providers.contains_key(&key) {
            return Err(ModelError::AlreadyExists(format!(
                "Provider with url https://{key} already exists."
            )));
        }
        let provider = OidcProvider {
            url: key.clone(),
            client_ids,
            thumbprints,
            tags: Vec::new(),
            create_date: OffsetDateTime::now_utc(),
        };
        account_entry.providers.insert(key, provider.clone());
        Ok(provider)
    }

    /// The provider of `account` for issuer `iss` (AWS's URL normalisation).
    pub fn provider(&self, account: &str, iss: &str) -> Option<OidcProvider> {
        let accounts = self.accounts.read().unwrap_or_else(|e| e.into_inner());
        accounts
            .get(account)?
            .providers
            .get(&provider_key(iss))
            .cloned()
    }

    pub fn providers(&self, account: &str) -> Vec<OidcProvider> {
        let accounts = self.accounts.read().unwrap_or_else(|e| e.into_inner());
        accounts
            .get(account)
            .map(|a| a.providers.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Changes a provider in place.
    pub fn update_provider<T>(
        &self,
        account: &str,
        url: &str,
        change: impl FnOnce(&mut OidcProvider) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        let mut accounts = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        let key = provider_key(url);
        let provider = accounts
            .get_mut(account)
            .and_then(|a| a.providers.get_mut(&key))
            .ok_or_else(|| {
                ModelError::NoSuchEntity(format!(
                    "OpenIDConnect Provider not found for arn arn:aws:iam::{account}:oidc-provider/{key}"
                ))
            })?;
        change(provider)
    }

    pub fn remove_provider(&self, account: &str, url: &str) -> Result<OidcProvider, ModelError> {
        let mut accounts = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        let key = provider_key(url);
        accounts
            .get_mut(account)
            .and_then(|a| a.providers.remove(&key))
            .ok_or_else(|| {
                ModelError::NoSuchEntity(format!(
                    "OpenIDConnect Provider not found for arn arn:aws:iam::{account}:oidc-provider/{key}"
                ))
            })
    }

    /// Creates a role; the trust policy must parse as a trust policy.
    pub fn add_role(&self, account: &str, spec: RoleSpec) -> Result<Role, ModelError> {
        let trust_policy = Policy::parse(&spec.trust_policy, PolicyKind::Trust)
            .map_err(ModelError::MalformedPolicy)?
            .labelled("trust policy");
        if !(MIN_MAX_SESSION_DURATION..=MAX_MAX_SESSION_DURATION)
            .contains(&spec.max_session_duration)
        {
            return Err(ModelError::Invalid(format!(
                "The requested MaxSessionDuration {} is outside {MIN_MAX_SESSION_DURATION}..{MAX_MAX_SESSION_DURATION} seconds",
                spec.max_session_duration
            )));
        }
        let mut accounts = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        let account_entry = accounts.entry(account.to_string()).or_default();
        // IAM role names are unique case-insensitively within an account.
        if account_entry
            .roles
            .keys()
            .any(|n| n.eq_ignore_ascii_case(&spec.name))
        {
            return Err(ModelError::AlreadyExists(format!(
                "Role with name {} already exists.",
                spec.name
            )));
        }
        let role = Role {
            account_id: account.to_string(),
            name: spec.name.clone(),
            path: spec.path,
            role_id: random_id("AROA", 17),
            trust_policy_document: spec.trust_policy,
            trust_policy,
            max_session_duration: spec.max_session_duration,
            description: spec.description,
            inline_policies: BTreeMap::new(),
            tags: spec.tags,
            create_date: OffsetDateTime::now_utc(),
        };
        account_entry.roles.insert(spec.name, role.clone());
        Ok(role)
    }

    pub fn role(&self, account: &str, name: &str) -> Option<Role> {
        let accounts = self.accounts.read().unwrap_or_else(|e| e.into_inner());
        accounts.get(account)?.roles.get(name).cloned()
    }

    pub fn roles(&self, account: &str) -> Vec<Role> {
        let accounts = self.accounts.read().unwrap_or_else(|e| e.into_inner());
        accounts
            .get(account)
            .map(|a| a.roles.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Changes a role in place.
    pub fn update_role<T>(
        &self,
        account: &str,
        name: &str,
        change: impl FnOnce(&mut Role) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        let mut accounts = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        let role = accounts
            .get_mut(account)
            .and_then(|a| a.roles.get_mut(name))
            .ok_or_else(|| {
                ModelError::NoSuchEntity(format!("The role with name {name} cannot be found."))
            })?;
        change(role)
    }

    pub fn remove_role(&self, account: &str, name: &str) -> Result<Role, ModelError> {
        let mut accounts = self.accounts.write().unwrap_or_else(|e| e.into_inner());
        let account_entry = accounts.get_mut(account).ok_or_else(|| {
            ModelError::NoSuchEntity(format!("The role with name {name} cannot be found."))
        })?;
        match account_entry.roles.get(name) {
            None => Err(ModelError::NoSuchEntity(format!(
                "The role with name {name} cannot be found."
            ))),
            Some(role) if !role.inline_policies.is_empty() => Err(ModelError::DeleteConflict(
                "Cannot delete entity, must delete policies first.".into(),
            )),
            Some(_) => Ok(account_entry.roles.remove(name).expect("checked above")),
        }
    }

    /// Adds or replaces an inline permission policy of a role.
    pub fn put_role_policy(
        &self,
        account: &str,
        role: &str,
        name: &str,
        document: &str,
    ) -> Result<(), ModelError> {
        let policy = Policy::parse(document, PolicyKind::Identity)
            .map_err(ModelError::MalformedPolicy)?
            .labelled(format!("inline policy {name}"));
        self.update_role(account, role, |r| {
            r.inline_policies
                .insert(name.to_string(), (document.to_string(), policy));
            Ok(())
        })
    }

    /// All account IDs with anything in them.
    pub fn accounts(&self) -> Vec<String> {
        let accounts = self.accounts.read().unwrap_or_else(|e| e.into_inner());
        accounts.keys().cloned().collect()
    }
}
