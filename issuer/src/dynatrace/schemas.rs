//! The two Settings 2.0 schemas of an AWS connection, as data: what a value must hold, how a
//! stored value is shown (secrets masked), the schema definitions `GET
//! /api/v2/settings/schemas` serves, and the layout of settings object IDs. Pure: no I/O.
//!
//! Sources: Dynatrace's "Settings API - AWS Connections schema table"
//! (`builtin:hyperscaler-authentication.aws.connection`, published 2024-10-14: `name` text,
//! `type` enum `webIdentity`, `webIdentity` {`roleArn` secret, `policyArns` list}) and
//! "Settings API - Connections to AWS environments schema table"
//! (`builtin:hyperscaler-authentication.connections.aws`, published 2025-09-25: `name`,
//! `type` enum `awsRoleBasedAuthentication` | `awsWebIdentity`, `awsWebIdentity` {`roleArn`,
//! `consumers`}, `awsRoleBasedAuthentication` {`roleArn`, `consumers`}); both have the scope
//! `environment`. FACTS-2026 adds `APP:dynatrace.biz.carbon` to the web-identity consumers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// The legacy connection schema (deprecated on 2026-03-31): tokens carry
/// `sub` = `dtid:connection/<name>`.
pub const LEGACY_SCHEMA: &str = "builtin:hyperscaler-authentication.aws.connection";
/// The current connection schema: tokens carry `sub` = `dt:connection-id/<objectId>`.
pub const CURRENT_SCHEMA: &str = crate::profile::DYNATRACE_SETTINGS_SCHEMA;
/// The only scope both schemas allow.
pub const ENVIRONMENT_SCOPE: &str = "environment";
/// The consumer the AWS Connector app is, in a current connection's `consumers`.
pub const AWS_CONNECTOR_CONSUMER: &str = "APP:dynatrace.aws.connector";
/// How a secret property reads back. Guess: Dynatrace masks secrets on read ("To change a
/// secret property, send its new value unmasked; to keep it, send the current masked value",
/// Settings API, PUT an object); the exact mask is not documented.
pub const SECRET_MASK: &str = "********";
/// The schema version every object is stored with. Guess: the schema tables do not show one.
pub const SCHEMA_VERSION: &str = "1.0.0";

/// The consumers of a current connection of type `awsWebIdentity`.
const WEB_IDENTITY_CONSUMERS: &[&str] = &[AWS_CONNECTOR_CONSUMER, "APP:dynatrace.biz.carbon"];
/// The consumers of a current connection of type `awsRoleBasedAuthentication`.
const ROLE_BASED_CONSUMERS: &[&str] = &[
    "DA",
    "SVC:com.dynatrace.da",
    "SVC:com.dynatrace.bo",
    "SVC:com.dynatrace.openpipeline",
    "SVC:com.dynatrace.grail",
    "NONE",
];
/// Longest `name` accepted. Guess: Dynatrace's text properties are bounded, the tables do not
/// say by what; IAM role session names and most Dynatrace names stay well under this.
const MAX_NAME: usize = 500;
/// Longest ARN accepted (IAM's own limit for role ARNs is 2048).
const MAX_ARN: usize = 2048;
/// Most `policyArns` a legacy connection may list (IAM's limit for session policy ARNs is 10).
const MAX_POLICY_ARNS: usize = 10;

/// The schemas this rig knows.
pub const SCHEMAS: [&str; 2] = [LEGACY_SCHEMA, CURRENT_SCHEMA];

/// Whether `schema_id` is one this rig knows.
pub fn known(schema_id: &str) -> bool {
    SCHEMAS.contains(&schema_id)
}

