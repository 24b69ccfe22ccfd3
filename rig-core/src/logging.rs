//! The one logging setup of both binaries: `--log-format text|json`, the filter from
//! `RUST_LOG` (else a default level), and colour only on a terminal. Logs go to stderr, so
//! stdout stays free for what a command prints (`issuer mint`'s token, `serve`'s banner).
//!
//! Text is tracing-subscriber's compact format: one short line per event, because a soak of
//! hundreds of thousands of requests must not turn into a log of hundreds of megabytes. JSON is
//! one object per line with the event's fields at the top level, for `jq` and log shippers.
//!
//! Lines are written by a background thread ([`Background`]), not by the request that logs
//! them: a request only copies its formatted line into a shared buffer, and the thread writes
//! whatever has gathered in one `write` to stderr. Written straight to (unbuffered) stderr,
//! every line cost a system call on the request path, which at the default `info` level (a
//! line per STS decision) was a quarter of sts-mock's throughput. The buffer is bounded, so a
//! stalled stderr slows logging requests down instead of growing memory, and the guard
//! [`init`] returns writes what is left when it is dropped.

use std::ffi::OsStr;
use std::io::{self, IsTerminal as _, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::{SubscriberInitExt as _, TryInitError};
use tracing_subscriber::EnvFilter;

/// The level (an `EnvFilter` directive) both binaries log at when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info";

/// How log lines are written: `--log-format text|json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One compact human-readable line per event; coloured only on a terminal.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `target`, `message` and the event's
    /// fields), never coloured.
    Json,
}

