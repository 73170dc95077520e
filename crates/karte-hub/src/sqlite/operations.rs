//! Each `HubStore` operation on SQLite: the kind of transaction it runs
//! in (none for one statement, a read snapshot, a write, a feed write) and
//! the rule of `crate::rules` or the row primitive it runs there.

use std::time::Duration;

use karte_types::{DeviceId, PatientId, Timestamp};

#[cfg(feature = "test-hooks")]
use super::naive;
use super::{SqliteHubStore, record_nonce};
use crate::at_rest::Place;
use crate::rules::{self, AccountRows, FeedRows, ShareRows};
use crate::{
    Arrival, AuditHead, AuditUploadIn, CircleEvent, Device, DocRecord, FeedChange, FeedPage,
    HeldAuditEntry, HubStore, HubStoreError, NewDevice, Org, OrgId, PendingShare, PushOutcome,
    PushedDoc, Quarantined, Receipt, ShareOutcome, ShareRules, ShareVerdict, Snapshot, WholePage,
};
use crate::{NewUnlockCode, UnlockCodeHeld};

impl HubStore for SqliteHubStore {
    async fn add_org(&self, org: &Org) -> Result<(), HubStoreError> {
        let org = org.clone();
        self.plain(async move |rows| rules::add_org(rows, &org).await)
            .await
    }

    async fn org(&self, id: &OrgId) -> Result<Option<Org>, HubStoreError> {
        let id = id.clone();
        self.plain(async move |rows| rows.org(&id).await).await
    }

    async fn list_orgs(&self) -> Result<Vec<Org>, HubStoreError> {
        self.plain(async |rows| rows.orgs().await).await
    }

    async fn create_enrolment(
        &self,
        org: &OrgId,
        code_hash: [u8; 32],
        expires_at: Timestamp,
    ) -> Result<(), HubStoreError> {
        let org = org.clone();
        self.write(async move |rows| {
            rules::create_enrolment(rows, &org, code_hash, expires_at).await
        })
        .await
    }

    async fn redeem_enrolment(
        &self,
        code_hash: [u8; 32],
        device: &NewDevice,
        now: Timestamp,
    ) -> Result<Device, HubStoreError> {
        let device = device.clone();
        self.write(async move |rows| rules::redeem_enrolment(rows, code_hash, &device, now).await)
            .await
    }

    async fn device(&self, id: &DeviceId) -> Result<Option<Device>, HubStoreError> {
        let id = id.clone();
        self.plain(async move |rows| rows.device(&id).await).await
    }

    async fn list_devices(&self, org: &OrgId) -> Result<Vec<Device>, HubStoreError> {
        let org = org.clone();
        self.plain(async move |rows| rows.devices(&org).await).await
    }

    async fn revoke(&self, device: &DeviceId, lost: bool) -> Result<(), HubStoreError> {
        let device = device.clone();
        self.write(async move |rows| rules::revoke(rows, &device, lost).await)
            .await
    }

    async fn record_contact(
        &self,
        device: &DeviceId,
        now: Timestamp,
        audit_head: Option<AuditHead>,
    ) -> Result<(), HubStoreError> {
        let device = device.clone();
        self.plain(async move |rows| rules::record_contact(rows, &device, now, audit_head).await)
            .await
    }

    async fn note_served(&self, device: &DeviceId, position: u64) -> Result<(), HubStoreError> {
        let device = device.clone();
        self.plain(async move |rows| rows.note_served(&device, position).await)
            .await
    }

    async fn hand_in(&self, device: &DeviceId, now: Timestamp) -> Result<(), HubStoreError> {
        let device = device.clone();
        self.write(async move |rows| rules::hand_in(rows, &device, now).await)
            .await
    }

    async fn record_quarantine(
        &self,
        device: &DeviceId,
        charts: Vec<(PatientId, String, Timestamp)>,
        now: Timestamp,
    ) -> Result<(), HubStoreError> {
        let device = device.clone();
        self.write(async move |rows| rules::record_quarantine(rows, &device, &charts, now).await)
            .await
    }