/// One constraint violation, in the Settings API's `ConstraintViolation` shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The property path inside the value, dotted (`webIdentity.roleArn`). Guess: the
    /// documentation shows only `"path": "string"`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Violation {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Violation {
        Violation {
            path: path.into(),
            message: message.into(),
        }
    }

    /// As JSON: `{"path", "message", "parameterLocation": "PAYLOAD_BODY", "location": null}`.
    pub fn to_json(&self) -> Value {
        json!({
            "path": self.path,
            "message": self.message,
            "parameterLocation": "PAYLOAD_BODY",
            "location": Value::Null,
        })
    }
}

/// What a checked connection value says about the token it can get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `name`.
    pub name: String,
    /// The role ARN (`webIdentity.roleArn` or `awsWebIdentity.roleArn`), when the connection
    /// authenticates with a web-identity token.
    pub web_identity_role: Option<String>,
    /// The current schema's `consumers` (empty for the legacy schema, which has none).
    pub consumers: Vec<String>,
    /// `type`.
    pub kind: String,
}

/// Reads a stored (already valid) value of `schema_id`.
pub fn connection(schema_id: &str, value: &Value) -> Connection {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let kind = text(&value["type"]);
    let (role, consumers) = if schema_id == LEGACY_SCHEMA {
        (Some(text(&value["webIdentity"]["roleArn"])), Vec::new())
    } else {
        let section = &value[kind.as_str()];
        let consumers = section["consumers"]
            .as_array()
            .map(|c| c.iter().map(text).collect())
            .unwrap_or_default();
        let role = (kind == "awsWebIdentity").then(|| text(&section["roleArn"]));
        (role, consumers)
    };
    Connection {
        name: text(&value["name"]),
        web_identity_role: role,
        consumers,
        kind,
    }
}

/// Checks `value` against `schema_id`; every violation at once. `previous` is the stored
/// value an update replaces: a secret sent back masked keeps its stored value, so the
/// returned value is what to store.
pub fn validate(
    schema_id: &str,
    value: &Value,
    previous: Option<&Value>,
) -> Result<Value, Vec<Violation>> {
    let Some(object) = value.as_object() else {
        return Err(vec![Violation::new("", "the value must be a JSON object")]);
    };
    let mut out = Vec::new();
    let mut stored = object.clone();
    match schema_id {
        LEGACY_SCHEMA => {
            allowed_keys(object, "", &["name", "type", "webIdentity"], &mut out);
            name(object, &mut out);
            enumeration(object, "", "type", &["webIdentity"], &mut out);
            if let Some(web) = section(object, "", "webIdentity", &mut out) {
                allowed_keys(web, "webIdentity.", &["roleArn", "policyArns"], &mut out);
                let kept = previous.and_then(|p| p["webIdentity"]["roleArn"].as_str());
                if let Some(role) = arn(web, "webIdentity.", "roleArn", kept, &mut out) {
                    stored["webIdentity"]["roleArn"] = Value::String(role);
                }
                policy_arns(web, &mut out);
            }
        }
        CURRENT_SCHEMA => {
            allowed_keys(
                object,
                "",
                &[
                    "name",
                    "type",
                    "awsWebIdentity",
                    "awsRoleBasedAuthentication",
                ],
                &mut out,
            );
            name(object, &mut out);
            let kinds = ["awsRoleBasedAuthentication", "awsWebIdentity"];
            let kind = enumeration(object, "", "type", &kinds, &mut out);
            for candidate in kinds {
                // Guess: the schema table marks both sections required, but a connection of
                // one type has no use for the other; only the selected one is required, the
                // other may be absent or null.
                let selected = kind.as_deref() == Some(candidate);
                if !selected {
                    if let Some(v) = object.get(candidate) {
                        if !v.is_null() {
                            out.push(Violation::new(
                                candidate,
                                format!("must be null unless type is {candidate}"),
                            ));
                        }
                    }
                    continue;
                }
                let prefix = format!("{candidate}.");
                if let Some(sub) = section(object, "", candidate, &mut out) {
                    allowed_keys(sub, &prefix, &["roleArn", "consumers"], &mut out);
                    arn(sub, &prefix, "roleArn", None, &mut out);
                    let allowed = if candidate == "awsWebIdentity" {
                        WEB_IDENTITY_CONSUMERS
                    } else {
                        ROLE_BASED_CONSUMERS
                    };
                    consumers(sub, &prefix, allowed, &mut out);
                }
            }
        }
        other => {
            out.push(Violation::new("", format!("unknown schema {other}")));
        }
    }
    if out.is_empty() {
        Ok(Value::Object(stored))
    } else {
        Err(out)
    }
}

