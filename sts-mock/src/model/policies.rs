//! Customer managed policies (with their versions), their attachment to roles, roles'
//! permissions boundaries, and an account's outbound identity federation switch: the IAM state
//! the seeds' setups use beyond roles and inline policies. As everywhere in the model, each
//! method checks its operation's generated shape, then IAM's semantic checks, then changes and
//! persists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::checks::{self, MAX_ATTACHED_POLICIES_PER_ROLE, MAX_POLICIES_PER_ACCOUNT};
use super::{random_id, Account, Input, Model, PolicyDocument, Role, Tag, MAX_POLICY_VERSIONS};
use crate::error::{AwsError, ErrorCode};
use crate::policy::PolicyKind;

/// One version of a managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub id: String,
    /// The document, byte for byte as given.
    #[serde(with = "serde_identity_policy")]
    pub document: PolicyDocument,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
}

/// A customer managed policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    /// Its account.
    pub account_id: String,
    /// Its name (unique per account).
    pub name: String,
    /// Its path, `/` or `/a/b/`.
    pub path: String,
    /// `ANPA` + 17 characters.
    pub policy_id: String,
    /// The description, fixed at creation.
    pub description: Option<String>,
    /// The version in force.
    pub default_version: String,
    /// Every version kept (at most five), oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets.
    pub next_version: u32,
    /// Tags.
    pub tags: Vec<Tag>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    /// When its default version last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub update_date: OffsetDateTime,
}

impl ManagedPolicy {
    /// `arn:aws:iam::ACCOUNT:policy/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account_id, self.path, self.name
        )
    }

    /// The default version's document.
    pub fn document(&self) -> Option<&PolicyDocument> {
        self.version(&self.default_version).map(|v| &v.document)
    }

    /// The version `id`.
    pub fn version(&self, id: &str) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// A restored policy must be whole: its default version among its versions.
    pub(super) fn check_versions(&self) -> Result<(), String> {
        if self.version(&self.default_version).is_none()
            || self.versions.len() > MAX_POLICY_VERSIONS
        {
            return Err(format!("policy {} has no default version", self.name));
        }
        Ok(())
    }
}

/// What is needed to create a managed policy (`CreatePolicy`'s input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySpec {
    /// `PolicyName`.
    pub name: String,
    /// `Path`, default `/`.
    pub path: String,
    /// `PolicyDocument`.
    pub document: String,
    /// `Description`.
    pub description: Option<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

impl PolicySpec {
    /// A policy called `name` with `document`, everything else default.
    pub fn new(name: impl Into<String>, document: impl Into<String>) -> PolicySpec {
        PolicySpec {
            name: name.into(),
            path: "/".into(),
            document: document.into(),
            description: None,
            tags: Vec::new(),
        }
    }
}

/// An account's outbound identity federation (`GetWebIdentityToken`'s issuer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundFederation {
    /// The account's issuer URL, `https://<id>.tokens.sts.global.api.aws` (the IAM User Guide's
    /// "Understanding token claims" sample), kept when the feature is switched off and on.
    pub issuer_identifier: String,
    /// Whether tokens may be issued now.
    pub enabled: bool,
}

impl OutboundFederation {
    /// The `<id>` of the issuer URL, which names the issuer's documents on sts-mock.
    pub fn issuer_id(&self) -> &str {
        self.issuer_identifier
            .strip_prefix("https://")
            .and_then(|rest| rest.split('.').next())
            .unwrap_or_default()
    }
}

/// The suffix every outbound issuer URL has.
pub const OUTBOUND_ISSUER_SUFFIX: &str = ".tokens.sts.global.api.aws";

/// The name of a customer managed policy of `account` named by `arn`, if the ARN has that
/// form (`arn:aws:iam::ACCOUNT:policy/PATH/NAME`).
fn policy_name<'a>(account: &str, arn: &'a str) -> Result<Option<&'a str>, AwsError> {
    let parsed = crate::arn::parse(arn).ok_or_else(AwsError::invalid_arn_iam)?;
    Ok(parsed
        .resource
        .strip_prefix("policy/")
        .filter(|_| parsed.service == "iam" && parsed.account == account)
        .and_then(|rest| rest.rsplit('/').next()))
}

