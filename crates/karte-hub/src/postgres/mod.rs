//! The PostgreSQL backend: for a prefecture, with many stateless hub
//! processes behind a load balancer sharing one database.
//!
//! Every write that allocates feed positions first takes one transaction-
//! scoped advisory lock (`FEED_LOCK`), then reads the highest committed
//! position and counts up from it, and commits while still holding the lock
//! (PostgreSQL releases it after the commit is visible). So positions are
//! committed in order across all hub processes, and a reader that sees
//! position N+1 has already been able to see N. The other way, reading only
//! below the oldest in-flight transaction, keeps writers concurrent but needs
//! a transaction-id horizon in every read; pushes are short (every check that
//! parses or verifies a change has run before the store is called), so one
//! writer at a time is the simpler, plainly correct choice.
//!
//! Writers run at READ COMMITTED on purpose: each statement after the lock
//! sees every commit made before the lock was granted. (At REPEATABLE READ the
//! snapshot would be taken by the lock statement itself, before the wait.)
//! Readers run at REPEATABLE READ, so a page's head and entries come from one
//! snapshot.
//!
//! The rules of `crate::rules` run over [`PostgresRows`], on a pooled
//! connection or inside one of the transactions opened here.

mod accounts;
mod charts;
mod feed;
#[cfg(feature = "test-hooks")]
mod naive;
mod operations;
mod schema;
mod sharing;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, Transaction,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};

use crate::at_rest::Keyring;
use crate::feed::Positions;
use crate::rules::FeedRows;
use crate::{HubStoreError, MasterKey, StoreConfig};

/// The advisory lock that orders every feed write ("KHUB" and 1).
const FEED_LOCK: i64 = 0x4b48_5542_0000_0001;

/// How long a request waits for a pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// The hub's storage in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresHubStore {
    pool: Pool,
    config: StoreConfig,
    keys: Arc<Keyring>,
}

impl std::fmt::Debug for PostgresHubStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresHubStore")
            .field("pool", &self.pool.status())
            .field("config", &self.config)
            .finish()
    }
}

impl PostgresHubStore {
    /// Connects to the database at `url` (a `postgres://` URL or a libpq
    /// key=value string) and brings its schema up to date. The connection is
    /// TLS unless the URL says `sslmode=disable` or the database is on this
    /// machine (see `tls` for what each `sslmode` means).
    /// Chart payloads are sealed under `master`; a master key other than
    /// the one the database was first opened with is refused.
    pub async fn connect(
        url: &str,
        master: impl MasterKey,
    ) -> Result<PostgresHubStore, HubStoreError> {
        PostgresHubStore::connect_with(url, StoreConfig::sealed(master)).await
    }

    pub async fn connect_with(
        url: &str,
        config: StoreConfig,
    ) -> Result<PostgresHubStore, HubStoreError> {
        let target = tls::Target::parse(url)?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match target.connector()? {
            Some(tls) => Manager::from_config(target.config.clone(), tls, manager_config),
            None => Manager::from_config(target.config.clone(), NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(config.max_connections.max(1))
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|error| HubStoreError::Pool(error.to_string()))?;
        let mut client = pool.get().await.map_err(|error| {
            HubStoreError::Pool(format!(
                "{}; connecting over {}",
                crate::error::with_causes(&error),
                target.describe()
            ))
        })?;
        schema::migrate(&mut client).await?;
        #[cfg(feature = "test-hooks")]
        if config.naive_feed {
            naive::prepare(&client).await?;
        }
        drop(client);
        let keys = Arc::new(Keyring::new(config.at_rest.clone()));
        let store = PostgresHubStore { pool, config, keys };
        store
            .write(None, async |rows| store.keys.check_master(rows).await)
            .await?;
        Ok(store)
    }

    async fn client(&self) -> Result<Object, HubStoreError> {
        Ok(self.pool.get().await?)
    }

    /// Runs `rule` on a pooled connection outside a transaction: for one
    /// statement, which PostgreSQL commits by itself.
    async fn plain<T>(
        &self,
        rule: impl AsyncFnOnce(&PostgresRows<'_, Object>) -> Result<T, HubStoreError>,
    ) -> Result<T, HubStoreError> {
        rule(&PostgresRows(&self.client().await?)).await
    }

    /// Runs `rule` in one read-only REPEATABLE READ transaction, so what it
    /// reads in several statements comes from one snapshot.
    async fn read<T>(
        &self,
        rule: impl AsyncFnOnce(&PostgresRows<'_, Transaction<'_>>) -> Result<T, HubStoreError>,
    ) -> Result<T, HubStoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let value = rule(&PostgresRows(&tx)).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// Runs `rule` in one READ COMMITTED transaction, committed if the rule
    /// succeeds; `first` runs before it (a setting for this transaction).
    async fn write<T>(
        &self,
        first: Option<&str>,
        rule: impl AsyncFnOnce(&PostgresRows<'_, Transaction<'_>>) -> Result<T, HubStoreError>,
    ) -> Result<T, HubStoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        if let Some(statement) = first {
            tx.batch_execute(statement).await?;
        }
        let value = rule(&PostgresRows(&tx)).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// Runs a rule that writes the feed in one transaction holding
    /// `FEED_LOCK` from its start to its commit, with feed positions counted
    /// up from the head read under the lock.
    async fn write_feed<T>(
        &self,
        rule: impl AsyncFnOnce(
            &PostgresRows<'_, Transaction<'_>>,
            &mut Positions,
        ) -> Result<T, HubStoreError>,
    ) -> Result<T, HubStoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
            .await?;
        let rows = PostgresRows(&tx);
        let mut positions = Positions::after(rows.feed_head().await?);
        let value = rule(&rows, &mut positions).await?;
        pause(&self.config, positions.allocated()).await;
        tx.commit().await?;
        Ok(value)
    }
}

/// The test hook's wait between allocating feed positions and committing.
async fn pause(config: &StoreConfig, allocated: &[u64]) {
    if let Some(delay) = config.delay_before_commit(allocated) {
        tokio::time::sleep(delay).await;
    }
}

/// The row primitives of `crate::rules` on a pooled connection or inside a
/// transaction. Every statement is prepared once per connection.
pub(super) struct PostgresRows<'c, C>(&'c C);

impl<C: GenericClient> PostgresRows<'_, C> {
    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, HubStoreError> {
        let statement = self.0.prepare_cached(sql).await?;
        Ok(self.0.query(&statement, params).await?)
    }

    async fn query_one(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, HubStoreError> {
        let statement = self.0.prepare_cached(sql).await?;
        Ok(self.0.query_one(&statement, params).await?)
    }

    async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, HubStoreError> {
        let statement = self.0.prepare_cached(sql).await?;
        Ok(self.0.query_opt(&statement, params).await?)
    }

    async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, HubStoreError> {
        let statement = self.0.prepare_cached(sql).await?;
        Ok(self.0.execute(&statement, params).await?)
    }
}
