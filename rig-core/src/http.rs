//! The one HTTP server plumbing of both servers: the accept loop, the abuse limits, graceful
//! shutdown and the request-body reader, on hyper 1 and hyper-util. Each server brings only a
//! handler (`Request` in, `Response<Body>` out) and words its errors in its own format (JSON for
//! the issuer, AWS XML for sts-mock); everything a client can do to the connection is handled
//! here, once, so the two servers cannot drift apart.
//!
//! What a client meets, whatever the server:
//! - a request head must arrive within [`Limits::header_read_timeout`], and an idle keep-alive
//!   connection is dropped after the same time (hyper's header-read timer covers both);
//! - a body read with [`Limits::read_body`] must arrive within [`Limits::body_read_timeout`] and
//!   fit in [`Limits::max_body_bytes`]; otherwise the handler gets a [`BodyError`] to word as a
//!   408 or 413, and the connection is closed after that answer (`Connection: close`);
//! - at most [`Limits::max_connections`] connections are served at once; past that a new
//!   connection gets a fixed `503 Service Unavailable` with `Connection: close` and is closed at
//!   once, so a flood never stalls the accept loop, fills the backlog or grows memory;
//! - a connection the server closes is closed gracefully ("lingering close"): the server
//!   sends FIN, then reads and discards what the client still sends for a short while, so a
//!   client that is still uploading an oversized body reads the 413 instead of a reset.
//!
//! ```
//! use rig_core::http::{self, Limits};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let limits = Limits::default().max_body_bytes(1024);
//! let server = http::serve(listener, limits, move |request, _peer| async move {
//!     match limits.read_body(request.into_body()).await {
//!         Ok(body) => http::Response::new(http::full(body)), // echo
//!         Err(e) => {
//!             let mut answer = http::Response::new(http::full(e.to_string()));
//!             *answer.status_mut() = e.status();
//!             answer // a 408 or 413 closes the connection by itself
//!         }
//!     }
//! })
//! .unwrap();
//! assert_ne!(server.local_addr().port(), 0);
//! server.shutdown().await; // or just drop it
//! # }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONNECTION};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

pub use hyper::{Method, Request, Response, StatusCode};

/// The response body of both servers: boxed, so a handler can answer a complete body
/// ([`full`], [`empty`]) or a stream (server-sent events: any `http_body::Body<Data = Bytes,
/// Error = Infallible> + Send + 'static`, boxed with `BodyExt::boxed_unsync`).
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A complete response body. `Bytes` from a `&'static` slice or a `Vec` is not copied.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// An empty response body.
pub fn empty() -> Body {
    Empty::new().boxed_unsync()
}

/// Default [`Limits::max_body_bytes`]: 64 KiB. Each server should set the bound its largest
/// legal request stays well under (a 413 must only ever meet abuse or a mistake).
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// Default [`Limits::header_read_timeout`]: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`Limits::body_read_timeout`]: 30 s (sts-mock's 408 has always come at 30 s).
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`Limits::max_connections`]: 512. Guess: well above what a test suite or a load
/// test opens (the benchmarks use 16), and below the 1024 open-file soft limit most Linux
/// machines start processes with, so that this limit, not `EMFILE` in the accept loop,
/// decides what happens under a flood.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// After the server closes a connection, how long at most it keeps reading (and discarding)
/// what the client still sends. Long enough for a client on the same machine to finish an
/// upload and read its answer; short enough that lingering sockets cost little. Guess: nginx
/// lingers up to 30 s for clients across the internet; a local rig needs far less.
const LINGER_TIME: Duration = Duration::from_secs(2);
/// Pause after a failed `accept` (out of file descriptors, typically) so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(10);
/// The fixed answer to a connection past [`Limits::max_connections`].
const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\nretry-after: 1\r\n\r\n";

