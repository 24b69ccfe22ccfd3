//! The Dynatrace world the issuer stands in for: one account, its environments, groups, OAuth
//! clients, IAM policies and their bindings at account or environment level, and the
//! settings objects of AWS connections. The one place these are held and changed; every
//! change checks what Dynatrace checks and stays within the bounds below, so nothing a client
//! sends makes it grow without limit. No I/O, no HTTP: the API modules translate.

use std::collections::BTreeMap;

use dt_policy::{Bindings, BoundPolicy, Policy};
use serde_json::Value;

use super::schemas;

/// "Policies | Account | 200" (Dynatrace "Identity and Access Management limits"): every
/// level of the account together.
pub const MAX_POLICIES: usize = 200;
/// "Groups-to-policy bindings | Account or Environment | 30,000" (the same table), per level.
pub const MAX_BINDINGS_PER_LEVEL: usize = 30_000;
/// Parameters one binding may carry. Guess: Dynatrace documents no limit; this bounds what a
/// client can make the rig hold (30,000 bindings of a few parameters each).
pub const MAX_BINDING_PARAMETERS: usize = 10;
/// Longest parameter (or metadata) name or value. Guess, as above.
pub const MAX_PARAMETER_CHARS: usize = 256;
/// Settings objects per environment. Guess: the schemas' `maxObjects` is not published; a
/// thousand connections is far more than any test needs, and bounds memory.
pub const MAX_OBJECTS_PER_ENVIRONMENT: usize = 1000;
/// Longest policy name, description or tag. Guess: the Policy management API documents none.
pub const MAX_TEXT_CHARS: usize = 1000;
/// Most tags a policy may carry. Guess, as above.
pub const MAX_TAGS: usize = 50;

/// Where a policy or binding lives: the account or one of its environments ("Each level
/// inherits the policies of the higher level and extends them with its own policies", Policy
/// management API).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `account` / the account UUID.
    Account(String),
    /// `environment` / the environment ID.
    Environment(String),
}

impl Level {
    /// `account` or `environment`, as the API's `levelType`.
    pub fn level_type(&self) -> &'static str {
        match self {
            Level::Account(_) => "account",
            Level::Environment(_) => "environment",
        }
    }
    /// The account UUID or the environment ID, as the API's `levelId`.
    pub fn level_id(&self) -> &str {
        match self {
            Level::Account(id) | Level::Environment(id) => id,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.level_type(), self.level_id())
    }
}

/// A group of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its UUID.
    pub uuid: String,
    /// Its name.
    pub name: String,
    /// Account permissions the group holds (e.g. `iam-policies-management`), apart from the
    /// policies bound to it.
    pub permissions: Vec<String>,
}

/// An OAuth client (client credentials), acting with the permissions of its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// `dt0s02.XXXX`.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// What it is for.
    pub description: String,
    /// The scopes it may grant ("These are the scopes that the client will be able to grant",
    /// OAuth clients).
    pub scopes: Vec<String>,
    /// The UUIDs of its groups.
    pub groups: Vec<String>,
}

/// A policy as stored: the API's fields and the parsed statements.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicy {
    /// Its UUID.
    pub uuid: String,
    /// Its level.
    pub level: Level,
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `tags`.
    pub tags: Vec<String>,
    /// `statementQuery`, as sent.
    pub statement_query: String,
    /// The statements, parsed (labelled with the name for explanations).
    pub policy: Policy,
}

/// One policy bound to one group at one level, with the binding's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Where it applies.
    pub level: Level,
    /// The policy's UUID.
    pub policy: String,
    /// The group's UUID.
    pub group: String,
    /// Values for the policy's `${bindParam:NAME}`.
    pub parameters: BTreeMap<String, String>,
    /// Free metadata.
    pub metadata: BTreeMap<String, String>,
}

/// A settings object.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsObject {
    /// Its ID.
    pub object_id: String,
    /// The environment it lives in.
    pub environment: String,
    /// Its schema.
    pub schema_id: String,
    /// The value, as stored (secrets unmasked).
    pub value: Value,
    /// Creation time, milliseconds since the epoch.
    pub created: i64,
    /// Last modification, milliseconds since the epoch.
    pub modified: i64,
    /// Who created it (a client ID).
    pub created_by: String,
    /// Who changed it last.
    pub modified_by: String,
    /// Bumped at every change; the update token is made from it.
    pub version: u64,
}

