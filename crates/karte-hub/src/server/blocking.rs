//! Running Automerge work off the async threads: loading, saving or
//! checking a chart takes milliseconds, which would stall every other
//! request on that thread. Both the chart copy and the background arrival
//! work use it, so it lives apart from either.

use crate::server::problem::Problem;

/// Runs `work` on one of tokio's blocking threads.
pub(crate) async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Problem::internal("task", format!("a chart task failed: {e}")))?
}
