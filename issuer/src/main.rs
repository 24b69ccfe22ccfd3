//! The `issuer` command: a thin CLI over the `issuer` library.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use issuer::{
    Clock, Fault, Issuer, IssuerConfig, IssuerSpec, KeyAlg, KeySet, KeySource, MintRequest, Minter,
    ROOT_ISSUER,
};
use rig_core::logging::{self, LogFormat};

/// How long Ctrl-C waits for requests in progress before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Parser)]
#[command(
    name = "issuer",
    version,
    about = "Local OIDC token issuer for testing web-identity federation into AWS"
)]
struct Cli {
    /// Log line format on stderr: text (coloured only on a terminal) or json (one object per
    /// line). The level comes from RUST_LOG (default info).
    #[arg(long, global = true, env = "ISSUER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every issuer (Dynatrace at /, GitHub Actions at /github/, GitLab CI at /gitlab/,
    /// EKS at /eks/, and those of --config): each its OIDC discovery, JWKS and POST mint.
    Serve(ServeArgs),
    /// Mint one token offline for any issuer and print it, or write it with --out (exactly
    /// the token, no newline unless stdout is a terminal: a ready AWS_WEB_IDENTITY_TOKEN_FILE).
    Mint(MintArgs),
    /// Generate a new signing key into the key directory.
    Keygen(KeygenArgs),
    /// Dynatrace IAM policies, offline.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Decide one request against Dynatrace policy statements and say why: exit 0 allowed,
    /// 1 denied, 2 bad input (statements that do not parse, with line and column).
    Explain(ExplainArgs),
}

#[derive(Args)]
struct ExplainArgs {
    /// The policy statements (a policy's statementQuery); - reads stdin.
    #[arg(long, value_name = "FILE")]
    statements: PathBuf,
    /// The permission asked for, e.g. hyperscaler-authentication:aws:authenticate.
    #[arg(long, value_name = "P")]
    permission: String,
    /// A condition attribute of the request, e.g.
    /// settings:schemaId=builtin:hyperscaler-authentication.aws.connection (repeatable; a key
    /// given twice has several values, which MATCH tests).
    #[arg(long = "condition", value_name = "KEY=VALUE", value_parser = parse_field)]
    conditions: Vec<(String, String)>,
    /// A binding parameter for ${bindParam:NAME} (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_field)]
    params: Vec<(String, String)>,
    /// Print the explanation as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct KeyArgs {
    /// Directory of PKCS#8 PEM private keys (RSA or P-256) of the issuer at /; every key is
    /// published. The built-in issuers' keys are in its subdirectories github/, gitlab/, eks/.
    #[arg(long, env = "ISSUER_KEYS", default_value = issuer::DEFAULT_KEYS_DIR)]
    keys: PathBuf,
    /// kid (file stem) of the key that signs for the issuer at /; default: the first key by
    /// file name.
    #[arg(long, env = "ISSUER_SIGNING_KEY")]
    signing_key: Option<String>,
    /// Identity of the issuer at /, put in `iss` and its discovery document.
    #[arg(long, env = "ISSUER_URL", default_value = issuer::DEFAULT_ISSUER_URL)]
    issuer_url: String,
    /// An issuers file (TOML) declaring more issuers: name, prefix, issuer_url, profile, keys,
    /// claims (keys directories relative to the file); a [dynatrace] section replaces the
    /// built-in Dynatrace world (account, clients, policies, connections).
    #[arg(long, env = "ISSUER_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct ClockArgs {
    /// The issuer's "now" for iat, nbf and exp: an RFC 3339 instant (frozen there, e.g.
    /// 2026-11-23T05:00:00Z), +SECONDS or -SECONDS (real time shifted), or real.
    // `-3600` is a value here, not a flag.
    #[arg(long, env = "ISSUER_CLOCK", default_value = "real", value_parser = parse_clock, allow_hyphen_values = true)]
    clock: Clock,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ISSUER_LISTEN", default_value = issuer::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// JWKS URL to advertise in discovery; default: this server's own JWKS.
    #[arg(long, env = "ISSUER_JWKS_URI")]
    jwks_uri: Option<String>,
    #[command(flatten)]
    clock_args: ClockArgs,
    #[command(flatten)]
    key_args: KeyArgs,
}