/// What a server tolerates from its clients. Every field is settable; the defaults suit a
/// local test rig.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body [`Limits::read_body`] accepts; past it, [`BodyError::TooLarge`].
    pub max_body_bytes: usize,
    /// A request head (and, on a keep-alive connection, the next one) must arrive within this,
    /// or the connection is closed without an answer.
    pub header_read_timeout: Duration,
    /// A whole body read with [`Limits::read_body`] must arrive within this, or
    /// [`BodyError::TimedOut`].
    pub body_read_timeout: Duration,
    /// Connections served at once; more are answered `503` and closed at once (at least 1).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_body_bytes`].
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`Limits::header_read_timeout`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets [`Limits::body_read_timeout`].
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Sets [`Limits::max_connections`].
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// Reads a whole request body within these limits. A declared `Content-Length` over the
    /// limit fails at once, before any of the body is read.
    pub async fn read_body<B>(&self, body: B) -> Result<Bytes, BodyError>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let limit = self.max_body_bytes;
        if body.size_hint().lower() > limit as u64 {
            return Err(BodyError::TooLarge { limit });
        }
        let read = Limited::new(body, limit).collect();
        match tokio::time::timeout(self.body_read_timeout, read).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(error)) if error.is::<LengthLimitError>() => Err(BodyError::TooLarge { limit }),
            Ok(Err(error)) => Err(BodyError::Broken(error.to_string())),
            Err(_) => Err(BodyError::TimedOut {
                after: self.body_read_timeout,
            }),
        }
    }
}

/// Why a request body could not be read. Each server words it in its own format, with
/// [`BodyError::status`] as the status; the connection is closed after that answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body is (or declares itself) larger than the limit: answer 413.
    #[error("request body larger than {limit} bytes")]
    TooLarge {
        /// [`Limits::max_body_bytes`].
        limit: usize,
    },
    /// The body did not arrive in time: answer 408.
    #[error("request body not received within {after:?}")]
    TimedOut {
        /// [`Limits::body_read_timeout`].
        after: Duration,
    },
    /// The client broke off or sent a malformed body (bad chunked encoding): answer 400.
    #[error("request body could not be read: {0}")]
    Broken(String),
}

impl BodyError {
    /// The status to answer with: 413, 408 or 400.
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::TimedOut { .. } => StatusCode::REQUEST_TIMEOUT,
            BodyError::Broken(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// Marks `response` to close the connection once it is sent (`Connection: close`); hyper then
/// closes it, and the server lingers briefly so the client reads the answer. Every answer to
/// a [`BodyError`] should close (the rest of the body is unread, so the connection cannot
/// carry another request); the server does it by itself for 408 and 413, whoever built the
/// response, so this is for the 400 of [`BodyError::Broken`] and any other answer that must
/// be the last.
pub fn close_connection<B>(response: &mut Response<B>) {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
}

/// Turns a response the server has worded (its own error body) into the 405 both servers
/// give: status 405 and an `Allow` header listing `allowed`.
pub fn method_not_allowed<B>(allowed: &[Method], mut response: Response<B>) -> Response<B> {
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    let list = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    // Method names are tokens, so the list is always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&list) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

/// The wording of a 405 both servers use: "/mint answers POST only",
/// "/x answers GET or POST only".
pub fn method_not_allowed_message(path: &str, allowed: &[Method]) -> String {
    let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    let list = match names.split_last() {
        None => "nothing".to_string(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    };
    format!("{path} answers {list} only")
}

/// A running server. Dropping it stops the server gracefully: it stops accepting at once,
/// idle connections close, and requests in progress finish (a stalled body within
/// [`Limits::body_read_timeout`]); the handler's own work is not cut short.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    // Dropping the sender is the stop signal, so a dropped `Server` stops without a `Drop` impl.
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Server {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in progress finish, and returns once every connection
    /// has closed. Wrap it in `tokio::time::timeout` to bound the wait.
    pub async fn shutdown(self) {
        let Server { stop, task, .. } = self;
        drop(stop);
        // The accept loop never panics; a cancelled runtime is the only error, and then
        // there is nothing left to wait for.
        let _ = task.await;
    }
}

/// Serves HTTP/1.1 on `listener` in the background, calling `handler` for every request with
/// the client's address, within `limits`. Must be called inside a tokio runtime.
///
/// The handler answers every request; hyper itself answers malformed heads (400) and
/// oversized ones (431). A 408 or 413 from the handler always closes the connection.
pub fn serve<H, F>(listener: TcpListener, limits: Limits, handler: H) -> io::Result<Server>
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, limits, Arc::new(handler), stopped));
    Ok(Server { addr, stop, task })
}

async fn accept_loop<H, F>(
    listener: TcpListener,
    limits: Limits,
    handler: Arc<H>,
    mut stopped: oneshot::Receiver<()>,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    // One warning per episode of saturation, not one per refused connection: a flood must
    // not turn into a flood of log lines.
    let mut saturated = false;
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut stopped => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::select! {
                    biased;
                    _ = &mut stopped => break,
                    _ = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => continue,
                }
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            if !saturated {
                tracing::warn!(
                    limit = limits.max_connections,
                    "connection limit reached: refusing new connections with 503"
                );
                saturated = true;
            }
            refuse(stream);
            continue;
        };
        saturated = false;
        // Small request/response exchanges: do not let Nagle hold back the answer.
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            peer,
            permit,
            limits,
            handler.clone(),
            graceful.watcher(),
        ));
    }
    // Closing the listener first makes new connections fail at once while the ones in
    // progress finish.
    drop(listener);
    graceful.shutdown().await;
}

