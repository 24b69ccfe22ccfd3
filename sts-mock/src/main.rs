//! The `sts-mock` command: a thin CLI over the `sts-mock` library.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use rig_core::logging::{self, LogFormat};
use sts_mock::config::Setup;
use sts_mock::model::Snapshot;
use sts_mock::policy::Decision;
use sts_mock::state::StateFile;
use sts_mock::{Clock, Model, StsMock, StsMockConfig};

#[derive(Parser)]
#[command(
    name = "sts-mock",
    version,
    about = "AWS STS emulator that verifies web-identity tokens and enforces IAM trust policies"
)]
struct Cli {
    /// Log lines as text (coloured only on a terminal) or as one JSON object per line; the
    /// level comes from RUST_LOG (default info).
    #[arg(long, global = true, env = "STS_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the STS (and IAM) Query API.
    Serve(ServeArgs),
    /// Check a trust policy offline for a token or a request context, and say why. Exits 0 when
    /// allowed, 1 when denied, 2 on bad input.
    Explain(ExplainArgs),
    /// Find the trust-policy mistakes AWS accepts (docs/lint.md), in a file or in a role of a
    /// running sts-mock. Exits 0 when clean, 1 with findings, 2 on bad input.
    Lint(LintArgs),
    /// How often each condition of each role's trust policy was seen true and false by a
    /// running sts-mock. Exits 1 when --fail-under-conditions is not met, 2 on bad input.
    Coverage(CoverageArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LintFormat {
    /// `FILE:LINE:COL: severity[id] message`, and what to write instead.
    Text,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0, for CI code scanning.
    Sarif,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["trust_policy", "role"])))]
struct LintArgs {
    /// The trust policy (AWS JSON) to check.
    #[arg(long, value_name = "FILE")]
    trust_policy: Option<std::path::PathBuf>,
    /// An OIDC provider registered in the role's account (its URL); repeatable. With it, a
    /// statement trusting any other provider is reported.
    #[arg(long = "provider", value_name = "URL", conflicts_with = "role")]
    providers: Vec<String>,
    /// A role of the running sts-mock at --url, checked against its account's providers.
    #[arg(long, value_name = "ARN", requires = "url")]
    role: Option<String>,
    /// The running sts-mock (for --role).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The report's form.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CoverageFormat {
    /// A line per statement and condition.
    Text,
    /// sts-mock's JSON report as served.
    Json,
}

