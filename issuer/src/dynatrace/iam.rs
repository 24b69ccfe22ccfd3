//! IAM policy management: policies and their bindings to groups at account or environment
//! level, in the shapes of Dynatrace's Policy management API (its OpenAPI:
//! `CreateOrUpdateLevelPolicyRequestDto`, `LevelPolicyDto`, `PolicyDtoList`,
//! `PolicyOverviewDtoList`, `LevelPolicyBindingDto`, `AppendLevelPolicyBindingsRequestDto`,
//! `AppendLevelPolicyBindingForGroupDto`, `PolicyUuidsDto`, and `ErrorDto` for errors).
//!
//! Under `/iam/v1/repo/{levelType}/{levelId}/`:
//! - `policies` (`GET`, `POST`), `policies/aggregate` (`GET`), `policies/{uuid}` (`GET`,
//!   `PUT`, `DELETE?force=`);
//! - `bindings` (`GET`, `DELETE`), `bindings/{policyUuid}` (`GET`, `POST`, `DELETE`),
//!   `bindings/groups/{groupUuid}` (`GET`, `PUT`), `bindings/{policyUuid}/{groupUuid}`
//!   (`GET`, `POST`, `PUT`, `DELETE`).
//!
//! Authorized as the documents say: a token with the `iam-policies-management` scope ("Select
//! View and manage policies", shared/sources/002) of a client whose group holds that account
//! permission; or, as the OpenAPI's `x-token-scopes` also allow, a token with the fine-grained
//! scope (`iam:policies:read`, `iam:policies:write`, `iam:bindings:read`, `iam:bindings:write`)
//! whose policies grant that permission.

use std::collections::BTreeMap;

use hyper::{Method, Response, StatusCode};
use rig_core::http::Body;
use serde_json::{json, Map, Value};

use super::authz::{self, Audit, Need, Verdict};
use super::http::{self, error_dto, json as answer, no_content, Answer, Req, Shape};
use super::model::{self, Binding, Level, Refusal, StoredPolicy, World};
use super::oauth::Caller;
use super::setup::is_uuid;
use super::Ctx;

/// The scope (and account permission) the documents name for policy management.
pub const POLICIES_MANAGEMENT: &str = "iam-policies-management";

fn refused(refusal: Refusal) -> Response<Body> {
    match refusal {
        Refusal::Invalid(m) => error_dto(StatusCode::BAD_REQUEST, m, Map::new()),
        Refusal::NotFound(m) => error_dto(StatusCode::NOT_FOUND, m, Map::new()),
    }
}

fn invalid(message: impl Into<String>) -> Response<Body> {
    error_dto(StatusCode::BAD_REQUEST, message, Map::new())
}

/// Which part of the API, for the fine-grained scopes.
#[derive(Clone, Copy)]
enum Part {
    Policies,
    Bindings,
}

/// May `caller` read (or write) policies (or bindings)?
fn authorize(world: &World, caller: &Caller, part: Part, write: bool) -> Verdict {
    let fine = match (part, write) {
        (Part::Policies, false) => "iam:policies:read",
        (Part::Policies, true) => "iam:policies:write",
        (Part::Bindings, false) => "iam:bindings:read",
        (Part::Bindings, true) => "iam:bindings:write",
    };
    let has = |scope: &str| caller.scopes.iter().any(|s| s == scope);
    // Guess: besides the token's scope, the client's group must hold the account permission
    // of that name (a client acts for its service user, whose groups' permissions bound what
    // the scopes grant); the documents name only the scope.
    if has(POLICIES_MANAGEMENT) {
        let holds = world
            .client(&caller.client_id)
            .is_some_and(|c| world.holds(c, POLICIES_MANAGEMENT));
        if holds {
            return Verdict::Allowed(Vec::new());
        }
        if !has(fine) {
            return Verdict::MissingAccountPermission(POLICIES_MANAGEMENT.into());
        }
    }
    if has(fine) {
        return authz::decide(world, caller, None, &[Need::new(fine)]);
    }
    // Either scope would do; the documents' is the one named.
    Verdict::MissingScopes(vec![POLICIES_MANAGEMENT.into()])
}

