//! `issuer policy explain` as CI uses it: exit 0 allowed, 1 denied, 2 bad input, and the
//! explanation on stdout (text or `--json`); the statements of the Dynatrace documents decide
//! as the documents say. Also `issuer serve`'s banner names the Dynatrace clients.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_issuer");
const KEYS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys");
/// shared/sources/000_*.txt: the AWS Connector's permissions, verbatim.
const AWS_CONNECTOR: &str = r#"ALLOW app-engine:apps:install;ALLOW settings:objects:read, settings:objects:write, settings:schemas:read WHERE settings:schemaId = "builtin:hyperscaler-authentication.aws.connection";ALLOW settings:objects:read, settings:objects:write, settings:schemas:read WHERE settings:schemaId = "builtin:dt-javascript-runtime.allowed-outbound-connections";ALLOW hyperscaler-authentication:aws:authenticate;"#;

/// Runs `issuer policy explain` on `statements` (via a file) with `args`.
fn explain(statements: &str, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.txt");
    std::fs::write(&path, statements).unwrap();
    let out = Command::new(BIN)
        .args(["policy", "explain", "--statements"])
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_connectors_permissions_decide_as_000_says() {
    let (code, out, _) = explain(
        AWS_CONNECTOR,
        &[
            "--permission",
            "hyperscaler-authentication:aws:authenticate",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(
            "allowed by statement 4 (ALLOW hyperscaler-authentication:aws:authenticate) at 1:"
        ),
        "{out}"
    );

    let legacy = "settings:schemaId=builtin:hyperscaler-authentication.aws.connection";
    let (code, _, _) = explain(
        AWS_CONNECTOR,
        &[
            "--permission",
            "settings:objects:read",
            "--condition",
            legacy,
        ],
    );
    assert_eq!(code, 0);
    // 000 names only the legacy schema: the current one is denied, and the failing condition said.
    let current = "settings:schemaId=builtin:hyperscaler-authentication.connections.aws";
    let (code, out, _) = explain(
        AWS_CONNECTOR,
        &[
            "--permission",
            "settings:objects:read",
            "--condition",
            current,
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(
            "denied: no statement allows settings:objects:read for this request; statement 2"
        ),
        "{out}"
    );
    assert!(out.contains("[FAIL] settings:schemaId = \"builtin:hyperscaler-authentication.aws.connection\" does not hold for \"builtin:hyperscaler-authentication.connections.aws\""), "{out}");
}

#[test]
fn management_zones_of_003_and_deny_over_allow() {
    // 003_*.txt, Example 1: "Access to all settings in dev and hardening".
    let developer = "ALLOW environment:roles:manage-settings\nWHERE environment:management-zone IN (\"dev\", \"hardening\");\nALLOW environment:roles:viewer\nWHERE environment:management-zone IN (\"prod\");";
    let zone = |z: &str| format!("environment:management-zone={z}");
    let decide = |permission: &str, z: &str| {
        explain(
            developer,
            &["--permission", permission, "--condition", &zone(z)],
        )
        .0
    };
    assert_eq!(decide("environment:roles:manage-settings", "dev"), 0);
    assert_eq!(decide("environment:roles:manage-settings", "prod"), 1);
    assert_eq!(decide("environment:roles:viewer", "prod"), 0);
    // Example 2: startsWith "[Kubernetes]".
    let k8s = "ALLOW environment:roles:viewer, environment:roles:manage-settings\nWHERE environment:management-zone startsWith \"[Kubernetes]\";";
    let zone_k8s = zone("[Kubernetes] prod");
    assert_eq!(
        explain(
            k8s,
            &[
                "--permission",
                "environment:roles:viewer",
                "--condition",
                &zone_k8s
            ]
        )
        .0,
        0
    );
    assert_eq!(
        explain(
            k8s,
            &[
                "--permission",
                "environment:roles:viewer",
                "--condition",
                &zone("other")
            ]
        )
        .0,
        1
    );

    let (code, out, _) = explain(
        "ALLOW hyperscaler-authentication:aws:authenticate;\nDENY hyperscaler-authentication:aws:authenticate;",
        &["--permission", "hyperscaler-authentication:aws:authenticate", "--json"],
    );
    assert_eq!(code, 1);
    let why: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(why["decision"], "explicit_deny");
    assert_eq!(why["deciding"]["statement"], 2);
    assert_eq!(why["deciding"]["position"]["line"], 2);
}

#[test]
fn bad_input_exits_2_with_a_position() {
    let (code, out, err) = explain(
        "ALLOW settings:objects:read WHERE settings:schemaId ~ \"x\";",
        &["--permission", "settings:objects:read"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.is_empty());
    assert!(
        err.contains("the statements do not parse:") && err.contains("at 1:"),
        "{err}"
    );
    let (code, _, err) = explain("ALLOW a:b:c;", &["--permission", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("must be service:resource:action"), "{err}");
    let (code, _, err) = explain(
        "ALLOW a:b:c WHERE a:x = \"${bindParam:p}\";",
        &["--permission", "a:b:c", "--condition", "a:x=1"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--param"), "{err}");
    let (code, _, _) = explain(
        "ALLOW a:b:c WHERE a:x = \"${bindParam:p}\";",
        &[
            "--permission",
            "a:b:c",
            "--condition",
            "a:x=1",
            "--param",
            "p=1",
        ],
    );
    assert_eq!(code, 0);
    // A condition that is not KEY=VALUE, or a missing flag: clap's usage error, exit 2.
    let (code, _, _) = explain(
        "ALLOW a:b:c;",
        &["--permission", "a:b:c", "--condition", "novalue"],
    );
    assert_eq!(code, 2);
    let missing = Command::new(BIN)
        .args(["policy", "explain", "--statements", "/nonexistent"])
        .args(["--permission", "a:b:c"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn statements_from_stdin() {
    let mut child = Command::new(BIN)
        .args([
            "policy",
            "explain",
            "--statements",
            "-",
            "--permission",
            "a:b:c",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"DENY a:b:c;")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("denied by statement 1 (DENY a:b:c) at 1:1"));
}

#[test]
fn serve_prints_the_dynatrace_clients() {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--keys", KEYS_DIR])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Read on a thread: a banner without the last line must fail the test, not hang it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = String::new();
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(20)) {
        let done = line.contains("builtin:hyperscaler-authentication.connections.aws");
        banner.push_str(&line);
        banner.push('\n');
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        banner.contains(
            "dynatrace account 7a3e1c52-9b4d-4f8e-a6c1-2d5b8e0f9a13 (environments abc12345)"
        ),
        "{banner}"
    );
    assert!(
        banner.contains("dynatrace client dt0s02.RIGADMIN secret dt0s02.RIGADMIN.rig-admin-secret"),
        "{banner}"
    );
    assert!(
        banner.contains(
            "dynatrace client dt0s02.RIGVIEWER secret dt0s02.RIGVIEWER.rig-viewer-secret"
        ),
        "{banner}"
    );
}
