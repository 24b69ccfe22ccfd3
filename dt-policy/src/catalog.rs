//! Which conditions a permission supports, as far as binding boundaries needs to know.
//!
//! "Policy boundaries", How are policy boundaries applied: "Only conditions added to service
//! configuration will be applied to relative permissions. This rule doesn't apply to global
//! conditions. Global conditions will be applied to all permissions." Its example relies on
//! the per-permission lists of the "IAM policy reference": `storage:host.name` restricts
//! `storage:logs:read` but not `storage:entities:read`.
//!
//! The table covers the services of the Dynatrace documents this crate is tested against
//! (settings, environment roles, Grail storage, hyperscaler authentication, AppEngine apps).
//! Guess: for a permission not in it, a boundary condition applies when it names the same
//! service (`storage:…` conditions to `storage:…` permissions).

/// Conditions of `settings:objects:read` and `settings:objects:write` (IAM policy reference,
/// "settings").
const SETTINGS_OBJECTS: &[&str] = &[
    "settings:schemaId",
    "shared:app-id",
    "settings:schemaGroup",
    "settings:entity.hostGroup",
    "settings:scope",
    "environment:management-zone",
    "settings:dt.security_context",
];

/// Conditions of `settings:schemas:read` and `settings:objects:admin`.
const SETTINGS_SCHEMAS: &[&str] = &["settings:schemaId", "shared:app-id", "settings:schemaGroup"];

/// Conditions of the AppEngine app permissions (`app-engine:apps:install`, `…:run`, `…:delete`).
const APP_ENGINE_APPS: &[&str] = &["shared:app-id", "app-engine:app-installer"];

/// The management-zone condition of the environment roles ("Migrate role-based permissions";
/// the reference lists no condition for `agent-install` and `configure-request-capture-data`).
const MANAGEMENT_ZONE: &[&str] = &["environment:management-zone"];

/// `storage:buckets:read` (IAM policy reference, "storage").
const STORAGE_BUCKETS: &[&str] = &[
    "storage:table-name",
    "storage:bucket-name",
    "storage:query-consumption",
];

/// `storage:entities:read`: "entity permissions only allow filtering for the
/// dt.security_context field" (plus `storage:entity.type` in the reference).
const STORAGE_ENTITIES: &[&str] = &["storage:entity.type", "storage:dt.security_context"];

/// Record fields and the Grail tables they restrict ("Permissions in Grail", Record level
/// permissions, Supported fields).
const RECORD_FIELDS: &[(&str, &[&str])] = &[
    (
        "storage:event.kind",
        &["events", "security.events", "bizevents", "system"],
    ),
    (
        "storage:event.type",
        &["events", "security.events", "bizevents", "system"],
    ),
    (
        "storage:event.provider",
        &["events", "security.events", "bizevents", "system"],
    ),
    ("storage:k8s.namespace.name", SPREAD),
    ("storage:k8s.cluster.name", SPREAD),
    ("storage:host.name", SPREAD),
    ("storage:dt.host_group.id", SPREAD),
    ("storage:metric.key", &["metrics"]),
    ("storage:log.source", &["logs"]),
    (
        "storage:dt.security_context",
        &[
            "events",
            "security.events",
            "bizevents",
            "system",
            "logs",
            "metrics",
            "spans",
            "smartscape",
            "user.events",
            "user.sessions",
        ],
    ),
    ("storage:gcp.project.id", SPREAD),
    ("storage:aws.account.id", SPREAD),
    ("storage:azure.subscription", SPREAD),
    ("storage:azure.resource.group", SPREAD),
    (
        "storage:frontend.name",
        &["user.events", "user.sessions", "metrics", "smartscape"],
    ),
    // The reference lists `storage:bucket-name` for the record tables. Guess: every table
    // but smartscape (for which it is not shown).
    (
        "storage:bucket-name",
        &[
            "events",
            "security.events",
            "bizevents",
            "system",
            "logs",
            "metrics",
            "spans",
            "user.events",
            "user.sessions",
        ],
    ),
];

