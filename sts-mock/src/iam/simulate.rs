//! What `SimulatePrincipalPolicy` and `SimulateCustomPolicy` share: reading actions, resources
//! and context entries, evaluating every (action, resource) pair with the policy engine, and
//! writing `EvaluationResults` with `EvalDecision`, `MatchedStatements` and
//! `MissingContextValues`.

use super::page;
use super::positions::{statement_spans, Position};
use crate::call::{Call, Reply};
use crate::error::{AwsError, ErrorCode};
use crate::policy::{evaluate, evaluate_explained, Decision, Policy, PolicyKind, Request};
use crate::query::Xml;

/// A policy taking part in a simulation, and how AWS names its origin.
pub struct Source {
    /// `SourcePolicyId`: an inline policy's name, or `PolicyInputList.N`.
    pub id: String,
    /// `SourcePolicyType`: `role`, or `none` for policies passed in the request.
    pub kind: &'static str,
    /// The policy.
    pub policy: Policy,
    /// Where each statement is in the document, for `StartPosition`/`EndPosition`.
    pub spans: Vec<(Position, Position)>,
}

impl Source {
    /// A source from its document.
    pub fn new(id: String, kind: &'static str, policy: Policy, document: &str) -> Source {
        Source {
            id,
            kind,
            policy,
            spans: statement_spans(document),
        }
    }
}

/// Identity policies given in the request's list `list` (`PolicyInputList`,
/// `PermissionsBoundaryPolicyInputList`). Guess: AWS reports policy errors in simulation input
/// as InvalidInput, naming the list member.
fn documents(call: &Call<'_>, list: &str) -> Result<Vec<(String, Policy, String)>, AwsError> {
    call.list(list)
        .into_iter()
        .enumerate()
        .map(|(i, doc)| {
            let id = format!("{list}.{}", i + 1);
            let policy = Policy::parse(&doc, PolicyKind::Identity).map_err(|e| {
                AwsError::new(ErrorCode::InvalidInput, format!("{id}: {}", e.message))
            })?;
            Ok((id, policy, doc))
        })
        .collect()
}

/// The policies of `PolicyInputList`.
pub fn input_policies(call: &Call<'_>) -> Result<Vec<Source>, AwsError> {
    Ok(documents(call, "PolicyInputList")?
        .into_iter()
        .map(|(id, policy, doc)| Source::new(id, "none", policy, &doc))
        .collect())
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allowed",
        Decision::ExplicitDeny => "explicitDeny",
        Decision::ImplicitDeny => "implicitDeny",
    }
}

/// Evaluates every requested action on every requested resource. `boundary` is the simulated
/// principal's own permissions boundary (it caps what identity policies allow, as do the
/// request's `PermissionsBoundaryPolicyInputList` policies).
pub fn simulate(call: &Call<'_>, sources: &[Source], boundary: Option<Policy>) -> Reply {
    let actions = call.list("ActionNames");
    let mut resources = call.list("ResourceArns");
    if resources.is_empty() {
        resources.push("*".to_string());
    }
    if call.get("ResourcePolicy").is_some() {
        // Guess: an emulator limit, not an AWS refusal: resource-based policies are not
        // simulated, and ignoring one would give a wrong answer.
        return Err(AwsError::new(
            ErrorCode::InvalidInput,
            "sts-mock does not simulate resource-based policies (ResourcePolicy).",
        ));
    }
    let entries: Vec<(String, Vec<String>, String)> = (1..)
        .map_while(|i| {
            let prefix = format!("ContextEntries.member.{i}");
            let name = call.get(&format!("{prefix}.ContextKeyName"))?;
            Some((
                name.to_string(),
                call.params.list(&format!("{prefix}.ContextKeyValues"), ""),
                call.get(&format!("{prefix}.ContextKeyType"))
                    .unwrap_or("string")
                    .to_string(),
            ))
        })
        .take(1000)
        .collect();
    let context = crate::context::from_entries(&entries);
    let (start, max) = page(call)?;
    let policies: Vec<&Policy> = sources.iter().map(|s| &s.policy).collect();
    // A permissions boundary caps what identity policies allow: both must allow.
    let mut boundaries: Vec<Policy> = documents(call, "PermissionsBoundaryPolicyInputList")?
        .into_iter()
        .map(|(_, p, _)| p)
        .collect();
    boundaries.extend(boundary);
    let boundary_refs: Vec<&Policy> = boundaries.iter().collect();
    let pairs: Vec<(&String, &String)> = actions
        .iter()
        .flat_map(|a| resources.iter().map(move |r| (a, r)))
        .collect();
    let page: Vec<_> = pairs.iter().skip(start).take(max).collect();

    let mut xml = Xml::new();
    xml.open("EvaluationResults");
    for (action, resource) in &page {
        let request = Request {
            principal: None,
            action,
            resource: Some(resource),
            context: &context,
        };
        let (mut decision, explanation) = evaluate_explained(&policies, &request);
        let boundary = (!boundaries.is_empty()).then(|| evaluate(&boundary_refs, &request));
        match boundary {
            Some(Decision::ExplicitDeny) => decision = Decision::ExplicitDeny,
            Some(Decision::ImplicitDeny) if decision == Decision::Allow => {
                decision = Decision::ImplicitDeny
            }
            _ => {}
        }
        xml.open("member")
            .leaf("EvalActionName", action)
            .leaf("EvalResourceName", resource)
            .leaf("EvalDecision", decision_name(decision))
            .open("MatchedStatements");
        for s in explanation.matched_statements() {
            let source = &sources[s.policy];
            xml.open("member")
                .leaf("SourcePolicyId", &source.id)
                .leaf("SourcePolicyType", source.kind);
            if let Some((start, end)) = source.spans.get(s.statement) {
                for (name, at) in [("StartPosition", start), ("EndPosition", end)] {
                    xml.open(name)
                        .leaf("Line", &at.line.to_string())
                        .leaf("Column", &at.column.to_string())
                        .close(name);
                }
            }
            xml.close("member");
        }
        xml.close("MatchedStatements").open("MissingContextValues");
        for key in explanation.missing_context_keys() {
            xml.leaf("member", &key);
        }
        xml.close("MissingContextValues");
        if let Some(b) = boundary {
            xml.open("PermissionsBoundaryDecisionDetail")
                .boolean("AllowedByPermissionsBoundary", b == Decision::Allow)
                .close("PermissionsBoundaryDecisionDetail");
        }
        xml.close("member");
    }
    xml.close("EvaluationResults");
    super::write_paging(&mut xml, start + page.len(), pairs.len());
    Ok(xml.into_string())
}
