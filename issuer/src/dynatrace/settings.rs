//! Settings 2.0 for the AWS connection schemas: `GET`/`POST /api/v2/settings/objects`,
//! `GET`/`PUT`/`DELETE /api/v2/settings/objects/{objectId}`, and `GET
//! /api/v2/settings/schemas[/{schemaId}]`, in the shapes of Dynatrace's Settings API
//! reference ("Settings API - POST an object", "GET objects", "GET an object", "PUT an
//! object", "DELETE an object": `SettingsObjectCreate`, `SettingsObjectResponse`,
//! `ObjectsList`, `SettingsObjectByObjectIdResponse`, `ErrorEnvelope` with
//! `constraintViolations`).
//!
//! Authorization: the token's scope (`settings:objects:read`, `settings:objects:write`,
//! `settings:schemas:read`) and then the caller's policies for the same permission with the
//! `settings:schemaId` (and `settings:scope`) condition attributes of the object (002_*.txt:
//! `ALLOW settings:objects:read WHERE settings:schemaId = "..."`). A list shows only the
//! objects the caller may read, as the platform Settings API says ("objects you lack
//! permission for aren't returned").
//!
//! The environment acted in is the object's own; a create or a list names it with a `Host`
//! of `<environment>.live.dynatrace.com` (or `.apps.`), a token for `urn:dtenvironment:<env>`,
//! or, with a single environment, needs nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hyper::{Method, Response, StatusCode};
use rig_core::http::Body;
use serde_json::{json, Map, Value};

use super::authz::{self, Audit, Need, Verdict};
use super::http::{self, envelope, json as answer, no_content, Req, Shape};
use super::model::{SettingsObject, World};
use super::oauth::{Caller, Resource};
use super::schemas::{self, Violation, ENVIRONMENT_SCOPE, SCHEMA_VERSION};
use super::Ctx;

const READ: &str = "settings:objects:read";
const WRITE: &str = "settings:objects:write";
const SCHEMAS_READ: &str = "settings:schemas:read";
/// "The maximal allowed page size is 500. If not set, 100 is used." (GET objects)
const MAX_PAGE_SIZE: usize = 500;
const DEFAULT_PAGE_SIZE: usize = 100;
/// The fields `fields` may name (GET objects).
const FIELDS: &[&str] = &[
    "objectId",
    "summary",
    "searchSummary",
    "created",
    "modified",
    "createdBy",
    "modifiedBy",
    "author",
    "updateToken",
    "scope",
    "modificationInfo",
    "resourceContext",
    "owner",
    "schemaId",
    "schemaVersion",
    "value",
    "externalId",
];
/// Guess: the default set of `fields` is `objectId,value` (the documentation says only that
/// the parameter "replaces the default set").
const DEFAULT_FIELDS: &[&str] = &["objectId", "value"];
/// Most objects one POST may create. Guess: undocumented; the body limit bounds it anyway.
const MAX_CREATE: usize = 100;

/// `rest` is the path after `/api/v2/settings/`.
pub fn route(ctx: &Ctx<'_>, req: &Req, rest: &str) -> Response<Body> {
    let path = req.path.as_str();
    match rest.split_once('/') {
        None if rest == "objects" => match req.method {
            Method::GET => list(ctx, req),
            Method::POST => create(ctx, req),
            _ => http::not_allowed(Shape::Envelope, path, &[Method::GET, Method::POST]),
        },
        Some(("objects", id)) if !id.is_empty() && !id.contains('/') => match req.method {
            Method::GET => get(ctx, req, id),
            Method::PUT => update(ctx, req, id),
            Method::DELETE => delete(ctx, req, id),
            _ => http::not_allowed(
                Shape::Envelope,
                path,
                &[Method::GET, Method::PUT, Method::DELETE],
            ),
        },
        None if rest == "schemas" => match req.method {
            Method::GET => list_schemas(ctx, req),
            _ => http::not_allowed(Shape::Envelope, path, &[Method::GET]),
        },
        Some(("schemas", id)) if !id.is_empty() && !id.contains('/') => match req.method {
            Method::GET => get_schema(ctx, req, id),
            _ => http::not_allowed(Shape::Envelope, path, &[Method::GET]),
        },
        _ => http::no_endpoint(Shape::Envelope, path),
    }
}

