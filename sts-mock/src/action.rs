//! The one action table of STS and IAM, and the dispatcher every Query request goes through:
//! action and version, the parameter constraints of the operation's model shape, the handler,
//! the decision log, the answer document. Adding an action is one row here, one handler file
//! and its name in `scripts/gen_aws_model.py` (which brings its shape and errors).

use std::net::IpAddr;

use crate::call::{Call, Handler};
use crate::decisions::{DecisionRecord, Outcome};
use crate::error::{AwsError, ErrorCode};
use crate::iam;
use crate::query::{success_document, Params};
use crate::services::Services;
use crate::shape::{self, Operation, Service};
use crate::sigv4::SignedRequest;
use crate::sts;
use crate::time_format::iso8601;

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
    /// Whether each call is a decision to log (with its explanation).
    pub records_decision: bool,
}

const fn sts(name: &'static str, handler: Handler, records_decision: bool) -> Action {
    Action {
        service: Service::Sts,
        name,
        handler,
        mutates: false,
        records_decision,
    }
}

const fn iam(
    name: &'static str,
    handler: fn(&Call<'_>) -> crate::call::Reply,
    mutates: bool,
) -> Action {
    Action {
        service: Service::Iam,
        name,
        handler: Handler::Sync(handler),
        mutates,
        records_decision: false,
    }
}

/// Every action served.
pub static ACTIONS: &[Action] = &[
    sts(
        "AssumeRoleWithWebIdentity",
        Handler::Async(sts::assume_role_with_web_identity::handle),
        true,
    ),
    sts(
        "GetCallerIdentity",
        Handler::Sync(sts::get_caller_identity::handle),
        false,
    ),
    iam(
        "CreateOpenIDConnectProvider",
        iam::create_open_id_connect_provider::handle,
        true,
    ),
    iam(
        "GetOpenIDConnectProvider",
        iam::get_open_id_connect_provider::handle,
        false,
    ),
    iam(
        "ListOpenIDConnectProviders",
        iam::list_open_id_connect_providers::handle,
        false,
    ),
    iam(
        "DeleteOpenIDConnectProvider",
        iam::delete_open_id_connect_provider::handle,
        true,
    ),
    iam(
        "AddClientIDToOpenIDConnectProvider",
        iam::add_client_id_to_open_id_connect_provider::handle,
        true,
    ),
    iam(
        "RemoveClientIDFromOpenIDConnectProvider",
        iam::remove_client_id_from_open_id_connect_provider::handle,
        true,
    ),
    iam(
        "UpdateOpenIDConnectProviderThumbprint",
        iam::update_open_id_connect_provider_thumbprint::handle,
        true,
    ),
    iam(
        "TagOpenIDConnectProvider",
        iam::tag_open_id_connect_provider::handle,
        true,
    ),
    iam("CreateRole", iam::create_role::handle, true),
    iam("GetRole", iam::get_role::handle, false),
    iam("ListRoles", iam::list_roles::handle, false),
    iam("UpdateRole", iam::update_role::handle, true),
    iam("DeleteRole", iam::delete_role::handle, true),
    iam(
        "UpdateAssumeRolePolicy",
        iam::update_assume_role_policy::handle,
        true,
    ),
    iam("TagRole", iam::tag_role::handle, true),
    iam("UntagRole", iam::untag_role::handle, true),
    iam("PutRolePolicy", iam::put_role_policy::handle, true),
    iam("GetRolePolicy", iam::get_role_policy::handle, false),
    iam("ListRolePolicies", iam::list_role_policies::handle, false),
    iam("DeleteRolePolicy", iam::delete_role_policy::handle, true),
    iam(
        "SimulatePrincipalPolicy",
        iam::simulate_principal_policy::handle,
        false,
    ),
    iam(
        "SimulateCustomPolicy",
        iam::simulate_custom_policy::handle,
        false,
    ),
];

/// The action called `name` and its operation's model.
pub fn find(name: &str) -> Option<(&'static Action, &'static Operation)> {
    let action = ACTIONS.iter().find(|a| a.name == name)?;
    let operation = shape::operation(action.service, action.name)?;
    Some((action, operation))
}

/// An answer to a Query request.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The XML document.
    pub body: String,
    /// A short reason for a refusal (the `x-sts-mock-reason` header).
    pub reason: Option<String>,
}

impl Answer {
    fn error(
        error: &AwsError,
        service: Service,
        request_id: &str,
        reason: Option<String>,
    ) -> Answer {
        Answer {
            status: error.status(),
            body: error.document(service.namespace(), request_id),
            reason,
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
    let started = action.records_decision.then(|| services.clock.now());
    let call = Call::new(
        services,
        params,
        signed,
        peer,
        match service {
            Service::Iam => iam::account_of(&signed, &services.default_account),
            Service::Sts => services.default_account.clone(),
        },
    );
    let result = match shape::validate(operation, params) {
        Err(e) => Err(e),
        Ok(()) => match action.handler {
            Handler::Sync(handle) => handle(&call),
            Handler::Async(handle) => handle(&call).await,
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
        services.decisions.record(DecisionRecord {
            time: iso8601(at),
            request_id: request_id.to_string(),
            action: action.name.to_string(),
            source_ip: peer.to_string(),
            role_arn: attempt.role_arn,
            session_name: attempt.session_name,
            issuer: attempt.issuer,
            subject: attempt.subject,
            outcome: match &result {
                Ok(_) => Outcome::Allowed,
                Err(e) => Outcome::Refused {
                    code: e.code.to_string(),
                    message: e.message.clone(),
                },
            },
            reason: reason
                .clone()
                .unwrap_or_else(|| match &attempt.explanation {
                    Some(x) => x.summary(),
                    None => "allowed".to_string(),
                }),
            explanation: attempt.explanation,
        });
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
