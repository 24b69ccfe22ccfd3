//! The Dynatrace IAM policy language (`dt-policy`): `parse` and `parse_boundary`, binding with
//! bind parameters and the boundary (`bind_within`), then `evaluate` and `evaluate_explained`
//! against an arbitrary request, with the canonical text (`Display`) parsed again.
//!
//! Input: NUL-separated fields: the policy text, the boundary text (empty: none), bind
//! parameters (`name=value` lines), the permission, the request's attributes (`key=value` lines;
//! `key=a|b` is multi-valued) and an optional RFC 3339 request time. Seeds: the policies of the
//! dt-policy tests, the Dynatrace setup's built-in policies and the documentation's examples.
//!
//! Checked beyond "no panic": the explained decision is the plain one, and the policy's
//! canonical text parses back to itself.
#![no_main]

use dt_policy::{evaluate, evaluate_explained, parse, parse_boundary, Bindings, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = rig_fuzz::fields(data, 6);
    let Ok(policy) = parse(&rig_fuzz::text(f[0])) else {
        return;
    };
    let canonical = policy.to_string();
    let again = parse(&canonical).unwrap_or_else(|e| panic!("canonical text {canonical:?}: {e}"));
    assert_eq!(
        again.to_string(),
        canonical,
        "canonical text changed on reparse"
    );
    let boundary_text = rig_fuzz::text(f[1]);
    let boundary = match boundary_text.trim() {
        "" => None,
        text => match parse_boundary(text) {
            Ok(b) => Some(b),
            Err(_) => return,
        },
    };
    let mut bindings = Bindings::new();
    for line in rig_fuzz::text(f[2]).lines() {
        if let Some((name, value)) = line.split_once('=') {
            bindings.insert(name, value);
        }
    }
    let bound = match &boundary {
        Some(b) => policy.bind_within(&bindings, &[b]),
        None => policy.bind(&bindings),
    };
    let Ok(bound) = bound else {
        return;
    };
    let _ = bound.effective_statements();
    let mut request = Request::new(rig_fuzz::text(f[3]));
    for line in rig_fuzz::text(f[4]).lines() {
        if let Some((key, value)) = line.split_once('=') {
            request = match value.contains('|') {
                true => request.with_values(key, value.split('|')),
                false => request.with(key, value),
            };
        }
    }
    let when = rig_fuzz::text(f[5]);
    if let Ok(at) =
        time::OffsetDateTime::parse(when.trim(), &time::format_description::well_known::Rfc3339)
    {
        request = request.at(at);
    }
    let policies = [&bound, &bound];
    let decision = evaluate(&policies, &request);
    let why = evaluate_explained(&policies, &request);
    assert_eq!(
        decision, why.decision,
        "evaluate and evaluate_explained disagree"
    );
});
