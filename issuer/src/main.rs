//! The `issuer` command: a thin CLI over the `issuer` library.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use issuer::{Clock, Fault, Issuer, IssuerConfig, KeyAlg, KeySet, MintRequest, Minter};
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
    /// Serve OIDC discovery, the JWKS and POST /mint.
    Serve(ServeArgs),
    /// Mint one token offline and print it, or write it with --out (exactly the token, no
    /// newline unless stdout is a terminal: a ready AWS_WEB_IDENTITY_TOKEN_FILE).
    Mint(MintArgs),
    /// Generate a new signing key into the key directory.
    Keygen(KeygenArgs),
}

#[derive(Args)]
struct KeyArgs {
    /// Directory of PKCS#8 PEM private keys (RSA or P-256); every key is published.
    #[arg(long, env = "ISSUER_KEYS", default_value = issuer::DEFAULT_KEYS_DIR)]
    keys: PathBuf,
    /// kid (file stem) of the key that signs; default: the first key by file name.
    #[arg(long, env = "ISSUER_SIGNING_KEY")]
    signing_key: Option<String>,
    /// Issuer identity put in `iss` and the discovery document.
    #[arg(long, env = "ISSUER_URL", default_value = issuer::DEFAULT_ISSUER_URL)]
    issuer_url: String,
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
    /// Dynatrace tenant (aud = <tenant>.apps.dynatrace.com/app-id/dynatrace.aws.connector).
    #[arg(long, default_value = issuer::DEFAULT_TENANT)]
    tenant: String,
    /// Dynatrace connection name (sub = dtid:connection/<connection>).
    #[arg(long, default_value = issuer::DEFAULT_CONNECTION)]
    connection: String,
    /// Extra claims as a JSON object, merged over the profile's claims.
    #[arg(long)]
    claims: Option<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = issuer::DEFAULT_TTL_SECS)]
    ttl: i64,
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

fn parse_clock(s: &str) -> Result<Clock, String> {
    s.parse().map_err(|e: rig_core::ClockError| e.to_string())
}

fn load_keys(args: &KeyArgs) -> Result<KeySet, String> {
    KeySet::load_dir(&args.keys, args.signing_key.as_deref()).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = logging::init(cli.log_format, logging::DEFAULT_FILTER) {
        eprintln!("issuer: cannot set up logging: {e}");
    }
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Mint(args) => mint(args),
        Command::Keygen(args) => keygen(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("issuer: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let keys = load_keys(&args.key_args)?;
    let mut config = IssuerConfig::new(keys)
        .listen(args.listen)
        .issuer_url(args.key_args.issuer_url.clone())
        .clock(args.clock_args.clock);
    if let Some(uri) = args.jwks_uri {
        config = config.jwks_uri(uri);
    }
    let issuer = Issuer::start(config).await.map_err(|e| e.to_string())?;
    let signing = issuer.minter().keys().signing_key();
    let banner = format!(
        "issuer listening on {}\nissuer URL (iss): {}\ndiscovery: {}\njwks: {}\nsigning key: {} ({})\n",
        issuer.url(),
        issuer.issuer_url(),
        issuer.discovery_url(),
        issuer.jwks_url(),
        signing.kid(),
        signing.alg()
    );
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

fn mint(args: MintArgs) -> Result<(), String> {
    let keys = load_keys(&args.key_args)?;
    let claims = match args.claims {
        None => None,
        Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            Ok(_) => return Err("--claims must be a JSON object".into()),
            Err(e) => return Err(format!("--claims is not valid JSON: {e}")),
        },
    };
    let request = MintRequest {
        tenant: Some(args.tenant),
        connection: Some(args.connection),
        claims,
        ttl: Some(args.ttl),
        fault: args.fault,
    };
    let minted = Minter::new(args.key_args.issuer_url, keys)
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
