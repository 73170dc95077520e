//! The SQLite backend: the embedded, zero set-up hub.
//!
//! SQLite has one writer at a time. Every write runs in `BEGIN IMMEDIATE`,
//! which takes the write lock first, so feed positions are allocated and
//! committed by one writer before the next begins: commit order is position
//! order, across connections and across processes sharing the file. Readers
//! run beside the writer on their own connections (write-ahead log), each
//! page in one read transaction.
//!
//! rusqlite blocks, so every operation runs on tokio's blocking threads with
//! a connection from a small pool. The rules of `crate::rules` run there
//! too, over [`SqliteRows`]: each primitive answers before it returns, so a
//! rule's future is finished at its first poll.

mod accounts;
mod backup;
mod charts;
mod feed;
#[cfg(feature = "test-hooks")]
mod naive;
mod operations;
mod schema;
mod sharing;

pub use backup::{backup_sqlite, restore_sqlite};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use rusqlite::{Connection, TransactionBehavior};

use crate::at_rest::Keyring;
use crate::feed::Positions;
use crate::rules::FeedRows;
use crate::{HubStoreError, MasterKey, StoreConfig};

/// The row primitives of `crate::rules` on one connection, inside whatever
/// transaction is open on it (a `Transaction` derefs to its `Connection`).
pub(super) struct SqliteRows<'c>(&'c Connection);

/// The hub's storage in one SQLite file.
#[derive(Clone)]
pub struct SqliteHubStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    config: StoreConfig,
    keys: Arc<Keyring>,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteHubStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteHubStore")
            .field("path", &self.inner.path)
            .field("config", &self.inner.config)
            .finish()
    }
}

impl SqliteHubStore {
    /// Opens the hub database at `path`, creating it if there is none, and
    /// brings its schema up to date.
    /// Chart payloads are sealed under `master`; a master key other than
    /// the one the database was first opened with is refused.
    pub fn open(path: &Path, master: impl MasterKey) -> Result<SqliteHubStore, HubStoreError> {
        SqliteHubStore::open_with(path, StoreConfig::sealed(master))
    }

    pub fn open_with(path: &Path, config: StoreConfig) -> Result<SqliteHubStore, HubStoreError> {
        let mut conn = schema::open(path)?;
        #[cfg(feature = "test-hooks")]
        if config.naive_feed {
            naive::prepare(&conn)?;
        }
        let keys = Arc::new(Keyring::new(config.at_rest.clone()));
        write(&mut conn, async |rows| keys.check_master(rows).await)?;
        Ok(SqliteHubStore {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                config,
                keys,
                idle: Mutex::new(vec![conn]),
            }),
        })
    }

    /// The keys chart payloads are sealed and opened with.
    fn keys(&self) -> Arc<Keyring> {
        self.inner.keys.clone()
    }

    /// Runs `work` on a pooled connection on a blocking thread.
    async fn run<T, F>(&self, work: F) -> Result<T, HubStoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &StoreConfig) -> Result<T, HubStoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let idle = inner
                .idle
                .lock()
                .expect("the pool lock is never poisoned")
                .pop();
            let mut conn = match idle {
                Some(conn) => conn,
                None => schema::connect(&inner.path)?,
            };
            let result = work(&mut conn, &inner.config);
            let mut idle = inner.idle.lock().expect("the pool lock is never poisoned");
            if idle.len() < inner.config.max_connections {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|error| HubStoreError::Task(error.to_string()))?
    }

    /// Runs `rule` on a pooled connection outside a transaction: for one
    /// statement, which SQLite commits by itself.
    async fn plain<T: Send + 'static>(
        &self,
        rule: impl AsyncFnOnce(&SqliteRows<'_>) -> Result<T, HubStoreError> + Send + 'static,
    ) -> Result<T, HubStoreError> {
        self.run(move |conn, _| finish(rule(&SqliteRows(conn))))
            .await
    }

    /// Runs `rule` in one read transaction, so what it reads in several
    /// statements comes from one snapshot of the database.
    async fn read<T: Send + 'static>(
        &self,
        rule: impl AsyncFnOnce(&SqliteRows<'_>) -> Result<T, HubStoreError> + Send + 'static,
    ) -> Result<T, HubStoreError> {
        self.run(move |conn, _| {
            let tx = conn.transaction()?;
            finish(rule(&SqliteRows(&tx)))
        })
        .await
    }

    /// Runs `rule` in one `BEGIN IMMEDIATE` transaction, committed if the
    /// rule succeeds.
    async fn write<T: Send + 'static>(
        &self,
        rule: impl AsyncFnOnce(&SqliteRows<'_>) -> Result<T, HubStoreError> + Send + 'static,
    ) -> Result<T, HubStoreError> {
        self.run(move |conn, _| write(conn, rule)).await
    }

    /// Runs a rule that writes the feed in one `BEGIN IMMEDIATE`
    /// transaction, with feed positions counted up from the head read under
    /// the write lock, which is held until the commit.
    async fn write_feed<T: Send + 'static>(
        &self,
        rule: impl AsyncFnOnce(&SqliteRows<'_>, &mut Positions) -> Result<T, HubStoreError>
        + Send
        + 'static,
    ) -> Result<T, HubStoreError> {
        self.run(move |conn, config| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rows = SqliteRows(&tx);
            let mut positions = Positions::after(finish(rows.feed_head())?);
            let value = finish(rule(&rows, &mut positions))?;
            pause(config, positions.allocated());
            tx.commit()?;
            Ok(value)
        })
        .await
    }
}