/// `{"error": {"code": 400, "message": "Constraints violated.", "constraintViolations": [...]}}`
/// (the Settings API's `Error` object; Dynatrace's usual message).
fn violations_error(code: u16, violations: &[Violation]) -> Value {
    json!({
        "code": code,
        "message": "Constraints violated.",
        "constraintViolations": violations.iter().map(Violation::to_json).collect::<Vec<_>>(),
    })
}

fn bad_request(violations: &[Violation]) -> Response<Body> {
    answer(
        StatusCode::BAD_REQUEST,
        &json!({ "error": violations_error(400, violations) }),
    )
}

fn query_violation(path: &str, message: impl Into<String>) -> Response<Body> {
    let v = json!({"path": path, "message": message.into(), "parameterLocation": "QUERY", "location": Value::Null});
    answer(
        StatusCode::BAD_REQUEST,
        &json!({"error": {"code": 400, "message": "Constraints violated.", "constraintViolations": [v]}}),
    )
}

/// Whether `caller` sees objects of `environment` at all (a token for one environment sees
/// only that one).
fn visible(caller: &Caller, environment: &str) -> bool {
    match &caller.resource {
        Resource::Account(_) => true,
        Resource::Environment(e) => e == environment,
    }
}

/// The environment a create or list acts in. Guess: Dynatrace addresses an environment by its
/// host (`<env>.live.dynatrace.com`); one local address serves them all here, so the `Host`
/// header, then the token's resource, then the only environment name it.
fn environment_of(world: &World, caller: &Caller, req: &Req) -> Result<String, String> {
    let from_host = req.host.as_deref().and_then(|host| {
        let host = host.split(':').next().unwrap_or(host);
        let (label, domain) = host.split_once('.')?;
        let dynatrace = ["live.dynatrace.com", "apps.dynatrace.com"].contains(&domain);
        (dynatrace && world.environments.iter().any(|e| e == label)).then(|| label.to_string())
    });
    let from_token = match &caller.resource {
        Resource::Environment(e) => Some(e.clone()),
        Resource::Account(_) => None,
    };
    match (from_host, from_token) {
        (Some(h), Some(t)) if h != t => Err(format!(
            "the request is for environment {h} (Host) but the token is for environment {t}"
        )),
        (Some(e), _) | (None, Some(e)) => Ok(e),
        (None, None) => match world.environments.as_slice() {
            [only] => Ok(only.clone()),
            many => Err(format!(
                "name the environment ({}): send Host: <environment>.live.dynatrace.com, or use a token for urn:dtenvironment:<environment>",
                many.join(", ")
            )),
        },
    }
}

/// An object as the API shows it, with the fields asked for.
fn render(object: &SettingsObject, fields: &[&str], operations: &[&str]) -> Value {
    let mut out = Map::new();
    for field in fields {
        let value = match *field {
            "objectId" => json!(object.object_id),
            "summary" | "searchSummary" => json!(schemas::summary(&object.value)),
            "created" => json!(object.created),
            "modified" => json!(object.modified),
            "createdBy" => json!(object.created_by),
            "modifiedBy" | "author" => json!(object.modified_by),
            "updateToken" => json!(object.update_token()),
            "scope" => json!(ENVIRONMENT_SCOPE),
            "modificationInfo" => json!({
                "deletable": operations.contains(&"delete"),
                "modifiable": operations.contains(&"write"),
                "movable": false, "first": false,
                "modifiablePaths": [], "nonModifiablePaths": [],
            }),
            "resourceContext" => json!({
                "operations": operations,
                "modifications": {"movable": false, "first": false,
                                  "modifiablePaths": [], "nonModifiablePaths": []},
            }),
            "owner" => json!({"type": "user", "id": object.created_by}),
            "schemaId" => json!(object.schema_id),
            "schemaVersion" => json!(SCHEMA_VERSION),
            "value" => schemas::masked(&object.schema_id, &object.value),
            // Not stored by this rig (creating with one is refused).
            "externalId" => continue,
            _ => continue,
        };
        out.insert((*field).to_string(), value);
    }
    Value::Object(out)
}

