//! The declarative setup file (TOML): accounts, OIDC providers, customer managed policies,
//! roles with their trust policies, inline and attached managed policies and permissions
//! boundaries, and `--oidc-endpoint` mappings. Loading reads the file into the inputs
//! of the model's methods ([`ProviderSpec`], [`RoleSpec`]) and builds a model from them, so a
//! setup file is checked by exactly the code that checks IAM calls; a bad file is refused as a
//! whole, with the file, the entry and the problem in the message.
//!
//! The built-in default ([`Setup::builtin`]) is `examples/default.toml` compiled in (every
//! issuer the `issuer` binary serves by default, and one example role per issuer), so the
//! shipped example and the default can never drift.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{AwsError, ErrorCode};
use crate::model::{
    check_account_id, Model, PolicySpec, ProviderSpec, RoleSpec, Tag, DEFAULT_ACCOUNT,
};

/// Everything a setup file describes, with policy files read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// The account of admin calls whose access key ID is not an account ID.
    pub default_account: String,
    /// Where providers' documents are fetched from.
    pub oidc_endpoints: Vec<OidcEndpoint>,
    /// OIDC providers, by account.
    pub providers: Vec<ProviderEntry>,
    /// Customer managed policies, by account.
    pub policies: Vec<PolicyEntry>,
    /// Roles, by account.
    pub roles: Vec<RoleEntry>,
}

/// A customer managed policy of the setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntry {
    /// Its account.
    pub account: String,
    /// `CreatePolicy`'s input.
    pub spec: PolicySpec,
}

/// Fetch discovery and keys of `issuer` from `base` instead (as `--oidc-endpoint ISSUER=BASE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcEndpoint {
    /// The issuer URL (`https://...`), as tokens name it.
    pub issuer: String,
    /// The local base URL (`http://...`) serving its documents.
    pub base: String,
}

/// A provider of the setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEntry {
    /// Its account.
    pub account: String,
    /// `CreateOpenIDConnectProvider`'s input.
    pub spec: ProviderSpec,
}

/// A role of the setup, with its inline policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleEntry {
    /// Its account.
    pub account: String,
    /// `CreateRole`'s input.
    pub spec: RoleSpec,
    /// Inline permission policies: (name, JSON document), in file order.
    pub policies: Vec<(String, String)>,
    /// The ARNs of the managed policies to attach, in file order.
    pub managed_policies: Vec<String>,
}

pub use rig_core::ConfigError;

const BUILTIN_NAME: &str = "<built-in default: examples/default.toml>";
const BUILTIN_TOML: &str = include_str!("../../examples/default.toml");
/// The files the built-in default refers to, by the relative path it uses.
const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "policies/dynatrace-trust.json",
        include_str!("../../examples/policies/dynatrace-trust.json"),
    ),
    (
        "policies/list-regions.json",
        include_str!("../../examples/policies/list-regions.json"),
    ),
    (
        "policies/dynatrace-connection-trust.json",
        include_str!("../../examples/policies/dynatrace-connection-trust.json"),
    ),
    (
        "policies/github-deploy-trust.json",
        include_str!("../../examples/policies/github-deploy-trust.json"),
    ),
    (
        "policies/gitlab-deploy-trust.json",
        include_str!("../../examples/policies/gitlab-deploy-trust.json"),
    ),
    (
        "policies/eks-app-trust.json",
        include_str!("../../examples/policies/eks-app-trust.json"),
    ),
];

fn problem(e: &AwsError) -> String {
    format!("{}: {}", e.code, e.message)
}