fn find<'a>(
    accounts: &'a BTreeMap<String, Account>,
    account: &str,
    arn: &str,
) -> Result<Option<&'a ManagedPolicy>, AwsError> {
    let Some(name) = policy_name(account, arn)? else {
        return Ok(None);
    };
    Ok(accounts
        .get(account)
        .and_then(|a| a.policies.get(name))
        .filter(|p| p.arn() == arn))
}

fn find_mut<'a>(
    accounts: &'a mut BTreeMap<String, Account>,
    account: &str,
    arn: &str,
) -> Result<&'a mut ManagedPolicy, AwsError> {
    let name = policy_name(account, arn)?.ok_or_else(|| AwsError::no_such_policy(arn))?;
    accounts
        .get_mut(account)
        .and_then(|a| a.policies.get_mut(name))
        .filter(|p| p.arn() == arn)
        .ok_or_else(|| AwsError::no_such_policy(arn))
}

/// How many roles of the account attach `arn`, and use it as their boundary.
fn usage(account: &Account, arn: &str) -> (usize, usize) {
    let attached = account
        .roles
        .values()
        .filter(|r| r.attached_policies.iter().any(|a| a == arn))
        .count();
    let boundaries = account
        .roles
        .values()
        .filter(|r| r.permissions_boundary.as_deref() == Some(arn))
        .count();
    (attached, boundaries)
}

/// A managed policy with its usage counts, as `GetPolicy` answers it.
#[derive(Debug, Clone)]
pub struct PolicyView {
    /// The policy.
    pub policy: ManagedPolicy,
    /// `AttachmentCount`.
    pub attachments: usize,
    /// `PermissionsBoundaryUsageCount`.
    pub boundary_usage: usize,
}