/// The operations `caller` may perform on objects of `schema_id` (`resourceContext`).
fn operations(policies: &authz::Policies<'_>, schema_id: &str) -> Vec<&'static str> {
    let mut ops = vec!["read"];
    if policies.allows(&Need::settings(WRITE, schema_id)) {
        ops.extend(["write", "delete"]);
    }
    ops
}

fn audit(req: &Req, caller: &Caller, environment: Option<&str>, object_id: Option<&str>) -> Audit {
    Audit {
        request: req.line(),
        client_id: caller.client_id.clone(),
        environment: environment.map(str::to_string),
        object_id: object_id.map(str::to_string),
    }
}

/// Records `verdict` and, for a refusal, answers its 403.
fn enforce(
    ctx: &Ctx<'_>,
    audit: &Audit,
    verdict: &Verdict,
    ok_status: u16,
) -> Option<Response<Body>> {
    let status = if verdict.allowed() { ok_status } else { 403 };
    audit.verdict(ctx.log(), ctx.now(), verdict, status);
    verdict.response(Shape::Envelope)
}

/// What a list page remembers, in `nextPageKey`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Page {
    schema_ids: Vec<String>,
    scopes: Vec<String>,
    fields: Vec<String>,
    size: usize,
    offset: usize,
    environment: String,
}

fn split_list(text: Option<&str>) -> Vec<String> {
    text.map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

fn list(ctx: &Ctx<'_>, req: &Req) -> Response<Body> {
    let caller = match ctx.authenticate(req, Shape::Envelope) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let world = ctx.world();
    // Guess: refused rather than ignored, so that a filter never silently matches everything.
    for unsupported in ["filter", "sort", "externalIds"] {
        if req.param(unsupported).is_some() {
            return query_violation(
                unsupported,
                format!("{unsupported} is not supported by this issuer's Settings API"),
            );
        }
    }
    let page = match req.param("nextPageKey") {
        Some(key) => {
            if req.query.len() > 1 {
                return query_violation(
                    "nextPageKey",
                    "When the nextPageKey is set to obtain subsequent pages, you must omit all other query parameters.",
                );
            }
            match URL_SAFE_NO_PAD
                .decode(key)
                .ok()
                .and_then(|b| serde_json::from_slice::<Page>(&b).ok())
            {
                Some(page) => page,
                None => {
                    return query_violation(
                        "nextPageKey",
                        "the nextPageKey is not one this API gave out",
                    )
                }
            }
        }
        None => {
            let schema_ids = split_list(req.param("schemaIds"));
            let scopes = split_list(req.param("scopes"));
            if schema_ids.is_empty() && scopes.is_empty() {
                return query_violation(
                    "schemaIds",
                    "To load the first page, when the nextPageKey is not set, either schemaIds or scopes is required.",
                );
            }
            let fields = match req.param("fields") {
                Some(f) => split_list(Some(f)),
                None => DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect(),
            };
            if let Some(bad) = fields.iter().find(|f| !FIELDS.contains(&f.as_str())) {
                return query_violation(
                    "fields",
                    format!("unknown field {bad}; supported: {}", FIELDS.join(", ")),
                );
            }
            let size = match req.param("pageSize").map(str::parse::<usize>) {
                None => DEFAULT_PAGE_SIZE,
                Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
                Some(_) => {
                    return query_violation(
                        "pageSize",
                        format!("pageSize must be between 1 and {MAX_PAGE_SIZE}"),
                    )
                }
            };
            if let Some(unknown) = schema_ids.iter().find(|s| !schemas::known(s)) {
                return envelope(
                    StatusCode::NOT_FOUND,
                    // Guess at the wording of "The specified schema or scope is not found".
                    format!("Schema {unknown} not found"),
                    None,
                );
            }
            let environment = match environment_of(&world, &caller, req) {
                Ok(e) => e,
                Err(e) => return query_violation("scopes", e),
            };
            Page {
                schema_ids,
                scopes,
                fields,
                size,
                offset: 0,
                environment,
            }
        }
    };
    if let Some(verdict) = authz::missing_scopes(&caller, &[READ]) {
        let a = audit(req, &caller, Some(&page.environment), None);
        return enforce(ctx, &a, &verdict, 200).unwrap_or_else(no_content);
    }
    let fields: Vec<&str> = page.fields.iter().map(String::as_str).collect();
    // Every object of these schemas targets the environment scope.
    let scope_matches =
        page.scopes.is_empty() || page.scopes.iter().any(|s| s == ENVIRONMENT_SCOPE);
    // Every object listed is of the page's environment: its policies are bound once.
    let policies = authz::Policies::of(&world, &caller, Some(&page.environment));
    let matching: Vec<&SettingsObject> = world
        .objects
        .iter()
        .filter(|o| o.environment == page.environment && visible(&caller, &o.environment))
        .filter(|o| page.schema_ids.is_empty() || page.schema_ids.contains(&o.schema_id))
        .filter(|_| scope_matches)
        .filter(|o| policies.allows(&Need::settings(READ, &o.schema_id)))
        .collect();
    let total = matching.len();
    let items: Vec<Value> = matching
        .iter()
        .skip(page.offset)
        .take(page.size)
        .map(|o| {
            let ops = if fields.contains(&"resourceContext") || fields.contains(&"modificationInfo")
            {
                operations(&policies, &o.schema_id)
            } else {
                Vec::new()
            };
            render(o, &fields, &ops)
        })
        .collect();
    let next = page.offset + items.len();
    let next_key = (next < total).then(|| {
        let next_page = Page {
            offset: next,
            ..page
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&next_page).unwrap_or_default())
    });
    answer(
        StatusCode::OK,
        &json!({
            "items": items,
            "totalCount": total,
            "pageSize": items.len(),
            "nextPageKey": next_key,
        }),
    )
}

