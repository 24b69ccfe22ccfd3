//! The one action table of STS, IAM and the Account API, and the dispatcher every request goes
//! through: action and version (Query) or path (REST-JSON), the caller ([`crate::caller`]),
//! the parameter constraints of the operation's model shape, the permission the caller needs
//! ([`crate::permissions`]), the handler, the decision log, the answer document. Adding an
//! action is one row here, one handler file and its name in `scripts/gen_aws_model.py` (which
//! brings its shape, errors and whether it is signed).

use std::net::IpAddr;

use crate::call::{Call, Handler, Origin};
use crate::caller::{self, Caller, Identified};
use crate::decisions::{DecisionRecord, Outcome};
use crate::error::{AwsError, ErrorCode};
use crate::permissions::{self, Resource};
use crate::query::{success_document, Params};
use crate::services::Services;
use crate::shape::{self, Operation, Service};
use crate::sigv4::SignedRequest;
use crate::time_format::iso8601;
use crate::{account, iam, sts};

/// One served action.
pub struct Action {
    /// Its service (namespace, version).
    pub service: Service,
    /// `AssumeRoleWithWebIdentity`.
    pub name: &'static str,
    /// What answers it.
    pub handler: Handler,
    /// Whether it changes the model (and so the state file).
    pub mutates: bool,
    /// Whether each call is a trust decision to log (with its explanation).
    pub records_decision: bool,
    /// What a role session calling it needs permission on (the IAM action is
    /// `service:Name`).
    pub resource: Resource,
}

const fn sts(
    name: &'static str,
    handler: Handler,
    records_decision: bool,
    resource: Resource,
) -> Action {
    Action {
        service: Service::Sts,
        name,
        handler,
        mutates: false,
        records_decision,
        resource,
    }
}

