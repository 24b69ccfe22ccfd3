//! The `[dynatrace]` section of the issuer's setup file (`issuer serve --config FILE`): the
//! account, its environments, groups, OAuth clients, policies, bindings and AWS connection
//! settings objects the issuer starts with, checked whole (a bad section is refused naming the
//! file, the entry and the problem), and the built-in default (`default.toml`, compiled in).
//!
//! ```toml
//! [dynatrace]
//! account = "7a3e1c52-9b4d-4f8e-a6c1-2d5b8e0f9a13"   # a UUID
//! environments = ["abc12345"]
//!
//! [[dynatrace.group]]
//! name = "AWS Connector admins"
//! uuid = "3d1f6a2e-8c4b-4e7a-9f25-6b0c1d2e3f40"        # optional, default a random UUID
//! permissions = ["iam-policies-management"]            # account permissions, optional
//!
//! [[dynatrace.client]]
//! client_id = "dt0s02.RIGADMIN"
//! client_secret = "dt0s02.RIGADMIN.rig-admin-secret"
//! scopes = ["settings:objects:read", "hyperscaler-authentication:aws:authenticate"]
//! groups = ["AWS Connector admins"]                    # by name or UUID
//!
//! [[dynatrace.policy]]
//! name = "AWS Connector"
//! level = "account"                                    # or "environment:abc12345"
//! statementQuery = "ALLOW hyperscaler-authentication:aws:authenticate;"
//! # uuid, description, tags: optional
//!
//! [[dynatrace.binding]]
//! level = "account"
//! policy = "AWS Connector"                             # by name or UUID
//! group = "AWS Connector admins"
//! # parameters = { name = "value" }                   # for ${bindParam:name}
//!
//! [[dynatrace.settings_object]]
//! environment = "abc12345"                             # optional with one environment
//! schemaId = "builtin:hyperscaler-authentication.aws.connection"
//! value = { name = "my-connection", type = "webIdentity", webIdentity = { roleArn = "arn:aws:iam::000000000000:role/dynatrace-aws-connector", policyArns = [] } }
//! # objectId: optional, default a new ID
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::model::{
    self, Binding, Client, Group, Level, Refusal, SettingsObject, StoredPolicy, World,
};
use super::schemas;
use crate::issuers::ConfigError;

/// The built-in default, as a setup file's `[dynatrace]` section.
pub const BUILTIN_TOML: &str = include_str!("default.toml");
/// The built-in account.
pub const DYNATRACE_ACCOUNT: &str = "7a3e1c52-9b4d-4f8e-a6c1-2d5b8e0f9a13";
/// The built-in environment (tenant).
pub const DYNATRACE_ENVIRONMENT: &str = crate::mint::DEFAULT_TENANT;
/// The built-in admin client: the AWS Connector's permissions and IAM policy management.
pub const ADMIN_CLIENT_ID: &str = "dt0s02.RIGADMIN";
/// Its secret.
pub const ADMIN_CLIENT_SECRET: &str = "dt0s02.RIGADMIN.rig-admin-secret";
/// The built-in viewer client: settings read only, no `hyperscaler-authentication:aws:authenticate`.
pub const VIEWER_CLIENT_ID: &str = "dt0s02.RIGVIEWER";
/// Its secret.
pub const VIEWER_CLIENT_SECRET: &str = "dt0s02.RIGVIEWER.rig-viewer-secret";
/// The settings object ID of the built-in legacy connection `my-connection` (schema
/// `builtin:hyperscaler-authentication.aws.connection`). Guess: made up in the layout of
/// published IDs, as [`crate::DEFAULT_CONNECTION_ID`] (the current-form one) is.
pub const LEGACY_CONNECTION_ID: &str = "vu9U3hXa3q0AAAABADFidWlsdGluOmh5cGVyc2NhbGVyLWF1dGhlbnRpY2F0aW9uLmF3cy5jb25uZWN0aW9uAAZ0ZW5hbnQABnRlbmFudAAkMmI3ZTljNDEtNmEzZC00ZjU4LTllMTItN2M0YTBkNWI4ZjYzvu9U3hXa3q0";