/// 409 for a stale update token. Guess at the wording; the API documents "Failed.
/// Conflicting resource." and that the token makes a change fail "if there was any change
/// between the retrieval and the update".
fn conflict() -> Value {
    json!({"code": 409, "error": {"code": 409,
        "message": "The update token does not match: the object was modified since it was read"}})
}

/// 404 for an unknown object, worded as the API's response description ("No object available
/// for the given objectId").
fn not_found(object_id: &str) -> Response<Body> {
    envelope(
        StatusCode::NOT_FOUND,
        format!("No object available for the given objectId {object_id}"),
        None,
    )
}

fn get(ctx: &Ctx<'_>, req: &Req, object_id: &str) -> Response<Body> {
    let caller = match ctx.authenticate(req, Shape::Envelope) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let world = ctx.world();
    let Some(object) = world
        .object(object_id)
        .filter(|o| visible(&caller, &o.environment))
    else {
        return not_found(object_id);
    };
    let a = audit(req, &caller, Some(&object.environment), Some(object_id));
    let verdict = authz::decide(
        &world,
        &caller,
        Some(&object.environment),
        &[Need::settings(READ, &object.schema_id)],
    );
    if let Some(denied) = enforce(ctx, &a, &verdict, 200) {
        return denied;
    }
    let policies = authz::Policies::of(&world, &caller, Some(&object.environment));
    let ops = operations(&policies, &object.schema_id);
    let fields: Vec<&str> = FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "modificationInfo")
        .collect();
    answer(StatusCode::OK, &render(object, &fields, &ops))
}

/// The string field `name` of a body object, checked.
fn text_field<'v>(
    object: &'v Map<String, Value>,
    name: &str,
    out: &mut Vec<Violation>,
) -> Option<&'v str> {
    match object.get(name) {
        Some(Value::String(s)) => Some(s),
        None | Some(Value::Null) => {
            out.push(Violation {
                path: name.into(),
                message: "required property is missing".into(),
            });
            None
        }
        Some(_) => {
            out.push(Violation {
                path: name.into(),
                message: "must be a string".into(),
            });
            None
        }
    }
}

/// One item's answer: `{"code": 200, "objectId"}` or `{"code", "error", "invalidValue"?}`.
fn item_error(code: u16, violations: &[Violation], invalid: Option<&Value>) -> Value {
    let mut item = json!({ "code": code, "error": violations_error(code, violations) });
    if let Some(v) = invalid {
        item["invalidValue"] = v.clone();
    }
    item
}

