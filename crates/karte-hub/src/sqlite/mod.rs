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
//! a connection from a small pool.

mod admin;
mod push;
mod read;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use karte_types::{DeviceId, PatientId, Timestamp};
use rusqlite::Connection;

use crate::{
    Arrival, AuditHead, CircleEvent, Device, DocRecord, FeedChange, FeedPage, HubStore,
    HubStoreError, NewDevice, Org, OrgId, PushOutcome, PushedDoc, Receipt, Snapshot, StoreConfig,
    WholePage,
};

/// The hub's storage in one SQLite file.
#[derive(Clone)]
pub struct SqliteHubStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    config: StoreConfig,
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
    pub fn open(path: &Path) -> Result<SqliteHubStore, HubStoreError> {
        SqliteHubStore::open_with(path, StoreConfig::default())
    }

    pub fn open_with(path: &Path, config: StoreConfig) -> Result<SqliteHubStore, HubStoreError> {
        let conn = schema::open(path)?;
        #[cfg(feature = "test-hooks")]
        if config.naive_feed {
            push::prepare_naive_feed(&conn)?;
        }
        Ok(SqliteHubStore {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                config,
                idle: Mutex::new(vec![conn]),
            }),
        })
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
}

impl HubStore for SqliteHubStore {
    async fn add_org(&self, org: &Org) -> Result<(), HubStoreError> {
        let org = org.clone();
        self.run(move |conn, _| admin::add_org(conn, &org)).await
    }

    async fn org(&self, id: &OrgId) -> Result<Option<Org>, HubStoreError> {
        let id = id.clone();
        self.run(move |conn, _| admin::org(conn, &id)).await
    }

    async fn list_orgs(&self) -> Result<Vec<Org>, HubStoreError> {
        self.run(|conn, _| admin::list_orgs(conn)).await
    }

    async fn create_enrolment(
        &self,
        org: &OrgId,
        code_hash: [u8; 32],
        expires_at: Timestamp,
    ) -> Result<(), HubStoreError> {
        let org = org.clone();
        self.run(move |conn, _| admin::create_enrolment(conn, &org, code_hash, expires_at))
            .await
    }

    async fn redeem_enrolment(
        &self,
        code_hash: [u8; 32],
        device: &NewDevice,
        now: Timestamp,
    ) -> Result<Device, HubStoreError> {
        let device = device.clone();
        self.run(move |conn, _| admin::redeem_enrolment(conn, code_hash, &device, now))
            .await
    }

    async fn device(&self, id: &DeviceId) -> Result<Option<Device>, HubStoreError> {
        let id = id.clone();
        self.run(move |conn, _| admin::device(conn, &id)).await
    }

    async fn list_devices(&self, org: &OrgId) -> Result<Vec<Device>, HubStoreError> {
        let org = org.clone();
        self.run(move |conn, _| admin::list_devices(conn, &org))
            .await
    }

    async fn revoke(&self, device: &DeviceId, lost: bool) -> Result<(), HubStoreError> {
        let device = device.clone();
        self.run(move |conn, _| admin::revoke(conn, &device, lost))
            .await
    }

    async fn record_contact(
        &self,
        device: &DeviceId,
        now: Timestamp,
        audit_head: Option<AuditHead>,
    ) -> Result<(), HubStoreError> {
        let device = device.clone();
        self.run(move |conn, _| admin::record_contact(conn, &device, now, audit_head))
            .await
    }

    async fn store_push(
        &self,
        device: &DeviceId,
        batch: Vec<PushedDoc>,
        now: Timestamp,
    ) -> Result<PushOutcome, HubStoreError> {
        let device = device.clone();
        self.run(move |conn, config| push::store_push(conn, config, &device, &batch, now))
            .await
    }

    async fn read_feed(
        &self,
        org: &OrgId,
        after: u64,
        max_bytes: usize,
    ) -> Result<FeedPage, HubStoreError> {
        let org = org.clone();
        self.run(move |conn, _| read::read_feed(conn, &org, after, max_bytes))
            .await
    }

