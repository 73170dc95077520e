//! Running Automerge work off the async threads: loading, saving or
//! checking a chart takes milliseconds, which would stall every other
//! request on that thread. Both the chart copy and the background arrival
//! work use it, so it lives apart from either.

use std::collections::VecDeque;

use crate::server::problem::Problem;

/// Runs `work` on one of tokio's blocking threads.
pub(crate) async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Problem::internal("task", format!("a chart task failed: {e}")))?
}

/// Charts worked on at once by [`Window`]: one per core.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Work on tokio's blocking threads started in order, at most one per core
/// running at a time, and taken back in the order started: the charts of a
/// push are independent of each other, and a hub has cores to spare.
pub(crate) struct Window<T> {
    running: VecDeque<tokio::task::JoinHandle<Result<T, Problem>>>,
    width: usize,
}

impl<T: Send + 'static> Window<T> {
    pub(crate) fn new() -> Window<T> {
        Window {
            running: VecDeque::new(),
            width: workers(),
        }
    }

    /// Starts `work`; when the window is full, first waits for the oldest
    /// work still running and returns what it gave.
    pub(crate) async fn start(
        &mut self,
        work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
    ) -> Option<Result<T, Problem>> {
        let done = if self.running.len() >= self.width {
            self.next().await
        } else {
            None
        };
        self.running.push_back(tokio::task::spawn_blocking(work));
        done
    }

    /// What the oldest work still running gave; `None` when none runs.
    pub(crate) async fn next(&mut self) -> Option<Result<T, Problem>> {
        let handle = self.running.pop_front()?;
        Some(
            handle
                .await
                .map_err(|e| Problem::internal("task", format!("a chart task failed: {e}")))
                .and_then(|result| result),
        )
    }
}
