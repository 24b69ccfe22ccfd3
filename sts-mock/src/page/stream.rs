//! `GET /_sts-mock/decisions/stream`: the decision log live, as server-sent events (the page's
//! `EventSource`). The stream opens with `retry` and a `hello` event naming the server
//! instance, replays what the log holds after the `Last-Event-ID` the browser sends when it
//! reconnects (or after `?after=N`; everything kept, without either), then sends each
//! `decision` and `warning` as it happens, with its id.
//!
//! Bounds: at most [`crate::decisions::MAX_STREAMS`] streams (past that, `503` with
//! `Retry-After`); each has a queue of [`QUEUE`] frames towards the client, and a client that
//! falls [`crate::decisions::FEED_BUFFER`] events behind gets a `lagged` event and is closed
//! (its browser reconnects and catches up from the ring). A comment every [`HEARTBEAT`] finds
//! clients that went away, and every stream ends after [`LIFETIME`], so nothing a client does
//! keeps a task or its memory for good.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use rig_core::http::{Body, Limits, Request, Response, StatusCode};
use tokio::sync::{broadcast, mpsc};

use crate::admin::json;
use crate::call::BoxFuture;
use crate::decisions::{FeedEvent, Subscription, MAX_STREAMS};
use crate::services::Services;

/// Frames queued towards one client before the stream waits for it.
pub const QUEUE: usize = 16;
/// How often an idle stream sends a comment.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// How long a stream lives before it ends (the browser reconnects at once).
pub const LIFETIME: Duration = Duration::from_secs(300);
/// What the browser waits before reconnecting, in milliseconds.
const RETRY_MS: u64 = 1000;

/// The handler.
pub fn handle<'a>(
    services: &'a Services,
    request: Request<Incoming>,
    _: Limits,
) -> BoxFuture<'a, Response<Body>> {
    Box::pin(async move {
        let after = last_event_id(&request);
        let Some(subscription) = services.decisions.subscribe(after) else {
            let mut response = json(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({
                    "error": format!("{MAX_STREAMS} decision streams are open already; try again later")
                }),
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("5"));
            return response;
        };
        let (frames, queue) = mpsc::channel(QUEUE);
        tokio::spawn(pump(subscription, frames));
        let mut response = Response::new(SseBody { queue }.boxed_unsync());
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    })
}

/// The id to resume after: the `Last-Event-ID` header, else `?after=`.
fn last_event_id(request: &Request<Incoming>) -> Option<u64> {
    if let Some(id) = request
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
    {
        return Some(id);
    }
    form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "after")
        .and_then(|(_, v)| v.trim().parse().ok())
}

/// One server-sent event. Data is JSON on one line (JSON text has no raw newlines).
fn event(name: &str, id: Option<u64>, data: &str) -> Bytes {
    let mut text = String::with_capacity(data.len() + 40);
    if let Some(id) = id {
        text.push_str(&format!("id: {id}\n"));
    }
    text.push_str(&format!("event: {name}\ndata: {data}\n\n"));
    Bytes::from(text)
}

/// Moves events from the subscription to the client's queue until the client goes, falls
/// behind, or the stream's time is up. Holding `subscription` holds the stream's place.
async fn pump(mut subscription: Subscription, frames: mpsc::Sender<Bytes>) {
    let deadline = tokio::time::sleep(LIFETIME);
    tokio::pin!(deadline);
    let hello = serde_json::json!({ "instance": subscription.instance }).to_string();
    let opening = Bytes::from(format!("retry: {RETRY_MS}\n\n"));
    if frames.send(opening).await.is_err()
        || frames.send(event("hello", None, &hello)).await.is_err()
    {
        return;
    }
    for replayed in std::mem::take(&mut subscription.replay) {
        let frame = event(replayed.name(), Some(replayed.id()), &replayed.to_json());
        if frames.send(frame).await.is_err() {
            return;
        }
    }
    let mut heartbeat =
        tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    loop {
        let frame = tokio::select! {
            _ = &mut deadline => return,
            _ = frames.closed() => return,
            _ = heartbeat.tick() => Bytes::from_static(b": keep-alive\n\n"),
            received = subscription.live.recv() => match received {
                Ok(live) => frame_of(&live),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    let _ = frames
                        .send(event("lagged", None, &serde_json::json!({ "missed": missed }).to_string()))
                        .await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        if frames.send(frame).await.is_err() {
            return;
        }
    }
}

fn frame_of(live: &FeedEvent) -> Bytes {
    event(live.name(), Some(live.id()), &live.to_json())
}

/// The response body: whatever the pump queued, frame by frame; it ends when the pump does.
struct SseBody {
    queue: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.queue
            .poll_recv(cx)
            .map(|frame| frame.map(|bytes| Ok(Frame::data(bytes))))
    }
}
