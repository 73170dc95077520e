//! How a store is opened: how it keeps chart payloads at rest, the
//! connection pool's size and, in tests only, fault injection in the feed.

#[cfg(feature = "test-hooks")]
use std::sync::Arc;
use std::time::Duration;

use crate::AtRest;

/// A test's say in how long a writer waits between allocating feed positions
/// (given to it) and committing them: the window in which a naive allocation
/// loses changes.
#[cfg(feature = "test-hooks")]
pub type FeedDelay = Arc<dyn Fn(&[u64]) -> Duration + Send + Sync>;

/// Settings of a store.
#[derive(Clone)]
pub struct StoreConfig {
    /// How chart payloads are kept: sealed under a master key, or not
    /// reachable at all (administration only, the default).
    pub at_rest: AtRest,
    /// Connections a store keeps open at most (PostgreSQL) or idle (SQLite).
    pub max_connections: usize,
    /// Waits between allocating feed positions and committing them.
    #[cfg(feature = "test-hooks")]
    pub feed_delay: Option<FeedDelay>,
    /// Allocates feed positions the naive way, outside the lock that orders
    /// commits, so a test can show that it loses changes.
    #[cfg(feature = "test-hooks")]
    pub naive_feed: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            at_rest: AtRest::AdminOnly,
            max_connections: 16,
            #[cfg(feature = "test-hooks")]
            feed_delay: None,
            #[cfg(feature = "test-hooks")]
            naive_feed: false,
        }
    }
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("StoreConfig");
        out.field("at_rest", &self.at_rest)
            .field("max_connections", &self.max_connections);
        #[cfg(feature = "test-hooks")]
        out.field("feed_delay", &self.feed_delay.is_some())
            .field("naive_feed", &self.naive_feed);
        out.finish()
    }
}

impl StoreConfig {
    /// The default settings, with chart payloads sealed under `master`.
    pub fn sealed(master: impl crate::MasterKey) -> StoreConfig {
        StoreConfig {
            at_rest: AtRest::Sealed(std::sync::Arc::new(master)),
            ..StoreConfig::default()
        }
    }

    /// How long to wait before committing the feed positions `positions`.
    pub(crate) fn delay_before_commit(&self, positions: &[u64]) -> Option<Duration> {
        #[cfg(feature = "test-hooks")]
        if let Some(delay) = &self.feed_delay {
            return Some(delay(positions));
        }
        let _ = positions;
        None
    }
}