/// Installs the process-wide logger: `format` to stderr (through a [`Background`] writer),
/// filtered by `RUST_LOG` or, when it is unset or invalid, by `default_filter` (such as
/// [`DEFAULT_FILTER`]). Colour only when stderr is a terminal and `NO_COLOR` is unset or
/// empty. Fails if a logger is already set. Keep the guard until the program ends: dropping
/// it writes the lines still buffered (later lines are written directly).
pub fn init(format: LogFormat, default_filter: &str) -> Result<LogGuard, TryInitError> {
    let stderr = std::io::stderr();
    let colour = colour_wanted(
        stderr.is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let writer = Background::spawn(stderr);
    subscriber(format, env_filter(default_filter), colour, writer.clone()).try_init()?;
    Ok(LogGuard(writer))
}

/// Returned by [`init`]: dropping it writes out the buffered lines and stops the thread.
#[must_use = "dropping the guard at once stops background logging"]
#[derive(Debug)]
pub struct LogGuard(Background);

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Guess: 256 KiB holds about a thousand log lines (a few tens of milliseconds of a busy
/// server's decisions), enough for the writer thread to batch them, and little beside the
/// 20 MB the servers stay under.
const MAX_BUFFERED: usize = 256 * 1024;

/// A log writer whose lines are written by a thread of its own, into `sink`. Cloning gives
/// another handle to the same buffer and thread.
#[derive(Debug, Clone)]
pub struct Background {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when the buffer stops being empty, or on close: the thread has work.
    work: Condvar,
    /// Signalled when the thread has taken the buffer: a full buffer has room again.
    room: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct State {
    buffer: Vec<u8>,
    closed: bool,
}

impl Background {
    /// Starts the writing thread. Write errors (a closed stderr) drop the lines: logging must
    /// never fail a request.
    pub fn spawn<W: Write + Send + 'static>(mut sink: W) -> Background {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            room: Condvar::new(),
            thread: Mutex::new(None),
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                let mut spare = Vec::new();
                loop {
                    let mut state = worker.lock();
                    while state.buffer.is_empty() && !state.closed {
                        state = worker.work.wait(state).unwrap_or_else(|e| e.into_inner());
                    }
                    let closed = state.closed;
                    std::mem::swap(&mut state.buffer, &mut spare);
                    drop(state);
                    worker.room.notify_all();
                    let _ = sink.write_all(&spare).and_then(|()| sink.flush());
                    spare.clear();
                    if closed {
                        return;
                    }
                }
            });
        match thread {
            Ok(thread) => *shared.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread),
            // No thread (the system is out of them): every line is written directly instead.
            Err(_) => shared.lock().closed = true,
        }
        Background { shared }
    }

    /// Writes out what is buffered and stops the thread; later lines are written directly.
    fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_one();
        let thread = self
            .shared
            .thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<'a> MakeWriter<'a> for Background {
    type Writer = &'a Background;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl Write for &Background {
    /// tracing-subscriber formats a whole event, then writes it in one call: one line is
    /// one lock and one copy.
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let shared = &self.shared;
        let mut state = shared.lock();
        while state.buffer.len() >= MAX_BUFFERED && !state.closed {
            state = shared.room.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        if state.closed {
            drop(state);
            let _ = io::stderr().write_all(line);
            return Ok(line.len());
        }
        let was_empty = state.buffer.is_empty();
        state.buffer.extend_from_slice(line);
        drop(state);
        // Only the first line into an empty buffer wakes the thread; it takes the rest too.
        if was_empty {
            shared.work.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The filter from `RUST_LOG`, or `default_filter` when it is unset or does not parse.
pub fn env_filter(default_filter: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter))
}

/// Whether to colour output: only on a terminal, and never when `NO_COLOR` is set to a
/// non-empty value (<https://no-color.org>). A file or a pipe never gets escape codes.
pub fn colour_wanted(is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// The subscriber [`init`] installs, writing to any `writer` (tests capture it). `colour`
/// applies to text only; JSON is never coloured.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    colour: bool,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.compact().with_ansi(colour).finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .with_ansi(false)
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .finish(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// A writer that keeps what it is given.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: LogFormat, colour: bool) -> String {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = subscriber(format, EnvFilter::new("info"), colour, move || {
            writer.clone()
        });
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                sub = "dtid:connection/my-connection",
                status = 200,
                "minted token"
            );
            tracing::warn!(error = "a \"quoted\" reason", "refused");
            tracing::debug!("filtered out at info");
        });
        let bytes = capture.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn text_to_a_non_terminal_has_no_escape_codes() {
        let colour = colour_wanted(false, None);
        let text = logged(LogFormat::Text, colour);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains("minted token"), "{text}");
        assert!(
            text.contains("sub=\"dtid:connection/my-connection\""),
            "{text}"
        );
        assert!(!text.contains('\x1b'), "{text:?}");
        assert!(!text.contains("filtered out"), "{text}");
        // The same line on a terminal is coloured: the check above can fail.
        assert!(logged(LogFormat::Text, true).contains('\x1b'));
    }

    #[test]
    fn json_lines_parse_as_json_with_the_fields_at_the_top() {
        let text = logged(LogFormat::Json, true);
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["message"], "minted token");
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[0]["sub"], "dtid:connection/my-connection");
        assert_eq!(lines[0]["status"], 200);
        assert_eq!(lines[1]["error"], "a \"quoted\" reason");
        assert!(!text.contains('\x1b'), "{text:?}");
    }

    #[test]
    fn background_lines_arrive_whole_and_in_order_and_closing_writes_the_rest() {
        let sink = Capture::default();
        let writer = Background::spawn(sink.clone());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..2000 {
                        let line = format!("thread {t} line {i}\n");
                        (&writer).write_all(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        writer.close();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 8000);
        for t in 0..4 {
            let mine: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("thread {t} line ")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(mine, (0..2000).collect::<Vec<_>>(), "thread {t}");
        }
    }

    /// A sink that blocks until released, like a stderr nobody reads.
    struct Stalled(Arc<(Mutex<bool>, Condvar)>, Capture);

    impl io::Write for Stalled {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let (open, changed) = &*self.0;
            let mut open = open.lock().unwrap();
            while !*open {
                open = changed.wait(open).unwrap();
            }
            self.1.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_sink_makes_logging_wait_instead_of_buffering_without_bound() {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let sink = Capture::default();
        let writer = Background::spawn(Stalled(gate.clone(), sink.clone()));
        let logging = {
            let writer = writer.clone();
            std::thread::spawn(move || {
                let line = [b'x'; 1023];
                for _ in 0..2048 {
                    (&writer).write_all(&line).unwrap();
                    (&writer).write_all(b"\n").unwrap();
                }
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(200));
        // 2 MiB logged, but the thread holds at most one buffer and the buffer at most the
        // bound (plus one line): the logger is waiting.
        assert!(!logging.is_finished());
        assert!(writer.shared.lock().buffer.len() <= MAX_BUFFERED + 1024);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        logging.join().unwrap();
        writer.close();
        assert_eq!(sink.0.lock().unwrap().len(), 2048 * 1024);
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some(OsStr::new(""))));
        assert!(!colour_wanted(true, Some(OsStr::new("1"))));
        assert!(!colour_wanted(false, None));
    }

    #[test]
    fn log_format_parses_as_a_flag_value() {
        use clap::ValueEnum as _;
        assert_eq!(LogFormat::from_str("json", true), Ok(LogFormat::Json));
        assert_eq!(LogFormat::from_str("text", true), Ok(LogFormat::Text));
        assert!(LogFormat::from_str("xml", true).is_err());
    }
}