    async fn quarantined(&self, org: Option<&OrgId>) -> Result<Vec<Quarantined>, HubStoreError> {
        let org = org.cloned();
        self.plain(async move |rows| rows.quarantined(org.as_ref()).await)
            .await
    }

    async fn store_push(
        &self,
        device: &DeviceId,
        batch: Vec<PushedDoc>,
        now: Timestamp,
    ) -> Result<PushOutcome, HubStoreError> {
        let device = device.clone();
        #[cfg(feature = "test-hooks")]
        if self.inner.config.naive_feed {
            let keys = self.keys();
            return self
                .run(move |conn, config| {
                    naive::store_push(conn, config, &keys, &device, &batch, now)
                })
                .await;
        }
        let keys = self.keys();
        self.write_feed(async move |rows, positions| {
            rules::write_push(rows, &keys, positions, &device, &batch, now).await
        })
        .await
    }

    async fn read_feed(
        &self,
        org: &OrgId,
        after: u64,
        max_bytes: usize,
    ) -> Result<FeedPage, HubStoreError> {
        let org = org.clone();
        let keys = self.keys();
        self.read(async move |rows| rules::read_feed(rows, &keys, &org, after, max_bytes).await)
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
        let keys = self.keys();
        self.read(async move |rows| {
            rules::whole_charts(rows, &keys, &org, &device, head, after.as_ref(), max_bytes).await
        })
        .await
    }

    async fn feed_head(&self) -> Result<u64, HubStoreError> {
        self.plain(async |rows| rows.feed_head().await).await
    }

    async fn feed_identity(&self) -> Result<[u8; 16], HubStoreError> {
        self.plain(async |rows| rows.feed_identity().await).await
    }

    async fn set_feed_identity(&self, identity: [u8; 16]) -> Result<(), HubStoreError> {
        self.plain(async move |rows| rows.set_feed_identity(identity).await)
            .await
    }

