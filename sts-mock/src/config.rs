//! The declarative setup file (TOML): accounts, OIDC providers, roles with their trust and
//! permission policies, and `--oidc-endpoint` overrides. Loading turns the file into plain
//! [`Setup`] structs, checking everything IAM would check, so that applying a `Setup` to the
//! store cannot fail half-way: a bad file is refused as a whole, with the file, the entry and the
//! problem in the message.
//!
//! The built-in default ([`Setup::builtin`]) is `examples/dynatrace.toml` compiled in, so the
//! shipped example and the default can never drift.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::iam::validate;
use crate::model::{Model, ModelError, RoleSpec, Tag};
use crate::policy::{Policy, PolicyKind};

/// The account everything lives in unless the setup says otherwise (AWS's documentation
/// account ID, as LocalStack and moto use).
pub const DEFAULT_ACCOUNT: &str = "000000000000";

/// Everything a setup file describes, checked and with policy files read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// The account of admin calls whose access key ID is not an account ID.
    pub default_account: String,
    pub oidc_endpoints: Vec<OidcEndpoint>,
    pub providers: Vec<ProviderSetup>,
    pub roles: Vec<RoleSetup>,
}

/// Fetch discovery and keys of `issuer` from `base` instead (as `--oidc-endpoint ISSUER=BASE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcEndpoint {
    pub issuer: String,
    pub base: String,
}

/// An IAM OIDC provider, as `CreateOpenIDConnectProvider` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSetup {
    pub account: String,
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub tags: Vec<(String, String)>,
}

/// An IAM role, as `CreateRole` + `PutRolePolicy` take it. Policies are the JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSetup {
    pub account: String,
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub max_session_duration: Option<u32>,
    pub trust_policy: String,
    pub tags: Vec<(String, String)>,
    /// Inline permission policies: (name, JSON document), in file order.
    pub policies: Vec<(String, String)>,
}

/// Why a setup file was refused: which file, which entry in it, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    /// E.g. `role "dynatrace-aws-connector" (account 000000000000)`; empty for file-level errors.
    pub entry: String,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entry.is_empty() {
            write!(f, "{}: {}", self.file, self.problem)
        } else {
            write!(f, "{}: {}: {}", self.file, self.entry, self.problem)
        }
    }
}

const BUILTIN_NAME: &str = "<built-in default: examples/dynatrace.toml>";
const BUILTIN_TOML: &str = include_str!("../../examples/dynatrace.toml");
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
];

impl Setup {
    /// The built-in default: the Dynatrace model case of `examples/dynatrace.toml`.
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
        validate::account_id(&default_account)
            .map_err(|p| err("default_account".into(), p.to_string()))?;