impl SettingsObject {
    /// The update token: changes with every modification (optimistic locking).
    pub fn update_token(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "{}:{}",
            self.object_id.len(),
            self.version
        ))
    }
}

/// Why a change was refused, as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 400: the request is wrong; the message says how.
    Invalid(String),
    /// 404: what it names does not exist.
    NotFound(String),
}

/// The account and everything in it.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// The account UUID.
    pub account: String,
    /// Its environments (tenant IDs such as `abc12345`).
    pub environments: Vec<String>,
    /// Its groups.
    pub groups: Vec<Group>,
    /// Its OAuth clients.
    pub clients: Vec<Client>,
    /// Its policies, in creation order.
    pub policies: Vec<StoredPolicy>,
    /// Its bindings, in creation order.
    pub bindings: Vec<Binding>,
    /// Its settings objects, in creation order.
    pub objects: Vec<SettingsObject>,
}

/// Checks a policy's text fields against the bounds above.
pub fn check_policy_text(name: &str, description: &str, tags: &[String]) -> Result<(), Refusal> {
    if name.trim().is_empty() {
        return Err(Refusal::Invalid("name must not be empty".into()));
    }
    for (what, text) in [("name", name), ("description", description)] {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(Refusal::Invalid(format!(
                "{what} must be at most {MAX_TEXT_CHARS} characters"
            )));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(Refusal::Invalid(format!("at most {MAX_TAGS} tags")));
    }
    if tags.iter().any(|t| t.chars().count() > MAX_TEXT_CHARS) {
        return Err(Refusal::Invalid(format!(
            "a tag must be at most {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(())
}

/// Checks binding parameters (or metadata) against the bounds above.
pub fn check_parameters(what: &str, map: &BTreeMap<String, String>) -> Result<(), Refusal> {
    if map.len() > MAX_BINDING_PARAMETERS {
        return Err(Refusal::Invalid(format!(
            "a binding carries at most {MAX_BINDING_PARAMETERS} {what}"
        )));
    }
    for (k, v) in map {
        if k.is_empty()
            || k.chars().count() > MAX_PARAMETER_CHARS
            || v.chars().count() > MAX_PARAMETER_CHARS
        {
            return Err(Refusal::Invalid(format!(
                "{what} names must be non-empty and names and values at most {MAX_PARAMETER_CHARS} characters"
            )));
        }
    }
    Ok(())
}

/// Parses a statement query into a policy labelled `name`, or the parse error (with its
/// position) as a refusal.
pub fn parse_statements(name: &str, statement_query: &str) -> Result<Policy, Refusal> {
    dt_policy::parse(statement_query)
        .map(|p| p.labelled(name))
        .map_err(|e| Refusal::Invalid(format!("invalid statementQuery: {e}")))
}

impl World {
    /// The level `level_type`/`level_id` names, if it exists in this account.
    pub fn level(&self, level_type: &str, level_id: &str) -> Result<Level, Refusal> {
        match level_type {
            "account" if level_id == self.account => Ok(Level::Account(level_id.to_string())),
            "account" => Err(Refusal::NotFound(format!("account {level_id} not found"))),
            "environment" if self.environments.iter().any(|e| e == level_id) => {
                Ok(Level::Environment(level_id.to_string()))
            }
            "environment" => Err(Refusal::NotFound(format!(
                "environment {level_id} not found"
            ))),
            other => Err(Refusal::Invalid(format!(
                "unknown level type {other}: use account, environment or global"
            ))),
        }
    }

    /// The client called `client_id`.
    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// The group with `uuid`.
    pub fn group(&self, uuid: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.uuid == uuid)
    }

    /// The policy with `uuid` at exactly `level`.
    pub fn policy_at(&self, level: &Level, uuid: &str) -> Option<&StoredPolicy> {
        self.policies
            .iter()
            .find(|p| p.uuid == uuid && &p.level == level)
    }

    /// The policy with `uuid` that may be bound at `level`: its own or the account's.
    pub fn bindable(&self, level: &Level, uuid: &str) -> Result<&StoredPolicy, Refusal> {
        self.policies
            .iter()
            .find(|p| p.uuid == uuid && (&p.level == level || matches!(p.level, Level::Account(_))))
            .ok_or_else(|| Refusal::NotFound(format!("policy {uuid} not found at {level}")))
    }

    /// Whether any of `client`'s groups holds the account permission `permission`.
    pub fn holds(&self, client: &Client, permission: &str) -> bool {
        client.groups.iter().any(|g| {
            self.group(g)
                .is_some_and(|g| g.permissions.iter().any(|p| p == permission))
        })
    }

    /// Adds a policy at `level`.
    pub fn create_policy(&mut self, policy: StoredPolicy) -> Result<(), Refusal> {
        if self.policies.len() >= MAX_POLICIES {
            return Err(Refusal::Invalid(format!(
                "the account already has {MAX_POLICIES} policies, Dynatrace's limit"
            )));
        }
        if self.policies.iter().any(|p| p.uuid == policy.uuid) {
            return Err(Refusal::Invalid(format!(
                "a policy with UUID {} exists",
                policy.uuid
            )));
        }
        if self
            .policies
            .iter()
            .any(|p| p.level == policy.level && p.name == policy.name)
        {
            // Guess: Dynatrace refuses a second policy of the same name on a level (its
            // listing filters by exact name, which only makes sense for unique names).
            return Err(Refusal::Invalid(format!(
                "a policy named {:?} exists at {}",
                policy.name, policy.level
            )));
        }
        self.check_rebinding(&policy)?;
        self.policies.push(policy);
        Ok(())
    }

    /// Replaces the policy with the same UUID and level; `Ok(false)` when there was none (then
    /// it is created, as PUT does).
    pub fn put_policy(&mut self, policy: StoredPolicy) -> Result<bool, Refusal> {
        match self
            .policies
            .iter()
            .position(|p| p.uuid == policy.uuid && p.level == policy.level)
        {
            Some(i) => {
                if self.policies.iter().any(|p| {
                    p.level == policy.level && p.name == policy.name && p.uuid != policy.uuid
                }) {
                    return Err(Refusal::Invalid(format!(
                        "a policy named {:?} exists at {}",
                        policy.name, policy.level
                    )));
                }
                self.check_rebinding(&policy)?;
                self.policies[i] = policy;
                Ok(true)
            }
            None => self.create_policy(policy).map(|()| false),
        }
    }

    /// An update must still bind with every binding's parameters.
    fn check_rebinding(&self, policy: &StoredPolicy) -> Result<(), Refusal> {
        for b in self.bindings.iter().filter(|b| b.policy == policy.uuid) {
            let params: Bindings = b.parameters.clone().into_iter().collect();
            policy.policy.bind(&params).map_err(|e| {
                Refusal::Invalid(format!(
                    "the policy is bound to group {} at {} without a value it now needs: {e}",
                    b.group, b.level
                ))
            })?;
        }
        Ok(())
    }

    /// Deletes a policy; one still bound only with `force` (its bindings go with it).
    pub fn delete_policy(&mut self, level: &Level, uuid: &str, force: bool) -> Result<(), Refusal> {
        if self.policy_at(level, uuid).is_none() {
            return Err(Refusal::NotFound(format!(
                "policy {uuid} not found at {level}"
            )));
        }
        let bound = self.bindings.iter().filter(|b| b.policy == uuid).count();
        if bound > 0 && !force {
            // Guess at the wording; the API documents `force`: "Set to true to delete a policy
            // that is still in use."
            return Err(Refusal::Invalid(format!(
                "policy {uuid} is still in use by {bound} binding(s); set force=true to delete it anyway"
            )));
        }
        self.bindings.retain(|b| b.policy != uuid);
        self.policies
            .retain(|p| !(p.uuid == uuid && &p.level == level));
        Ok(())
    }

    /// Adds a binding (unless an identical one exists: "Existing bindings remain unaffected").
    pub fn bind(&mut self, binding: Binding) -> Result<(), Refusal> {
        let policy = self.bindable(&binding.level, &binding.policy)?;
        if self.group(&binding.group).is_none() {
            return Err(Refusal::NotFound(format!(
                "group {} not found",
                binding.group
            )));
        }
        check_parameters("parameters", &binding.parameters)?;
        check_parameters("metadata", &binding.metadata)?;
        let params: Bindings = binding.parameters.clone().into_iter().collect();
        policy
            .policy
            .bind(&params)
            .map_err(|e| Refusal::Invalid(e.to_string()))?;
        if self.bindings.contains(&binding) {
            return Ok(());
        }
        let at_level = self
            .bindings
            .iter()
            .filter(|b| b.level == binding.level)
            .count();
        if at_level >= MAX_BINDINGS_PER_LEVEL {
            return Err(Refusal::Invalid(format!(
                "{} already has {MAX_BINDINGS_PER_LEVEL} bindings, Dynatrace's limit",
                binding.level
            )));
        }
        self.bindings.push(binding);
        Ok(())
    }

    /// Removes the bindings at `level` that `keep` refuses.
    pub fn unbind(&mut self, level: &Level, mut matches: impl FnMut(&Binding) -> bool) {
        self.bindings.retain(|b| !(&b.level == level && matches(b)));
    }

    /// The policies bound to `client`'s groups that apply in `environment` (the account's
    /// bindings and, with an environment, that environment's), bound with their parameters.
    pub fn bound_policies(&self, client: &Client, environment: Option<&str>) -> Vec<BoundPolicy> {
        let mut out = Vec::new();
        for b in &self.bindings {
            let applies = match &b.level {
                Level::Account(_) => true,
                Level::Environment(e) => Some(e.as_str()) == environment,
            };
            if !applies || !client.groups.contains(&b.group) {
                continue;
            }
            let Some(policy) = self.policies.iter().find(|p| p.uuid == b.policy) else {
                continue;
            };
            let params: Bindings = b.parameters.clone().into_iter().collect();
            // Bindings are checked when made and when their policy changes, so this binds.
            if let Ok(bound) = policy.policy.bind(&params) {
                out.push(bound);
            }
        }
        out
    }

    /// The settings object `object_id`.
    pub fn object(&self, object_id: &str) -> Option<&SettingsObject> {
        self.objects.iter().find(|o| o.object_id == object_id)
    }

    /// Checks a connection's `name` is not taken by another object of its schema in its
    /// environment. Guess: Dynatrace's schemas declare unique properties, these tables do not
    /// show them; a legacy token names the connection by name, so two of one name would be
    /// one identity to AWS.
    pub fn check_unique_name(
        &self,
        environment: &str,
        schema_id: &str,
        value: &Value,
        except: Option<&str>,
    ) -> Result<(), schemas::Violation> {
        let name = &value["name"];
        let taken = self.objects.iter().any(|o| {
            o.environment == environment
                && o.schema_id == schema_id
                && &o.value["name"] == name
                && Some(o.object_id.as_str()) != except
        });
        if taken {
            Err(schemas::Violation {
                path: "name".into(),
                message: format!(
                    "a connection named {name} exists in {environment}: names must be unique"
                ),
            })
        } else {
            Ok(())
        }
    }

    /// Adds a (checked) settings object.
    pub fn add_object(&mut self, object: SettingsObject) -> Result<(), Refusal> {
        let count = self
            .objects
            .iter()
            .filter(|o| o.environment == object.environment)
            .count();
        if count >= MAX_OBJECTS_PER_ENVIRONMENT {
            return Err(Refusal::Invalid(format!(
                "environment {} already holds {MAX_OBJECTS_PER_ENVIRONMENT} settings objects",
                object.environment
            )));
        }
        if self.object(&object.object_id).is_some() {
            return Err(Refusal::Invalid(format!(
                "a settings object with ID {} exists",
                object.object_id
            )));
        }
        self.objects.push(object);
        Ok(())
    }
}