const SPREAD: &[&str] = &[
    "events",
    "security.events",
    "bizevents",
    "logs",
    "metrics",
    "spans",
    "smartscape",
];

/// The Grail table a `storage:<table>:read` permission reads ("Permissions in Grail", Table
/// permissions).
fn storage_table(permission: &str) -> Option<&'static str> {
    Some(match permission {
        "storage:logs:read" => "logs",
        "storage:events:read" => "events",
        "storage:security.events:read" => "security.events",
        "storage:metrics:read" => "metrics",
        "storage:bizevents:read" => "bizevents",
        "storage:spans:read" => "spans",
        "storage:smartscape:read" => "smartscape",
        "storage:system:read" => "system",
        "storage:user.events:read" => "user.events",
        "storage:user.sessions:read" => "user.sessions",
        _ => return None,
    })
}

/// The conditions `permission` supports, when the table knows it.
fn known(permission: &str, key: &str) -> Option<bool> {
    let list: &[&str] = match permission {
        "settings:objects:read" | "settings:objects:write" => SETTINGS_OBJECTS,
        "settings:schemas:read" | "settings:objects:admin" => SETTINGS_SCHEMAS,
        "app-engine:apps:install" | "app-engine:apps:run" | "app-engine:apps:delete" => {
            APP_ENGINE_APPS
        }
        "environment:roles:agent-install" | "environment:roles:configure-request-capture-data" => {
            &[]
        }
        p if p.starts_with("environment:roles:") => MANAGEMENT_ZONE,
        "hyperscaler-authentication:aws:authenticate"
        | "hyperscaler-authentication:azure:authenticate" => &[],
        "storage:buckets:read" => STORAGE_BUCKETS,
        "storage:entities:read" => STORAGE_ENTITIES,
        p => {
            let table = storage_table(p)?;
            return Some(
                RECORD_FIELDS
                    .iter()
                    .any(|(field, tables)| *field == key && tables.contains(&table)),
            );
        }
    };
    Some(list.contains(&key))
}

fn service(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

/// Whether a boundary condition on `key` restricts `permission`.
pub(crate) fn boundary_applies(permission: &str, key: &str) -> bool {
    if key.starts_with("global:") {
        return true;
    }
    known(permission, key).unwrap_or_else(|| service(permission) == service(key))
}

#[cfg(test)]
mod tests {
    use super::boundary_applies;

    #[test]
    fn documented_cases() {
        // The example of "How are policy boundaries applied?".
        assert!(boundary_applies("storage:logs:read", "storage:host.name"));
        assert!(!boundary_applies(
            "storage:entities:read",
            "storage:host.name"
        ));
        assert!(boundary_applies(
            "storage:entities:read",
            "storage:dt.security_context"
        ));
        // "Be aware that the management zones referenced in your boundaries only apply to
        // policy statements that support management zones."
        assert!(boundary_applies(
            "environment:roles:viewer",
            "environment:management-zone"
        ));
        assert!(!boundary_applies(
            "storage:logs:read",
            "environment:management-zone"
        ));
        assert!(!boundary_applies(
            "environment:roles:agent-install",
            "environment:management-zone"
        ));
        assert!(boundary_applies(
            "settings:objects:read",
            "environment:management-zone"
        ));
        assert!(!boundary_applies(
            "hyperscaler-authentication:aws:authenticate",
            "settings:schemaId"
        ));
        assert!(boundary_applies(
            "hyperscaler-authentication:aws:authenticate",
            "global:week-day"
        ));
        // Unknown permissions: same service.
        assert!(boundary_applies(
            "document:documents:read",
            "document:owner"
        ));
        assert!(!boundary_applies(
            "document:documents:read",
            "storage:bucket-name"
        ));
    }
}