fn allowed_keys(
    object: &Map<String, Value>,
    prefix: &str,
    keys: &[&str],
    out: &mut Vec<Violation>,
) {
    for key in object.keys() {
        if !keys.contains(&key.as_str()) {
            out.push(Violation::new(
                format!("{prefix}{key}"),
                format!("unknown property {key}: the schema has {}", keys.join(", ")),
            ));
        }
    }
}

fn name(object: &Map<String, Value>, out: &mut Vec<Violation>) {
    match object.get("name") {
        None | Some(Value::Null) => {
            out.push(Violation::new("name", "required property is missing"))
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            out.push(Violation::new("name", "must not be empty"))
        }
        Some(Value::String(s)) if s.chars().count() > MAX_NAME => out.push(Violation::new(
            "name",
            format!("must be at most {MAX_NAME} characters"),
        )),
        Some(Value::String(s)) if s.chars().any(char::is_control) => out.push(Violation::new(
            "name",
            "must not contain control characters",
        )),
        Some(Value::String(_)) => {}
        Some(_) => out.push(Violation::new("name", "must be text")),
    }
}

/// Checks an enum property; the value if it is one of `allowed`.
fn enumeration(
    object: &Map<String, Value>,
    prefix: &str,
    key: &str,
    allowed: &[&str],
    out: &mut Vec<Violation>,
) -> Option<String> {
    let path = format!("{prefix}{key}");
    match object.get(key) {
        None | Some(Value::Null) => {
            out.push(Violation::new(path, "required property is missing"));
            None
        }
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s.clone()),
        Some(other) => {
            out.push(Violation::new(
                path,
                format!("{other} is not one of {}", allowed.join(", ")),
            ));
            None
        }
    }
}

fn section<'v>(
    object: &'v Map<String, Value>,
    prefix: &str,
    key: &str,
    out: &mut Vec<Violation>,
) -> Option<&'v Map<String, Value>> {
    let path = format!("{prefix}{key}");
    match object.get(key) {
        None | Some(Value::Null) => {
            out.push(Violation::new(path, "required property is missing"));
            None
        }
        Some(Value::Object(map)) => Some(map),
        Some(_) => {
            out.push(Violation::new(path, "must be an object"));
            None
        }
    }
}

/// Checks a role ARN; with `kept` (the stored secret) a masked value stands for it. Returns
/// the value to store when it differs from what was sent (the kept secret).
fn arn(
    object: &Map<String, Value>,
    prefix: &str,
    key: &str,
    kept: Option<&str>,
    out: &mut Vec<Violation>,
) -> Option<String> {
    let path = format!("{prefix}{key}");
    let text = match object.get(key) {
        None | Some(Value::Null) => {
            out.push(Violation::new(path, "required property is missing"));
            return None;
        }
        Some(Value::String(s)) => s,
        Some(_) => {
            out.push(Violation::new(path, "must be text"));
            return None;
        }
    };
    if text == SECRET_MASK {
        return match kept {
            Some(kept) => Some(kept.to_string()),
            None => {
                out.push(Violation::new(
                    path,
                    "a masked secret can only keep the value of an existing object",
                ));
                None
            }
        };
    }
    if let Err(why) = role_arn(text) {
        out.push(Violation::new(path, why));
    }
    None
}

