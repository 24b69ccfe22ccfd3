//! The AWS Query protocol's parameters and the one validator every service shares: a form
//! body through `Params::parse` (`application/x-www-form-urlencoded`, as a POST body or a query
//! string), then `shape::validate` against an operation's input shape from AWS's models
//! (lengths, patterns, enums, integers, lists at every index, nested structures).
//!
//! The operation is the one the body's `Action` names (in any service); otherwise one picked by
//! the action's bytes, so every operation's shape is reachable. Seeds: the request bodies of
//! the STS and IAM tests and of the AWS CLI walk-through.
//!
//! Checked beyond "no panic": a sensitive member's value (`WebIdentityToken`) never appears in
//! a validation message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sts_mock::shape::{operations, validate, Shape};
use sts_mock::Params;

fuzz_target!(|data: &[u8]| {
    let params = Params::parse(data);
    let all = operations();
    let action = params.get("Action").unwrap_or("");
    let operation = all.iter().find(|o| o.name == action).unwrap_or_else(|| {
        let pick = action.bytes().fold(action.len(), |n, b| {
            n.wrapping_mul(31).wrapping_add(b as usize)
        });
        &all[pick % all.len()]
    });
    let _ = params.list("Tags", ".Key");
    let _ = params.tags("Tags");
    if validate(operation, &params).is_ok() {
        return;
    }
    // The same request with each sensitive member's value replaced by a marker of the same
    // length: the marker must not come back in the message.
    let Some(Shape::Structure(input)) = operation.input else {
        return;
    };
    let sensitive: Vec<&str> = input
        .members
        .iter()
        .filter(|m| matches!(m.shape, Shape::String(s) if s.sensitive))
        .map(|m| m.name)
        .collect();
    if sensitive.is_empty()
        || params
            .iter()
            .any(|(k, v)| k.contains('\u{7}') || v.contains('\u{7}'))
    {
        return;
    }
    let marked = Params::from_pairs(
        params
            .iter()
            .map(|(k, v)| match sensitive.contains(&k) && !v.is_empty() {
                true => (k.to_string(), "\u{7}".repeat(v.chars().count())),
                false => (k.to_string(), v.to_string()),
            })
            .collect(),
    );
    if let Err(e) = validate(operation, &marked) {
        assert!(
            !e.message.contains('\u{7}'),
            "a sensitive value was echoed: {}",
            e.message
        );
    }
});
