//! The one place the binary builds an async runtime: the online commands (`pull`, `upload`,
//! and later the ELB ones) run their storage and AWS calls through [`block_on`]; the offline
//! commands never start one. A tidy test keeps `tokio::` out of every other file.

use std::future::Future;

use crate::support::failure::Failure;

/// Run `work` to completion on a fresh multi-threaded tokio runtime (two workers: the work is
/// network-bound; CPU-heavy parsing runs on rayon or a blocking thread).
pub fn block_on<T>(work: impl Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::io("starting the async runtime", &e))?;
    runtime.block_on(work)
}

/// Run blocking `f` (parsing a stream, writing a file) beside the async work.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Failure::new("internal", format!("a worker thread failed: {e}")))
}