#[derive(Args)]
struct MintArgs {
    /// The issuer that mints: dynatrace (at /), github, gitlab, eks, or one of --config.
    #[arg(long, default_value = ROOT_ISSUER)]
    issuer: String,
    /// Dynatrace tenant (aud = <tenant>.apps.dynatrace.com/app-id/dynatrace.aws.connector);
    /// default abc12345.
    #[arg(long)]
    tenant: Option<String>,
    /// Dynatrace connection name (sub = dtid:connection/<connection>); default my-connection.
    #[arg(long)]
    connection: Option<String>,
    /// Extra claims as a JSON object, merged over the profile's claims.
    #[arg(long)]
    claims: Option<String>,
    /// Lifetime in seconds; default the profile's (300 for Dynatrace and GitHub, 3600 for
    /// GitLab, 86400 for EKS).
    #[arg(long)]
    ttl: Option<i64>,
    /// Make a deliberately bad token: expired, not-yet-valid, unknown-kid, foreign-key,
    /// bad-signature, alg-none, hs256-confusion, wrong-issuer.
    #[arg(long)]
    fault: Option<Fault>,
    /// Print the JSON answer of /mint (token, header, claims) instead of the bare token.
    #[arg(long)]
    json: bool,
    /// Write exactly the token to FILE (created or truncated, mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The profile's fields, e.g. repository=octo-org/octo-repo ref=refs/heads/main
    /// (github), namespace=default service_account=app (eks), connection_id=ID (dynatrace).
    #[arg(value_name = "FIELD=VALUE", value_parser = parse_field)]
    fields: Vec<(String, String)>,
    #[command(flatten)]
    clock_args: ClockArgs,
    #[command(flatten)]
    key_args: KeyArgs,
}

#[derive(Args)]
struct KeygenArgs {
    /// Directory to write the key into.
    #[arg(long, env = "ISSUER_KEYS", default_value = issuer::DEFAULT_KEYS_DIR)]
    keys: PathBuf,
    /// kid of the new key (its file name is <kid>.pem).
    #[arg(long)]
    kid: String,
    /// Key type: rs256 (RSA-2048) or es256 (P-256).
    #[arg(long, default_value = "rs256", value_parser = parse_alg)]
    alg: KeyAlg,
}

fn parse_alg(s: &str) -> Result<KeyAlg, String> {
    match s.to_ascii_lowercase().as_str() {
        "rs256" | "rsa" => Ok(KeyAlg::Rs256),
        "es256" | "ec" | "p256" | "p-256" => Ok(KeyAlg::Es256),
        _ => Err(format!("unknown key type `{s}`, expected rs256 or es256")),
    }
}

fn parse_field(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!(
            "`{s}` is not FIELD=VALUE, such as repository=octo-org/octo-repo"
        )),
    }
}

fn parse_clock(s: &str) -> Result<Clock, String> {
    s.parse().map_err(|e: rig_core::ClockError| e.to_string())
}