fn create(ctx: &Ctx<'_>, req: &Req) -> Response<Body> {
    let caller = match ctx.authenticate(req, Shape::Envelope) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let body = match req.json() {
        Ok(body) => body,
        Err(e) => {
            return bad_request(&[Violation {
                path: String::new(),
                message: e,
            }])
        }
    };
    let Some(items) = body.as_array() else {
        return bad_request(&[Violation {
            path: String::new(),
            message: "the body must be a JSON array of SettingsObjectCreate objects".into(),
        }]);
    };
    if items.is_empty() || items.len() > MAX_CREATE {
        return bad_request(&[Violation {
            path: String::new(),
            message: format!("the body must hold 1 to {MAX_CREATE} settings objects"),
        }]);
    }
    let validate_only = req.param("validateOnly") == Some("true");
    let mut world = ctx.world();
    let environment = match environment_of(&world, &caller, req) {
        Ok(e) => e,
        Err(e) => {
            return bad_request(&[Violation {
                path: "scope".into(),
                message: e,
            }])
        }
    };
    let a = audit(req, &caller, Some(&environment), None);
    if let Some(verdict) = authz::missing_scopes(&caller, &[WRITE]) {
        return enforce(ctx, &a, &verdict, 200).unwrap_or_else(no_content);
    }
    // Every schema the request writes must be writable, or nothing is written (403). Guess:
    // the API documents a 403 for the whole request, not per object.
    let mut needs: Vec<Need> = Vec::new();
    for item in items {
        if let Some(schema) = item
            .get("schemaId")
            .and_then(Value::as_str)
            .filter(|s| schemas::known(s))
        {
            let need = Need::settings(WRITE, schema);
            if !needs.contains(&need) {
                needs.push(need);
            }
        }
    }
    if !needs.is_empty() {
        let verdict = authz::decide(&world, &caller, Some(&environment), &needs);
        if let Some(denied) = enforce(ctx, &a, &verdict, 200) {
            return denied;
        }
    }

    let now = ctx.clock().unix() * 1000;
    let mut answers = Vec::with_capacity(items.len());
    let mut pending: Vec<SettingsObject> = Vec::new();
    for item in items {
        let mut violations = Vec::new();
        let Some(object) = item.as_object() else {
            answers.push(item_error(
                400,
                &[Violation {
                    path: String::new(),
                    message: "must be a SettingsObjectCreate object".into(),
                }],
                None,
            ));
            continue;
        };
        for key in object.keys() {
            match key.as_str() {
                "schemaId" | "scope" | "value" | "schemaVersion" | "insertAfter" => {}
                // Guess: external IDs (and replacing by them) are not modelled; refused rather
                // than silently dropped.
                "externalId" | "objectId" => violations.push(Violation {
                    path: key.clone(),
                    message: format!("{key} is not supported by this issuer's Settings API"),
                }),
                other => violations.push(Violation {
                    path: other.into(),
                    message: format!("unknown property {other}"),
                }),
            }
        }
        let schema_id = text_field(object, "schemaId", &mut violations);
        if let Some(schema) = schema_id {
            if !schemas::known(schema) {
                answers.push(json!({"code": 404, "error": {"code": 404, "message": format!("Schema {schema} not found")}}));
                continue;
            }
        }
        if let Some(scope) = text_field(object, "scope", &mut violations) {
            if scope != ENVIRONMENT_SCOPE {
                violations.push(Violation {
                    path: "scope".into(),
                    message: format!(
                        "scope {scope} is not allowed for this schema: use environment"
                    ),
                });
            }
        }
        let value = object.get("value");
        if value.is_none() {
            violations.push(Violation {
                path: "value".into(),
                message: "required property is missing".into(),
            });
        }
        let (Some(schema_id), Some(value), true) = (schema_id, value, violations.is_empty()) else {
            answers.push(item_error(400, &violations, value));
            continue;
        };
        let stored = match schemas::validate(schema_id, value, None) {
            Ok(v) => v,
            Err(v) => {
                answers.push(item_error(400, &v, Some(value)));
                continue;
            }
        };
        let clash = world
            .check_unique_name(&environment, schema_id, &stored, None)
            .err()
            .or_else(|| {
                pending
                    .iter()
                    .any(|p| p.schema_id == schema_id && p.value["name"] == stored["name"])
                    .then(|| Violation {
                        path: "name".into(),
                        message: format!(
                            "the request creates two connections named {}",
                            stored["name"]
                        ),
                    })
            });
        if let Some(v) = clash {
            answers.push(item_error(400, &[v], Some(value)));
            continue;
        }
        let object = SettingsObject {
            object_id: schemas::object_id(schema_id, &uuid::Uuid::new_v4().to_string()),
            environment: environment.clone(),
            schema_id: schema_id.to_string(),
            value: stored,
            created: now,
            modified: now,
            created_by: caller.client_id.clone(),
            modified_by: caller.client_id.clone(),
            version: 1,
        };
        answers.push(json!({"code": 200, "objectId": object.object_id}));
        pending.push(object);
    }
    if !validate_only {
        let mut pending = pending.into_iter();
        for answer_item in answers.iter_mut().filter(|a| a["code"] == 200) {
            let Some(object) = pending.next() else { break };
            if let Err(refusal) = world.add_object(object) {
                let message = match refusal {
                    super::model::Refusal::Invalid(m) | super::model::Refusal::NotFound(m) => m,
                };
                *answer_item = item_error(
                    400,
                    &[Violation {
                        path: String::new(),
                        message,
                    }],
                    None,
                );
            }
        }
    } else {
        // validateOnly: "the request runs only validation ... without saving"; no IDs exist.
        for a in answers.iter_mut().filter(|a| a["code"] == 200) {
            a.as_object_mut().map(|m| m.remove("objectId"));
        }
    }
    let codes: Vec<u64> = answers.iter().filter_map(|a| a["code"].as_u64()).collect();
    let status = match codes.first() {
        Some(first) if codes.iter().all(|c| c == first) => {
            StatusCode::from_u16(*first as u16).unwrap_or(StatusCode::OK)
        }
        _ => StatusCode::MULTI_STATUS,
    };
    answer(status, &Value::Array(answers))
}

