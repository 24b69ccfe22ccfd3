//! What `SimulatePrincipalPolicy` and `SimulateCustomPolicy` share: reading actions, resources
//! and context entries, evaluating every (action, resource) pair with the policy engine, and
//! writing `EvaluationResults` with `EvalDecision`, `MatchedStatements` and
//! `MissingContextValues`.

use super::positions::{statement_spans, Position};
use super::Call;
use crate::policy::{evaluate, evaluate_explained, Context, Decision, Policy, PolicyKind, Request};
use crate::query::{AwsError, Xml};

/// A policy taking part in a simulation, and how AWS names its origin.
pub struct Source {
    /// `SourcePolicyId`: an inline policy's name, or `PolicyInputList.N`.
    pub id: String,
    /// `SourcePolicyType`: `role`, or `none` for policies passed in the request.
    pub kind: &'static str,
    pub policy: Policy,
    /// Where each statement is in the document, for `StartPosition`/`EndPosition`.
    pub spans: Vec<(Position, Position)>,
}

impl Source {
    pub fn new(id: String, kind: &'static str, policy: Policy, document: &str) -> Source {
        Source {
            id,
            kind,
            policy,
            spans: statement_spans(document),
        }
    }
}

/// The policies of `PolicyInputList`: identity policies only. A `Principal` (a resource-based
/// or trust policy) is refused, as AWS refuses it.
pub fn input_policies(call: &Call<'_>, required: bool) -> Result<Vec<Source>, AwsError> {
    let docs = call.list("PolicyInputList");
    if required && docs.is_empty() {
        call.required("PolicyInputList")?;
    }
    docs.iter()
        .enumerate()
        .map(|(i, doc)| {
            let policy = Policy::parse(doc, PolicyKind::Identity).map_err(|e| {
                // Guess: AWS reports policy errors in simulation input as InvalidInput.
                AwsError::new(
                    "InvalidInput",
                    400,
                    format!("PolicyInputList.{}: {}", i + 1, e.message),
                )
            })?;
            Ok(Source::new(
                format!("PolicyInputList.{}", i + 1),
                "none",
                policy,
                doc,
            ))
        })
        .collect()
}

fn context(call: &Call<'_>) -> Result<Context, AwsError> {
    let mut context = Context::new();
    for i in 1..=1000 {
        let prefix = format!("ContextEntries.member.{i}");
        let Some(name) = call.get(&format!("{prefix}.ContextKeyName")) else {
            break;
        };
        let values = call.params.list(&format!("{prefix}.ContextKeyValues"), "");
        let kind = call
            .get(&format!("{prefix}.ContextKeyType"))
            .unwrap_or("string");
        if kind.ends_with("List") {
            context.insert_multi(name, values);
        } else if let Some(v) = values.into_iter().next() {
            context.insert(name, v);
        }
    }
    Ok(context)
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allowed",
        Decision::ExplicitDeny => "explicitDeny",
        Decision::ImplicitDeny => "implicitDeny",
    }
}

/// Evaluates every requested action on every requested resource.
pub fn simulate(call: &Call<'_>, sources: &[Source]) -> Result<String, AwsError> {
    let actions = call.list("ActionNames");
    if actions.is_empty() {
        call.required("ActionNames")?;
    }
    let mut resources = call.list("ResourceArns");
    if resources.is_empty() {
        resources.push("*".to_string());
    }
    if call.get("ResourcePolicy").is_some() {
        // Guess: an emulator limit, not an AWS refusal: resource-based policies are not
        // simulated, and ignoring one would give a wrong answer.
        return Err(AwsError::new(
            "InvalidInput",
            400,
            "sts-mock does not simulate resource-based policies (ResourcePolicy).",
        ));
    }
    let context = context(call)?;
    let (start, max) = call.page()?;
    let policies: Vec<&Policy> = sources.iter().map(|s| &s.policy).collect();
    // A permissions boundary caps what identity policies allow: both must allow.
    let boundary_docs = call.list("PermissionsBoundaryPolicyInputList");
    let boundaries = boundary_docs
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            Policy::parse(doc, PolicyKind::Identity).map_err(|e| {
                // Guess: as for PolicyInputList.
                AwsError::new(
                    "InvalidInput",
                    400,
                    format!(
                        "PermissionsBoundaryPolicyInputList.{}: {}",
                        i + 1,
                        e.message
                    ),
                )
            })
        })
        .collect::<Result<Vec<Policy>, AwsError>>()?;
    let boundary_refs: Vec<&Policy> = boundaries.iter().collect();
    let pairs: Vec<(&String, &String)> = actions
        .iter()
        .flat_map(|a| resources.iter().map(move |r| (a, r)))
        .collect();
    let page: Vec<_> = pairs.iter().skip(start).take(max).collect();
    let truncated = start + page.len() < pairs.len();

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
                .leaf(
                    "AllowedByPermissionsBoundary",
                    if b == Decision::Allow {
                        "true"
                    } else {
                        "false"
                    },
                )
                .close("PermissionsBoundaryDecisionDetail");
        }
        xml.close("member");
    }
    xml.close("EvaluationResults")
        .leaf("IsTruncated", if truncated { "true" } else { "false" });
    if truncated {
        xml.leaf("Marker", &(start + page.len()).to_string());
    }
    Ok(xml.into_string())
}