#[derive(Args)]
struct CoverageArgs {
    /// The running sts-mock.
    #[arg(long, value_name = "URL")]
    url: String,
    /// Only this role (repeatable); every role of the model without it.
    #[arg(long, value_name = "ARN")]
    role: Vec<String>,
    /// Exit 1 when fewer than PERCENT of the conditions were seen both true and false.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    fail_under_conditions: Option<f64>,
    /// The report's form.
    #[arg(long, value_enum, default_value_t = CoverageFormat::Text)]
    format: CoverageFormat,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

#[derive(Args)]
struct ExplainArgs {
    /// The trust policy (AWS JSON) to check.
    #[arg(long, value_name = "FILE")]
    trust_policy: std::path::PathBuf,
    /// A web-identity token (JWT), or `-` to read it from stdin; its claims fill the context.
    #[arg(long, value_name = "JWT", required_unless_present = "context")]
    token: Option<String>,
    /// A context key and value, e.g. token.dynatrace.com:sub=dtid:connection/my-connection.
    /// Repeatable; a key given twice is multi-valued; overrides the token's keys.
    #[arg(long, value_name = "KEY=VALUE", value_parser = sts_mock::explain::parse_pair)]
    context: Vec<(String, String)>,
    /// The account the role and its OIDC provider live in.
    #[arg(long, default_value = sts_mock::DEFAULT_ACCOUNT)]
    account: String,
    /// The federated principal (OIDC provider ARN) when no token is given.
    #[arg(long, value_name = "ARN")]
    federated: Option<String>,
    /// The action to check.
    #[arg(long, default_value = "sts:AssumeRoleWithWebIdentity")]
    action: String,
    /// The RoleSessionName the request would carry (sts:RoleSessionName).
    #[arg(long, value_name = "NAME", default_value = sts_mock::explain::DEFAULT_SESSION_NAME)]
    role_session_name: String,
    /// Print the explanation as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "STS_MOCK_LISTEN", default_value = sts_mock::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Fetch the discovery document of issuer ISSUER_URL from BASE_URL instead
    /// (e.g. https://token.dynatrace.com=http://127.0.0.1:9400). Repeatable.
    #[arg(long = "oidc-endpoint", value_name = "ISSUER_URL=BASE_URL", env = "STS_MOCK_OIDC_ENDPOINTS", value_delimiter = ',', value_parser = sts_mock::oidc::parse_endpoint)]
    oidc_endpoints: Vec<(String, String)>,
    /// Secret that seals issued credentials; instances sharing it accept each other's
    /// credentials. Random when absent (credentials then do not survive a restart).
    #[arg(long, env = "STS_MOCK_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// A setup file (TOML): accounts, OIDC providers, roles and policies, OIDC endpoints.
    /// Without it, the built-in default (examples/default.toml) is served.
    #[arg(long, env = "STS_MOCK_CONFIG", value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Keep everything changed through the IAM API in FILE, across restarts. An existing file
    /// is loaded instead of the setup; a corrupt or foreign file is refused, never replaced.
    #[arg(long, env = "STS_MOCK_STATE", value_name = "FILE")]
    state: Option<std::path::PathBuf>,
    /// The clock: an RFC 3339 instant (frozen there), +SECONDS or -SECONDS (offset from real
    /// time), or `real`.
    #[arg(
        long,
        env = "STS_MOCK_CLOCK",
        value_name = "WHEN",
        default_value = "real"
    )]
    clock: Clock,
    /// How long an identity provider's keys are used before they are fetched again, in
    /// seconds of the clock (0: fetched for every token). An unknown kid refetches sooner, at
    /// most once per 10 s.
    #[arg(long, env = "STS_MOCK_JWKS_CACHE_SECONDS", value_name = "SECONDS", default_value_t = sts_mock::oidc::DEFAULT_JWKS_CACHE_SECS, value_parser = clap::value_parser!(u64).range(0..=sts_mock::oidc::MAX_JWKS_CACHE_SECS))]
    jwks_cache_seconds: u64,
}