const fn iam(
    name: &'static str,
    handler: fn(&Call<'_>) -> crate::call::Reply,
    mutates: bool,
    resource: Resource,
) -> Action {
    Action {
        service: Service::Iam,
        name,
        handler: Handler::Sync(handler),
        mutates,
        records_decision: false,
        resource,
    }
}

/// Every action served.
pub static ACTIONS: &[Action] = &[
    sts(
        "AssumeRoleWithWebIdentity",
        Handler::Async(sts::assume_role_with_web_identity::handle),
        true,
        Resource::Unchecked,
    ),
    // "No permissions are required to perform this operation" (STS API reference).
    sts(
        "GetCallerIdentity",
        Handler::Sync(sts::get_caller_identity::handle),
        false,
        Resource::Unchecked,
    ),
    sts(
        "AssumeRole",
        Handler::Sync(sts::assume_role::handle),
        true,
        Resource::InHandler,
    ),
    sts(
        "GetWebIdentityToken",
        Handler::Sync(sts::get_web_identity_token::handle),
        false,
        Resource::Any,
    ),
    iam(
        "CreateOpenIDConnectProvider",
        iam::create_open_id_connect_provider::handle,
        true,
        Resource::NewProvider,
    ),
    iam(
        "GetOpenIDConnectProvider",
        iam::get_open_id_connect_provider::handle,
        false,
        Resource::Provider,
    ),
    iam(
        "ListOpenIDConnectProviders",
        iam::list_open_id_connect_providers::handle,
        false,
        Resource::Any,
    ),
    iam(
        "DeleteOpenIDConnectProvider",
        iam::delete_open_id_connect_provider::handle,
        true,
        Resource::Provider,
    ),
    iam(
        "AddClientIDToOpenIDConnectProvider",
        iam::add_client_id_to_open_id_connect_provider::handle,
        true,
        Resource::Provider,
    ),
    iam(
        "RemoveClientIDFromOpenIDConnectProvider",
        iam::remove_client_id_from_open_id_connect_provider::handle,
        true,
        Resource::Provider,
    ),
    iam(
        "UpdateOpenIDConnectProviderThumbprint",
        iam::update_open_id_connect_provider_thumbprint::handle,
        true,
        Resource::Provider,
    ),
    iam(
        "TagOpenIDConnectProvider",
        iam::tag_open_id_connect_provider::handle,
        true,
        Resource::Provider,
    ),
    iam(
        "CreateRole",
        iam::create_role::handle,
        true,
        Resource::NewRole,
    ),
    iam("GetRole", iam::get_role::handle, false, Resource::Role),
    iam("ListRoles", iam::list_roles::handle, false, Resource::Roles),
    iam("UpdateRole", iam::update_role::handle, true, Resource::Role),
    iam("DeleteRole", iam::delete_role::handle, true, Resource::Role),
    iam(
        "UpdateAssumeRolePolicy",
        iam::update_assume_role_policy::handle,
        true,
        Resource::Role,
    ),
    iam("TagRole", iam::tag_role::handle, true, Resource::Role),
    iam("UntagRole", iam::untag_role::handle, true, Resource::Role),
    iam(
        "PutRolePolicy",
        iam::put_role_policy::handle,
        true,
        Resource::Role,
    ),
    iam(
        "GetRolePolicy",
        iam::get_role_policy::handle,
        false,
        Resource::Role,
    ),
    iam(
        "ListRolePolicies",
        iam::list_role_policies::handle,
        false,
        Resource::Role,
    ),
    iam(
        "DeleteRolePolicy",
        iam::delete_role_policy::handle,
        true,
        Resource::Role,
    ),
    iam(
        "SimulatePrincipalPolicy",
        iam::simulate_principal_policy::handle,
        false,
        Resource::PolicySource,
    ),
    iam(
        "SimulateCustomPolicy",
        iam::simulate_custom_policy::handle,
        false,
        Resource::Any,
    ),
    iam(
        "CreatePolicy",
        iam::create_policy::handle,
        true,
        Resource::NewPolicy,
    ),
    iam(
        "GetPolicy",
        iam::get_policy::handle,
        false,
        Resource::Policy,
    ),
    iam(
        "GetPolicyVersion",
        iam::get_policy_version::handle,
        false,
        Resource::Policy,
    ),
    iam(
        "ListPolicies",
        iam::list_policies::handle,
        false,
        Resource::Policies,
    ),
    iam(
        "CreatePolicyVersion",
        iam::create_policy_version::handle,
        true,
        Resource::Policy,
    ),
    iam(
        "DeletePolicyVersion",
        iam::delete_policy_version::handle,
        true,
        Resource::Policy,
    ),
    iam(
        "ListPolicyVersions",
        iam::list_policy_versions::handle,
        false,
        Resource::Policy,
    ),
    iam(
        "DeletePolicy",
        iam::delete_policy::handle,
        true,
        Resource::Policy,
    ),
    iam("TagPolicy", iam::tag_policy::handle, true, Resource::Policy),
    iam(
        "UntagPolicy",
        iam::untag_policy::handle,
        true,
        Resource::Policy,
    ),
    iam(
        "AttachRolePolicy",
        iam::attach_role_policy::handle,
        true,
        Resource::Role,
    ),
    iam(
        "DetachRolePolicy",
        iam::detach_role_policy::handle,
        true,
        Resource::Role,
    ),
    iam(
        "ListAttachedRolePolicies",
        iam::list_attached_role_policies::handle,
        false,
        Resource::Role,
    ),
    iam(
        "PutRolePermissionsBoundary",
        iam::put_role_permissions_boundary::handle,
        true,
        Resource::Role,
    ),
    iam(
        "DeleteRolePermissionsBoundary",
        iam::delete_role_permissions_boundary::handle,
        true,
        Resource::Role,
    ),
    iam(
        "EnableOutboundWebIdentityFederation",
        iam::enable_outbound_web_identity_federation::handle,
        true,
        Resource::Any,
    ),
    iam(
        "DisableOutboundWebIdentityFederation",
        iam::disable_outbound_web_identity_federation::handle,
        true,
        Resource::Any,
    ),
    iam(
        "GetOutboundWebIdentityFederationInfo",
        iam::get_outbound_web_identity_federation_info::handle,
        false,
        Resource::Any,
    ),
    Action {
        service: Service::Account,
        name: "ListRegions",
        handler: Handler::Sync(account::list_regions::handle),
        mutates: false,
        records_decision: false,
        resource: Resource::Account,
    },
];

/// The Query action called `name` and its operation's model.
pub fn find(name: &str) -> Option<(&'static Action, &'static Operation)> {
    let action = ACTIONS
        .iter()
        .find(|a| a.name == name && a.service != Service::Account)?;
    let operation = shape::operation(action.service, action.name)?;
    Some((action, operation))
}

/// The REST-JSON action served at `path`, and its operation's model.
pub fn find_rest(path: &str) -> Option<(&'static Action, &'static Operation)> {
    ACTIONS.iter().find_map(|action| {
        let operation = shape::operation(action.service, action.name)?;
        (operation.rest_path == Some(path)).then_some((action, operation))
    })
}

/// An answer to a request.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The XML or JSON document.
    pub body: String,
    /// A short reason for a refusal (the `x-sts-mock-reason` header).
    pub reason: Option<String>,
    /// `text/xml` (Query) or `application/json` (REST-JSON).
    pub content_type: &'static str,
    /// The REST-JSON error type (the `x-amzn-ErrorType` header).
    pub error_type: Option<&'static str>,
}

