//! Logging: JSON lines on stdout (or text), filtered by `RUST_LOG` (default `info`). Lines are formatted on the
//! request's thread and written by a dedicated thread through `tracing-appender`'s non-blocking writer, so a slow
//! or contended stdout never holds a request; the buffer is bounded and, when full, a line waits (none is dropped).
//! The returned guard flushes what is buffered when dropped: keep it until the server has stopped.

use std::io::{BufWriter, Write};
use std::time::Duration;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::LogFormat;

/// Installs the global subscriber writing through a buffer of `buffer_lines` lines; returns the flush guard.
pub fn init(format: LogFormat, buffer_lines: usize) -> WorkerGuard {
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(buffer_lines)
        .lossy(false)
        .thread_name("registry-log")
        .finish(stdout_writer());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = match format {
        // One flat object per line, serialized straight from the event (no intermediate JSON values, no re-parsing
        // of span fields): the request span's `request_id` sits beside the event's own fields.
        LogFormat::Json => tracing_subscriber::registry()
            .with(tracing_flat_json::FlatJsonLayer::new(writer))
            .with(filter)
            .try_init()
            .map_err(|e| e.to_string()),
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(writer)
            .with_target(false)
            .try_init()
            .map_err(|e| e.to_string()),
    };
    guard
}

/// How long the writer thread waits after writing out everything queued: lines arriving meanwhile queue up without
/// waking it, and go out together in one write. A line reaches stdout at most this much later.
const BATCH_WINDOW: Duration = Duration::from_millis(10);

/// Standard output for the writer thread: on Unix a buffered handle of its own on file descriptor 1 (std's
/// `Stdout` flushes at every newline, one system call per line). The writer thread flushes whenever its queue runs
/// empty; [`Batched`] then pauses for [`BATCH_WINDOW`], so under load lines are written in batches and request
/// threads rarely have to wake the writer.
fn stdout_writer() -> Batched {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
            return Batched(Box::new(BufWriter::with_capacity(
                64 * 1024,
                std::fs::File::from(fd),
            )));
        }
    }
    Batched(Box::new(BufWriter::new(std::io::stdout())))
}

/// A buffered writer whose `flush` (called by the writer thread only, when its queue is empty) writes out the
/// buffer and then waits [`BATCH_WINDOW`].
struct Batched(Box<dyn Write + Send>);

impl Write for Batched {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = self.0.flush();
        std::thread::sleep(BATCH_WINDOW);
        flushed
    }
}

/// A subscriber for tests: output captured by the test harness, `warn` and up unless `RUST_LOG` says otherwise.
pub fn init_for_test() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}
