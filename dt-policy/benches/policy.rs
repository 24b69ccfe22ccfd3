//! Parse and decide times for the AWS Connector's policy (shared/sources/000): what the issuer
//! does before minting a token for an AWS connection.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dt_policy::{evaluate, evaluate_explained, parse, parse_boundary, Bindings, Request};

const AWS_CONNECTOR: &str = r#"ALLOW app-engine:apps:install;ALLOW settings:objects:read, settings:objects:write, settings:schemas:read WHERE settings:schemaId = "builtin:hyperscaler-authentication.aws.connection";ALLOW settings:objects:read, settings:objects:write, settings:schemas:read WHERE settings:schemaId = "builtin:dt-javascript-runtime.allowed-outbound-connections";ALLOW hyperscaler-authentication:aws:authenticate;"#;

fn aws_connector(c: &mut Criterion) {
    c.bench_function("aws connector policy: parse", |b| {
        b.iter(|| parse(black_box(AWS_CONNECTOR)))
    });
    let policy = parse(AWS_CONNECTOR).unwrap();
    let bound = policy.bind(&Bindings::new()).unwrap();
    let authenticate = Request::new("hyperscaler-authentication:aws:authenticate");
    let read = Request::new("settings:objects:read").with(
        "settings:schemaId",
        "builtin:hyperscaler-authentication.aws.connection",
    );
    let other = Request::new("settings:objects:read").with(
        "settings:schemaId",
        "builtin:hyperscaler-authentication.connections.aws",
    );
    c.bench_function("aws connector policy: decide authenticate", |b| {
        b.iter(|| evaluate(black_box(&[&bound]), black_box(&authenticate)))
    });
    c.bench_function("aws connector policy: decide settings read", |b| {
        b.iter(|| evaluate(black_box(&[&bound]), black_box(&read)))
    });
    c.bench_function("aws connector policy: decide + explain denied read", |b| {
        b.iter(|| evaluate_explained(black_box(&[&bound]), black_box(&other)))
    });
    c.bench_function("aws connector policy: bind", |b| {
        b.iter(|| policy.bind(black_box(&Bindings::new())))
    });
}

fn templated_with_boundary(c: &mut Criterion) {
    let policy = parse(
        r#"ALLOW storage:logs:read, storage:spans:read, storage:metrics:read
  WHERE storage:dt.security_context = "${bindParam:team}";
ALLOW settings:objects:read WHERE settings:dt.security_context startsWith "${bindParam:team}";"#,
    )
    .unwrap();
    let boundary = parse_boundary(
        "storage:k8s.namespace.name = \"DEV\";\nstorage:k8s.namespace.name = \"PREPROD\";\nenvironment:management-zone startsWith \"[Kubernetes]\";",
    )
    .unwrap();
    let params = Bindings::new().with("team", "checkout");
    c.bench_function("templated policy: bind with boundary", |b| {
        b.iter(|| policy.bind_within(black_box(&params), &[&boundary]))
    });
    let bound = policy.bind_within(&params, &[&boundary]).unwrap();
    let request = Request::new("storage:metrics:read")
        .with("storage:dt.security_context", "checkout")
        .with("storage:k8s.namespace.name", "PREPROD");
    c.bench_function("templated policy: decide", |b| {
        b.iter(|| evaluate(black_box(&[&bound]), black_box(&request)))
    });
}

criterion_group!(benches, aws_connector, templated_with_boundary);
criterion_main!(benches);