impl Answer {
    fn error(
        error: &AwsError,
        service: Service,
        request_id: &str,
        reason: Option<String>,
    ) -> Answer {
        match service {
            Service::Account => {
                let error = error.clone().for_json_protocol();
                Answer {
                    status: error.status(),
                    body: error.json_document(),
                    reason,
                    content_type: "application/json",
                    error_type: Some(error.code.as_str()),
                }
            }
            _ => Answer {
                status: error.status(),
                body: error.document(service.namespace(), request_id),
                reason,
                content_type: "text/xml",
                error_type: None,
            },
        }
    }
}

/// Serves one Query request.
pub async fn dispatch(
    services: &Services,
    params: &Params,
    signed: SignedRequest<'_>,
    peer: IpAddr,
    request_id: &str,
) -> Answer {
    let Some(name) = params.get("Action") else {
        // Guess: AWS's wording when a Query request names no action.
        let e = AwsError::new(ErrorCode::MissingAction, "Missing Action");
        return Answer::error(&e, Service::Sts, request_id, None);
    };
    let version = params.get("Version");
    let Some((action, operation)) = find(name) else {
        let e = AwsError::unknown_operation(name, version);
        return Answer::error(&e, Service::Sts, request_id, None);
    };
    let service = action.service;
    if version != Some(service.version()) {
        let e = AwsError::unknown_operation(name, version);
        return Answer::error(&e, service, request_id, None);
    }
    run(
        services, action, operation, params, signed, peer, request_id,
    )
    .await
}

/// Serves one REST-JSON request for `path` whose body was flattened into `params`.
pub async fn dispatch_rest(
    services: &Services,
    path: &str,
    params: Result<Params, AwsError>,
    signed: SignedRequest<'_>,
    peer: IpAddr,
    request_id: &str,
) -> Answer {
    let Some((action, operation)) = find_rest(path) else {
        // Guess: what a REST-JSON service answers a path it does not serve.
        let e = AwsError::new(
            ErrorCode::UnknownOperationException,
            format!("No operation is served at {path}"),
        );
        return Answer::error(&e, Service::Account, request_id, None);
    };
    let params = match params {
        Ok(params) => params,
        Err(e) => return Answer::error(&e, action.service, request_id, None),
    };
    run(
        services, action, operation, &params, signed, peer, request_id,
    )
    .await
}

