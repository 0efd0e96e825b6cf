//! The UI's own worker threads (a `rayon` pool) and concurrency bound: page rendering and any verification run
//! there, never on the blocking pool publishes use, and at most a bounded number of pages are in flight (their store
//! queries included); more page requests wait for a permit without holding a thread.

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::error::Error;

/// Pages in flight per UI thread (so store reads of one page overlap rendering of another).
const PAGES_PER_THREAD: usize = 2;

/// The UI's threads.
#[derive(Debug)]
pub struct UiPool {
    threads: rayon::ThreadPool,
    pages: std::sync::Arc<Semaphore>,
}

impl UiPool {
    /// A pool of `threads` threads (at least one).
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("registry-ui-{i}"))
            .build()
            .or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build());
        // Building a one-thread pool only fails when the process cannot start a thread at all.
        #[allow(clippy::expect_used)]
        let pool = pool.expect("starting a UI thread");
        UiPool {
            threads: pool,
            pages: std::sync::Arc::new(Semaphore::new(threads * PAGES_PER_THREAD)),
        }
    }

    /// Waits for a page permit; hold it while the page is built.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, Error> {
        std::sync::Arc::clone(&self.pages)
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("UI pool closed".into()))
    }

    /// Runs `work` on a UI thread and returns its result.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (sender, receiver) = oneshot::channel();
        self.threads.spawn(move || {
            let _ = sender.send(work());
        });
        receiver
            .await
            .map_err(|_| Error::Internal("a UI worker panicked".into()))
    }
}