/// Whether `text` is an IAM role ARN. Guess: the schema tables only say "The ARN of the AWS role
/// that should be assumed"; a connection whose ARN is not a role ARN can never authenticate, so
/// it is refused here rather than at the first workflow run.
pub fn role_arn(text: &str) -> Result<(), String> {
    let bad = || {
        format!("{text:?} is not an IAM role ARN such as arn:aws:iam::000000000000:role/my-role")
    };
    if text.len() > MAX_ARN {
        return Err(format!("must be at most {MAX_ARN} characters"));
    }
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource
                    .strip_prefix("role/")
                    .is_some_and(|r| !r.is_empty() && !r.chars().any(char::is_whitespace)) =>
        {
            Ok(())
        }
        _ => Err(bad()),
    }
}

fn policy_arns(web: &Map<String, Value>, out: &mut Vec<Violation>) {
    let path = "webIdentity.policyArns";
    match web.get("policyArns") {
        // Guess: the table marks the list required, its text calls it optional; an absent list
        // is taken as empty.
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            if items.len() > MAX_POLICY_ARNS {
                out.push(Violation::new(
                    path,
                    format!("must list at most {MAX_POLICY_ARNS} policies"),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let ok = item.as_str().is_some_and(|s| {
                    s.starts_with("arn:aws") && s.contains(":policy/") && s.len() <= MAX_ARN
                });
                if !ok {
                    out.push(Violation::new(
                        format!("{path}[{i}]"),
                        format!("{item} is not an IAM policy ARN"),
                    ));
                }
            }
        }
        Some(_) => out.push(Violation::new(path, "must be a list of policy ARNs")),
    }
}

fn consumers(
    object: &Map<String, Value>,
    prefix: &str,
    allowed: &[&str],
    out: &mut Vec<Violation>,
) {
    let path = format!("{prefix}consumers");
    match object.get("consumers") {
        None | Some(Value::Null) => out.push(Violation::new(path, "required property is missing")),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let ok = item.as_str().is_some_and(|s| allowed.contains(&s));
                if !ok {
                    out.push(Violation::new(
                        format!("{path}[{i}]"),
                        format!("{item} is not one of {}", allowed.join(", ")),
                    ));
                }
            }
            let mut seen: Vec<&Value> = Vec::new();
            for item in items {
                if seen.contains(&item) {
                    out.push(Violation::new(
                        path.clone(),
                        format!("{item} is listed twice"),
                    ));
                }
                seen.push(item);
            }
        }
        Some(_) => out.push(Violation::new(path, "must be a list")),
    }
}

/// The value as a read shows it: the legacy schema's `roleArn` is a secret, masked.
pub fn masked(schema_id: &str, value: &Value) -> Value {
    let mut shown = value.clone();
    if schema_id == LEGACY_SCHEMA && shown["webIdentity"]["roleArn"].is_string() {
        shown["webIdentity"]["roleArn"] = Value::String(SECRET_MASK.into());
    }
    shown
}

/// A short summary of a value, as the `summary` field shows it.
pub fn summary(value: &Value) -> String {
    value["name"].as_str().unwrap_or_default().to_string()
}

/// The layout of a settings object ID, as the IDs Dynatrace publishes decode (base64url without
/// padding): an 8-byte marker, version 1 (4 bytes), then length-prefixed (2 bytes, big endian)
/// schema ID, scope type, scope ID and a UUID, and the marker again. Guess: read off published
/// IDs (`DEFAULT_CONNECTION_ID` is one of this layout); nothing documents it, and clients
/// must treat IDs as opaque anyway.
pub fn object_id(schema_id: &str, uuid: &str) -> String {
    const MARKER: [u8; 8] = [0xbe, 0xef, 0x54, 0xde, 0x15, 0xda, 0xde, 0xad];
    let mut bytes = Vec::with_capacity(64 + schema_id.len());
    bytes.extend_from_slice(&MARKER);
    bytes.extend_from_slice(&1u32.to_be_bytes());
    for part in [schema_id, "tenant", "tenant", uuid] {
        let len = u16::try_from(part.len()).unwrap_or(u16::MAX);
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(&part.as_bytes()[..usize::from(len)]);
    }
    bytes.extend_from_slice(&MARKER);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The schema's display name.
pub fn display_name(schema_id: &str) -> &'static str {
    match schema_id {
        LEGACY_SCHEMA => "AWS Connections",
        _ => "Connections to AWS environments",
    }
}

