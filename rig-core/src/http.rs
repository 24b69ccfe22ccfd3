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
//! - at most [`Limits::max_connections`] connections are open at once. At the limit, a new
//!   connection is admitted by closing the connection that has been idle longest (no request
//!   in progress: a silent socket, a keep-alive connection between requests, or one lingering
//!   after its last answer), so a flood of idle connections cannot starve real clients; only
//!   when every connection has a request in progress does a new one get a fixed
//!   `503 Service Unavailable` with `Connection: close`, at once, so a flood never stalls the
//!   accept loop, fills the backlog or grows memory;
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

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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
use tokio::sync::{oneshot, Notify};
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
    /// Connections open at once (at least 1). At the limit a new connection closes the one
    /// idle longest; only if every connection has a request in progress is it answered `503`
    /// and closed at once.
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
    let registry = Arc::new(Registry::new(limits.max_connections));
    // One warning per episode of saturation, not one per connection: a flood must not turn
    // into a flood of log lines.
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
        let (admission, evicted) = match registry.admit() {
            Some(admitted) => admitted,
            None => {
                if !saturated {
                    tracing::warn!(
                        limit = limits.max_connections,
                        "connection limit reached with every connection busy: refusing new connections with 503"
                    );
                    saturated = true;
                }
                refuse(stream);
                continue;
            }
        };
        if evicted && !saturated {
            tracing::warn!(
                limit = limits.max_connections,
                "connection limit reached: closing the longest-idle connections to admit new ones"
            );
            saturated = true;
        } else if !evicted {
            saturated = false;
        }
        // Small request/response exchanges: do not let Nagle hold back the answer.
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            peer,
            admission,
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

/// Past the connection limit with every connection busy: the fixed 503, written without waiting (a fresh socket's send
/// buffer always has room for it), then closed.
fn refuse(stream: TcpStream) {
    let _ = stream.try_write(BUSY_RESPONSE);
}

async fn serve_connection<H, F>(
    stream: TcpStream,
    peer: SocketAddr,
    admission: Admission,
    limits: Limits,
    handler: Arc<H>,
    watcher: Watcher,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let slot = admission.slot.clone();
    let io = TokioIo::new(Lingering {
        stream: Some(stream),
        admission: Some(admission),
    });
    let service_slot = slot.clone();
    let service = service_fn(move |request| {
        // Busy from the moment the head is parsed until the last byte of the answer is
        // written (the guard rides in the body, so a streamed answer counts as busy too).
        let busy = service_slot.begin(&service_slot);
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
            Ok::<_, Infallible>(response.map(|body| Tracked { body, _busy: busy }))
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(io, service);
    tokio::select! {
        result = watcher.watch(connection) => {
            if let Err(error) = result {
                // Clients that vanish, stall or send garbage are routine for a server: debug,
                // not warn.
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        }
        // Dropping the connection closes the socket (without lingering: it had no request
        // in progress, so there is no answer for the client to read).
        _ = slot.evict.notified() => {
            tracing::debug!(%peer, "idle connection closed to admit a new one");
        }
    }
}

/// A connection's record in the [`Registry`], shared by the accept loop (which may choose it
/// to close) and the connection's own task.
#[derive(Debug)]
struct Slot {
    id: u64,
    /// Requests in progress (head parsed, answer not yet fully written), or [`EVICTED`].
    busy: AtomicUsize,
    /// When the last request finished (or the connection was accepted), in [`epoch_nanos`];
    /// meaningful while `busy` is 0.
    idle_since: AtomicU64,
    /// Signalled once when the accept loop closes this connection to admit a new one.
    evict: Notify,
}

/// `Slot::busy` of a connection chosen to be closed: no request may start on it any more.
const EVICTED: usize = usize::MAX;

impl Slot {
    /// Marks a request as started; the guard marks it finished when dropped. On a connection
    /// already chosen for closing the guard does nothing (the connection is going anyway).
    fn begin(&self, this: &Arc<Slot>) -> BusyGuard {
        let counted = self
            .busy
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n != EVICTED).then(|| n + 1)
            })
            .is_ok();
        BusyGuard {
            slot: counted.then(|| this.clone()),
        }
    }

    fn evicted(&self) -> bool {
        self.busy.load(Ordering::Acquire) == EVICTED
    }
}