/// Runs `rule` in one `BEGIN IMMEDIATE` transaction on `conn`.
fn write<T>(
    conn: &mut Connection,
    rule: impl AsyncFnOnce(&SqliteRows<'_>) -> Result<T, HubStoreError>,
) -> Result<T, HubStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = finish(rule(&SqliteRows(&tx)))?;
    tx.commit()?;
    Ok(value)
}

/// Drives a rule over [`SqliteRows`] to its end. Each SQLite primitive does
/// its work before it returns (blocking this thread, which is one of
/// tokio's blocking threads), so the rule never waits and is finished at
/// its first poll.
fn finish<T>(rule: impl Future<Output = T>) -> T {
    match pin!(rule).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => unreachable!("an SQLite row primitive never waits"),
    }
}

/// The test hook's wait between allocating feed positions and committing.
fn pause(config: &StoreConfig, allocated: &[u64]) {
    if let Some(delay) = config.delay_before_commit(allocated) {
        std::thread::sleep(delay);
    }
}

/// Runs the nonce's write transaction without waiting for the disk: it is
/// safe from a killed hub process (the write-ahead log is in the operating
/// system's hands), and the next fully synchronous commit of any write
/// flushes it. Only a power cut could lose the last few, and a replay would
/// still have to fall within the clock window. Waiting for the disk on
/// every request, quiet syncs included, is what this saves. The connection
/// goes back to the pool fully synchronous again.
fn record_nonce(
    conn: &mut Connection,
    rule: impl AsyncFnOnce(&SqliteRows<'_>) -> Result<bool, HubStoreError>,
) -> Result<bool, HubStoreError> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let recorded = write(conn, rule);
    let restored = conn.pragma_update(None, "synchronous", "FULL");
    let fresh = recorded?;
    restored?;
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use karte_types::{DeviceId, Timestamp};

    use super::*;
    use crate::rules;

    #[test]
    fn a_nonce_is_kept_and_the_connection_is_left_fully_synchronous() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = schema::open(&dir.path().join("hub.sqlite")).unwrap();
        let device = DeviceId("D1".into());
        let window = Duration::from_secs(600);
        let now = Timestamp(1_764_000_000_000);
        let mut check = |nonce| {
            record_nonce(&mut conn, async |rows| {
                rules::check_and_record_nonce(rows, &device, nonce, now, window).await
            })
            .unwrap()
        };
        assert!(check([1; 16]));
        assert!(!check([1; 16]));
        assert!(check([2; 16]));
        // 2 = FULL: the feed's writes on this pooled connection stay durable.
        let synchronous: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 2);
    }
}