/// `rest` is the path after `/iam/v1/repo/`.
pub fn route(ctx: &Ctx<'_>, req: &Req, rest: &str) -> Response<Body> {
    let segments: Vec<&str> = rest.split('/').collect();
    let (level_type, level_id, tail) = match segments.as_slice() {
        [t, i, tail @ ..] if !t.is_empty() && !i.is_empty() && !tail.is_empty() => (*t, *i, tail),
        _ => return http::no_endpoint(Shape::Dto, &req.path),
    };
    let (part, allowed): (Part, &[Method]) = match tail {
        ["policies"] => (Part::Policies, &[Method::GET, Method::POST]),
        ["policies", "aggregate"] => (Part::Policies, &[Method::GET]),
        ["policies", _] => (Part::Policies, &[Method::GET, Method::PUT, Method::DELETE]),
        ["bindings"] => (Part::Bindings, &[Method::GET, Method::DELETE]),
        ["bindings", "groups", _] => (Part::Bindings, &[Method::GET, Method::PUT]),
        ["bindings", _] => (Part::Bindings, &[Method::GET, Method::POST, Method::DELETE]),
        ["bindings", _, _] => (
            Part::Bindings,
            &[Method::GET, Method::POST, Method::PUT, Method::DELETE],
        ),
        _ => return http::no_endpoint(Shape::Dto, &req.path),
    };
    if tail.iter().any(|s| s.is_empty()) {
        return http::no_endpoint(Shape::Dto, &req.path);
    }
    if !allowed.contains(&req.method) {
        return http::not_allowed(Shape::Dto, &req.path, allowed);
    }
    let caller = match ctx.authenticate(req, Shape::Dto) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let write = req.method != Method::GET;
    let mut world = ctx.world();
    let verdict = authorize(&world, &caller, part, write);
    let audit = Audit {
        request: req.line(),
        client_id: caller.client_id.clone(),
        ..Default::default()
    };
    audit.verdict(
        ctx.log(),
        ctx.now(),
        &verdict,
        if verdict.allowed() { 200 } else { 403 },
    );
    if let Some(denied) = verdict.response(Shape::Dto) {
        return denied;
    }
    if level_type == "global" {
        // Dynatrace's own policies are not modelled: the global level lists nothing, and
        // "This endpoint is unavailable within global level" for every change.
        return match (write, tail) {
            (false, ["policies"]) => answer(StatusCode::OK, &json!({"policies": []})),
            (false, ["bindings", ..]) => answer(
                StatusCode::OK,
                &json!({"levelType": "global", "levelId": level_id, "policyBindings": []}),
            ),
            (false, ["policies", uuid]) => error_dto(
                StatusCode::NOT_FOUND,
                format!("policy {uuid} not found at the global level"),
                Map::new(),
            ),
            _ => invalid("This endpoint is unavailable within global level"),
        };
    }
    let level = match world.level(level_type, level_id) {
        Ok(level) => level,
        Err(r) => return refused(r),
    };
    match (&req.method, tail) {
        (&Method::GET, ["policies"]) => list_policies(&world, &level, req),
        (&Method::POST, ["policies"]) => create_policy(&mut world, &level, req),
        (&Method::GET, ["policies", "aggregate"]) => aggregate(&world, &level),
        (&Method::GET, ["policies", uuid]) => match world.policy_at(&level, uuid) {
            Some(p) => answer(StatusCode::OK, &level_policy(p)),
            None => refused(Refusal::NotFound(format!(
                "policy {uuid} not found at {level}"
            ))),
        },
        (&Method::PUT, ["policies", uuid]) => put_policy(&mut world, &level, uuid, req),
        (&Method::DELETE, ["policies", uuid]) => {
            let force = req.param("force") == Some("true");
            match world.delete_policy(&level, uuid, force) {
                Ok(()) => no_content(),
                Err(r) => refused(r),
            }
        }
        (&Method::GET, ["bindings"]) => bindings_dto(&world, &level, |_| true),
        (&Method::DELETE, ["bindings"]) => {
            world.unbind(&level, |_| true);
            no_content()
        }
        (&Method::GET, ["bindings", "groups", group]) => {
            if world.group(group).is_none() {
                return refused(Refusal::NotFound(format!("group {group} not found")));
            }
            let mut uuids: Vec<&str> = Vec::new();
            for b in world
                .bindings
                .iter()
                .filter(|b| b.level == level && &b.group == group)
            {
                if !uuids.contains(&b.policy.as_str()) {
                    uuids.push(&b.policy);
                }
            }
            answer(StatusCode::OK, &json!({ "policyUuids": uuids }))
        }
        (&Method::PUT, ["bindings", "groups", group]) => {
            put_group_policies(&mut world, &level, group, req)
        }
        (&Method::GET, ["bindings", policy]) => {
            bindings_dto(&world, &level, |b| &b.policy == policy)
        }
        (&Method::POST, ["bindings", policy]) => append_groups(&mut world, &level, policy, req),
        (&Method::DELETE, ["bindings", policy]) => {
            if world.bindable(&level, policy).is_err() {
                return refused(Refusal::NotFound(format!(
                    "policy {policy} not found at {level}"
                )));
            }
            world.unbind(&level, |b| &b.policy == policy);
            no_content()
        }
        (&Method::GET, ["bindings", policy, group]) => {
            bindings_dto(&world, &level, |b| &b.policy == policy && &b.group == group)
        }
        (&Method::POST, ["bindings", policy, group]) => {
            bind_group(&mut world, &level, policy, group, req, false)
        }
        (&Method::PUT, ["bindings", policy, group]) => {
            bind_group(&mut world, &level, policy, group, req, true)
        }
        (&Method::DELETE, ["bindings", policy, group]) => {
            world.unbind(&level, |b| &b.policy == policy && &b.group == group);
            no_content()
        }
        _ => http::no_endpoint(Shape::Dto, &req.path),
    }
}