fn update(ctx: &Ctx<'_>, req: &Req, object_id: &str) -> Response<Body> {
    let caller = match ctx.authenticate(req, Shape::Envelope) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let body = match req.json() {
        Ok(body) => body,
        Err(e) => {
            return bad_request(&[Violation {
                path: String::new(),
                message: e,
            }])
        }
    };
    let mut world = ctx.world();
    let Some(object) = world
        .object(object_id)
        .filter(|o| visible(&caller, &o.environment))
        .cloned()
    else {
        return answer(
            StatusCode::NOT_FOUND,
            &json!({"code": 404, "error": {"code": 404, "message": format!("No object available for the given objectId {object_id}")}}),
        );
    };
    let a = audit(req, &caller, Some(&object.environment), Some(object_id));
    // "The settings.read scope is required as well" (PUT an object).
    let needs = [
        Need::settings(WRITE, &object.schema_id),
        Need::settings(READ, &object.schema_id),
    ];
    let verdict = authz::decide(&world, &caller, Some(&object.environment), &needs);
    if let Some(denied) = enforce(ctx, &a, &verdict, 200) {
        return denied;
    }
    let Some(update) = body.as_object() else {
        return answer(
            StatusCode::BAD_REQUEST,
            &item_error(
                400,
                &[Violation {
                    path: String::new(),
                    message: "the body must be a SettingsObjectUpdate object".into(),
                }],
                None,
            ),
        );
    };
    let mut violations = Vec::new();
    for key in update.keys() {
        if ![
            "value",
            "schemaVersion",
            "updateToken",
            "insertAfter",
            "insertBefore",
        ]
        .contains(&key.as_str())
        {
            violations.push(Violation {
                path: key.clone(),
                message: format!("unknown property {key}"),
            });
        }
    }
    if let Some(token) = update.get("updateToken").filter(|t| !t.is_null()) {
        if token.as_str() != Some(object.update_token().as_str()) {
            return answer(StatusCode::CONFLICT, &conflict());
        }
    }
    let Some(value) = update.get("value") else {
        violations.push(Violation {
            path: "value".into(),
            message: "required property is missing".into(),
        });
        return answer(StatusCode::BAD_REQUEST, &item_error(400, &violations, None));
    };
    if !violations.is_empty() {
        return answer(
            StatusCode::BAD_REQUEST,
            &item_error(400, &violations, Some(value)),
        );
    }
    let stored = match schemas::validate(&object.schema_id, value, Some(&object.value)) {
        Ok(v) => v,
        Err(v) => return answer(StatusCode::BAD_REQUEST, &item_error(400, &v, Some(value))),
    };
    if let Err(v) = world.check_unique_name(
        &object.environment,
        &object.schema_id,
        &stored,
        Some(object_id),
    ) {
        return answer(StatusCode::BAD_REQUEST, &item_error(400, &[v], Some(value)));
    }
    if req.param("validateOnly") != Some("true") {
        let now = ctx.clock().unix() * 1000;
        if let Some(o) = world.objects.iter_mut().find(|o| o.object_id == object_id) {
            o.value = stored;
            o.modified = now;
            o.modified_by = caller.client_id.clone();
            o.version += 1;
        }
    }
    answer(StatusCode::OK, &json!({"code": 200, "objectId": object_id}))
}