fn load_keys(args: &KeyArgs) -> Result<KeySet, String> {
    KeySet::load_dir(&args.keys, args.signing_key.as_deref()).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = logging::init(cli.log_format, logging::DEFAULT_FILTER)
        .map_err(|e| eprintln!("issuer: cannot set up logging: {e}"))
        .ok();
    let result = match cli.command {
        Command::Policy(PolicyCommand::Explain(args)) => return policy_explain(args),
        Command::Serve(args) => serve(args).await,
        Command::Mint(args) => mint(args),
        Command::Keygen(args) => keygen(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // The buffered log lines first, so the error comes last, as it happened.
            drop(log);
            eprintln!("issuer: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let keys = load_keys(&args.key_args)?;
    let mut config = IssuerConfig::new(keys)
        .keys_dir(&args.key_args.keys)
        .listen(args.listen)
        .issuer_url(args.key_args.issuer_url.clone())
        .clock(args.clock_args.clock)
        .builtin_issuers(&args.key_args.keys)
        .map_err(|e| e.to_string())?;
    if let Some(uri) = args.jwks_uri {
        config = config.jwks_uri(uri);
    }
    let setup = configured(&args.key_args)?;
    for spec in setup.issuers {
        config = config.issuer(spec);
    }
    if let Some(dynatrace) = setup.dynatrace {
        config = config.dynatrace(dynatrace);
    }
    let issuer = Issuer::start(config).await.map_err(|e| e.to_string())?;
    let signing = issuer.minter().signing_key();
    let mut banner = format!(
        "issuer listening on {}\nissuer URL (iss): {}\ndiscovery: {}\njwks: {}\nsigning key: {} ({})\n",
        issuer.url(),
        issuer.issuer_url(),
        issuer.discovery_url(),
        issuer.jwks_url(),
        signing.kid(),
        signing.alg()
    );
    for served in &issuer.issuers()[1..] {
        let key = served.minter().signing_key();
        banner.push_str(&format!(
            "issuer {} ({}): iss {} at {}, signing key {} ({})\n",
            served.name(),
            served.profile(),
            served.issuer_url(),
            served.base_url(),
            key.kid(),
            key.alg()
        ));
        if let KeySource::Generated(dir) = served.key_source() {
            // Offline `issuer mint --issuer NAME` needs the key the server publishes.
            tracing::warn!(
                issuer = served.name(),
                "{} does not exist: generated a key for this run; tokens minted offline for this issuer will not verify (make a key with `issuer keygen --keys {} --kid NAME`)",
                dir.display(),
                dir.display()
            );
        }
    }
    let dynatrace = issuer.dynatrace().snapshot();
    banner.push_str(&format!(
        "dynatrace account {} (environments {}): OAuth at {}{}\n",
        dynatrace.account(),
        dynatrace.environments().join(", "),
        issuer.url(),
        issuer::TOKEN_PATH
    ));
    for client in dynatrace.clients() {
        banner.push_str(&format!(
            "dynatrace client {} secret {} ({})\n",
            client.client_id, client.client_secret, client.description
        ));
    }
    for object in dynatrace.settings_objects() {
        banner.push_str(&format!(
            "dynatrace connection {:?} ({}) in {}: {}\n",
            object.name, object.schema_id, object.environment, object.object_id
        ));
    }
    // A reader that stops after the first line (the URL) must not kill the server: println!
    // would panic on the closed pipe.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    drop(stdout);
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    eprintln!("issuer: shutting down");
    // Requests in progress finish; a client stalling its body cannot hold up the exit long.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, issuer.shutdown()).await;
    Ok(())
}

/// What `--config` sets up, if given.
fn configured(args: &KeyArgs) -> Result<issuer::issuers::SetupFile, String> {
    match &args.config {
        Some(path) => issuer::issuers::load_setup(path).map_err(|e| e.to_string()),
        None => Ok(issuer::issuers::SetupFile {
            issuers: Vec::new(),
            dynatrace: None,
        }),
    }
}

/// The minter of the issuer called `name`, with the keys the server would publish for it.
fn minter_for(name: &str, args: &KeyArgs) -> Result<Minter, String> {
    if name == ROOT_ISSUER {
        return Ok(Minter::new(args.issuer_url.clone(), load_keys(args)?));
    }
    let spec = if let Some(builtin) = issuer::issuers::builtin(name) {
        let dir = args.keys.join(builtin.name);
        if !dir.exists() {
            // The server generates a key for a missing directory, which no offline token can
            // match: refuse rather than mint a token that cannot verify.
            return Err(format!(
                "{} does not exist, so a server would generate a key for issuer {name} that this token cannot match; make one with `issuer keygen --keys {} --kid NAME`",
                dir.display(),
                dir.display()
            ));
        }
        IssuerSpec::builtin(builtin, &args.keys).map_err(|e| e.to_string())?
    } else {
        let specs = configured(args)?.issuers;
        let names: Vec<String> = issuer::BUILTIN_ISSUERS
            .iter()
            .map(|b| b.name.to_string())
            .chain(specs.iter().map(|s| s.name.clone()))
            .collect();
        specs.into_iter().find(|s| s.name == name).ok_or_else(|| {
            format!(
                "no issuer called `{name}`; the issuers are: {}{}",
                names.join(", "),
                if args.config.is_none() {
                    " (give --config FILE for the ones an issuers file declares)"
                } else {
                    ""
                }
            )
        })?
    };
    Ok(Minter::new(spec.issuer_url, spec.keys)
        .with_profile(spec.profile)
        .with_default_claims(spec.default_claims))
}

fn mint(args: MintArgs) -> Result<(), String> {
    let claims = match args.claims {
        None => None,
        Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            Ok(_) => return Err("--claims must be a JSON object".into()),
            Err(e) => return Err(format!("--claims is not valid JSON: {e}")),
        },
    };
    let mut request = MintRequest {
        tenant: args.tenant,
        connection: args.connection,
        claims,
        ttl: args.ttl,
        fault: args.fault,
        ..Default::default()
    };
    for (name, value) in args.fields {
        let taken = match name.as_str() {
            "tenant" => request.tenant.is_some(),
            "connection" => request.connection.is_some(),
            other => request.fields.contains_key(other),
        };
        if taken {
            return Err(format!("the field {name} is given twice"));
        }
        request = request.field(&name, value);
    }
    let minted = minter_for(&args.issuer, &args.key_args)?
        .with_clock(args.clock_args.clock)
        .mint(&request)
        .map_err(|e| e.to_string())?;
    if let Some(path) = &args.out {
        write_token_file(path, minted.token.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    let printed = if args.json {
        // Guess: with --out as well, the JSON answer still goes to stdout, so a script can
        // keep the token in a file and read its claims in one run.
        let json = serde_json::to_string_pretty(&minted).unwrap_or_default();
        writeln!(stdout, "{json}")
    } else if args.out.is_some() {
        Ok(())
    } else if stdout.is_terminal() {
        writeln!(stdout, "{}", minted.token)
    } else {
        // Exactly the token: `mint > token` is a valid AWS_WEB_IDENTITY_TOKEN_FILE (SDKs send
        // the file verbatim, so a trailing newline would be part of the token).
        write!(stdout, "{}", minted.token)
    };
    printed
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the token to stdout: {e}"))
}

/// Writes a credential: created with mode 0600 on Unix, or truncated and narrowed to 0600 if
/// it exists, before the token is written into it.
fn write_token_file(path: &Path, token: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        // The creation mode does not apply to a file that already exists.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(token)?;
    file.flush()
}

/// `issuer policy explain`: 0 allowed, 1 denied, 2 bad input.
fn policy_explain(args: ExplainArgs) -> ExitCode {
    let bad = |message: String| {
        eprintln!("issuer: {message}");
        ExitCode::from(2)
    };
    let text = if args.statements.as_os_str() == "-" {
        let mut text = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
            Ok(_) => text,
            Err(e) => return bad(format!("cannot read the statements from stdin: {e}")),
        }
    } else {
        match std::fs::read_to_string(&args.statements) {
            Ok(text) => text,
            Err(e) => return bad(format!("cannot read {}: {e}", args.statements.display())),
        }
    };
    let explanation = match issuer::dynatrace::explain::explain(
        &text,
        &args.permission,
        &args.conditions,
        &args.params,
    ) {
        Ok(explanation) => explanation,
        Err(e) => return bad(format!("{}: {e}", args.statements.display())),
    };
    let mut stdout = std::io::stdout().lock();
    let printed = if args.json {
        let json = serde_json::to_string_pretty(&explanation).unwrap_or_default();
        writeln!(stdout, "{json}")
    } else {
        write!(stdout, "{explanation}")
    };
    let _ = printed.and_then(|()| stdout.flush());
    if explanation.decision.is_allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn keygen(args: KeygenArgs) -> Result<(), String> {
    if args.kid.is_empty()
        || !args
            .kid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!(
            "kid `{}` must be non-empty and use only A-Z a-z 0-9 - _ .",
            args.kid
        ));
    }
    let path = issuer::write_new_key(&args.keys, &args.kid, args.alg).map_err(|e| e.to_string())?;
    println!("{}", path.display());
    Ok(())
}