    async fn whole_charts(
        &self,
        org: &OrgId,
        device: &DeviceId,
        head: Option<u64>,
        after: Option<&PatientId>,
        max_bytes: usize,
    ) -> Result<WholePage, HubStoreError> {
        let (org, device, after) = (org.clone(), device.clone(), after.cloned());
        self.run(move |conn, _| {
            read::whole_charts(conn, &org, &device, head, after.as_ref(), max_bytes)
        })
        .await
    }

    async fn feed_head(&self) -> Result<u64, HubStoreError> {
        self.run(|conn, _| read::feed_head_of(conn)).await
    }

    async fn share(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> Result<Option<u64>, HubStoreError> {
        let (doc, org) = (doc.clone(), org.clone());
        self.run(move |conn, config| push::share(conn, config, &doc, &org, now))
            .await
    }

    async fn unshare(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> Result<Option<u64>, HubStoreError> {
        let (doc, org) = (doc.clone(), org.clone());
        self.run(move |conn, config| push::unshare(conn, config, &doc, &org, now))
            .await
    }

    async fn doc(&self, doc: &PatientId) -> Result<Option<DocRecord>, HubStoreError> {
        let doc = doc.clone();
        self.run(move |conn, _| read::doc(conn, &doc)).await
    }

    async fn doc_changes(
        &self,
        doc: &PatientId,
        after: u64,
    ) -> Result<Vec<FeedChange>, HubStoreError> {
        let doc = doc.clone();
        self.run(move |conn, _| read::doc_changes(conn, &doc, after))
            .await
    }

    async fn present_changes(
        &self,
        doc: &PatientId,
        hashes: &[[u8; 32]],
    ) -> Result<Vec<[u8; 32]>, HubStoreError> {
        let (doc, hashes) = (doc.clone(), hashes.to_vec());
        self.run(move |conn, _| read::present_changes(conn, &doc, &hashes))
            .await
    }

    async fn circle_event_after(
        &self,
        doc: &PatientId,
        org: &OrgId,
        event: CircleEvent,
        after: u64,
    ) -> Result<bool, HubStoreError> {
        let (doc, org) = (doc.clone(), org.clone());
        self.run(move |conn, _| read::circle_event_after(conn, &doc, &org, event, after))
            .await
    }

    async fn snapshot(&self, doc: &PatientId) -> Result<Option<Snapshot>, HubStoreError> {
        let doc = doc.clone();
        self.run(move |conn, _| read::snapshot(conn, doc.as_str()))
            .await
    }

    async fn put_arrival(
        &self,
        doc: &PatientId,
        up_to: u64,
        arrival: &Arrival,
    ) -> Result<(), HubStoreError> {
        let (doc, arrival) = (doc.clone(), arrival.clone());
        self.run(move |conn, _| admin::put_arrival(conn, &doc, up_to, &arrival))
            .await
    }

    async fn put_snapshot(
        &self,
        doc: &PatientId,
        snapshot: &Snapshot,
    ) -> Result<(), HubStoreError> {
        let (doc, snapshot) = (doc.clone(), snapshot.clone());
        self.run(move |conn, _| admin::put_snapshot(conn, &doc, &snapshot))
            .await
    }

    async fn check_and_record_nonce(
        &self,
        device: &DeviceId,
        nonce: [u8; 16],
        now: Timestamp,
        window: Duration,
    ) -> Result<bool, HubStoreError> {
        let device = device.clone();
        self.run(move |conn, _| admin::check_and_record_nonce(conn, &device, nonce, now, window))
            .await
    }

    async fn receipts(&self, device: &DeviceId) -> Result<Vec<Receipt>, HubStoreError> {
        let device = device.clone();
        self.run(move |conn, _| admin::receipts(conn, &device))
            .await
    }
}