/// `LevelPolicyDto`: the policy and its statements in expanded form. Guess: the expanded
/// form's `operator` is written as in the statement (`=`, `IN`, `startsWith`, ...); the
/// OpenAPI shows only a string.
fn level_policy(p: &StoredPolicy) -> Value {
    let statements: Vec<Value> = p
        .policy
        .statements()
        .iter()
        .map(|s| {
            json!({
                "effect": s.effect.to_string(),
                "permissions": s.permissions,
                "conditions": s.conditions.iter().map(|c| json!({
                    "name": c.key,
                    "operator": c.operator.as_str(),
                    "values": c.values.iter().map(|v| v.source()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "uuid": p.uuid,
        "name": p.name,
        "tags": p.tags,
        "description": p.description,
        "statementQuery": p.statement_query,
        "statements": statements,
    })
}

fn list_policies(world: &World, level: &Level, req: &Req) -> Response<Body> {
    let name = req.param("name");
    let policies: Vec<Value> = world
        .policies
        .iter()
        .filter(|p| &p.level == level && name.is_none_or(|n| p.name == n))
        .map(|p| json!({"uuid": p.uuid, "name": p.name, "description": p.description}))
        .collect();
    answer(StatusCode::OK, &json!({ "policies": policies }))
}

/// "Lists all policies for a level, including inherited from higher levels".
fn aggregate(world: &World, level: &Level) -> Response<Body> {
    let list: Vec<Value> = world
        .policies
        .iter()
        .filter(|p| &p.level == level || matches!(p.level, Level::Account(_)))
        .map(|p| {
            json!({"uuid": p.uuid, "name": p.name, "description": p.description,
                   "levelId": p.level.level_id(), "levelType": p.level.level_type()})
        })
        .collect();
    answer(StatusCode::OK, &json!({ "policyOverviewList": list }))
}

/// Reads a `CreateOrUpdateLevelPolicyRequestDto` (`name`, `description`, `statementQuery`
/// required; `tags` optional) into a policy with `uuid` at `level`.
fn read_policy(req: &Req, level: &Level, uuid: String) -> Result<StoredPolicy, Answer> {
    let body = req.json().map_err(|e| Box::new(invalid(e)))?;
    let Some(object) = body.as_object() else {
        return Err(Box::new(invalid(
            "the body must be a CreateOrUpdateLevelPolicyRequestDto object",
        )));
    };
    let mut errors = Map::new();
    for key in object.keys() {
        if !["name", "description", "tags", "statementQuery"].contains(&key.as_str()) {
            errors.insert(
                key.clone(),
                Value::String(format!("unknown property {key}")),
            );
        }
    }
    let mut text = |key: &str| match object.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.insert(key.into(), Value::String("must be a string".into()));
            None
        }
        None => {
            errors.insert(key.into(), Value::String("is required".into()));
            None
        }
    };
    let (name, description, statement_query) =
        (text("name"), text("description"), text("statementQuery"));
    let tags: Vec<String> = match object.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        Some(_) => {
            errors.insert(
                "tags".into(),
                Value::String("must be a list of strings".into()),
            );
            Vec::new()
        }
    };
    let (Some(name), Some(description), Some(statement_query), true) =
        (name, description, statement_query, errors.is_empty())
    else {
        return Err(Box::new(error_dto(
            StatusCode::BAD_REQUEST,
            "The request is invalid",
            errors,
        )));
    };
    model::check_policy_text(&name, &description, &tags).map_err(|r| Box::new(refused(r)))?;
    let policy = match dt_policy::parse(&statement_query) {
        Ok(p) => p.labelled(&name),
        Err(e) => {
            let mut errors = Map::new();
            errors.insert("statementQuery".into(), Value::String(e.to_string()));
            return Err(Box::new(error_dto(
                StatusCode::BAD_REQUEST,
                format!("invalid statementQuery: {e}"),
                errors,
            )));
        }
    };
    Ok(StoredPolicy {
        uuid,
        level: level.clone(),
        name,
        description,
        tags,
        statement_query,
        policy,
    })
}

fn create_policy(world: &mut World, level: &Level, req: &Req) -> Response<Body> {
    let policy = match read_policy(req, level, uuid::Uuid::new_v4().to_string()) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let dto = level_policy(&policy);
    match world.create_policy(policy) {
        Ok(()) => answer(StatusCode::CREATED, &dto),
        Err(r) => refused(r),
    }
}

fn put_policy(world: &mut World, level: &Level, uuid: &str, req: &Req) -> Response<Body> {
    if !is_uuid(uuid) {
        return invalid(format!("policy UUID {uuid} is not a UUID"));
    }
    let policy = match read_policy(req, level, uuid.to_ascii_lowercase()) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let dto = level_policy(&policy);
    match world.put_policy(policy) {
        // "Success. The policy has been updated. The response doesn't have a body."
        Ok(true) => no_content(),
        Ok(false) => answer(StatusCode::CREATED, &dto),
        Err(r) => refused(r),
    }
}

/// `LevelPolicyBindingDto` of the bindings at `level` that `keep` selects; one `Binding` per
/// policy and parameter set, listing its groups.
fn bindings_dto(world: &World, level: &Level, keep: impl Fn(&Binding) -> bool) -> Response<Body> {
    type Key<'a> = (
        &'a str,
        &'a BTreeMap<String, String>,
        &'a BTreeMap<String, String>,
    );
    let mut grouped: Vec<(Key<'_>, Vec<&str>)> = Vec::new();
    for b in world
        .bindings
        .iter()
        .filter(|b| &b.level == level && keep(b))
    {
        let key: Key<'_> = (&b.policy, &b.parameters, &b.metadata);
        match grouped.iter_mut().find(|(k, _)| *k == key) {
            Some((_, groups)) => groups.push(&b.group),
            None => grouped.push((key, vec![&b.group])),
        }
    }
    let bindings: Vec<Value> = grouped
        .into_iter()
        .map(|((policy, parameters, metadata), groups)| {
            json!({"policyUuid": policy, "groups": groups, "parameters": parameters,
                   "metadata": metadata, "boundaries": []})
        })
        .collect();
    answer(
        StatusCode::OK,
        &json!({"levelType": level.level_type(), "levelId": level.level_id(), "policyBindings": bindings}),
    )
}

/// Reads `boundaries` (must be empty: policy boundaries in bindings are not modelled). Guess:
/// refused, rather than a binding that silently grants more than asked.
fn no_boundaries(object: &Map<String, Value>) -> Result<(), Answer> {
    match object.get("boundaries") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(a)) if a.is_empty() => Ok(()),
        Some(_) => Err(Box::new(invalid(
            "boundaries are not modelled by this issuer: bind without them",
        ))),
    }
}

fn string_map(object: &Map<String, Value>, key: &str) -> Result<BTreeMap<String, String>, Answer> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(Box::new(invalid(format!("{key}.{k} must be a string")))),
            })
            .collect(),
        Some(_) => Err(Box::new(invalid(format!(
            "{key} must be an object of strings"
        )))),
    }
}