/// Past the connection limit: the fixed 503, written without waiting (a fresh socket's send
/// buffer always has room for it), then closed.
fn refuse(stream: TcpStream) {
    let _ = stream.try_write(BUSY_RESPONSE);
}

async fn serve_connection<H, F>(
    stream: TcpStream,
    peer: SocketAddr,
    permit: OwnedSemaphorePermit,
    limits: Limits,
    handler: Arc<H>,
    watcher: Watcher,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let io = TokioIo::new(Lingering {
        stream: Some(stream),
        permit: Some(permit),
    });
    let service = service_fn(move |request| {
        let answer = handler(request, peer);
        async move {
            let mut response = answer.await;
            // The body of a 408 or 413 is unread: the connection cannot carry another request.
            if matches!(
                response.status(),
                StatusCode::REQUEST_TIMEOUT | StatusCode::PAYLOAD_TOO_LARGE
            ) {
                close_connection(&mut response);
            }
            Ok::<_, Infallible>(response)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(io, service);
    if let Err(error) = watcher.watch(connection).await {
        // Clients that vanish, stall or send garbage are routine for a server: debug, not warn.
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}

/// The connection's socket. When hyper is done with it, it is not dropped at once (which
/// would reset the connection if the client is still sending, and the client could lose the
/// answer): [`linger`] closes it gracefully. It holds the connection's permit until then, so
/// lingering sockets count against the connection limit.
struct Lingering {
    stream: Option<TcpStream>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Lingering {
    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        // Only `Drop` takes the stream, so this never fails while hyper holds the connection.
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl AsyncRead for Lingering {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        // Outside a runtime (it is shutting down) there is nothing to linger with.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(linger(stream, self.permit.take()));
        }
    }
}

/// Closes a connection gracefully: FIN first (the client reads the answer, then the end),
/// then discards what the client still sends until it closes too, for at most
/// [`LINGER_TIME`]. Closing with unread data would send a reset instead, and a client still
/// uploading would fail with it rather than read the answer.
async fn linger(mut stream: TcpStream, permit: Option<OwnedSemaphorePermit>) {
    let _permit = permit;
    let _ = stream.shutdown().await;
    let drain = async {
        let mut sink = vec![0u8; 16 * 1024];
        while let Ok(1..) = stream.read(&mut sink).await {}
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Echoes the body, answering body errors as plain text with their status.
    async fn echo_server(limits: Limits) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        serve(listener, limits, move |request, _peer| async move {
            match limits.read_body(request.into_body()).await {
                Ok(body) => Response::new(full(body)),
                Err(e) => {
                    let mut response = Response::new(full(e.to_string()));
                    *response.status_mut() = e.status();
                    response
                }
            }
        })
        .unwrap()
    }

    fn short(limits: Limits) -> Limits {
        limits
            .header_read_timeout(Duration::from_millis(300))
            .body_read_timeout(Duration::from_millis(300))
    }

    /// Reads until the server closes the connection (EOF or reset), failing the test if that
    /// takes longer than `within`. Returns what was read.
    async fn read_to_close(stream: &mut TcpStream, within: Duration) -> String {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let read = async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                }
            }
        };
        tokio::time::timeout(within, read)
            .await
            .expect("the server did not close the connection in time");
        String::from_utf8_lossy(&out).into_owned()
    }

    fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
        answer
            .split("\r\n\r\n")
            .next()?
            .lines()
            .skip(1)
            .find_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim())
            })
    }

    #[tokio::test]
    async fn a_stalled_body_gets_408_within_the_body_timeout_and_the_connection_closes() {
        let server = echo_server(short(Limits::default())).await;
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        let started = Instant::now();
        stream
            .write_all(b"POST /mint HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{}")
            .await
            .unwrap();
        let answer = read_to_close(&mut stream, Duration::from_secs(2)).await;
        let elapsed = started.elapsed();
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
        assert_eq!(header(&answer, "connection"), Some("close"), "{answer}");
        assert!(answer.ends_with("request body not received within 300ms"));
        assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    }

    #[tokio::test]
    async fn an_oversized_body_gets_413_with_connection_close_and_the_socket_closes() {
        let server = echo_server(short(Limits::default().max_body_bytes(16))).await;
        // Declared too large: refused before the body is read.
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 17\r\n\r\n")
            .await
            .unwrap();
        let answer = read_to_close(&mut stream, Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
        assert_eq!(header(&answer, "connection"), Some("close"), "{answer}");
        assert!(answer.ends_with("request body larger than 16 bytes"));

        // Chunked, so only reading finds it too large.
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        let chunk = format!("{:x}\r\n{}\r\n0\r\n\r\n", 64, "a".repeat(64));
        stream.write_all(chunk.as_bytes()).await.unwrap();
        let answer = read_to_close(&mut stream, Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
        assert_eq!(header(&answer, "connection"), Some("close"), "{answer}");

        // A client that sends its whole (large) body before reading, as most do: the server
        // answers at once, then drains instead of resetting, so the upload completes and the
        // client reads the 413 (with a plain close, the upload fails with a reset).
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        let body = vec![b'a'; 4 * 1024 * 1024];
        let head = format!(
            "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream
            .write_all(&body)
            .await
            .expect("the server reset the connection during the upload");
        let answer = read_to_close(&mut stream, Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
        assert_eq!(header(&answer, "connection"), Some("close"), "{answer}");

        // Exactly the limit is fine, and the connection stays open for the next request.
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 16\r\n\r\n0123456789abcdef")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(answer.ends_with("0123456789abcdef"), "{answer}");
        assert_ne!(header(&answer, "connection"), Some("close"));
    }

    #[tokio::test]
    async fn the_connection_limit_refuses_at_once_and_recovers() {
        let server = echo_server(Limits::default().max_connections(3)).await;
        let addr = server.local_addr();
        let mut open = Vec::new();
        for _ in 0..3 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            // A complete exchange proves each of the three is being served.
            stream
                .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok")
                .await
                .unwrap();
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).await.unwrap();
            assert!(buf[..n].starts_with(b"HTTP/1.1 200 "));
            open.push(stream);
        }
        let mut fourth = TcpStream::connect(addr).await.unwrap();
        // Well inside the 10 s header timeout: a queued connection would fail this.
        let answer = read_to_close(&mut fourth, Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
        assert_eq!(header(&answer, "connection"), Some("close"));
        // A flood: every one refused at once, none left waiting in the backlog.
        let mut flood = Vec::new();
        for _ in 0..50 {
            flood.push(TcpStream::connect(addr).await.unwrap());
        }
        for mut stream in flood {
            let answer = read_to_close(&mut stream, Duration::from_secs(2)).await;
            assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
        }

        // Closing one frees its slot once the server sees the close.
        drop(open.pop());
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok")
                .await
                .unwrap();
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            if buf[..n].starts_with(b"HTTP/1.1 200 ") {
                break;
            }
            assert!(Instant::now() < deadline, "the freed slot was never reused");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn a_silent_connection_is_dropped_after_the_header_timeout() {
        let server = echo_server(short(Limits::default())).await;
        // Never sends a byte.
        let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
        let started = Instant::now();
        let answer = read_to_close(&mut silent, Duration::from_secs(2)).await;
        assert!(answer.is_empty(), "{answer}");
        assert!(started.elapsed() >= Duration::from_millis(300));

        // Idle after a complete exchange (keep-alive): dropped the same way.
        let mut idle = TcpStream::connect(server.local_addr()).await.unwrap();
        idle.write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok")
            .await
            .unwrap();
        let started = Instant::now();
        let answer = read_to_close(&mut idle, Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn dropping_the_server_stops_accepting_and_shutdown_waits_for_connections() {
        let server = echo_server(Limits::default()).await;
        let addr = server.local_addr();
        let mut idle = TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        assert!(idle.read(&mut buf).await.unwrap() > 0);

        // An idle keep-alive connection does not hold up a graceful shutdown.
        tokio::time::timeout(Duration::from_secs(2), server.shutdown())
            .await
            .expect("shutdown waited on an idle connection");
        assert!(TcpStream::connect(addr).await.is_err());
        assert_eq!(idle.read(&mut buf).await.unwrap_or(0), 0);

        let server = echo_server(Limits::default()).await;
        let addr = server.local_addr();
        drop(server);
        let deadline = Instant::now() + Duration::from_secs(2);
        while TcpStream::connect(addr).await.is_ok() {
            assert!(Instant::now() < deadline, "still accepting after drop");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_request_in_progress_finishes_during_a_graceful_shutdown() {
        let server = echo_server(Limits::default()).await;
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\nab")
            .await
            .unwrap();
        // Let the server start reading the body before it is told to stop.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let shutdown = tokio::spawn(server.shutdown());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !shutdown.is_finished(),
            "shutdown did not wait for the request"
        );
        stream.write_all(b"cd").await.unwrap();
        let answer = read_to_close(&mut stream, Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(answer.ends_with("abcd"), "{answer}");
        tokio::time::timeout(Duration::from_secs(2), shutdown)
            .await
            .unwrap()
            .unwrap();
    }

    #[test]
    fn method_not_allowed_sets_status_and_allow() {
        let response = method_not_allowed(&[Method::GET, Method::HEAD], Response::new(empty()));
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[ALLOW], "GET, HEAD");
        assert_eq!(
            method_not_allowed_message("/mint", &[Method::POST]),
            "/mint answers POST only"
        );
        assert_eq!(
            method_not_allowed_message("/", &[Method::GET, Method::HEAD, Method::POST]),
            "/ answers GET, HEAD or POST only"
        );
    }

    #[tokio::test]
    async fn garbage_gets_400_from_hyper_never_a_panic() {
        let server = echo_server(short(Limits::default())).await;
        for garbage in [
            &b"\x00\x01\x02 nonsense\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\ncontent-length: nope\r\n\r\n",
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
        ] {
            let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
            stream.write_all(garbage).await.unwrap();
            let answer = read_to_close(&mut stream, Duration::from_secs(2)).await;
            assert!(answer.starts_with("HTTP/1.1 400 "), "{answer:?}");
        }
        // Still serving.
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 "));
    }
}
