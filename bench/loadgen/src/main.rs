//! `make bench`'s soak load generator (bench/harness.py runs it; nothing else depends on it).
//!
//! Each of `--concurrency` workers repeats the path a real client takes: an
//! AssumeRoleWithWebIdentity with a session name no other request uses, then a
//! GetCallerIdentity signed (SigV4, the `aws-sigv4` crate the Rust SDK signs with) with the
//! credentials that came back, checking that the caller is the session just created. wrk
//! cannot do this: its requests are all alike and it cannot sign.
//!
//! It prints one JSON summary on stdout (counts, errors by AWS code and message, latency
//! percentiles and the maximum); with `--events FILE` it also writes one CSV line per request
//! (start in Unix ms, latency in ms, which call, outcome) for the harness to line up with the
//! faults it injected.
//!
//! ```text
//! loadgen --sts http://127.0.0.1:PORT --token-file TOKEN --role-arn ARN \
//!         --requests 1000000 --concurrency 16 [--events FILE] [--session-prefix soak] \
//!         [--min-seconds S]
//! ```
//!
//! `--min-seconds` keeps the workers going past `--requests` until S seconds have passed: a
//! soak that injects faults on a timetable must outlast the timetable, however fast the
//! server is.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

/// Guess: well past sts-mock's 5 s IdP timeout, so a request that waits on a slow IdP is
/// measured (and reported as too slow) rather than cut short by us.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

