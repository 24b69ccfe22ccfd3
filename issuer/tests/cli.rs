//! The `issuer` binary as a script uses it: `mint > token` and `mint --out token` write
//! exactly the token (a token file is sent verbatim by the AWS SDKs), `--clock` on `mint` and
//! `serve`, and `--log-format` on stderr (JSON lines, and no colour escapes in a file).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

const KEYS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys");
const BIN: &str = env!("CARGO_BIN_EXE_issuer");
/// 2026-11-23T05:00:00Z.
const FROZEN: i64 = 1_795_410_000;

/// The claims of a compact JWS.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn mint(args: &[&str]) -> std::process::Output {
    let output = Command::new(BIN)
        .args(["mint", "--keys", KEYS_DIR])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A token as the SDKs want the file: three base64url parts and not one byte more.
fn assert_exactly_a_token(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        !bytes.iter().any(|b| b.is_ascii_whitespace()),
        "whitespace in {text:?}"
    );
    let parts: Vec<&str> = text.split('.').collect();
    assert_eq!(parts.len(), 3, "{text:?}");
    for part in parts {
        assert!(!part.is_empty(), "{text:?}");
        assert!(URL_SAFE_NO_PAD.decode(part).is_ok(), "{text:?}");
    }
    text
}

/// Kills the child on drop so a failing test leaves no server behind.
struct Running(Child);
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn mint_to_a_file_or_pipe_writes_exactly_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let redirected = dir.path().join("token");
    // `issuer mint > token`
    let status = Command::new(BIN)
        .args(["mint", "--keys", KEYS_DIR, "--connection", "file"])
        .stdout(std::fs::File::create(&redirected).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    let token = assert_exactly_a_token(&std::fs::read(&redirected).unwrap());
    assert_eq!(claims(&token)["sub"], "dtid:connection/file");

    // `TOKEN=$(issuer mint)` and other pipes.
    assert_exactly_a_token(&mint(&[]).stdout);

    // --json still prints the JSON answer.
    let answer: Value = serde_json::from_slice(&mint(&["--json"]).stdout).unwrap();
    assert_exactly_a_token(answer["token"].as_str().unwrap().as_bytes());
}

#[test]
fn mint_out_writes_exactly_the_token_to_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("token");
    // An existing, longer, world-readable file is truncated and narrowed.
    std::fs::write(&out, "x".repeat(4096)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let output = mint(&["--connection", "out", "--out", out.to_str().unwrap()]);
    assert!(output.stdout.is_empty(), "{:?}", output.stdout);
    let token = assert_exactly_a_token(&std::fs::read(&out).unwrap());
    assert_eq!(claims(&token)["sub"], "dtid:connection/out");

    let fresh = dir.path().join("fresh-token");
    let answer: Value =
        serde_json::from_slice(&mint(&["--json", "--out", fresh.to_str().unwrap()]).stdout)
            .unwrap();
    assert_eq!(
        answer["token"].as_str().unwrap().as_bytes(),
        std::fs::read(&fresh).unwrap()
    );
    #[cfg(unix)]
    for path in [&out, &fresh] {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }

    // A file that cannot be written is an error, not a token on stdout.
    let output = Command::new(BIN)
        .args(["mint", "--keys", KEYS_DIR, "--out"])
        .arg(dir.path().join("no/such/dir/token"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write"));
}

#[test]
fn mint_clock_sets_iat_nbf_and_exp() {
    let output = mint(&["--clock", "2026-11-23T05:00:00Z", "--ttl", "60"]);
    let minted = claims(String::from_utf8(output.stdout).unwrap().trim());
    assert_eq!(minted["iat"], FROZEN);
    assert_eq!(minted["nbf"], FROZEN);
    assert_eq!(minted["exp"], FROZEN + 60);

    // An offset, negative too (a value, not a flag), and through the environment.
    let output = mint(&["--clock", "-86400"]);
    let iat = claims(String::from_utf8(output.stdout).unwrap().trim())["iat"]
        .as_i64()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((iat - (now - 86400)).abs() <= 5, "{iat} vs {now}");
    let output = Command::new(BIN)
        .args(["mint", "--keys", KEYS_DIR])
        .env("ISSUER_CLOCK", "2026-11-23T05:00:00Z")
        .output()
        .unwrap();
    let token = String::from_utf8(output.stdout).unwrap();
    assert_eq!(claims(token.trim())["iat"], FROZEN);

    let output = Command::new(BIN)
        .args(["mint", "--keys", KEYS_DIR, "--clock", "tomorrow"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not an RFC 3339 instant"));
}

/// Runs `issuer serve --clock <FROZEN> --log-format <format>` with stderr to a file, mints
/// one token over HTTP, stops the server: the `/mint` answer and everything logged.
async fn serve_and_mint(log_format: &str) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("stderr");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--keys", KEYS_DIR])
        .args([
            "--clock",
            "2026-11-23T05:00:00Z",
            "--log-format",
            log_format,
        ])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Running(child);
    let mut banner = BufReader::new(stdout).lines();
    let first_line = banner.next().unwrap().unwrap();
    let url = first_line.rsplit(' ').next().unwrap().to_string();
    let answer = openidconnect::reqwest::Client::new()
        .post(format!("{url}/mint"))
        .body(r#"{"connection": "logged"}"#)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    // Log lines are written by a background thread (rig_core::logging), so the answer can
    // arrive before its line does: wait for it before the server is killed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !std::fs::read_to_string(&stderr_path)
        .unwrap_or_default()
        .contains("minted token")
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    drop(server);
    drop(banner);
    (answer, std::fs::read_to_string(&stderr_path).unwrap())
}

#[tokio::test]
async fn serve_mints_from_its_clock_and_logs_json_lines() {
    let (answer, log) = serve_and_mint("json").await;
    assert_eq!(answer["claims"]["iat"], FROZEN);
    let minted: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .filter(|line: &Value| line["message"] == "minted token")
        .collect();
    assert_eq!(minted.len(), 1, "{log}");
    assert_eq!(minted[0]["sub"], "dtid:connection/logged");
    assert_eq!(minted[0]["level"], "INFO");
}

#[tokio::test]
async fn text_logs_to_a_file_carry_no_colour_escapes() {
    let (_, log) = serve_and_mint("text").await;
    assert!(log.contains("minted token"), "{log}");
    assert!(log.contains("dtid:connection/logged"), "{log}");
    assert!(!log.contains('\x1b'), "{log:?}");
}