/// `POST bindings/{policyUuid}`: `{"groups": [...], "boundaries": [...]}`; "Existing bindings
/// remain unaffected."
fn append_groups(world: &mut World, level: &Level, policy: &str, req: &Req) -> Response<Body> {
    let body = match req.json() {
        Ok(b) => b,
        Err(e) => return invalid(e),
    };
    let Some(object) = body.as_object() else {
        return invalid("the body must be an AppendLevelPolicyBindingsRequestDto object");
    };
    if let Err(r) = no_boundaries(object) {
        return *r;
    }
    let groups: Vec<String> = match object.get("groups") {
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|g| g.as_str().map(str::to_string))
            .collect(),
        _ => return invalid("groups is required: a list of group UUIDs"),
    };
    let bindings: Vec<Binding> = groups
        .into_iter()
        .map(|group| Binding {
            level: level.clone(),
            policy: policy.to_string(),
            group,
            parameters: BTreeMap::new(),
            metadata: BTreeMap::new(),
        })
        .collect();
    bind_all(world, bindings, |_| false, level)
}

/// Applies `bindings` after removing those `replace` selects, all or nothing.
fn bind_all(
    world: &mut World,
    bindings: Vec<Binding>,
    replace: impl FnMut(&Binding) -> bool,
    level: &Level,
) -> Response<Body> {
    // Only the bindings change, so only they are kept to restore on a refusal.
    let saved = world.bindings.clone();
    world.unbind(level, replace);
    for b in bindings {
        if let Err(r) = world.bind(b) {
            world.bindings = saved;
            return refused(r);
        }
    }
    no_content()
}