/// A response body that keeps its connection marked busy until hyper has written it all
/// (and drops it). Size hint and end of stream pass through, so a complete body still gets a
/// `Content-Length`.
struct Tracked {
    body: Body,
    _busy: BusyGuard,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// A request in progress on a connection; see [`Slot::begin`].
struct BusyGuard {
    slot: Option<Arc<Slot>>,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let Some(slot) = self.slot.take() else {
            return;
        };
        // The time first, so whoever sees the count reach 0 also sees when it did.
        slot.idle_since.store(epoch_nanos(), Ordering::Release);
        let _ = slot
            .busy
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n != EVICTED && n > 0).then(|| n - 1)
            });
    }
}

/// Nanoseconds since the first call in this process: a monotonic clock cheap enough to read
/// on every request, shared by every registry (only differences within one are compared).
fn epoch_nanos() -> u64 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The connections a server has open, so that at [`Limits::max_connections`] it can close the
/// longest-idle one instead of turning a real client away. The lock is taken once per
/// connection opened and once per connection closed, never per request.
#[derive(Debug)]
struct Registry {
    max: usize,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Slot>>>,
}

impl Registry {
    fn new(max: usize) -> Registry {
        Registry {
            max: max.max(1),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Admits a new connection: at once below the limit; at the limit by closing the
    /// connection idle longest (the `bool` says one was closed); `None` if every connection
    /// has a request in progress.
    ///
    /// A request whose head arrives on the chosen connection in the instant it is chosen is
    /// lost with it (the client sees the connection close, as with any server's idle
    /// timeout); once its head is parsed, a connection is never chosen.
    fn admit(self: &Arc<Self>) -> Option<(Admission, bool)> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mut evicted = false;
        if open.len() >= self.max {
            let mut idle: Vec<(u64, u64)> = open
                .values()
                .filter(|slot| slot.busy.load(Ordering::Acquire) == 0)
                .map(|slot| (slot.idle_since.load(Ordering::Acquire), slot.id))
                .collect();
            idle.sort_unstable();
            // Mark the first still idle as evicted; one that became busy meanwhile is skipped.
            let victim = idle.into_iter().find_map(|(_, id)| {
                let slot = open.get(&id)?;
                slot.busy
                    .compare_exchange(0, EVICTED, Ordering::AcqRel, Ordering::Acquire)
                    .ok()
                    .map(|_| id)
            })?;
            if let Some(slot) = open.remove(&victim) {
                slot.evict.notify_one();
            }
            evicted = true;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            id,
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(epoch_nanos()),
            evict: Notify::new(),
        });
        open.insert(id, slot.clone());
        Some((
            Admission {
                registry: self.clone(),
                slot,
            },
            evicted,
        ))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.open.lock().unwrap().len()
    }
}

/// A connection's place in the [`Registry`], given up when dropped (after lingering).
#[derive(Debug)]
struct Admission {
    registry: Arc<Registry>,
    slot: Arc<Slot>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self.registry.open.lock().unwrap_or_else(|e| e.into_inner());
        // An evicted connection was removed when it was chosen.
        if open
            .get(&self.slot.id)
            .is_some_and(|slot| Arc::ptr_eq(slot, &self.slot))
        {
            open.remove(&self.slot.id);
        }
    }
}

/// The connection's socket. When hyper is done with it, it is not dropped at once (which
/// would reset the connection if the client is still sending, and the client could lose the
/// answer): [`linger`] closes it gracefully. It holds the connection's place in the registry
/// until then, so lingering sockets count against the connection limit (as idle ones: a new
/// connection may close them early).
struct Lingering {
    stream: Option<TcpStream>,
    admission: Option<Admission>,
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
        let admission = self.admission.take();
        // Closed to admit a new connection: it had no request in progress, so nothing to
        // linger for. Outside a runtime (it is shutting down) there is nothing to linger with.
        if admission.as_ref().is_some_and(|a| a.slot.evicted()) {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(linger(stream, admission));
        }
    }
}