/// The schema definition `GET /api/v2/settings/schemas/{schemaId}` serves. Guess: the element
/// names of Dynatrace's `SchemaDefinitionRestDto` (`schemaId`, `version`, `displayName`,
/// `description`, `multiObject`, `allowedScopes`, `properties`, `types`), reduced to what the
/// schema tables show.
pub fn definition(schema_id: &str) -> Value {
    let text =
        |name: &str, kind: &str| json!({"displayName": name, "type": kind, "nullable": false});
    let list_of = |name: &str, items: Vec<&str>| {
        json!({"displayName": name, "type": "list", "nullable": false,
               "items": {"type": "enum", "values": items}})
    };
    if schema_id == LEGACY_SCHEMA {
        json!({
            "schemaId": LEGACY_SCHEMA,
            "version": SCHEMA_VERSION,
            "displayName": display_name(LEGACY_SCHEMA),
            "description": "Available connections for AWS for Workflows. A connection is used to authenticate against your AWS account. The retrieved, temporary AWS credentials are used to execute the AWS workflow actions.",
            "multiObject": true,
            "allowedScopes": [ENVIRONMENT_SCOPE],
            "properties": {
                "name": text("Name", "text"),
                "type": {"displayName": "Credential Type", "type": "enum", "values": ["webIdentity"], "nullable": false},
                "webIdentity": {"type": {"$ref": "#/types/WebIdentity"}, "nullable": false},
            },
            "types": {"WebIdentity": {"properties": {
                "roleArn": {"displayName": "Role ARN", "type": "secret", "nullable": false,
                            "description": "The ARN of the AWS role that should be assumed"},
                "policyArns": {"displayName": "Policy ARNs", "type": "list", "nullable": false,
                               "items": {"type": "text"},
                               "description": "An optional list of policies that can be used to restrict the AWS role"},
            }}},
        })
    } else {
        json!({
            "schemaId": CURRENT_SCHEMA,
            "version": SCHEMA_VERSION,
            "displayName": display_name(CURRENT_SCHEMA),
            "description": "Connections to AWS for Dynatrace integrations",
            "multiObject": true,
            "allowedScopes": [ENVIRONMENT_SCOPE],
            "properties": {
                "name": {"displayName": "Name", "type": "text", "nullable": false, "description": "The name of the connection"},
                "type": {"displayName": "Connection Type", "type": "enum",
                         "values": ["awsRoleBasedAuthentication", "awsWebIdentity"], "nullable": false,
                         "description": "AWS Authentication mechanism to be used by the connection"},
                "awsRoleBasedAuthentication": {"type": {"$ref": "#/types/AwsRoleBasedAuthenticationConfig"}, "nullable": true},
                "awsWebIdentity": {"type": {"$ref": "#/types/AwsWebIdentity"}, "nullable": true},
            },
            "types": {
                "AwsRoleBasedAuthenticationConfig": {"properties": {
                    "roleArn": text("AWS IAM Role ARN", "text"),
                    "consumers": list_of("Consumers", ROLE_BASED_CONSUMERS.to_vec()),
                }},
                "AwsWebIdentity": {"properties": {
                    "roleArn": text("AWS IAM Role ARN", "text"),
                    "consumers": list_of("Consumers", WEB_IDENTITY_CONSUMERS.to_vec()),
                }},
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_have_the_published_layout() {
        // The built-in default's current-form connection ID was made in this layout.
        assert_eq!(
            object_id(CURRENT_SCHEMA, "5f3c8a21-7d4e-3b9f-a6c2-1e8d0b47f935"),
            crate::profile::DEFAULT_CONNECTION_ID
        );
    }

    #[test]
    fn legacy_values() {
        let good = json!({"name": "my-connection", "type": "webIdentity",
            "webIdentity": {"roleArn": "arn:aws:iam::000000000000:role/r", "policyArns": []}});
        assert_eq!(validate(LEGACY_SCHEMA, &good, None).unwrap(), good);
        let bad = json!({"name": "", "type": "awsWebIdentity", "extra": 1,
            "webIdentity": {"roleArn": "arn:aws:s3:::bucket", "policyArns": ["x"]}});
        let paths: Vec<String> = validate(LEGACY_SCHEMA, &bad, None)
            .unwrap_err()
            .into_iter()
            .map(|v| v.path)
            .collect();
        assert_eq!(
            paths,
            [
                "extra",
                "name",
                "type",
                "webIdentity.roleArn",
                "webIdentity.policyArns[0]"
            ]
        );
        // A masked secret keeps the stored one; without one it is refused.
        let masked_value = masked(LEGACY_SCHEMA, &good);
        assert_eq!(masked_value["webIdentity"]["roleArn"], SECRET_MASK);
        assert_eq!(
            validate(LEGACY_SCHEMA, &masked_value, Some(&good)).unwrap(),
            good
        );
        assert!(validate(LEGACY_SCHEMA, &masked_value, None).is_err());
    }

    #[test]
    fn current_values() {
        let good = json!({"name": "my-connection", "type": "awsWebIdentity",
            "awsWebIdentity": {"roleArn": "arn:aws:iam::000000000000:role/r",
                               "consumers": [AWS_CONNECTOR_CONSUMER]}});
        validate(CURRENT_SCHEMA, &good, None).unwrap();
        let c = connection(CURRENT_SCHEMA, &good);
        assert_eq!(
            c.web_identity_role.as_deref(),
            Some("arn:aws:iam::000000000000:role/r")
        );
        assert_eq!(c.consumers, [AWS_CONNECTOR_CONSUMER]);
        let role_based = json!({"name": "n", "type": "awsRoleBasedAuthentication",
            "awsRoleBasedAuthentication": {"roleArn": "arn:aws:iam::000000000000:role/r",
                                           "consumers": ["DA"]},
            "awsWebIdentity": null});
        validate(CURRENT_SCHEMA, &role_based, None).unwrap();
        assert_eq!(
            connection(CURRENT_SCHEMA, &role_based).web_identity_role,
            None
        );
        let bad = json!({"name": "n", "type": "awsWebIdentity",
            "awsWebIdentity": {"roleArn": "arn:aws:iam::000000000000:role/r",
                               "consumers": ["DA", AWS_CONNECTOR_CONSUMER, AWS_CONNECTOR_CONSUMER]},
            "awsRoleBasedAuthentication": {}});
        let messages: Vec<String> = validate(CURRENT_SCHEMA, &bad, None)
            .unwrap_err()
            .into_iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect();
        assert_eq!(
            messages,
            [
                "awsRoleBasedAuthentication: must be null unless type is awsRoleBasedAuthentication",
                "awsWebIdentity.consumers[0]: \"DA\" is not one of APP:dynatrace.aws.connector, APP:dynatrace.biz.carbon",
                "awsWebIdentity.consumers: \"APP:dynatrace.aws.connector\" is listed twice",
            ]
        );
        assert!(validate(CURRENT_SCHEMA, &json!([]), None).is_err());
    }

    #[test]
    fn role_arns() {
        assert!(role_arn("arn:aws:iam::000000000000:role/path/name").is_ok());
        assert!(role_arn("arn:aws-cn:iam::123456789012:role/x").is_ok());
        for bad in [
            "",
            "arn:aws:iam::0000:role/x",
            "arn:aws:iam::000000000000:user/x",
            "arn:aws:iam::000000000000:role/",
        ] {
            assert!(role_arn(bad).is_err(), "{bad}");
        }
    }
}