    async fn share(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> Result<Option<u64>, HubStoreError> {
        let (doc, org) = (doc.clone(), org.clone());
        self.write_feed(async move |rows, positions| {
            rules::share(rows, positions, &doc, &org, now).await
        })
        .await
    }

    async fn unshare(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> Result<Option<u64>, HubStoreError> {
        let (doc, org) = (doc.clone(), org.clone());
        self.write_feed(async move |rows, positions| {
            rules::unshare(rows, positions, &doc, &org, now).await
        })
        .await
    }

    async fn share_verdict(
        &self,
        org: &OrgId,
        from: &OrgId,
    ) -> Result<ShareVerdict, HubStoreError> {
        let (org, from) = (org.clone(), from.clone());
        self.plain(async move |rows| rules::share_verdict(rows, &org, &from).await)
            .await
    }

    async fn request_share(&self, share: &PendingShare) -> Result<ShareOutcome, HubStoreError> {
        let share = share.clone();
        self.write_feed(async move |rows, positions| {
            rules::request_share(rows, positions, &share).await
        })
        .await
    }

    async fn pending_shares(&self, org: &OrgId) -> Result<Vec<PendingShare>, HubStoreError> {
        let org = org.clone();
        self.plain(async move |rows| rows.pending_for(&org).await)
            .await
    }

    async fn approve_share(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> Result<Option<u64>, HubStoreError> {
        let (doc, org) = (doc.clone(), org.clone());
        self.write_feed(async move |rows, positions| {
            rules::approve_share(rows, positions, &doc, &org, now).await
        })
        .await
    }

    async fn reject_share(&self, doc: &PatientId, org: &OrgId) -> Result<(), HubStoreError> {
        let (doc, org) = (doc.clone(), org.clone());
        self.write(async move |rows| rules::reject_share(rows, &doc, &org).await)
            .await
    }

    async fn accept_shares_from(&self, org: &OrgId, from: &OrgId) -> Result<(), HubStoreError> {
        let (org, from) = (org.clone(), from.clone());
        self.write(async move |rows| rules::accept_shares_from(rows, &org, &from).await)
            .await
    }

    async fn approve_each_share(&self, org: &OrgId, on: bool) -> Result<(), HubStoreError> {
        let org = org.clone();
        self.write(async move |rows| rules::approve_each_share(rows, &org, on).await)
            .await
    }

    async fn share_rules(&self, org: &OrgId) -> Result<ShareRules, HubStoreError> {
        let org = org.clone();
        self.read(async move |rows| rules::share_rules(rows, &org).await)
            .await
    }

    async fn doc(&self, doc: &PatientId) -> Result<Option<DocRecord>, HubStoreError> {
        let doc = doc.clone();
        self.read(async move |rows| rules::doc(rows, &doc).await)
            .await
    }

    async fn doc_changes(
        &self,
        doc: &PatientId,
        after: u64,
    ) -> Result<Vec<FeedChange>, HubStoreError> {
        let doc = doc.clone();
        let keys = self.keys();
        self.read(async move |rows| rules::doc_changes(rows, &keys, &doc, after).await)
            .await
    }

    async fn present_changes(
        &self,
        doc: &PatientId,
        hashes: &[[u8; 32]],
    ) -> Result<Vec<[u8; 32]>, HubStoreError> {
        let (doc, hashes) = (doc.clone(), hashes.to_vec());
        self.plain(async move |rows| rules::present_changes(rows, &doc, &hashes).await)
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
        self.plain(async move |rows| rows.circle_event_after(&doc, &org, event, after).await)
            .await
    }

    async fn snapshot(&self, doc: &PatientId) -> Result<Option<Snapshot>, HubStoreError> {
        let doc = doc.clone();
        let keys = self.keys();
        self.read(async move |rows| rules::snapshot(rows, &keys, &doc).await)
            .await
    }

    async fn put_snapshot(
        &self,
        doc: &PatientId,
        snapshot: &Snapshot,
    ) -> Result<(), HubStoreError> {
        let (doc, snapshot) = (doc.clone(), snapshot.clone());
        let keys = self.keys();
        self.write(async move |rows| rules::put_snapshot(rows, &keys, &doc, &snapshot).await)
            .await
    }

    async fn put_arrival(
        &self,
        doc: &PatientId,
        up_to: u64,
        arrival: &Arrival,
    ) -> Result<(), HubStoreError> {
        let (doc, arrival) = (doc.clone(), arrival.clone());
        let keys = self.keys();
        self.write(async move |rows| rules::put_arrival(rows, &keys, &doc, up_to, &arrival).await)
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
        self.run(move |conn, _| {
            record_nonce(conn, async |rows| {
                rules::check_and_record_nonce(rows, &device, nonce, now, window).await
            })
        })
        .await
    }

    async fn check_audit(
        &self,
        device: &DeviceId,
        upload: Option<&AuditUploadIn>,
        reported: Option<AuditHead>,
    ) -> Result<(), HubStoreError> {
        let (device, upload) = (device.clone(), upload.cloned());
        self.read(async move |rows| {
            rules::audit::check(rows, &device, upload.as_ref(), reported)
                .await
                .map(drop)
        })
        .await
    }

    async fn store_audit(
        &self,
        device: &DeviceId,
        upload: AuditUploadIn,
        reported: Option<AuditHead>,
        now: Timestamp,
    ) -> Result<AuditHead, HubStoreError> {
        let device = device.clone();
        let keys = self.keys();
        self.write(async move |rows| {
            rules::audit::store(rows, &keys, &device, &upload, reported, now).await
        })
        .await
    }

    async fn device_audit(&self, device: &DeviceId) -> Result<Vec<HeldAuditEntry>, HubStoreError> {
        let device = device.clone();
        let keys = self.keys();
        self.read(async move |rows| rules::audit::entries(rows, &keys, &device).await)
            .await
    }

    async fn set_lock_policy(
        &self,
        org: &OrgId,
        lock_after_days: Option<u32>,
    ) -> Result<(), HubStoreError> {
        let org = org.clone();
        self.write(async move |rows| rules::lock::set_policy(rows, &org, lock_after_days).await)
            .await
    }

    async fn lock_policy(&self, org: &OrgId) -> Result<Option<u32>, HubStoreError> {
        let org = org.clone();
        self.plain(async move |rows| rows.lock_policy(&org).await)
            .await
    }

    async fn unlock_codes(&self, device: &DeviceId) -> Result<Vec<UnlockCodeHeld>, HubStoreError> {
        let device = device.clone();
        self.plain(async move |rows| rows.unlock_codes(&device).await)
            .await
    }

    async fn add_unlock_codes(
        &self,
        device: &DeviceId,
        codes: Vec<NewUnlockCode>,
        now: Timestamp,
    ) -> Result<(), HubStoreError> {
        let device = device.clone();
        let keys = self.keys();
        self.write(async move |rows| {
            rules::lock::add_codes(rows, &keys, &device, &codes, now).await
        })
        .await
    }

    async fn issue_unlock_code(
        &self,
        device: &DeviceId,
        now: Timestamp,
    ) -> Result<(u32, String), HubStoreError> {
        let device = device.clone();
        let keys = self.keys();
        self.write(async move |rows| rules::lock::issue_code(rows, &keys, &device, now).await)
            .await
    }

    async fn receipts(&self, device: &DeviceId) -> Result<Vec<Receipt>, HubStoreError> {
        let device = device.clone();
        self.plain(async move |rows| rows.receipts(&device).await)
            .await
    }

    async fn org_trust(
        &self,
        org: &OrgId,
        now: Timestamp,
    ) -> Result<([u8; 32], karte_sync::trust::SignedRevocationList), HubStoreError> {
        let org = org.clone();
        // Read only, unless the list is stale.
        let held_org = org.clone();
        if let Some(held) = self
            .read(async move |rows| rules::trust::held_trust(rows, &held_org).await)
            .await?
        {
            return Ok(held);
        }
        let keys = self.keys();
        self.write(async move |rows| rules::trust::org_trust(rows, &keys, &org, now).await)
            .await
    }

    async fn seal_outside(
        &self,
        org: &OrgId,
        place: &Place<'_>,
        plain: &[u8],
    ) -> Result<Vec<u8>, HubStoreError> {
        let keys = self.keys();
        keys.require_sealed()?;
        if let Some(sealed) = keys.seal_cached(org, place, plain) {
            return sealed;
        }
        let (org, table, row, version) = (
            org.clone(),
            place.table,
            place.row.to_owned(),
            place.version,
        );
        let plain = zeroize::Zeroizing::new(plain.to_vec());
        self.write(async move |rows| {
            let place = Place {
                table,
                row: &row,
                version,
            };
            keys.seal(rows, &org, &place, &plain).await
        })
        .await
    }

    async fn open_outside(
        &self,
        place: &Place<'_>,
        sealed: Vec<u8>,
    ) -> Result<Vec<u8>, HubStoreError> {
        let keys = self.keys();
        keys.require_sealed()?;
        if let Some(plain) = keys.open_cached(place, &sealed) {
            return plain;
        }
        let (table, row, version) = (place.table, place.row.to_owned(), place.version);
        self.read(async move |rows| {
            let place = Place {
                table,
                row: &row,
                version,
            };
            keys.open(rows, &place, sealed).await
        })
        .await
    }

    async fn issue_cert(
        &self,
        device: &DeviceId,
        bundle_key: [u8; 32],
        now: Timestamp,
    ) -> Result<karte_sync::trust::SignedCert, HubStoreError> {
        let device = device.clone();
        let keys = self.keys();
        self.write(async move |rows| {
            rules::trust::issue_cert(rows, &keys, &device, &bundle_key, now).await
        })
        .await
    }

    async fn member_certs(
        &self,
        org: &OrgId,
        after: u64,
    ) -> Result<Vec<karte_sync::trust::SignedCert>, HubStoreError> {
        let org = org.clone();
        self.plain(async move |rows| rules::trust::member_certs(rows, &org, after).await)
            .await
    }
}