/// A checked Dynatrace world to start the issuer with: the built-in default, or a setup file's
/// `[dynatrace]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct DynatraceSetup {
    pub(crate) world: World,
}

/// An OAuth client of a setup, for banners and documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// Its client ID.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// What it is for.
    pub description: String,
    /// The scopes it may grant.
    pub scopes: Vec<String>,
}

/// A settings object of a setup, for banners and documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its ID.
    pub object_id: String,
    /// Its environment.
    pub environment: String,
    /// Its schema.
    pub schema_id: String,
    /// The connection's name.
    pub name: String,
}

impl DynatraceSetup {
    /// The built-in default ([`BUILTIN_TOML`]).
    pub fn builtin() -> DynatraceSetup {
        // The built-in file is tested to load; a failure here is a bug of this crate.
        DynatraceSetup::from_toml(BUILTIN_TOML, "the built-in Dynatrace default")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads a document whose `[dynatrace]` table is a setup (other tables are refused);
    /// `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<DynatraceSetup, ConfigError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            dynatrace: RawDynatrace,
        }
        let doc: Doc = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_string(),
            entry: String::new(),
            problem: e.to_string().trim().to_string(),
        })?;
        build(doc.dynatrace, file)
    }

    /// The account UUID.
    pub fn account(&self) -> &str {
        &self.world.account
    }

    /// The environments.
    pub fn environments(&self) -> &[String] {
        &self.world.environments
    }

    /// The OAuth clients.
    pub fn clients(&self) -> Vec<ClientInfo> {
        self.world
            .clients
            .iter()
            .map(|c| ClientInfo {
                client_id: c.client_id.clone(),
                client_secret: c.client_secret.clone(),
                description: c.description.clone(),
                scopes: c.scopes.clone(),
            })
            .collect()
    }

    /// The settings objects (AWS connections).
    pub fn settings_objects(&self) -> Vec<ObjectInfo> {
        self.world
            .objects
            .iter()
            .map(|o| ObjectInfo {
                object_id: o.object_id.clone(),
                environment: o.environment.clone(),
                schema_id: o.schema_id.clone(),
                name: schemas::summary(&o.value),
            })
            .collect()
    }
}

impl Default for DynatraceSetup {
    fn default() -> Self {
        DynatraceSetup::builtin()
    }
}

/// The `[dynatrace]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDynatrace {
    account: String,
    environments: Vec<String>,
    #[serde(default, rename = "group")]
    groups: Vec<RawGroup>,
    #[serde(default, rename = "client")]
    clients: Vec<RawClient>,
    #[serde(default, rename = "policy")]
    policies: Vec<RawPolicy>,
    #[serde(default, rename = "binding")]
    bindings: Vec<RawBinding>,
    #[serde(default, rename = "settings_object")]
    objects: Vec<RawObject>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: String,
    uuid: Option<String>,
    #[serde(default)]
    permissions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    client_id: String,
    client_secret: String,
    #[serde(default)]
    description: String,
    scopes: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    level: String,
    #[serde(rename = "statementQuery")]
    statement_query: String,
    uuid: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    level: String,
    policy: String,
    group: String,
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObject {
    environment: Option<String>,
    #[serde(rename = "objectId")]
    object_id: Option<String>,
    #[serde(rename = "schemaId")]
    schema_id: String,
    scope: Option<String>,
    value: toml::Value,
}

/// Whether `text` is a UUID.
pub(crate) fn is_uuid(text: &str) -> bool {
    uuid::Uuid::try_parse(text).is_ok() && text.len() == 36
}

/// An environment ID: lower-case letters and digits (`abc12345`). Guess: Dynatrace's are
/// three letters and five digits; any such word is accepted.
fn check_environment(id: &str) -> Result<(), String> {
    if !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(format!(
            "environment `{id}` must be lower-case letters and digits, such as abc12345"
        ))
    }
}