impl Model {
    /// `CreatePolicy`.
    pub fn create_policy(
        &self,
        account: &str,
        spec: PolicySpec,
    ) -> Result<ManagedPolicy, AwsError> {
        Input::new()
            .put("PolicyName", &spec.name)
            .put("Path", &spec.path)
            .put("PolicyDocument", &spec.document)
            .put_opt("Description", spec.description.as_deref())
            .tags("Tags", &spec.tags)
            .check("CreatePolicy")?;
        checks::account_id(account)?;
        checks::tags(&spec.tags, &[], "Policy")?;
        let document = PolicyDocument::parse(
            &spec.document,
            PolicyKind::Identity,
            format!("arn:aws:iam::{account}:policy{}{}", spec.path, spec.name),
        )?;
        checks::managed_policy_size(&spec.document)?;
        let now = self.now();
        let policy = ManagedPolicy {
            account_id: account.to_string(),
            name: spec.name,
            path: spec.path,
            policy_id: random_id("ANPA", 17),
            description: spec.description,
            default_version: "v1".into(),
            versions: vec![PolicyVersion {
                id: "v1".into(),
                document,
                create_date: now,
            }],
            next_version: 2,
            tags: spec.tags,
            create_date: now,
            update_date: now,
        };
        self.change(|accounts| {
            checks::account_quota(accounts, account)?;
            let entry = accounts.entry(account.to_string()).or_default();
            // IAM's answer to a duplicate name (names are unique per account, path aside).
            if entry
                .policies
                .keys()
                .any(|n| n.eq_ignore_ascii_case(&policy.name))
            {
                return Err(AwsError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!(
                        "A policy called {} already exists. Duplicate names are not allowed.",
                        policy.name
                    ),
                ));
            }
            if entry.policies.len() >= MAX_POLICIES_PER_ACCOUNT {
                return Err(AwsError::quota(
                    "PoliciesPerAccount",
                    MAX_POLICIES_PER_ACCOUNT,
                ));
            }
            entry.policies.insert(policy.name.clone(), policy.clone());
            Ok(policy)
        })
    }

    /// The managed policy `arn`, if `account` has it.
    pub fn managed_policy(&self, account: &str, arn: &str) -> Option<ManagedPolicy> {
        find(&self.read(), account, arn).ok().flatten().cloned()
    }

    /// `GetPolicy`: the policy and its usage counts.
    pub fn get_policy(&self, account: &str, arn: &str) -> Result<PolicyView, AwsError> {
        Input::new().put("PolicyArn", arn).check("GetPolicy")?;
        let accounts = self.read();
        let policy = find(&accounts, account, arn)?
            .cloned()
            .ok_or_else(|| AwsError::no_such_policy(arn))?;
        let (attachments, boundary_usage) = usage(&accounts[account], arn);
        Ok(PolicyView {
            policy,
            attachments,
            boundary_usage,
        })
    }

    /// Every managed policy of `account`, by name, with usage counts.
    pub fn policies(&self, account: &str) -> Vec<PolicyView> {
        let accounts = self.read();
        let Some(entry) = accounts.get(account) else {
            return Vec::new();
        };
        entry
            .policies
            .values()
            .map(|p| {
                let (attachments, boundary_usage) = usage(entry, &p.arn());
                PolicyView {
                    policy: p.clone(),
                    attachments,
                    boundary_usage,
                }
            })
            .collect()
    }

    /// `CreatePolicyVersion`: at most five versions are kept.
    pub fn create_policy_version(
        &self,
        account: &str,
        arn: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<PolicyVersion, AwsError> {
        Input::new()
            .put("PolicyArn", arn)
            .put("PolicyDocument", document)
            .put(
                "SetAsDefault",
                if set_as_default { "true" } else { "false" },
            )
            .check("CreatePolicyVersion")?;
        if self.managed_policy(account, arn).is_none() {
            policy_name(account, arn)?;
            return Err(AwsError::no_such_policy(arn));
        }
        let parsed = PolicyDocument::parse(document, PolicyKind::Identity, arn.to_string())?;
        checks::managed_policy_size(document)?;
        let now = self.now();
        self.change(|accounts| {
            let policy = find_mut(accounts, account, arn)?;
            if policy.versions.len() >= MAX_POLICY_VERSIONS {
                // AWS's answer, as quoted from real use.
                return Err(AwsError::new(
                    ErrorCode::LimitExceeded,
                    format!("A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version."),
                ));
            }
            let version = PolicyVersion {
                id: format!("v{}", policy.next_version),
                document: parsed,
                create_date: now,
            };
            policy.next_version += 1;
            if set_as_default {
                policy.default_version = version.id.clone();
                policy.update_date = now;
            }
            policy.versions.push(version.clone());
            Ok(version)
        })
    }

    /// `GetPolicyVersion`.
    pub fn policy_version(
        &self,
        account: &str,
        arn: &str,
        version: &str,
    ) -> Result<(PolicyVersion, bool), AwsError> {
        Input::new()
            .put("PolicyArn", arn)
            .put("VersionId", version)
            .check("GetPolicyVersion")?;
        let policy = find(&self.read(), account, arn)?
            .cloned()
            .ok_or_else(|| AwsError::no_such_policy(arn))?;
        let found = policy
            .version(version)
            .cloned()
            .ok_or_else(|| AwsError::no_such_policy_version(arn, version))?;
        Ok((found, policy.default_version == version))
    }

    /// `DeletePolicyVersion`: never the default version.
    pub fn delete_policy_version(
        &self,
        account: &str,
        arn: &str,
        version: &str,
    ) -> Result<(), AwsError> {
        Input::new()
            .put("PolicyArn", arn)
            .put("VersionId", version)
            .check("DeletePolicyVersion")?;
        self.change(|accounts| {
            let policy = find_mut(accounts, account, arn)?;
            if policy.version(version).is_none() {
                return Err(AwsError::no_such_policy_version(arn, version));
            }
            if policy.default_version == version {
                // Guess: IAM's wording, as quoted from real use.
                return Err(AwsError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete the default version of a policy.",
                ));
            }
            policy.versions.retain(|v| v.id != version);
            Ok(())
        })
    }

    /// `DeletePolicy`: only once detached from everything and down to its default version.
    pub fn delete_policy(&self, account: &str, arn: &str) -> Result<(), AwsError> {
        Input::new().put("PolicyArn", arn).check("DeletePolicy")?;
        self.change(|accounts| {
            let name = find_mut(accounts, account, arn)?.name.clone();
            let entry = accounts
                .get_mut(account)
                .ok_or_else(|| AwsError::no_such_policy(arn))?;
            let (attached, boundaries) = usage(entry, arn);
            if attached + boundaries > 0 {
                // Guess: IAM's wording, as quoted from real use.
                return Err(AwsError::new(
                    ErrorCode::DeleteConflict,
                    "Cannot delete a policy attached to entities.",
                ));
            }
            if entry.policies.get(&name).is_some_and(|p| p.versions.len() > 1) {
                // Guess: IAM's wording, as quoted from real use.
                return Err(AwsError::new(
                    ErrorCode::DeleteConflict,
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
                ));
            }
            entry.policies.remove(&name);
            Ok(())
        })
    }

    /// `TagPolicy`.
    pub fn tag_policy(&self, account: &str, arn: &str, tags: &[Tag]) -> Result<(), AwsError> {
        Input::new()
            .put("PolicyArn", arn)
            .tags("Tags", tags)
            .check("TagPolicy")?;
        self.change(|accounts| {
            let policy = find_mut(accounts, account, arn)?;
            checks::tags(tags, &policy.tags, "Policy")?;
            checks::merge_tags(&mut policy.tags, tags);
            Ok(())
        })
    }

    /// `UntagPolicy` (absent keys are ignored; keys compare without case).
    pub fn untag_policy(&self, account: &str, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        Input::new()
            .put("PolicyArn", arn)
            .list("TagKeys", keys)
            .check("UntagPolicy")?;
        self.change(|accounts| {
            let policy = find_mut(accounts, account, arn)?;
            policy
                .tags
                .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok(())
        })
    }

    /// A managed policy that can be attached or be a permissions boundary: `account`'s own
    /// customer managed policy (AWS managed policies, `arn:aws:iam::aws:policy/...`, are not
    /// emulated and are refused as IAM refuses an unknown one, aws-recorded: "Policy ... does
    /// not exist or is not attachable.").
    pub(super) fn attachable_policy(&self, account: &str, arn: &str) -> Result<(), AwsError> {
        match find(&self.read(), account, arn)? {
            Some(_) => Ok(()),
            None => Err(AwsError::not_attachable(arn)),
        }
    }

    /// `AttachRolePolicy` (attaching twice is no error and attaches once).
    pub fn attach_role_policy(&self, account: &str, role: &str, arn: &str) -> Result<(), AwsError> {
        Input::new()
            .put("RoleName", role)
            .put("PolicyArn", arn)
            .check("AttachRolePolicy")?;
        if self.role(account, role).is_none() {
            return Err(AwsError::no_such_role(role));
        }
        self.attachable_policy(account, arn)?;
        self.change_role(account, role, |r| {
            if r.attached_policies.iter().any(|a| a == arn) {
                return Ok(());
            }
            if r.attached_policies.len() >= MAX_ATTACHED_POLICIES_PER_ROLE {
                return Err(AwsError::quota(
                    "PoliciesPerRole",
                    MAX_ATTACHED_POLICIES_PER_ROLE,
                ));
            }
            r.attached_policies.push(arn.to_string());
            Ok(())
        })
    }

    /// `DetachRolePolicy`.
    pub fn detach_role_policy(&self, account: &str, role: &str, arn: &str) -> Result<(), AwsError> {
        Input::new()
            .put("RoleName", role)
            .put("PolicyArn", arn)
            .check("DetachRolePolicy")?;
        crate::arn::parse(arn).ok_or_else(AwsError::invalid_arn_iam)?;
        self.change_role(account, role, |r| {
            let before = r.attached_policies.len();
            r.attached_policies.retain(|a| a != arn);
            if r.attached_policies.len() == before {
                return Err(AwsError::no_such_policy(arn));
            }
            Ok(())
        })
    }

    /// `PutRolePermissionsBoundary`.
    pub fn put_role_permissions_boundary(
        &self,
        account: &str,
        role: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        Input::new()
            .put("RoleName", role)
            .put("PermissionsBoundary", arn)
            .check("PutRolePermissionsBoundary")?;
        if self.role(account, role).is_none() {
            return Err(AwsError::no_such_role(role));
        }
        self.boundary_policy(account, arn)?;
        self.change_role(account, role, |r| {
            r.permissions_boundary = Some(arn.to_string());
            Ok(())
        })
    }

    /// A policy that may be a permissions boundary.
    pub(super) fn boundary_policy(&self, account: &str, arn: &str) -> Result<(), AwsError> {
        match find(&self.read(), account, arn)? {
            Some(_) => Ok(()),
            None => Err(AwsError::boundary_not_found(arn)),
        }
    }

    /// `DeleteRolePermissionsBoundary`. Guess: a role without a boundary is no error.
    pub fn delete_role_permissions_boundary(
        &self,
        account: &str,
        role: &str,
    ) -> Result<(), AwsError> {
        Input::new()
            .put("RoleName", role)
            .check("DeleteRolePermissionsBoundary")?;
        self.change_role(account, role, |r| {
            r.permissions_boundary = None;
            Ok(())
        })
    }

    /// The permission policies of `role` in force now: its inline policies (labelled with
    /// their names) and the default versions of its attached managed policies (with their
    /// ARNs), then its permissions boundary's document, if it has one.
    pub fn role_permissions(&self, role: &Role) -> RolePermissions {
        let accounts = self.read();
        let managed = |arn: &str| -> Option<PolicyDocument> {
            find(&accounts, &role.account_id, arn)
                .ok()
                .flatten()
                .and_then(|p| p.document().cloned())
        };
        let mut identity: Vec<(Option<String>, PolicyDocument)> = role
            .inline_policies
            .values()
            .map(|d| (None, d.clone()))
            .collect();
        for arn in &role.attached_policies {
            if let Some(doc) = managed(arn) {
                identity.push((Some(arn.clone()), doc));
            }
        }
        let boundary = role
            .permissions_boundary
            .as_ref()
            .map(|arn| (arn.clone(), managed(arn)));
        RolePermissions { identity, boundary }
    }

    /// The default version of the managed policy `arn` of `account`, for session policies.
    pub fn managed_policy_document(&self, account: &str, arn: &str) -> Option<PolicyDocument> {
        find(&self.read(), account, arn)
            .ok()
            .flatten()
            .and_then(|p| p.document().cloned())
    }

    // --- outbound identity federation ---

    /// `EnableOutboundWebIdentityFederation`: the account's issuer URL (the same one again after
    /// a disable), or `FeatureEnabled` when already on.
    pub fn enable_outbound_federation(&self, account: &str) -> Result<String, AwsError> {
        checks::account_id(account)?;
        self.change(|accounts| {
            checks::account_quota(accounts, account)?;
            let entry = accounts.entry(account.to_string()).or_default();
            match &mut entry.outbound {
                Some(o) if o.enabled => Err(AwsError::new(
                    ErrorCode::FeatureEnabled,
                    // Guess: the API reference's description of FeatureEnabled.
                    "Outbound identity federation is already enabled for your AWS account.",
                )),
                Some(o) => {
                    o.enabled = true;
                    Ok(o.issuer_identifier.clone())
                }
                None => {
                    let id = uuid::Uuid::new_v4().to_string();
                    let outbound = OutboundFederation {
                        issuer_identifier: format!("https://{id}{OUTBOUND_ISSUER_SUFFIX}"),
                        enabled: true,
                    };
                    let url = outbound.issuer_identifier.clone();
                    entry.outbound = Some(outbound);
                    Ok(url)
                }
            }
        })
    }

    /// `DisableOutboundWebIdentityFederation`: `FeatureDisabled` when already off.
    pub fn disable_outbound_federation(&self, account: &str) -> Result<(), AwsError> {
        self.change(
            |accounts| match accounts.get_mut(account).and_then(|a| a.outbound.as_mut()) {
                Some(o) if o.enabled => {
                    o.enabled = false;
                    Ok(())
                }
                _ => Err(AwsError::outbound_feature_disabled()),
            },
        )
    }

    /// The account's outbound federation, if it was ever enabled.
    pub fn outbound_federation(&self, account: &str) -> Option<OutboundFederation> {
        self.read().get(account)?.outbound.clone()
    }

    /// The account whose outbound issuer is `https://<issuer_id>.tokens.sts.global.api.aws`.
    pub fn outbound_issuer(&self, issuer_id: &str) -> Option<(String, OutboundFederation)> {
        self.read().iter().find_map(|(id, a)| {
            a.outbound
                .as_ref()
                .filter(|o| o.issuer_id() == issuer_id)
                .map(|o| (id.clone(), o.clone()))
        })
    }
}

/// A role's permission policies, resolved now.
#[derive(Debug, Clone)]
pub struct RolePermissions {
    /// Inline (no ARN) and attached managed (with their ARN) identity policies.
    pub identity: Vec<(Option<String>, PolicyDocument)>,
    /// The permissions boundary's ARN and document (`None`: the policy no longer exists).
    pub boundary: Option<(String, Option<PolicyDocument>)>,
}

mod serde_identity_policy {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(doc: &PolicyDocument, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&doc.text)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PolicyDocument, D::Error> {
        let text = String::deserialize(d)?;
        PolicyDocument::parse(&text, PolicyKind::Identity, "managed policy".into())
            .map_err(|e| serde::de::Error::custom(format!("managed policy: {}", e.message)))
    }
}
