//! sts-mock's IAM policy engine on arbitrary documents and requests: `Policy::parse` (IAM's
//! grammar for identity, trust and session policies), then `evaluate` and
//! `evaluate_explained` against an arbitrary principal, action, resource and context, the
//! explanation's summary and missing-context report included.
//!
//! Input: NUL-separated fields `kind` (`Identity`, `Trust`, `Session`), the policy JSON, the
//! action, the resource (empty: none), the principal (`Aws|Federated|Service|CanonicalUser ID`,
//! empty: none) and the context, one `key=value|value` per line (a key without `=` is present
//! with no values). Seeds: every policy document of the examples and the policy tests.
//!
//! Checked beyond "no panic": the explained decision is the plain one, and the deciding
//! statement is one that applied.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sts_mock::policy::{
    evaluate, evaluate_explained, Context, Policy, PolicyKind, Principal, PrincipalKind, Request,
};

fuzz_target!(|data: &[u8]| {
    let f = rig_fuzz::fields(data, 6);
    let kind = match &*rig_fuzz::text(f[0]) {
        "Trust" => PolicyKind::Trust,
        "Session" => PolicyKind::Session,
        _ => PolicyKind::Identity,
    };
    let Ok(policy) = Policy::parse(&rig_fuzz::text(f[1]), kind) else {
        return;
    };
    let _ = (policy.condition_keys(), policy.has_principal(), policy.id());
    let action = rig_fuzz::text(f[2]);
    let resource = rig_fuzz::text(f[3]);
    let principal = rig_fuzz::text(f[4]);
    let principal = principal.split_once(' ').map(|(kind, id)| Principal {
        kind: match kind {
            "Aws" => PrincipalKind::Aws,
            "Service" => PrincipalKind::Service,
            "CanonicalUser" => PrincipalKind::CanonicalUser,
            _ => PrincipalKind::Federated,
        },
        id: id.to_string(),
    });
    let _ = policy.grants(&action, PrincipalKind::Federated);
    let mut context = Context::new();
    for line in rig_fuzz::text(f[5]).lines() {
        match line.split_once('=') {
            Some((key, values)) => {
                context.insert_multi(key, values.split('|').map(str::to_string).collect())
            }
            None => context.insert_multi(line, Vec::new()),
        }
    }
    let request = Request {
        principal: principal.as_ref(),
        action: &action,
        resource: (!resource.is_empty()).then_some(resource.as_str()),
        context: &context,
    };
    let policies = [&policy, &policy];
    let decision = evaluate(&policies, &request);
    let (explained, why) = evaluate_explained(&policies, &request);
    assert_eq!(
        decision, explained,
        "evaluate and evaluate_explained disagree"
    );
    if let Some(deciding) = &why.deciding {
        let trace = why
            .statements
            .iter()
            .find(|s| s.policy == deciding.policy && s.statement == deciding.statement)
            .expect("the deciding statement is traced");
        assert!(trace.applies, "the deciding statement did not apply");
    }
    let _ = (why.summary(), why.missing_context_keys());
});