/// What every request goes through once its action is known.
async fn run(
    services: &Services,
    action: &'static Action,
    operation: &'static Operation,
    params: &Params,
    signed: SignedRequest<'_>,
    peer: IpAddr,
    request_id: &str,
) -> Answer {
    let service = action.service;
    let now = services.clock.now();
    let started = action.records_decision.then_some(now);
    // Who is calling, decided once for every API: a credential sts-mock cannot open is refused
    // here, whatever the action.
    let identified = if operation.signed {
        caller::identify(services, &signed, service.prefix(), now)
    } else {
        Ok(Identified {
            caller: Caller::Anonymous,
            region: None,
        })
    };
    let (identified, refused) = match identified {
        Ok(identified) => (identified, None),
        Err(e) => (
            Identified {
                caller: Caller::Anonymous,
                region: None,
            },
            Some(e),
        ),
    };
    let call = Call::new(
        services,
        params,
        signed,
        Origin {
            peer,
            caller: identified.caller,
            region: identified.region,
            action: action.name,
            service,
            request_id: request_id.to_string(),
        },
    );
    let result = match refused {
        Some(e) => Err(e),
        None => match shape::validate(operation, params) {
            Err(e) => Err(e),
            Ok(()) => match permissions::required(
                &call,
                &format!("{}:{}", service.prefix(), action.name),
                action.resource,
            )
            .map(|p| permissions::authorize(&call, &p))
            {
                Some(Err(e)) => Err(e),
                _ => match action.handler {
                    Handler::Sync(handle) => handle(&call),
                    Handler::Async(handle) => handle(&call).await,
                },
            },
        },
    };
    let account = call.account.clone();
    let attempt = call.into_attempt();
    let reason = match (&result, &attempt) {
        (Err(e), a) if e.code == ErrorCode::AccessDenied && a.explanation.is_some() => {
            a.explanation.as_ref().map(|x| x.summary())
        }
        (Err(e), a) => Some(match &a.detail {
            Some(detail) => format!("{}: {} ({detail})", e.code, e.message),
            None => format!("{}: {}", e.code, e.message),
        }),
        (Ok(_), _) => None,
    };
    if let Some(at) = started {
        let summary = reason
            .clone()
            .unwrap_or_else(|| match &attempt.explanation {
                Some(x) => x.summary(),
                None => "allowed".to_string(),
            });
        services.decisions.record(DecisionRecord::trust(
            iso8601(at),
            request_id.to_string(),
            action.name.to_string(),
            peer.to_string(),
            attempt,
            match &result {
                Ok(_) => Outcome::Allowed,
                Err(e) => Outcome::Refused {
                    code: e.code.to_string(),
                    message: e.message.clone(),
                },
            },
            summary,
        ));
    }
    if action.mutates && result.is_ok() {
        // Every change of the emulated IAM world is worth a line: it explains later decisions.
        tracing::info!(
            target: "sts_mock::iam",
            "{} account={} request_id={request_id}",
            action.name,
            account,
        );
    }
    match result {
        Ok(body) if service == Service::Account => Answer {
            status: 200,
            body,
            reason: None,
            content_type: "application/json",
            error_type: None,
        },
        Ok(xml) => Answer {
            status: 200,
            body: success_document(
                service.namespace(),
                action.name,
                operation.result_wrapper,
                &xml,
                request_id,
            ),
            reason: None,
            content_type: "text/xml",
            error_type: None,
        },
        Err(e) => Answer::error(&e, service, request_id, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_the_generated_model_list_the_same_operations() {
        for action in ACTIONS {
            assert!(
                shape::operation(action.service, action.name).is_some(),
                "{} has no generated shape: add it to scripts/gen_aws_model.py",
                action.name
            );
        }
        for op in crate::aws_model::OPERATIONS {
            assert!(
                ACTIONS
                    .iter()
                    .any(|a| a.name == op.name && a.service == op.service),
                "{} is generated but not served",
                op.name
            );
        }
        let mut names: Vec<&str> = ACTIONS.iter().map(|a| a.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ACTIONS.len(), "an action is listed twice");
    }
}