/// `PUT bindings/groups/{groupUuid}`: `{"policyUuids": [...]}`; "The request overwrites
/// existing policies."
fn put_group_policies(world: &mut World, level: &Level, group: &str, req: &Req) -> Response<Body> {
    let body = match req.json() {
        Ok(b) => b,
        Err(e) => return invalid(e),
    };
    let uuids: Vec<String> = match body.get("policyUuids") {
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect(),
        _ => return invalid("policyUuids is required: a list of policy UUIDs"),
    };
    if world.group(group).is_none() {
        return refused(Refusal::NotFound(format!("group {group} not found")));
    }
    let bindings = uuids
        .into_iter()
        .map(|policy| Binding {
            level: level.clone(),
            policy,
            group: group.to_string(),
            parameters: BTreeMap::new(),
            metadata: BTreeMap::new(),
        })
        .collect();
    bind_all(world, bindings, |b| b.group == group, level)
}

/// `POST` (append) or `PUT` (update or create) `bindings/{policyUuid}/{groupUuid}` with
/// `{"parameters", "metadata", "boundaries"}`.
fn bind_group(
    world: &mut World,
    level: &Level,
    policy: &str,
    group: &str,
    req: &Req,
    replace: bool,
) -> Response<Body> {
    let body = if req.body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        match req.json() {
            Ok(b) => b,
            Err(e) => return invalid(e),
        }
    };
    let Some(object) = body.as_object() else {
        return invalid("the body must be an AppendLevelPolicyBindingForGroupDto object");
    };
    if let Err(r) = no_boundaries(object) {
        return *r;
    }
    let (parameters, metadata) = match (
        string_map(object, "parameters"),
        string_map(object, "metadata"),
    ) {
        (Ok(p), Ok(m)) => (p, m),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let binding = Binding {
        level: level.clone(),
        policy: policy.to_string(),
        group: group.to_string(),
        parameters,
        metadata,
    };
    bind_all(
        world,
        vec![binding],
        |b| replace && b.policy == policy && b.group == group,
        level,
    )
}
