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

mod admin;
mod push;
mod read;
mod schema;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use karte_types::{DeviceId, PatientId, Timestamp};

use crate::{
    Arrival, AuditHead, CircleEvent, Device, DocRecord, FeedChange, FeedPage, HubStore,
    HubStoreError, NewDevice, Org, OrgId, PushOutcome, PushedDoc, Receipt, Snapshot, StoreConfig,
    WholePage,
};

/// The advisory lock that orders every feed write ("KHUB" and 1).
const FEED_LOCK: i64 = 0x4b48_5542_0000_0001;

/// How long a request waits for a pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// The hub's storage in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresHubStore {
    pool: Pool,
    config: StoreConfig,
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
    /// key=value string) and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<PostgresHubStore, HubStoreError> {
        PostgresHubStore::connect_with(url, StoreConfig::default()).await
    }

    pub async fn connect_with(
        url: &str,
        config: StoreConfig,
    ) -> Result<PostgresHubStore, HubStoreError> {
        let pg_config: tokio_postgres::Config = url.parse()?;
        let manager = Manager::from_config(
            pg_config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.max_connections.max(1))
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|error| HubStoreError::Pool(error.to_string()))?;
        let mut client = pool.get().await?;
        schema::migrate(&mut client).await?;
        #[cfg(feature = "test-hooks")]
        if config.naive_feed {
            push::prepare_naive_feed(&client).await?;
        }
        drop(client);
        Ok(PostgresHubStore { pool, config })
    }

    async fn client(&self) -> Result<Object, HubStoreError> {
        Ok(self.pool.get().await?)
    }
}

impl HubStore for PostgresHubStore {
    async fn add_org(&self, org: &Org) -> Result<(), HubStoreError> {
        admin::add_org(&self.client().await?, org).await
    }

    async fn org(&self, id: &OrgId) -> Result<Option<Org>, HubStoreError> {
        admin::org(&self.client().await?, id).await
    }

    async fn list_orgs(&self) -> Result<Vec<Org>, HubStoreError> {
        admin::list_orgs(&self.client().await?).await
    }

    async fn create_enrolment(
        &self,
        org: &OrgId,
        code_hash: [u8; 32],
        expires_at: Timestamp,
    ) -> Result<(), HubStoreError> {
        admin::create_enrolment(&self.client().await?, org, code_hash, expires_at).await
    }

    async fn redeem_enrolment(
        &self,
        code_hash: [u8; 32],
        device: &NewDevice,
        now: Timestamp,
    ) -> Result<Device, HubStoreError> {
        admin::redeem_enrolment(&mut self.client().await?, code_hash, device, now).await
    }

    async fn device(&self, id: &DeviceId) -> Result<Option<Device>, HubStoreError> {
        admin::device(&self.client().await?, id).await
    }

    async fn list_devices(&self, org: &OrgId) -> Result<Vec<Device>, HubStoreError> {
        admin::list_devices(&self.client().await?, org).await
    }

    async fn revoke(&self, device: &DeviceId, lost: bool) -> Result<(), HubStoreError> {
        admin::revoke(&self.client().await?, device, lost).await
    }

    async fn record_contact(
        &self,
        device: &DeviceId,
        now: Timestamp,
        audit_head: Option<AuditHead>,
    ) -> Result<(), HubStoreError> {
        admin::record_contact(&self.client().await?, device, now, audit_head).await
    }

    async fn store_push(
        &self,
        device: &DeviceId,
        batch: Vec<PushedDoc>,
        now: Timestamp,
    ) -> Result<PushOutcome, HubStoreError> {
        push::store_push(&mut self.client().await?, &self.config, device, &batch, now).await
    }

    async fn read_feed(
        &self,
        org: &OrgId,
        after: u64,
        max_bytes: usize,
    ) -> Result<FeedPage, HubStoreError> {
        read::read_feed(&mut self.client().await?, org, after, max_bytes).await
    }

    async fn whole_charts(
        &self,
        org: &OrgId,
        device: &DeviceId,
        head: Option<u64>,
        after: Option<&PatientId>,
        max_bytes: usize,
    ) -> Result<WholePage, HubStoreError> {
        read::whole_charts(
            &mut self.client().await?,
            org,
            device,
            head,
            after,
            max_bytes,
        )
        .await
    }

    async fn feed_head(&self) -> Result<u64, HubStoreError> {
        read::feed_head(&**self.client().await?).await
    }

    async fn share(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> Result<Option<u64>, HubStoreError> {
        push::share(&mut self.client().await?, &self.config, doc, org, now).await
    }

    async fn unshare(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> Result<Option<u64>, HubStoreError> {
        push::unshare(&mut self.client().await?, &self.config, doc, org, now).await
    }

    async fn doc(&self, doc: &PatientId) -> Result<Option<DocRecord>, HubStoreError> {
        read::doc(&mut self.client().await?, doc).await
    }

    async fn doc_changes(
        &self,
        doc: &PatientId,
        after: u64,
    ) -> Result<Vec<FeedChange>, HubStoreError> {
        read::doc_changes(&self.client().await?, doc, after).await
    }

    async fn present_changes(
        &self,
        doc: &PatientId,
        hashes: &[[u8; 32]],
    ) -> Result<Vec<[u8; 32]>, HubStoreError> {
        read::present_changes(&**self.client().await?, doc, hashes).await
    }

    async fn circle_event_after(
        &self,
        doc: &PatientId,
        org: &OrgId,
        event: CircleEvent,
        after: u64,
    ) -> Result<bool, HubStoreError> {
        read::circle_event_after(&**self.client().await?, doc, org, event, after).await
    }

    async fn snapshot(&self, doc: &PatientId) -> Result<Option<Snapshot>, HubStoreError> {
        read::snapshot(&**self.client().await?, doc.as_str()).await
    }

    async fn put_arrival(
        &self,
        doc: &PatientId,
        up_to: u64,
        arrival: &Arrival,
    ) -> Result<(), HubStoreError> {
        admin::put_arrival(&self.client().await?, doc, up_to, arrival).await
    }

    async fn put_snapshot(
        &self,
        doc: &PatientId,
        snapshot: &Snapshot,
    ) -> Result<(), HubStoreError> {
        admin::put_snapshot(&self.client().await?, doc, snapshot).await
    }

    async fn check_and_record_nonce(
        &self,
        device: &DeviceId,
        nonce: [u8; 16],
        now: Timestamp,
        window: Duration,
    ) -> Result<bool, HubStoreError> {
        admin::check_and_record_nonce(&mut self.client().await?, device, nonce, now, window).await
    }

    async fn receipts(&self, device: &DeviceId) -> Result<Vec<Receipt>, HubStoreError> {
        admin::receipts(&self.client().await?, device).await
    }
}
