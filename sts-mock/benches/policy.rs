//! Decision time of the seed trust policy (shared/sources/000): the STS's hot path.
//! Target: under 1 microsecond per decision without explanation.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sts_mock::policy::{
    evaluate, evaluate_explained, Context, Policy, PolicyKind, Principal, PrincipalKind, Request,
};

const SEED: &str = r#"{"Version": "2012-10-17","Statement": [{"Effect": "Allow","Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},"Action": "sts:AssumeRoleWithWebIdentity","Condition": {"StringEquals": {"token.dynatrace.com:aud": "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector","token.dynatrace.com:sub": "dtid:connection/my-connection"}}}]}"#;

fn seed_trust_policy(c: &mut Criterion) {
    let policy = Policy::parse(SEED, PolicyKind::Trust).unwrap();
    let mut context = Context::new();
    context.insert(
        "token.dynatrace.com:aud",
        "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector",
    );
    context.insert("token.dynatrace.com:sub", "dtid:connection/my-connection");
    context.insert(
        "aws:FederatedProvider",
        "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com",
    );
    context.insert("sts:RoleSessionName", "bench");
    let principal = Principal {
        kind: PrincipalKind::Federated,
        id: "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com".into(),
    };
    let request = Request {
        principal: Some(&principal),
        action: "sts:AssumeRoleWithWebIdentity",
        resource: None,
        context: &context,
    };
    c.bench_function("seed trust policy: decision", |b| {
        b.iter(|| evaluate(black_box(&[&policy]), black_box(&request)))
    });
    c.bench_function("seed trust policy: decision + explanation", |b| {
        b.iter(|| evaluate_explained(black_box(&[&policy]), black_box(&request)))
    });
    c.bench_function("seed trust policy: parse", |b| {
        b.iter(|| Policy::parse(black_box(SEED), PolicyKind::Trust))
    });
}

criterion_group!(benches, seed_trust_policy);
criterion_main!(benches);