        let mut oidc_endpoints = Vec::new();
        let mut issuers = HashSet::new();
        for (i, e) in raw.oidc_endpoints.into_iter().enumerate() {
            let entry = format!("oidc_endpoint #{} ({})", i + 1, e.issuer);
            validate::endpoint_url(&e.issuer)
                .map_err(|p| err(entry.clone(), format!("issuer: {p}")))?;
            validate::endpoint_url(&e.base)
                .map_err(|p| err(entry.clone(), format!("base: {p}")))?;
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

        let mut providers = Vec::new();
        let mut provider_arns = HashSet::new();
        for p in raw.providers {
            let account = p.account.unwrap_or_else(|| default_account.clone());
            let entry = format!("provider {:?} (account {account})", p.url);
            validate::account_id(&account).map_err(|m| err(entry.clone(), m.to_string()))?;
            let tags: Vec<(String, String)> = p.tags.into_iter().collect();
            validate::provider(&p.url, &p.client_ids, &p.thumbprints, &tags)
                .map_err(|m| err(entry.clone(), m.to_string()))?;
            let arn = crate::model::provider_arn(&account, &p.url);
            if !provider_arns.insert(arn) {
                return Err(err(
                    entry,
                    "a provider with this URL is already defined in this account".into(),
                ));
            }
            providers.push(ProviderSetup {
                account,
                url: p.url,
                client_ids: p.client_ids,
                thumbprints: p.thumbprints,
                tags,
            });
        }

        let mut roles = Vec::new();
        let mut role_names = HashSet::new();
        for r in raw.roles {
            let account = r.account.unwrap_or_else(|| default_account.clone());
            let entry = format!("role {:?} (account {account})", r.name);
            validate::account_id(&account).map_err(|m| err(entry.clone(), m.to_string()))?;
            let path = r.path.unwrap_or_else(|| "/".to_string());
            let tags: Vec<(String, String)> = r.tags.into_iter().collect();
            validate::role(
                &r.name,
                &path,
                r.description.as_deref(),
                r.max_session_duration,
                &tags,
            )
            .map_err(|m| err(entry.clone(), m.to_string()))?;
            // Role names are unique per account regardless of case, as on AWS.
            if !role_names.insert((account.clone(), r.name.to_ascii_lowercase())) {
                return Err(err(
                    entry,
                    "a role with this name is already defined in this account".into(),
                ));
            }
            let trust_policy =
                policy_text("trust_policy", r.trust_policy, r.trust_policy_file, read)
                    .map_err(|m| err(entry.clone(), m.to_string()))?;
            check_policy(&trust_policy, PolicyKind::Trust)
                .and_then(|()| {
                    validate::trust_policy_size(&trust_policy).map_err(|e| e.to_string())
                })
                .map_err(|m| err(entry.clone(), format!("trust policy: {m}")))?;

            let mut policies = Vec::new();
            let mut policy_names = HashSet::new();
            for p in r.policies {
                let pentry = format!("{entry}, policy {:?}", p.name);
                validate::policy_name(&p.name).map_err(|m| err(pentry.clone(), m.to_string()))?;
                if !policy_names.insert(p.name.clone()) {
                    return Err(err(
                        pentry,
                        "this role already has a policy with this name".into(),
                    ));
                }
                let doc = policy_text("document", p.document, p.document_file, read)
                    .map_err(|m| err(pentry.clone(), m))?;
                check_policy(&doc, PolicyKind::Identity).map_err(|m| err(pentry.clone(), m))?;
                policies.push((p.name, doc));
            }
            validate::inline_policies_size(
                &r.name,
                policies.iter().map(|(n, d)| (n.as_str(), d.as_str())),
            )
            .map_err(|m| err(entry.clone(), m.to_string()))?;

            roles.push(RoleSetup {
                account,
                name: r.name,
                path,
                description: r.description,
                max_session_duration: r.max_session_duration,
                trust_policy,
                tags,
                policies,
            });
        }

        Ok(Setup {
            default_account,
            oidc_endpoints,
            providers,
            roles,
        })
    }
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

/// A policy is checked by the same engine that will evaluate it, with IAM's messages.
fn check_policy(json: &str, kind: PolicyKind) -> Result<(), String> {
    Policy::parse(json, kind)
        .map(|_| ())
        .map_err(|e| format!("MalformedPolicyDocument: {}", e.message))
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
    #[serde(default, rename = "role")]
    roles: Vec<RawRole>,
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
    max_session_duration: Option<u32>,
    trust_policy: Option<String>,
    trust_policy_file: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default, rename = "policy")]
    policies: Vec<RawPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    document: Option<String>,
    document_file: Option<String>,
}

impl Setup {
    /// A server configuration serving this setup: its model, its OIDC endpoints and its
    /// default account (listen address and secret are left at their defaults).
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
        config.iam.default_account = self.default_account.clone();
        Ok(config)
    }

    /// A new model holding everything the setup describes. Loading already checked it all, so
    /// this fails only if the model disagrees with the checks (a bug): still reported, never
    /// half-applied, because the model is only handed out whole.
    pub fn build_model(&self, file: &str) -> Result<Model, ConfigError> {
        let model = Model::new();
        let err = |entry: String, e: ModelError| ConfigError {
            file: file.to_string(),
            entry,
            problem: e.to_string(),
        };
        for p in &self.providers {
            let entry = format!("provider {:?} (account {})", p.url, p.account);
            model
                .add_provider(
                    &p.account,
                    &p.url,
                    p.client_ids.clone(),
                    p.thumbprints.clone(),
                )
                .map_err(|e| err(entry.clone(), e))?;
            let tags: Vec<Tag> = p
                .tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect();
            model
                .update_provider(&p.account, &p.url, |stored| {
                    stored.tags = tags;
                    Ok(())
                })
                .map_err(|e| err(entry, e))?;
        }
        for r in &self.roles {
            let entry = format!("role {:?} (account {})", r.name, r.account);
            let spec = RoleSpec {
                name: r.name.clone(),
                path: r.path.clone(),
                trust_policy: r.trust_policy.clone(),
                max_session_duration: r
                    .max_session_duration
                    .unwrap_or(crate::model::DEFAULT_MAX_SESSION_DURATION),
                description: r.description.clone(),
                tags: r
                    .tags
                    .iter()
                    .map(|(k, v)| Tag {
                        key: k.clone(),
                        value: v.clone(),
                    })
                    .collect(),
            };
            model
                .add_role(&r.account, spec)
                .map_err(|e| err(entry.clone(), e))?;
            for (name, doc) in &r.policies {
                model
                    .put_role_policy(&r.account, &r.name, name, doc)
                    .map_err(|e| err(format!("{entry}, policy {name:?}"), e))?;
            }
        }
        Ok(model)
    }
}
