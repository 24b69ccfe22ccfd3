//! What the fuzz targets share: how an input is cut into fields, the fixed instant and keys the
//! seeds were made with, and an in-memory HTTP/1.1 exchange with a server's own request path
//! (`StsMock::answer`, `Issuer::answer`), parsed by hyper exactly as on a socket.
//!
//! Input formats are text, so that seeds are readable and made from the project's own test
//! inputs (`fuzz/seeds.py`):
//! - fields are separated by NUL bytes (never valid inside JSON, TOML or a form);
//! - an HTTP request is `METHOD TARGET`, then `Name: value` lines, a blank line, and the body;
//!   this crate adds `Content-Length` and `Connection: close` itself, so mutations reach the
//!   handlers instead of hyper's framing errors.

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rig_core::http::{Body, Request, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The instant every seed was made at (tokens minted, requests signed): the servers under
/// fuzzing run on a clock frozen here, so the seeds' tokens are current and their signatures
/// inside SigV4's window.
pub const SEED_INSTANT: &str = "2026-11-23T05:00:00Z";

/// The access key id and secret the SigV4 seeds are signed with.
pub const SEED_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
/// See [`SEED_ACCESS_KEY`].
pub const SEED_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// `n` fields of `data`, separated by NUL; missing fields are empty, the last takes the rest.
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == 0).collect();
    out.resize(n, &[]);
    out
}

/// Text as a server receives it: invalid UTF-8 replaced, as form and header decoding do.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A path under the repository (the fuzz crate's parent).
pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// [`SEED_INSTANT`] as a time.
pub fn seed_instant() -> time::OffsetDateTime {
    time::OffsetDateTime::parse(SEED_INSTANT, &time::format_description::well_known::Rfc3339)
        .expect("SEED_INSTANT is RFC 3339")
}

/// A runtime for one fuzz target: current-thread, on real time until [`pause`] is called.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Pauses `runtime`'s time, so that a handler that sleeps (an issuer fault with `delay_ms`, a
/// body timeout) costs no wall-clock time: tokio jumps its clock forward whenever every task
/// waits. Call it once the world is set up: a paused clock also jumps past timeouts while
/// real network I/O (a key fetch over loopback) is still under way.
pub fn pause(runtime: &tokio::runtime::Runtime) {
    runtime.block_on(async { tokio::time::pause() });
}

/// An HTTP request in the text form above, checked enough that hyper will parse it.
pub struct HttpInput {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Origin-form target: path and query.
    pub target: String,
    /// Header lines, without the framing ones this crate sets.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpInput {
    /// Reads the text form; `None` for a head hyper would refuse anyway (not worth a run).
    pub fn parse(data: &[u8]) -> Option<HttpInput> {
        let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
            Some(at) => (&data[..at], &data[at + 2..]),
            None => (data, &[][..]),
        };
        let head = std::str::from_utf8(head).ok()?;
        let mut lines = head.split('\n').map(|l| l.trim_end_matches('\r'));
        let (method, target) = lines.next()?.split_once(' ')?;
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        };
        if !token(method)
            || !target.starts_with('/')
            || !target.bytes().all(|b| b.is_ascii_graphic())
        {
            return None;
        }
        let mut headers = Vec::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if !token(name) || value.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
                continue;
            }
            if ["content-length", "transfer-encoding", "connection"]
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
            {
                continue;
            }
            headers.push((name.to_string(), value.to_string()));
        }
        Some(HttpInput {
            method: method.to_string(),
            target: target.to_string(),
            headers,
            body: body.to_vec(),
        })
    }

    /// The request as it goes on the wire.
    pub fn wire(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"))
        {
            out.extend_from_slice(b"host: 127.0.0.1\r\n");
        }
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "content-length: {}\r\nconnection: close\r\n\r\n",
                self.body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&self.body);
        out
    }
}

/// Sends `wire` to `answer` over an in-memory connection served by hyper, and returns the
/// response's status (`None` if the server closed without answering) and its raw bytes.
pub async fn exchange<F, Fut>(wire: &[u8], answer: F) -> (Option<u16>, Vec<u8>)
where
    F: Fn(Request<Incoming>) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let (mut client, server) = tokio::io::duplex(256 * 1024);
    let service = service_fn(|request| {
        let answered = answer(request);
        async move { Ok::<_, Infallible>(answered.await) }
    });
    let serving =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(server), service);
    let talking = async {
        let _ = client.write_all(wire).await;
        let mut response = Vec::new();
        let _ = client.read_to_end(&mut response).await;
        response
    };
    let (_, response) = tokio::join!(serving, talking);
    let status = response
        .strip_prefix(b"HTTP/1.1 ")
        .and_then(|rest| std::str::from_utf8(rest.get(..3)?).ok())
        .and_then(|code| code.parse().ok());
    (status, response)
}

/// Fails the run if a server answered a 500: every answer to what a client sends is the
/// client's error (4xx), a deliberate one (501, 503 from a fault the input injected), or a
/// success; a 500 is a bug of the server's own.
pub fn assert_no_server_error(status: Option<u16>, request: &[u8], response: &[u8]) {
    if status == Some(500) {
        panic!(
            "500 Internal Server Error\n--- request\n{}\n--- response\n{}",
            String::from_utf8_lossy(request),
            String::from_utf8_lossy(response)
        );
    }
}

/// The issuer both server targets fuzz or fetch keys from: every built-in issuer on `clock`,
/// with the dev keys, held in memory so nothing the fuzzer sends (a key added or removed) is
/// written into the repository's key directories.
pub async fn start_issuer(clock: &rig_core::Clock) -> issuer::Issuer {
    let keys = issuer::KeySet::load_dir(&repo("keys"), None).expect("the dev keys");
    let mut config = issuer::IssuerConfig::new(keys)
        .clock(clock.clone())
        .builtin_issuers(&repo("keys"))
        .expect("the built-in issuers' keys");
    for spec in &mut config.issuers {
        spec.key_source = issuer::KeySource::Memory;
    }
    issuer::Issuer::start(config)
        .await
        .expect("the issuer starts")
}
