//! `make bench`'s side of the policy-engine comparison: our engine (sts-mock's `policy`
//! module) deciding bench/policy_cases.json, the same cases bench/iam_simulate.mjs gives
//! @cloud-copilot/iam-simulate. Prints JSON: each case's name and decision (in
//! iam-simulate's words, so the harness compares them as they are), then decisions per second
//! over a few seconds of deciding every case in turn on one thread. Policies are parsed once,
//! as sts-mock does when a policy is stored; each decision builds nothing else.

use std::time::{Duration, Instant};

use serde_json::Value;
use sts_mock::policy::{evaluate, Context, Decision, Policy, PolicyKind, Request};

/// Guess: 3 s, as the Node side, is far past any warm-up a compiled engine has.
const RUN: Duration = Duration::from_secs(3);

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: policy-bench CASES.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases: Vec<Value> = serde_json::from_str(&text).expect("cases are a JSON array");
    let mut prepared = Vec::new();
    for case in &cases {
        let policy = Policy::parse(&case["policy"].to_string(), PolicyKind::Identity)
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        let mut context = Context::new();
        for (key, value) in case["context"].as_object().into_iter().flatten() {
            match value {
                Value::Array(values) => context.insert_multi(
                    key.as_str(),
                    values
                        .iter()
                        .map(|v| v.as_str().unwrap_or_default().to_string())
                        .collect(),
                ),
                other => context.insert(key.as_str(), other.as_str().unwrap_or_default()),
            }
        }
        prepared.push((
            policy,
            context,
            case["action"].as_str().unwrap_or_default().to_string(),
            case["resource"].as_str().unwrap_or_default().to_string(),
        ));
    }
    let decide = |(policy, context, action, resource): &(Policy, Context, String, String)| {
        let request = Request {
            principal: None,
            action,
            resource: Some(resource),
            context,
        };
        evaluate(&[policy], &request)
    };
    let decisions: Vec<&str> = prepared
        .iter()
        .map(|case| match decide(case) {
            Decision::Allow => "Allowed",
            Decision::ExplicitDeny => "ExplicitlyDenied",
            Decision::ImplicitDeny => "ImplicitlyDenied",
        })
        .collect();
    let mut n = 0u64;
    let started = Instant::now();
    while started.elapsed() < RUN {
        for case in &prepared {
            std::hint::black_box(decide(std::hint::black_box(case)));
        }
        n += prepared.len() as u64;
    }
    let per_second = n as f64 / started.elapsed().as_secs_f64();
    let names: Vec<&str> = cases
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("?"))
        .collect();
    println!(
        "{}",
        serde_json::json!({"names": names, "decisions": decisions, "per_second": per_second})
    );
}