/// A name without white space or control characters (client IDs, scopes, permissions).
fn check_word(what: &str, text: &str) -> Result<(), String> {
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(format!(
            "{what} `{text}` must be non-empty, without white space"
        ))
    } else {
        Ok(())
    }
}

/// `account` or `environment:ID`.
fn parse_level(world: &World, text: &str) -> Result<Level, String> {
    let (level_type, level_id) = match text.split_once(':') {
        Some(("environment", id)) => ("environment", id),
        None if text == "account" => ("account", world.account.as_str()),
        _ => {
            return Err(format!(
                "level `{text}` must be account or environment:ID, such as environment:abc12345"
            ))
        }
    };
    world.level(level_type, level_id).map_err(|r| match r {
        Refusal::Invalid(m) | Refusal::NotFound(m) => m,
    })
}

fn refusal_text(r: Refusal) -> String {
    match r {
        Refusal::Invalid(m) | Refusal::NotFound(m) => m,
    }
}

pub(crate) fn build(raw: RawDynatrace, file: &str) -> Result<DynatraceSetup, ConfigError> {
    let err = |entry: String, problem: String| ConfigError {
        file: file.to_string(),
        entry,
        problem,
    };
    let top = || "[dynatrace]".to_string();
    if !is_uuid(&raw.account) {
        return Err(err(
            top(),
            format!("account `{}` must be a UUID", raw.account),
        ));
    }
    if raw.environments.is_empty() {
        return Err(err(
            top(),
            "environments must name at least one environment".into(),
        ));
    }
    let mut world = World {
        account: raw.account.to_ascii_lowercase(),
        environments: Vec::new(),
        groups: Vec::new(),
        clients: Vec::new(),
        policies: Vec::new(),
        bindings: Vec::new(),
        objects: Vec::new(),
    };
    for env in raw.environments {
        check_environment(&env).map_err(|p| err(top(), p))?;
        if world.environments.contains(&env) {
            return Err(err(top(), format!("environment `{env}` is listed twice")));
        }
        world.environments.push(env);
    }

    for g in raw.groups {
        let label = format!("dynatrace.group {:?}", g.name);
        let uuid = g.uuid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if !is_uuid(&uuid) {
            return Err(err(label, format!("uuid `{uuid}` must be a UUID")));
        }
        if g.name.trim().is_empty() {
            return Err(err(label, "name must not be empty".into()));
        }
        if world
            .groups
            .iter()
            .any(|o| o.name == g.name || o.uuid == uuid)
        {
            return Err(err(label, "another group has this name or UUID".into()));
        }
        for p in &g.permissions {
            check_word("permission", p).map_err(|e| err(label.clone(), e))?;
        }
        world.groups.push(Group {
            uuid,
            name: g.name,
            permissions: g.permissions,
        });
    }
    let find_group = |world: &World, name: &str| {
        world
            .groups
            .iter()
            .find(|g| g.name == name || g.uuid == name)
            .map(|g| g.uuid.clone())
            .ok_or_else(|| format!("no group called `{name}`"))
    };

    for c in raw.clients {
        let label = format!("dynatrace.client {:?}", c.client_id);
        check_word("client_id", &c.client_id).map_err(|p| err(label.clone(), p))?;
        if c.client_secret.is_empty() {
            return Err(err(label, "client_secret must not be empty".into()));
        }
        if world.client(&c.client_id).is_some() {
            return Err(err(label, "another client has this client_id".into()));
        }
        if c.scopes.is_empty() {
            return Err(err(label, "scopes must name at least one scope".into()));
        }
        for s in &c.scopes {
            check_word("scope", s).map_err(|p| err(label.clone(), p))?;
        }
        let mut groups = Vec::new();
        for g in &c.groups {
            groups.push(find_group(&world, g).map_err(|p| err(label.clone(), p))?);
        }
        world.clients.push(Client {
            client_id: c.client_id,
            client_secret: c.client_secret,
            description: c.description,
            scopes: c.scopes,
            groups,
        });
    }

    for p in raw.policies {
        let label = format!("dynatrace.policy {:?}", p.name);
        let level = parse_level(&world, &p.level).map_err(|e| err(label.clone(), e))?;
        let uuid = p.uuid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if !is_uuid(&uuid) {
            return Err(err(label, format!("uuid `{uuid}` must be a UUID")));
        }
        model::check_policy_text(&p.name, &p.description, &p.tags)
            .map_err(|r| err(label.clone(), refusal_text(r)))?;
        let policy = model::parse_statements(&p.name, &p.statement_query)
            .map_err(|r| err(label.clone(), refusal_text(r)))?;
        world
            .create_policy(StoredPolicy {
                uuid,
                level,
                name: p.name,
                description: p.description,
                tags: p.tags,
                statement_query: p.statement_query,
                policy,
            })
            .map_err(|r| err(label, refusal_text(r)))?;
    }

    for b in raw.bindings {
        let label = format!("dynatrace.binding {:?} to {:?}", b.policy, b.group);
        let level = parse_level(&world, &b.level).map_err(|e| err(label.clone(), e))?;
        let group = find_group(&world, &b.group).map_err(|p| err(label.clone(), p))?;
        let policy = world
            .policies
            .iter()
            .find(|p| {
                (p.name == b.policy || p.uuid == b.policy)
                    && (p.level == level || matches!(p.level, Level::Account(_)))
            })
            .map(|p| p.uuid.clone())
            .ok_or_else(|| {
                err(
                    label.clone(),
                    format!("no policy called `{}` at {level}", b.policy),
                )
            })?;
        world
            .bind(Binding {
                level,
                policy,
                group,
                parameters: b.parameters,
                metadata: b.metadata,
            })
            .map_err(|r| err(label, refusal_text(r)))?;
    }

    for o in raw.objects {
        let label = format!(
            "dynatrace.settings_object {}",
            o.object_id.as_deref().unwrap_or(&o.schema_id)
        );
        let environment = match (o.environment, world.environments.as_slice()) {
            (Some(e), _) => e,
            (None, [only]) => only.clone(),
            (None, _) => {
                return Err(err(
                    label,
                    "environment is required when there are several environments".into(),
                ))
            }
        };
        if !world.environments.contains(&environment) {
            return Err(err(label, format!("no environment `{environment}`")));
        }
        if !schemas::known(&o.schema_id) {
            return Err(err(
                label,
                format!(
                    "schemaId `{}` is not one this issuer knows ({})",
                    o.schema_id,
                    schemas::SCHEMAS.join(", ")
                ),
            ));
        }
        if let Some(scope) = &o.scope {
            if scope != schemas::ENVIRONMENT_SCOPE {
                return Err(err(
                    label,
                    format!("scope `{scope}`: these schemas allow only environment"),
                ));
            }
        }
        let value: Value = serde_json::to_value(&o.value).unwrap_or_default();
        let value = schemas::validate(&o.schema_id, &value, None).map_err(|violations| {
            let text: Vec<String> = violations
                .iter()
                .map(|v| format!("value.{}: {}", v.path, v.message))
                .collect();
            err(label.clone(), text.join("; "))
        })?;
        world
            .check_unique_name(&environment, &o.schema_id, &value, None)
            .map_err(|v| err(label.clone(), v.message))?;
        let object_id = o
            .object_id
            .unwrap_or_else(|| schemas::object_id(&o.schema_id, &uuid::Uuid::new_v4().to_string()));
        check_word("objectId", &object_id).map_err(|p| err(label.clone(), p))?;
        world
            .add_object(SettingsObject {
                object_id,
                environment,
                schema_id: o.schema_id,
                value,
                created: 0,
                modified: 0,
                created_by: "setup".into(),
                modified_by: "setup".into(),
                version: 1,
            })
            .map_err(|r| err(label, refusal_text(r)))?;
    }
    Ok(DynatraceSetup { world })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_default_is_the_documented_interface() {
        let setup = DynatraceSetup::builtin();
        assert_eq!(setup.account(), DYNATRACE_ACCOUNT);
        assert_eq!(setup.environments(), ["abc12345"]);
        let clients = setup.clients();
        let ids: Vec<(&str, &str)> = clients
            .iter()
            .map(|c| (c.client_id.as_str(), c.client_secret.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                (ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET),
                (VIEWER_CLIENT_ID, VIEWER_CLIENT_SECRET)
            ]
        );
        let objects = setup.settings_objects();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].object_id, LEGACY_CONNECTION_ID);
        assert_eq!(objects[0].schema_id, schemas::LEGACY_SCHEMA);
        assert_eq!(objects[1].object_id, crate::DEFAULT_CONNECTION_ID);
        assert_eq!(objects[1].schema_id, schemas::CURRENT_SCHEMA);
        assert!(objects.iter().all(|o| o.name == "my-connection"));
        // The legacy ID is of the published layout too.
        assert_eq!(
            LEGACY_CONNECTION_ID,
            schemas::object_id(
                schemas::LEGACY_SCHEMA,
                "2b7e9c41-6a3d-4f58-9e12-7c4a0d5b8f63"
            )
        );
        // 000's statements verbatim, as one policy.
        let policy = &setup.world.policies[0];
        assert_eq!(policy.name, "AWS Connector");
        assert_eq!(policy.policy.statements().len(), 4);
    }

    fn refused(text: &str) -> String {
        DynatraceSetup::from_toml(text, "t.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_sections_are_refused_naming_entry_and_problem() {
        let base = "[dynatrace]\naccount = \"7a3e1c52-9b4d-4f8e-a6c1-2d5b8e0f9a13\"\nenvironments = [\"abc12345\"]\n";
        assert!(
            refused("[dynatrace]\naccount = \"x\"\nenvironments = [\"a\"]\n")
                .contains("account `x` must be a UUID")
        );
        let e = refused(&format!(
            "{base}[[dynatrace.policy]]\nname = \"p\"\nlevel = \"account\"\nstatementQuery = \"ALLOW a:b:c WHERE\"\n"
        ));
        assert!(
            e.starts_with("t.toml: dynatrace.policy \"p\": invalid statementQuery: "),
            "{e}"
        );
        assert!(e.contains("at 1:"), "{e}");
        let e = refused(&format!(
            "{base}[[dynatrace.binding]]\nlevel = \"account\"\npolicy = \"nope\"\ngroup = \"g\"\n"
        ));
        assert!(e.contains("no group called `g`"), "{e}");
        let e = refused(&format!(
            "{base}[[dynatrace.policy]]\nname = \"p\"\nlevel = \"environment:zzz\"\nstatementQuery = \"ALLOW a:b:c;\"\n"
        ));
        assert!(e.contains("environment zzz not found"), "{e}");
        let e = refused(&format!(
            "{base}[[dynatrace.settings_object]]\nschemaId = \"builtin:hyperscaler-authentication.aws.connection\"\nvalue = {{ name = \"n\", type = \"webIdentity\", webIdentity = {{ roleArn = \"nope\" }} }}\n"
        ));
        assert!(
            e.contains("value.webIdentity.roleArn: \"nope\" is not an IAM role ARN"),
            "{e}"
        );
        let e = refused(&format!("{base}extra = 1\n"));
        assert!(e.contains("unknown field `extra`"), "{e}");
        // A binding's parameters must fill the policy's ${{bindParam:…}}.
        let e = refused(&format!(
            "{base}[[dynatrace.group]]\nname = \"g\"\n[[dynatrace.policy]]\nname = \"p\"\nlevel = \"account\"\nstatementQuery = 'ALLOW settings:objects:read WHERE settings:schemaId = \"${{bindParam:schema}}\";'\n[[dynatrace.binding]]\nlevel = \"account\"\npolicy = \"p\"\ngroup = \"g\"\n"
        ));
        assert!(e.contains("gives no value for `schema`"), "{e}");
    }
}