struct Args {
    sts: String,
    token: String,
    role_arn: String,
    requests: u64,
    concurrency: usize,
    events: Option<String>,
    prefix: String,
    /// Go on past `requests` until this much time has passed since the start.
    min_duration: Duration,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut sts, mut token_file, mut role_arn) = (None, None, None);
    let (mut requests, mut concurrency) = (10_000u64, 16usize);
    let (mut events, mut prefix) = (None, "soak".to_string());
    let mut min_seconds = 0.0f64;
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--sts" => sts = Some(value()?),
            "--token-file" => token_file = Some(value()?),
            "--role-arn" => role_arn = Some(value()?),
            "--requests" => requests = value()?.parse().map_err(|e| format!("--requests: {e}"))?,
            "--concurrency" => {
                concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--events" => events = Some(value()?),
            "--session-prefix" => prefix = value()?,
            "--min-seconds" => {
                min_seconds = value()?
                    .parse()
                    .map_err(|e| format!("--min-seconds: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let token_file = token_file.ok_or("--token-file is required")?;
    let token = std::fs::read_to_string(&token_file)
        .map_err(|e| format!("{token_file}: {e}"))?
        .trim()
        .to_string();
    Ok(Args {
        sts: sts
            .ok_or("--sts is required")?
            .trim_end_matches('/')
            .to_string(),
        token,
        role_arn: role_arn.ok_or("--role-arn is required")?,
        requests,
        concurrency: concurrency.max(1),
        events,
        prefix,
        min_duration: Duration::try_from_secs_f64(min_seconds)
            .map_err(|e| format!("--min-seconds: {e}"))?,
    })
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    assume_ok: u64,
    caller_ok: u64,
    errors: BTreeMap<String, u64>,
    /// Latencies in microseconds, per call.
    assume_us: Vec<u32>,
    caller_us: Vec<u32>,
    events: Vec<u8>,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Answer {
    status: u16,
    body: String,
}

async fn post(
    client: &HttpClient,
    url: &str,
    headers: &[(&str, &str)],
    body: String,
) -> Result<Answer, String> {
    let mut request = http::Request::builder()
        .method("POST")
        .uri(url)
        .header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {REQUEST_TIMEOUT:?}"))?
}

/// The text of the first `<name>` element (the answers are small, flat AWS XML).
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

/// An error answer as "HTTP status Code: Message", so identical errors count together.
fn error_of(answer: &Answer) -> String {
    format!(
        "HTTP {} {}: {}",
        answer.status,
        element(&answer.body, "Code").unwrap_or("?"),
        element(&answer.body, "Message").unwrap_or(answer.body.get(..200).unwrap_or(&answer.body))
    )
}

fn signed_headers(
    url: &str,
    body: &str,
    key: &str,
    secret: &str,
    token: &str,
) -> Result<Vec<(String, String)>, String> {
    let identity: Identity =
        Credentials::new(key, secret, Some(token.to_string()), None, "loadgen").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect())
}

fn micros(elapsed: Duration) -> u32 {
    u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX)
}

fn unix_ms(at: SystemTime) -> u128 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

async fn worker(
    client: HttpClient,
    args: Arc<Args>,
    next: Arc<AtomicU64>,
    started: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let url = format!("{}/", args.sts);
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= args.requests && started.elapsed() >= args.min_duration {
            return tally;
        }
        let session = format!("{}-{i}", args.prefix);
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", "AssumeRoleWithWebIdentity")
            .append_pair("Version", "2011-06-15")
            .append_pair("RoleArn", &args.role_arn)
            .append_pair("RoleSessionName", &session)
            .append_pair("WebIdentityToken", &args.token)
            .finish();
        let wall = SystemTime::now();
        let started = Instant::now();
        let answer = post(&client, &url, &[], form).await;
        let took = started.elapsed();
        tally.assume_us.push(micros(took));
        let outcome = match &answer {
            Ok(a) if a.status == 200 => {
                let arn_ok = element(&a.body, "Arn").is_some_and(|arn| arn.ends_with(&session));
                match (
                    element(&a.body, "AccessKeyId"),
                    element(&a.body, "SecretAccessKey"),
                    element(&a.body, "SessionToken"),
                ) {
                    (Some(k), Some(s), Some(t)) if arn_ok => {
                        Ok((k.to_string(), s.to_string(), t.to_string()))
                    }
                    _ => Err(format!(
                        "HTTP 200 without credentials for session {session}"
                    )),
                }
            }
            Ok(a) => Err(error_of(a)),
            Err(e) => Err(format!("transport: {e}")),
        };
        if args.events.is_some() {
            let what = match &outcome {
                Ok(_) => "ok".to_string(),
                Err(e) => e.replace(',', ";"),
            };
            let _ = writeln!(
                tally.events,
                "{},{:.3},assume,{what}",
                unix_ms(wall),
                took.as_secs_f64() * 1000.0
            );
        }
        let (key, secret, token) = match outcome {
            Ok(credentials) => credentials,
            Err(e) => {
                *tally
                    .errors
                    .entry(format!("AssumeRoleWithWebIdentity {e}"))
                    .or_default() += 1;
                continue;
            }
        };
        tally.assume_ok += 1;

        let body = "Action=GetCallerIdentity&Version=2011-06-15".to_string();
        let started = Instant::now();
        let answer = match signed_headers(&url, &body, &key, &secret, &token) {
            Ok(headers) => {
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                post(&client, &url, &headers, body).await
            }
            Err(e) => Err(format!("signing: {e}")),
        };
        tally.caller_us.push(micros(started.elapsed()));
        match answer {
            Ok(a)
                if a.status == 200
                    && element(&a.body, "Arn").is_some_and(|arn| arn.ends_with(&session)) =>
            {
                tally.caller_ok += 1
            }
            Ok(a) => {
                *tally
                    .errors
                    .entry(format!("GetCallerIdentity {}", error_of(&a)))
                    .or_default() += 1
            }
            Err(e) => {
                *tally
                    .errors
                    .entry(format!("GetCallerIdentity transport: {e}"))
                    .or_default() += 1
            }
        }
    }
}

fn percentiles(mut us: Vec<u32>) -> serde_json::Value {
    if us.is_empty() {
        return serde_json::json!(null);
    }
    us.sort_unstable();
    let at = |q: f64| f64::from(us[((us.len() - 1) as f64 * q).round() as usize]) / 1000.0;
    serde_json::json!({
        "count": us.len(), "p50_ms": at(0.5), "p99_ms": at(0.99), "p999_ms": at(0.999),
        "max_ms": at(1.0),
    })
}

#[tokio::main]
async fn main() {
    let args = match args() {
        Ok(args) => Arc::new(args),
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.concurrency)
        .build_http();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| tokio::spawn(worker(client.clone(), args.clone(), next.clone(), started)))
        .collect();
    let mut all = Tally::default();
    let events = args
        .events
        .as_ref()
        .map(|path| Mutex::new(std::fs::File::create(path).expect("cannot create --events file")));
    for worker in workers {
        let tally = worker.await.expect("a worker panicked");
        all.assume_ok += tally.assume_ok;
        all.caller_ok += tally.caller_ok;
        for (e, n) in tally.errors {
            *all.errors.entry(e).or_default() += n;
        }
        all.assume_us.extend(tally.assume_us);
        all.caller_us.extend(tally.caller_us);
        if let Some(file) = &events {
            let _ = file.lock().unwrap().write_all(&tally.events);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let calls = (all.assume_us.len() + all.caller_us.len()) as f64;
    let summary = serde_json::json!({
        "requests": args.requests,
        "concurrency": args.concurrency,
        "assume_ok": all.assume_ok,
        "caller_ok": all.caller_ok,
        "errors": all.errors,
        "elapsed_s": elapsed,
        "calls_per_s": calls / elapsed,
        "assume": percentiles(all.assume_us),
        "caller": percentiles(all.caller_us),
    });
    println!("{summary}");
}
