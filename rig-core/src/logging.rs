//! The one logging setup of both binaries: `--log-format text|json`, the filter from
//! `RUST_LOG` (else a default level), and colour only on a terminal. Logs go to stderr, so
//! stdout stays free for what a command prints (`issuer mint`'s token, `serve`'s banner).
//!
//! Text is tracing-subscriber's compact format: one short line per event, because a soak of
//! hundreds of thousands of requests must not turn into a log of hundreds of megabytes. JSON is
//! one object per line with the event's fields at the top level, for `jq` and log shippers.
//!
//! Lines are written by a background thread (tracing-appender's non-blocking writer), not by
//! the request that logs them: a request only hands its formatted line over, and the thread
//! writes it to stderr. Written straight to (unbuffered) stderr, every line cost a system call
//! on the request path, at the default `info` level a line per STS decision (BENCHMARKS.md
//! counts them). The hand-over queue is bounded and never drops a line: a stalled stderr
//! slows logging requests down instead of growing memory. The guard [`init`] returns writes
//! what is left when it is dropped.

use std::ffi::OsStr;
use std::io::{IsTerminal as _, Write};

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
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

/// Installs the process-wide logger: `format` to stderr (through a [`background`] writer),
/// filtered by `RUST_LOG` or, when it is unset or invalid, by `default_filter` (such as
/// [`DEFAULT_FILTER`]). Colour only when stderr is a terminal and `NO_COLOR` is unset or
/// empty. Fails if a logger is already set. Keep the guard until the program ends: dropping
/// it writes the lines still queued.
pub fn init(format: LogFormat, default_filter: &str) -> Result<LogGuard, TryInitError> {
    let stderr = std::io::stderr();
    let colour = colour_wanted(
        stderr.is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let (writer, guard) = background(stderr);
    subscriber(format, env_filter(default_filter), colour, writer).try_init()?;
    Ok(LogGuard { _worker: guard })
}

/// Returned by [`init`]: dropping it writes out the queued lines and stops the thread.
#[must_use = "dropping the guard at once stops background logging"]
#[derive(Debug)]
pub struct LogGuard {
    _worker: WorkerGuard,
}

/// Guess: 1024 lines (a few tens of milliseconds of a busy server's decisions) is enough for
/// the writer thread to keep up in bursts, and little beside the 20 MB the servers stay under.
pub const MAX_QUEUED_LINES: usize = 1024;

/// A log writer whose lines are written into `sink` by a thread of its own, at most
/// [`MAX_QUEUED_LINES`] queued: past that a logging thread waits (lines are never dropped,
/// tracing-appender's `lossy(false)`). Dropping the guard writes the rest and stops the thread.
pub fn background<W: Write + Send + 'static>(sink: W) -> (NonBlocking, WorkerGuard) {
    NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(MAX_QUEUED_LINES)
        .thread_name("log-writer")
        .finish(sink)
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
    use std::sync::{Arc, Condvar, Mutex};

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
    fn background_lines_arrive_whole_and_in_order_and_the_guard_writes_the_rest() {
        let sink = Capture::default();
        let (writer, guard) = background(sink.clone());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..2000 {
                        let line = format!("thread {t} line {i}\n");
                        writer.write_all(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        drop(guard);
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
    fn a_stalled_sink_makes_logging_wait_and_loses_nothing() {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let sink = Capture::default();
        let (writer, guard) = background(Stalled(gate.clone(), sink.clone()));
        let lines = 4 * MAX_QUEUED_LINES;
        let logging = {
            let mut writer = writer.clone();
            std::thread::spawn(move || {
                for _ in 0..lines {
                    writer.write_all(&[b'x'; 1023]).unwrap();
                }
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(200));
        // Four queues' worth logged while stderr takes nothing: the logger waits, since a
        // queue that grew without bound would have let it finish.
        assert!(!logging.is_finished());
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        logging.join().unwrap();
        drop(guard);
        assert_eq!(sink.0.lock().unwrap().len(), lines * 1023);
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