fn delete(ctx: &Ctx<'_>, req: &Req, object_id: &str) -> Response<Body> {
    let caller = match ctx.authenticate(req, Shape::Envelope) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let mut world = ctx.world();
    let Some(object) = world
        .object(object_id)
        .filter(|o| visible(&caller, &o.environment))
        .cloned()
    else {
        return answer(
            StatusCode::NOT_FOUND,
            &json!({"code": 404, "error": {"code": 404, "message": format!("No object available for the given objectId {object_id}")}}),
        );
    };
    let a = audit(req, &caller, Some(&object.environment), Some(object_id));
    let verdict = authz::decide(
        &world,
        &caller,
        Some(&object.environment),
        &[Need::settings(WRITE, &object.schema_id)],
    );
    if let Some(denied) = enforce(ctx, &a, &verdict, 204) {
        return denied;
    }
    if let Some(token) = req.param("updateToken") {
        if token != object.update_token() {
            return answer(StatusCode::CONFLICT, &conflict());
        }
    }
    world.objects.retain(|o| o.object_id != object_id);
    no_content()
}

fn list_schemas(ctx: &Ctx<'_>, req: &Req) -> Response<Body> {
    let caller = match ctx.authenticate(req, Shape::Envelope) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let world = ctx.world();
    let environment = environment_of(&world, &caller, req).ok();
    if let Some(verdict) = authz::missing_scopes(&caller, &[SCHEMAS_READ]) {
        let a = audit(req, &caller, environment.as_deref(), None);
        return enforce(ctx, &a, &verdict, 200).unwrap_or_else(no_content);
    }
    let policies = authz::Policies::of(&world, &caller, environment.as_deref());
    let items: Vec<Value> = schemas::SCHEMAS
        .iter()
        .filter(|s| policies.allows(&Need::settings(SCHEMAS_READ, s)))
        .map(|s| json!({"schemaId": s, "displayName": schemas::display_name(s), "latestSchemaVersion": SCHEMA_VERSION}))
        .collect();
    answer(
        StatusCode::OK,
        &json!({"items": items, "totalCount": items.len()}),
    )
}

fn get_schema(ctx: &Ctx<'_>, req: &Req, schema_id: &str) -> Response<Body> {
    let caller = match ctx.authenticate(req, Shape::Envelope) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let world = ctx.world();
    if !schemas::known(schema_id) {
        return envelope(
            StatusCode::NOT_FOUND,
            format!("Schema {schema_id} not found"),
            None,
        );
    }
    let environment = environment_of(&world, &caller, req).ok();
    let a = audit(req, &caller, environment.as_deref(), None);
    let verdict = authz::decide(
        &world,
        &caller,
        environment.as_deref(),
        &[Need::settings(SCHEMAS_READ, schema_id)],
    );
    if let Some(denied) = enforce(ctx, &a, &verdict, 200) {
        return denied;
    }
    answer(StatusCode::OK, &schemas::definition(schema_id))
}