impl Setup {
    /// The built-in default of `examples/default.toml`: the Dynatrace model case and one
    /// example role per built-in issuer of the `issuer` binary.
    pub fn builtin() -> Setup {
        Setup::from_toml(BUILTIN_TOML, BUILTIN_NAME, &|rel: &str| {
            BUILTIN_FILES
                .iter()
                .find(|(p, _)| *p == rel)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| format!("no such built-in file {rel}"))
        })
        .expect("the built-in default setup is valid (tested)")
    }

    /// Reads and checks a setup file; policy files are relative to the file's directory.
    pub fn from_file(path: &Path) -> Result<Setup, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: name.clone(),
            entry: String::new(),
            problem: format!("cannot read the file: {e}"),
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Setup::from_toml(&text, &name, &|rel: &str| {
            let full: PathBuf = dir.join(rel);
            std::fs::read_to_string(&full)
                .map_err(|e| format!("cannot read {}: {e}", full.display()))
        })
    }

    /// Parses and checks setup text. `file` names it in errors; `read` resolves the relative
    /// paths of `*_file` keys to their contents.
    pub fn from_toml(
        text: &str,
        file: &str,
        read: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<Setup, ConfigError> {
        let err = |entry: String, problem: String| ConfigError {
            file: file.to_string(),
            entry,
            problem,
        };
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| err(String::new(), e.to_string().trim().to_string()))?;

        let default_account = raw
            .default_account
            .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string());
        check_account_id(&default_account).map_err(|e| err("default_account".into(), e.message))?;

        let mut oidc_endpoints = Vec::new();
        let mut issuers = HashSet::new();
        for (i, e) in raw.oidc_endpoints.into_iter().enumerate() {
            let entry = format!("oidc_endpoint #{} ({})", i + 1, e.issuer);
            crate::oidc::check_endpoint(&e.issuer, &e.base).map_err(|p| err(entry.clone(), p))?;
            if !issuers.insert(e.issuer.clone()) {
                return Err(err(
                    entry,
                    "this issuer is already given an endpoint".into(),
                ));
            }
            oidc_endpoints.push(OidcEndpoint {
                issuer: e.issuer,
                base: e.base,
            });
        }

        let tags = |map: BTreeMap<String, String>| -> Vec<Tag> {
            map.into_iter().map(|(k, v)| Tag::new(k, v)).collect()
        };
        let providers = raw
            .providers
            .into_iter()
            .map(|p| ProviderEntry {
                account: p.account.unwrap_or_else(|| default_account.clone()),
                spec: ProviderSpec {
                    url: p.url,
                    client_ids: p.client_ids,
                    thumbprints: p.thumbprints,
                    tags: tags(p.tags),
                },
            })
            .collect();

        let mut policies = Vec::new();
        for p in raw.policies {
            let account = p.account.unwrap_or_else(|| default_account.clone());
            let entry = policy_entry(&p.name, &account);
            let document = policy_text("document", p.document, p.document_file, read)
                .map_err(|m| err(entry.clone(), m))?;
            policies.push(PolicyEntry {
                account,
                spec: PolicySpec {
                    name: p.name,
                    path: p.path.unwrap_or_else(|| "/".to_string()),
                    document,
                    description: p.description,
                    tags: tags(p.tags),
                },
            });
        }

        let mut roles = Vec::new();
        for r in raw.roles {
            let account = r.account.unwrap_or_else(|| default_account.clone());
            let entry = role_entry(&r.name, &account);
            let trust_policy =
                policy_text("trust_policy", r.trust_policy, r.trust_policy_file, read)
                    .map_err(|m| err(entry.clone(), m))?;
            let mut policies = Vec::new();
            for p in r.policies {
                let doc = policy_text("document", p.document, p.document_file, read)
                    .map_err(|m| err(format!("{entry}, policy {:?}", p.name), m))?;
                policies.push((p.name, doc));
            }
            roles.push(RoleEntry {
                account,
                spec: RoleSpec {
                    name: r.name,
                    path: r.path.unwrap_or_else(|| "/".to_string()),
                    trust_policy,
                    max_session_duration: r.max_session_duration,
                    description: r.description,
                    permissions_boundary: r.permissions_boundary,
                    tags: tags(r.tags),
                },
                policies,
                managed_policies: r.managed_policies,
            });
        }

        let setup = Setup {
            default_account,
            oidc_endpoints,
            providers,
            policies,
            roles,
        };
        // Everything IAM would check, by the model that checks IAM calls.
        setup.build_model(file)?;
        Ok(setup)
    }

    /// A new model holding everything the setup describes, built through the model's methods
    /// (the checks of the IAM API). Never half-applied: the model is only handed out whole.
    pub fn build_model(&self, file: &str) -> Result<Model, ConfigError> {
        let model = Model::new();
        let err = |entry: String, problem: String| ConfigError {
            file: file.to_string(),
            entry,
            problem,
        };
        for p in &self.providers {
            let entry = format!("provider {:?} (account {})", p.spec.url, p.account);
            model
                .create_provider(&p.account, p.spec.clone())
                .map_err(|e| err(entry, problem(&e)))?;
        }
        for p in &self.policies {
            let entry = policy_entry(&p.spec.name, &p.account);
            model
                .create_policy(&p.account, p.spec.clone())
                .map_err(|e| err(entry, problem(&e)))?;
        }
        for r in &self.roles {
            let entry = role_entry(&r.spec.name, &r.account);
            model.add_role(&r.account, r.spec.clone()).map_err(|e| {
                // CreateRole's only policy is the trust policy: say so.
                let what = match e.code {
                    ErrorCode::MalformedPolicyDocument => format!("trust policy: {}", problem(&e)),
                    _ => problem(&e),
                };
                err(entry.clone(), what)
            })?;
            for (name, doc) in &r.policies {
                model
                    .put_role_policy(&r.account, &r.spec.name, name, doc)
                    .map_err(|e| err(format!("{entry}, policy {name:?}"), problem(&e)))?;
            }
            for arn in &r.managed_policies {
                model
                    .attach_role_policy(&r.account, &r.spec.name, arn)
                    .map_err(|e| err(format!("{entry}, managed policy {arn:?}"), problem(&e)))?;
            }
        }
        Ok(model)
    }

    /// A server configuration serving this setup: its model, its OIDC endpoints and its
    /// default account (listen address, secret and clock are left at their defaults).
    ///
    /// ```
    /// use sts_mock::config::Setup;
    /// use sts_mock::StsMock;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let config = Setup::builtin().server_config("built-in").unwrap();
    /// let sts = StsMock::start(config).await.unwrap();
    /// assert!(sts.model().role("000000000000", "dynatrace-aws-connector").is_some());
    /// # }
    /// ```
    pub fn server_config(&self, name: &str) -> Result<crate::StsMockConfig, ConfigError> {
        let mut config = crate::StsMockConfig::default().model(self.build_model(name)?);
        config.oidc_endpoints = self
            .oidc_endpoints
            .iter()
            .map(|e| (e.issuer.clone(), e.base.clone()))
            .collect();
        config.default_account = self.default_account.clone();
        Ok(config)
    }
}

