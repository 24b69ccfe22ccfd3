//! The `sts-mock` command: a thin CLI over the `sts-mock` library.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sts_mock::{Model, StsMock, StsMockConfig};

#[derive(Parser)]
#[command(
    name = "sts-mock",
    version,
    about = "AWS STS emulator that verifies web-identity tokens and enforces IAM trust policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the STS (and IAM) Query API.
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "STS_MOCK_LISTEN", default_value = sts_mock::server::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Fetch the discovery document of issuer ISSUER_URL from BASE_URL instead
    /// (e.g. https://token.dynatrace.com=http://127.0.0.1:9400). Repeatable.
    #[arg(long = "oidc-endpoint", value_name = "ISSUER_URL=BASE_URL", env = "STS_MOCK_OIDC_ENDPOINTS", value_delimiter = ',', value_parser = parse_endpoint)]
    oidc_endpoints: Vec<(String, String)>,
    /// Secret that seals issued credentials; instances sharing it accept each other's
    /// credentials. Random when absent (credentials then do not survive a restart).
    #[arg(long, env = "STS_MOCK_SECRET", hide_env_values = true)]
    secret: Option<String>,
}

fn parse_endpoint(text: &str) -> Result<(String, String), String> {
    let (issuer, base) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not ISSUER_URL=BASE_URL"))?;
    for (what, url) in [("issuer", issuer), ("base", base)] {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "{what} URL `{url}` must start with http:// or https://"
            ));
        }
    }
    Ok((issuer.to_string(), base.to_string()))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sts-mock: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    if args.secret.is_none() {
        tracing::info!("no --secret: issued credentials will not survive a restart");
    }
    let mut config = StsMockConfig::default()
        .listen(args.listen)
        .model(Model::new());
    config.oidc_endpoints = args.oidc_endpoints.clone();
    config.secret = args.secret.map(String::into_bytes);
    let sts = StsMock::start(config)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    println!("sts-mock listening on {}", sts.url());
    for (issuer, base) in &args.oidc_endpoints {
        println!("oidc endpoint: {issuer} -> {base}");
    }
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    eprintln!("sts-mock: shutting down");
    Ok(())
}