/// Closes a connection gracefully: FIN first (the client reads the answer, then the end),
/// then discards what the client still sends until it closes too, for at most
/// [`LINGER_TIME`]. Closing with unread data would send a reset instead, and a client still
/// uploading would fail with it rather than read the answer.
async fn linger(mut stream: TcpStream, admission: Option<Admission>) {
    let _ = stream.shutdown().await;
    let drain = async {
        let mut sink = vec![0u8; 16 * 1024];
        while let Ok(1..) = stream.read(&mut sink).await {}
    };
    let evicted = async {
        match &admission {
            Some(admission) => admission.slot.evict.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::time::timeout(LINGER_TIME, drain) => {}
        // A new connection needs the place more than this client needs the rest of its upload.
        _ = evicted => {}
    }
}

/// Opens `count` connections to `addr` that each hold a place without a request in
/// progress, in turn the three idle forms a flood takes: a silent socket, a half-sent head,
/// and a keep-alive connection that had `GET path` answered and went quiet. For the servers'
/// tests that such a flood cannot starve a real client ([`Limits::max_connections`]).
pub async fn idle_connections(
    addr: SocketAddr,
    count: usize,
    path: &str,
) -> io::Result<Vec<TcpStream>> {
    let mut flood = Vec::with_capacity(count);
    for i in 0..count {
        let mut stream = TcpStream::connect(addr).await?;
        match i % 3 {
            0 => {}
            1 => stream.write_all(b"POST / HTTP/1.1\r\nhost:").await?,
            _ => {
                let head = format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n");
                stream.write_all(head.as_bytes()).await?;
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                // Early ones may already have been closed for later ones: that is the point.
                if n > 0 && !buf.starts_with(b"HTTP/1.1 200 ") {
                    return Err(io::Error::other(format!(
                        "GET {path} was not answered 200: {}",
                        String::from_utf8_lossy(&buf[..n])
                    )));
                }
            }
        }
        flood.push(stream);
    }
    Ok(flood)
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

    /// One complete exchange on `stream` (the echo of "ok"); returns the answer read.
    async fn exchange(stream: &mut TcpStream) -> String {
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nok")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
            .await
            .expect("no answer within 2 s")
            .unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    /// Opens a connection and completes one exchange on it, so the server is known to serve it.
    async fn served(addr: SocketAddr) -> TcpStream {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let answer = exchange(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        stream
    }

    /// Opens a connection with a request in progress: its body is two bytes short.
    async fn busy(addr: SocketAddr) -> TcpStream {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\nab")
            .await
            .unwrap();
        stream
    }

    #[tokio::test]
    async fn at_the_limit_the_longest_idle_connection_is_closed_to_admit_a_new_one() {
        let server = echo_server(Limits::default().max_connections(3)).await;
        let addr = server.local_addr();
        let mut first = served(addr).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let mut second = served(addr).await;
        let mut third = served(addr).await;
        // The fourth is served at once (the header timeout is 10 s: a queued connection would
        // fail the 2 s bound of `exchange`), and the longest idle, the first, is closed for it.
        let mut fourth = served(addr).await;
        let rest = read_to_close(&mut first, Duration::from_secs(2)).await;
        assert!(rest.is_empty(), "{rest}");
        // The others are untouched.
        assert!(exchange(&mut second).await.starts_with("HTTP/1.1 200 "));
        assert!(exchange(&mut third).await.starts_with("HTTP/1.1 200 "));
        assert!(exchange(&mut fourth).await.starts_with("HTTP/1.1 200 "));
    }

    #[tokio::test]
    async fn a_flood_of_idle_connections_cannot_starve_a_real_client() {
        let server = echo_server(Limits::default().max_connections(8)).await;
        let addr = server.local_addr();
        // Far more silent sockets than the limit, plus some that sent half a head (slowloris).
        let mut flood = Vec::new();
        for i in 0..64 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            if i % 2 == 1 {
                stream.write_all(b"POST / HTTP/1.1\r\nhost:").await.unwrap();
            }
            flood.push(stream);
        }
        for _ in 0..3 {
            let mut client = served(addr).await;
            assert!(exchange(&mut client).await.starts_with("HTTP/1.1 200 "));
        }
        // The flood was closed, not queued: all but at most the limit see the end at once.
        let mut closed = 0;
        for stream in &mut flood {
            let mut buf = [0u8; 64];
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await
            {
                closed += 1;
            }
        }
        assert!(closed >= 64 - 8, "only {closed} of the flood were closed");
    }

    #[tokio::test]
    async fn only_when_every_connection_is_busy_does_a_new_one_get_503() {
        let server = echo_server(Limits::default().max_connections(2)).await;
        let addr = server.local_addr();
        let mut first = busy(addr).await;
        let mut second = busy(addr).await;
        // Let the server parse both heads (then they are busy, never to be closed).
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut third = TcpStream::connect(addr).await.unwrap();
        let answer = read_to_close(&mut third, Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
        assert_eq!(header(&answer, "connection"), Some("close"));
        // A flood while busy: every one refused at once, none left waiting in the backlog.
        let mut flood = Vec::new();
        for _ in 0..50 {
            flood.push(TcpStream::connect(addr).await.unwrap());
        }
        for mut stream in flood {
            let answer = read_to_close(&mut stream, Duration::from_secs(2)).await;
            assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
        }

        // The first finishes its request; now idle, it makes room for the next client.
        first.write_all(b"cd").await.unwrap();
        let mut buf = [0u8; 1024];
        let n = first.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 "));
        let mut next = served(addr).await;
        let rest = read_to_close(&mut first, Duration::from_secs(2)).await;
        assert!(rest.is_empty(), "{rest}");
        // The busy one was never touched: it finishes as normal.
        second.write_all(b"cd").await.unwrap();
        let n = second.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 "));
        assert!(buf[..n].ends_with(b"abcd"));
        assert!(exchange(&mut next).await.starts_with("HTTP/1.1 200 "));
    }

    /// A body that never ends, like a server-sent event stream.
    struct Endless;

    impl hyper::body::Body for Endless {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_connection_streaming_an_answer_counts_as_busy() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let limits = Limits::default().max_connections(1);
        let server = serve(listener, limits, |_request, _peer| async {
            Response::new(Endless.boxed_unsync())
        })
        .unwrap();
        let mut streaming = TcpStream::connect(server.local_addr()).await.unwrap();
        streaming
            .write_all(b"GET /events HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = streaming.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 "));
        // The handler has returned, but its answer is still being written: not idle.
        let mut other = TcpStream::connect(server.local_addr()).await.unwrap();
        let answer = read_to_close(&mut other, Duration::from_secs(2)).await;
        assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    }

    #[test]
    fn the_registry_admits_up_to_the_limit_then_evicts_the_longest_idle_never_a_busy_one() {
        let registry = Arc::new(Registry::new(2));
        let (a, evicted) = registry.admit().unwrap();
        assert!(!evicted);
        let (b, evicted) = registry.admit().unwrap();
        assert!(!evicted);
        assert_eq!(registry.len(), 2);
        // `a` busy, `b` idle: `b` goes even though `a` was admitted first.
        let busy_a = a.slot.begin(&a.slot);
        let (c, evicted) = registry.admit().unwrap();
        assert!(evicted);
        assert!(b.slot.evicted() && !a.slot.evicted());
        assert_eq!(registry.len(), 2);
        // A request cannot start on an evicted connection's slot (its guard counts nothing).
        let late = b.slot.begin(&b.slot);
        assert!(late.slot.is_none());
        drop(b);
        assert_eq!(
            registry.len(),
            2,
            "dropping an evicted admission frees nothing twice"
        );
        // `a` and `c` both busy: refused.
        let busy_c = c.slot.begin(&c.slot);
        assert!(registry.admit().is_none());
        // `c` finishes first, then `a`: `c` has been idle longer, so it goes first.
        drop(busy_c);
        std::thread::sleep(Duration::from_millis(2));
        drop(busy_a);
        let (_d, evicted) = registry.admit().unwrap();
        assert!(evicted);
        assert!(c.slot.evicted() && !a.slot.evicted());
        // A connection that closes by itself gives its place back.
        drop(a);
        assert_eq!(registry.len(), 1);
        let (_e, evicted) = registry.admit().unwrap();
        assert!(!evicted);
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