/// Prints a line on stdout without panicking when stdout is closed (a reader that stopped
/// after the banner must not kill the server).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = match logging::init(cli.log_format, logging::DEFAULT_FILTER) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("sts-mock: cannot set up logging: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Explain(args) => return explain(args),
        Command::Lint(args) => return lint(args).await,
        Command::Coverage(args) => return coverage(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // The buffered log lines first, so the error comes last, as it happened.
            drop(log);
            eprintln!("sts-mock: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    if args.secret.is_none() {
        tracing::info!("no --secret: issued credentials will not survive a restart");
    }
    let (setup, setup_name) = match &args.config {
        Some(path) => (
            Setup::from_file(path).map_err(|e| e.to_string())?,
            path.display().to_string(),
        ),
        None => (Setup::builtin(), "the built-in default".to_string()),
    };
    let state_file = args.state.as_ref().map(StateFile::new);
    let restored = match &state_file {
        Some(file) => file
            .load::<Snapshot>()
            .map_err(|e| e.to_string())?
            .map(|snapshot| {
                Model::from_snapshot(snapshot)
                    .map_err(|e| format!("refusing state file {}: {e}", file.path().display()))
            })
            .transpose()?,
        None => None,
    };
    let model: Model = match restored {
        Some(model) => {
            say!(
                "state: loaded from {}",
                args.state
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            model
        }
        None => {
            let model = setup.build_model(&setup_name).map_err(|e| e.to_string())?;
            say!("setup: {setup_name}");
            model
        }
    };
    let mut config = StsMockConfig::default()
        .listen(args.listen)
        .model(model)
        .clock(args.clock)
        .jwks_cache_seconds(args.jwks_cache_seconds);
    config.default_account = setup.default_account.clone();
    // A new state file starts from the setup, so a restart finds the same world.
    config.state_file = state_file;
    // The setup's endpoints, then the command line's (which win for the same issuer).
    let mut endpoints: Vec<(String, String)> = setup
        .oidc_endpoints
        .iter()
        .filter(|e| !args.oidc_endpoints.iter().any(|(i, _)| *i == e.issuer))
        .map(|e| (e.issuer.clone(), e.base.clone()))
        .collect();
    endpoints.extend(args.oidc_endpoints.iter().cloned());
    config.oidc_endpoints = endpoints.clone();
    config.secret = args.secret.map(String::into_bytes);
    let sts = StsMock::start(config).await.map_err(|e| e.to_string())?;
    say!("sts-mock listening on {}", sts.url());
    for (issuer, base) in &endpoints {
        say!("oidc endpoint: {issuer} -> {base}");
    }
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    eprintln!("sts-mock: shutting down");
    // Requests in progress finish; a client stalling its body cannot hold up the exit long.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), sts.shutdown()).await;
    Ok(())
}

fn explain(args: ExplainArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("sts-mock explain: {message}");
        ExitCode::from(2)
    };
    let policy = match std::fs::read_to_string(&args.trust_policy) {
        Ok(text) => text,
        Err(e) => return fail(format!("cannot read {}: {e}", args.trust_policy.display())),
    };
    let token = match args.token.as_deref() {
        Some("-") => {
            let mut text = String::new();
            if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
                return fail(format!("cannot read the token from stdin: {e}"));
            }
            Some(text.trim().to_string())
        }
        other => other.map(str::to_string),
    };
    let input = sts_mock::explain::ExplainInput {
        token,
        context: args.context,
        account: Some(args.account),
        federated: args.federated,
        action: Some(args.action),
        session_name: Some(args.role_session_name),
    };
    let out = match sts_mock::explain::explain(&policy, &input) {
        Ok(out) => out,
        Err(e) => return fail(format!("{}: {e}", args.trust_policy.display())),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out.explanation).unwrap_or_default()
        );
    } else {
        print!("{}", out.explanation);
    }
    if out.decision == Decision::Allow {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn lint(args: LintArgs) -> ExitCode {
    use sts_mock::lint::{self, format, LintContext};
    let fail = |message: String| {
        eprintln!("sts-mock lint: {message}");
        ExitCode::from(2)
    };
    let (name, is_file, text, context) = match (&args.trust_policy, &args.role, &args.url) {
        (Some(path), _, _) => match std::fs::read_to_string(path) {
            Ok(text) => (
                path.display().to_string(),
                true,
                text,
                LintContext {
                    providers: (!args.providers.is_empty()).then(|| args.providers.clone()),
                },
            ),
            Err(e) => return fail(format!("cannot read {}: {e}", path.display())),
        },
        (None, Some(role), Some(url)) => {
            let path = format!(
                "/_sts-mock/lint?role={}",
                sts_mock::remote::query_value(role)
            );
            let answer = match sts_mock::remote::get_json(url, &path).await {
                Ok((200, answer)) => answer,
                Ok((_, answer)) => {
                    return fail(format!(
                        "{url}: {}",
                        answer["message"].as_str().unwrap_or("refused")
                    ))
                }
                Err(e) => return fail(e),
            };
            let providers = answer["providers"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            (
                role.clone(),
                false,
                answer["trust_policy"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                LintContext {
                    providers: Some(providers),
                },
            )
        }
        _ => return fail("give --trust-policy FILE, or --role ARN with --url URL".into()),
    };
    let findings = match lint::lint_text(&text, &context) {
        Ok(findings) => findings,
        Err(e) => {
            return fail(format!(
                "{name}: not a trust policy IAM accepts: MalformedPolicyDocument: {} (at {})",
                e.message, e.path
            ))
        }
    };
    let source = format::Source {
        name: &name,
        is_file,
        text: &text,
    };
    match args.format {
        LintFormat::Text => say!("{}", format::text(&source, &findings).trim_end()),
        LintFormat::Json => say!(
            "{}",
            serde_json::to_string_pretty(&format::json(&source, &findings)).unwrap_or_default()
        ),
        LintFormat::Sarif => say!(
            "{}",
            serde_json::to_string_pretty(&format::sarif(&source, &findings)).unwrap_or_default()
        ),
    }
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn coverage(args: CoverageArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("sts-mock coverage: {message}");
        ExitCode::from(2)
    };
    let query: Vec<String> = args
        .role
        .iter()
        .map(|r| format!("role={}", sts_mock::remote::query_value(r)))
        .collect();
    let path = if query.is_empty() {
        "/_sts-mock/coverage".to_string()
    } else {
        format!("/_sts-mock/coverage?{}", query.join("&"))
    };
    let report = match sts_mock::remote::get_json(&args.url, &path).await {
        Ok((200, report)) => report,
        Ok((status, _)) => return fail(format!("{}: HTTP {status}", args.url)),
        Err(e) => return fail(e),
    };
    let roles = report["roles"].as_array().cloned().unwrap_or_default();
    for asked in &args.role {
        if !roles.iter().any(|r| r["role_arn"] == asked.as_str()) {
            return fail(format!("{}: no role {asked}", args.url));
        }
    }
    let total = report["conditions"]["total"].as_u64().unwrap_or(0);
    let both = report["conditions"]["seen_both_ways"].as_u64().unwrap_or(0);
    match args.format {
        CoverageFormat::Json => say!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
        CoverageFormat::Text => say!("{}", coverage_text(&report, &roles).trim_end()),
    }
    match args.fail_under_conditions {
        // Exact: both / total < threshold / 100, without rounding.
        Some(threshold) if (both as f64) * 100.0 < threshold * (total as f64) => {
            eprintln!(
                "sts-mock coverage: {both} of {total} conditions seen both true and false, under {threshold}%"
            );
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
    }
}

fn coverage_text(report: &serde_json::Value, roles: &[serde_json::Value]) -> String {
    let count = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);
    let mut out = String::new();
    if let Some(since) = report["since"].as_str() {
        out.push_str(&format!("since {since}\n"));
    }
    for role in roles {
        out.push_str(&format!(
            "{} ({} decisions)\n",
            role["role_arn"].as_str().unwrap_or("?"),
            count(role, "decisions")
        ));
        for statement in role["statements"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "  statement {}{} {}: true {}, false {}\n",
                count(statement, "statement"),
                statement["sid"]
                    .as_str()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default(),
                statement["effect"].as_str().unwrap_or(""),
                count(statement, "true"),
                count(statement, "false"),
            ));
            for condition in statement["conditions"].as_array().into_iter().flatten() {
                let (yes, no) = (count(condition, "true"), count(condition, "false"));
                let gap = match (yes, no) {
                    (0, 0) => "  never evaluated",
                    (0, _) => "  never seen true",
                    (_, 0) => "  never seen false",
                    _ => "",
                };
                out.push_str(&format!(
                    "    {} {} {}: true {yes}, false {no}{gap}\n",
                    condition["operator"].as_str().unwrap_or(""),
                    condition["key"].as_str().unwrap_or(""),
                    condition["values"],
                ));
            }
        }
    }
    out.push_str(&format!(
        "conditions seen both true and false: {} of {} ({}%)\n",
        report["conditions"]["seen_both_ways"],
        report["conditions"]["total"],
        report["conditions"]["percent"],
    ));
    out
}