fn role_entry(name: &str, account: &str) -> String {
    format!("role {name:?} (account {account})")
}

fn policy_entry(name: &str, account: &str) -> String {
    format!("policy {name:?} (account {account})")
}

/// Exactly one of the inline text and the file must be given.
fn policy_text(
    key: &str,
    inline: Option<String>,
    file: Option<String>,
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    match (inline, file) {
        (Some(text), None) => Ok(text),
        (None, Some(path)) => read(&path).map_err(|e| format!("{key}_file: {e}")),
        (Some(_), Some(_)) => Err(format!("give either {key} or {key}_file, not both")),
        (None, None) => Err(format!(
            "missing {key} (inline JSON) or {key}_file (a path)"
        )),
    }
}

// --- the file's shape (serde); unknown keys are errors so typos never pass silently ---

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    default_account: Option<String>,
    #[serde(default, rename = "oidc_endpoint")]
    oidc_endpoints: Vec<RawEndpoint>,
    #[serde(default, rename = "provider")]
    providers: Vec<RawProvider>,
    #[serde(default, rename = "policy")]
    policies: Vec<RawManagedPolicy>,
    #[serde(default, rename = "role")]
    roles: Vec<RawRole>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManagedPolicy {
    account: Option<String>,
    name: String,
    path: Option<String>,
    description: Option<String>,
    document: Option<String>,
    document_file: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    issuer: String,
    base: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    account: Option<String>,
    url: String,
    #[serde(default)]
    client_ids: Vec<String>,
    #[serde(default)]
    thumbprints: Vec<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    account: Option<String>,
    name: String,
    path: Option<String>,
    description: Option<String>,
    max_session_duration: Option<i64>,
    permissions_boundary: Option<String>,
    trust_policy: Option<String>,
    trust_policy_file: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default, rename = "policy")]
    policies: Vec<RawPolicy>,
    #[serde(default)]
    managed_policies: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    document: Option<String>,
    document_file: Option<String>,
}
