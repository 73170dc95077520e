//! The one trait every part of the hub stores through. `main` picks a backend
//! (SQLite by default, PostgreSQL for many hub processes) once; everything
//! else is generic over `HubStore`.

use std::future::Future;
use std::time::Duration;

use karte_sync::trust::{SignedCert, SignedRevocationList};
use karte_types::{DeviceId, PatientId, Timestamp};

use crate::at_rest::Place;
use crate::{
    Arrival, AuditHead, AuditUploadIn, CircleEvent, Device, DocRecord, FeedChange, FeedPage,
    HeldAuditEntry, HubStoreError, NewDevice, Org, OrgId, PendingShare, PushOutcome, PushedDoc,
    Quarantined, Receipt, ShareOutcome, ShareRules, ShareVerdict, Snapshot, WholePage,
};
use crate::{NewUnlockCode, UnlockCodeHeld};

/// The hub's storage.
///
/// The feed is the heart of it: every stored change and every share or
/// unshare event gets a position, and positions become visible in order, so
/// a reader that has seen position N has seen everything at or below N that
/// its organisation may see.
pub trait HubStore: Send + Sync + 'static {
    /// Adds an organisation.
    fn add_org(&self, org: &Org) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    fn org(&self, id: &OrgId) -> impl Future<Output = Result<Option<Org>, HubStoreError>> + Send;

    fn list_orgs(&self) -> impl Future<Output = Result<Vec<Org>, HubStoreError>> + Send;

    /// Records a one-time enrolment code for `org`; the store keeps only the
    /// SHA-256 of the code.
    fn create_enrolment(
        &self,
        org: &OrgId,
        code_hash: [u8; 32],
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Uses up an enrolment code and enrols `device` into the code's
    /// organisation, atomically: of two devices redeeming one code at once,
    /// exactly one succeeds. A code expires at `expires_at` (inclusive).
    fn redeem_enrolment(
        &self,
        code_hash: [u8; 32],
        device: &NewDevice,
        now: Timestamp,
    ) -> impl Future<Output = Result<Device, HubStoreError>> + Send;

    fn device(
        &self,
        id: &DeviceId,
    ) -> impl Future<Output = Result<Option<Device>, HubStoreError>> + Send;

    /// The devices of `org`, by id.
    fn list_devices(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Vec<Device>, HubStoreError>> + Send;

    /// Revokes a device; `lost` tells it to wipe at once. A device once
    /// reported lost stays lost.
    fn revoke(
        &self,
        device: &DeviceId,
        lost: bool,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Notes that a device was heard from, and the audit chain head it reported.
    fn record_contact(
        &self,
        device: &DeviceId,
        now: Timestamp,
        audit_head: Option<AuditHead>,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Records that `device` was answered with feed position `position`
    /// (kept if higher than any before): from then on it counts as told of
    /// every entry up to there, whatever cursor it sends.
    fn note_served(
        &self,
        device: &DeviceId,
        position: u64,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Ends a retired device's final contact, one that pushed nothing:
    /// every later request of the device is refused (`device_revoked`, also
    /// if it already made its final contact or is not retired).
    fn hand_in(
        &self,
        device: &DeviceId,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Replaces the list of charts `device` keeps in quarantine with
    /// `charts` (each chart, reason and since when by the device's clock),
    /// reported at `now`.
    fn record_quarantine(
        &self,
        device: &DeviceId,
        charts: Vec<(PatientId, String, Timestamp)>,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// The charts devices keep in quarantine, of `org` or of every
    /// organisation, by organisation, device and chart.
    fn quarantined(
        &self,
        org: Option<&OrgId>,
    ) -> impl Future<Output = Result<Vec<Quarantined>, HubStoreError>> + Send;

    /// Stores a whole push atomically: every change of every chart, or
    /// nothing. Changes the hub already has are skipped, so repeating a push
    /// changes nothing. Unknown charts are created, owned by the device's
    /// organisation; a chart outside that organisation's care circles fails
    /// the whole push, unless it was unshared from the organisation after
    /// the last feed position the hub answered the device with (see
    /// [`HubStore::note_served`]). A retired device's push is its final
    /// contact and takes no chart unshared from it; a lost device, or a
    /// retired one after its final contact, pushes nothing
    /// (`device_revoked`). The caller has verified hashes, signatures,
    /// actors and dependencies before.
    fn store_push(
        &self,
        device: &DeviceId,
        batch: Vec<PushedDoc>,
        now: Timestamp,
    ) -> impl Future<Output = Result<PushOutcome, HubStoreError>> + Send;

    /// The feed after position `after` as `org` sees it: changes of charts in
    /// its care circles, and share and unshare events addressed to it. A page
    /// holds about `max_bytes` of changes, at least one entry, and never
    /// splits a change.
    fn read_feed(
        &self,
        org: &OrgId,
        after: u64,
        max_bytes: usize,
    ) -> impl Future<Output = Result<FeedPage, HubStoreError>> + Send;

    /// A page of `device`'s first sync: the charts in `org`'s care circles
    /// with a change at or below `head` (the highest position committed now,
    /// when `None`) not written by `device` alone, in id order after
    /// `after`, with their cached snapshots, about `max_bytes` of snapshots
    /// and at least one chart. Read in one transaction, so the head and the
    /// charts agree.
    fn whole_charts(
        &self,
        org: &OrgId,
        device: &DeviceId,
        head: Option<u64>,
        after: Option<&PatientId>,
        max_bytes: usize,
    ) -> impl Future<Output = Result<WholePage, HubStoreError>> + Send;

    /// The highest feed position committed.
    fn feed_head(&self) -> impl Future<Output = Result<u64, HubStoreError>> + Send;

    /// The feed's identity, sent in every sync answer: random, and new
    /// after `karte-hub restore`, so a device that read positions this
    /// database no longer holds starts over and gives back what it lacks.
    fn feed_identity(&self) -> impl Future<Output = Result<[u8; 16], HubStoreError>> + Send;

    /// Gives the feed a new identity (after a restore).
    fn set_feed_identity(
        &self,
        identity: [u8; 16],
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Shares a chart with an organisation; returns the feed position of the
    /// share event, or `None` if it was shared already.
    fn share(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<u64>, HubStoreError>> + Send;

    /// Stops sharing a chart with an organisation; returns the feed position
    /// of the unshare event, or `None` if it was not shared. The owner cannot
    /// be removed.
    fn unshare(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<u64>, HubStoreError>> + Send;

    /// What `org`'s share rules make of a share asked for by a device of
    /// `from` (the same organisation is always accepted).
    fn share_verdict(
        &self,
        org: &OrgId,
        from: &OrgId,
    ) -> impl Future<Output = Result<ShareVerdict, HubStoreError>> + Send;

    /// A device asks for a chart to be shared with an organisation (the
    /// device and its organisation named in `share`): shared at once,
    /// kept for approval, or refused (`share_not_accepted`) as that
    /// organisation's rules say. Its own organisation must be in the
    /// chart's circle.
    fn request_share(
        &self,
        share: &PendingShare,
    ) -> impl Future<Output = Result<ShareOutcome, HubStoreError>> + Send;

    /// The shares waiting for `org`'s approval, oldest first.
    fn pending_shares(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Vec<PendingShare>, HubStoreError>> + Send;

    /// Approves a waiting share: the chart enters `org`'s care circle. The
    /// feed position of the share event, or `None` if it was in it already.
    fn approve_share(
        &self,
        doc: &PatientId,
        org: &OrgId,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<u64>, HubStoreError>> + Send;

    /// Rejects a waiting share: it is forgotten.
    fn reject_share(
        &self,
        doc: &PatientId,
        org: &OrgId,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// `org` accepts shares from `from` at once from now on.
    fn accept_shares_from(
        &self,
        org: &OrgId,
        from: &OrgId,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Whether `org` approves each share from organisations it does not
    /// accept from; if not, such shares are refused.
    fn approve_each_share(
        &self,
        org: &OrgId,
        on: bool,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    fn share_rules(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<ShareRules, HubStoreError>> + Send;

    fn doc(
        &self,
        doc: &PatientId,
    ) -> impl Future<Output = Result<Option<DocRecord>, HubStoreError>> + Send;

    /// The changes of one chart after feed position `after`, in feed order
    /// (which is causal order): with a snapshot, what rebuilds the chart.
    fn doc_changes(
        &self,
        doc: &PatientId,
        after: u64,
    ) -> impl Future<Output = Result<Vec<FeedChange>, HubStoreError>> + Send;

    /// Which of `hashes` the hub holds for `doc`, for checking a push's
    /// dependencies.
    fn present_changes(
        &self,
        doc: &PatientId,
        hashes: &[[u8; 32]],
    ) -> impl Future<Output = Result<Vec<[u8; 32]>, HubStoreError>> + Send;

    /// Whether `org` was added to (`Shared`) or removed from (`Unshared`)
    /// the care circle of `doc` at a feed position after `after`: news a
    /// device whose cursor is `after` has not yet been told.
    fn circle_event_after(
        &self,
        doc: &PatientId,
        org: &OrgId,
        event: CircleEvent,
        after: u64,
    ) -> impl Future<Output = Result<bool, HubStoreError>> + Send;

    fn snapshot(
        &self,
        doc: &PatientId,
    ) -> impl Future<Output = Result<Option<Snapshot>, HubStoreError>> + Send;

    /// Caches a snapshot of a chart, with its arrival if known; an older one
    /// than the cached (lower `up_to`) is ignored, so racing refreshes never
    /// move the cache back.
    fn put_snapshot(
        &self,
        doc: &PatientId,
        snapshot: &Snapshot,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Records what a device receiving the cached snapshot of `doc` would
    /// do, if that snapshot is still the one of `up_to`.
    fn put_arrival(
        &self,
        doc: &PatientId,
        up_to: u64,
        arrival: &Arrival,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Records a request nonce; `false` if the device used it within
    /// `window` before `now` (a replay). Forgets nonces older than the window.
    fn check_and_record_nonce(
        &self,
        device: &DeviceId,
        nonce: [u8; 16],
        now: Timestamp,
        window: Duration,
    ) -> impl Future<Output = Result<bool, HubStoreError>> + Send;

    /// Checks, storing nothing, that `upload` and `reported` (the head the
    /// device says its audit log has) extend the log held for `device`:
    /// `audit_chain_broken` if they do not.
    fn check_audit(
        &self,
        device: &DeviceId,
        upload: Option<&AuditUploadIn>,
        reported: Option<AuditHead>,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Appends, after the same checks and atomically, the entries of
    /// `upload` the hub does not hold, sealed under the device's
    /// organisation's data key; returns the end of the log held. Entries
    /// held already store nothing.
    fn store_audit(
        &self,
        device: &DeviceId,
        upload: AuditUploadIn,
        reported: Option<AuditHead>,
        now: Timestamp,
    ) -> impl Future<Output = Result<AuditHead, HubStoreError>> + Send;

    /// The audit log held for `device`, oldest first, opened.
    fn device_audit(
        &self,
        device: &DeviceId,
    ) -> impl Future<Output = Result<Vec<HeldAuditEntry>, HubStoreError>> + Send;

    /// Sets (`Some(days)`) or removes `org`'s lock for lost devices.
    fn set_lock_policy(
        &self,
        org: &OrgId,
        lock_after_days: Option<u32>,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// `org`'s lock for lost devices: after how many days without the hub.
    fn lock_policy(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Option<u32>, HubStoreError>> + Send;

    /// The unlock codes made for `device` (their salts and hashes), by number.
    fn unlock_codes(
        &self,
        device: &DeviceId,
    ) -> impl Future<Output = Result<Vec<UnlockCodeHeld>, HubStoreError>> + Send;

    /// Stores new unlock codes of `device`, numbered after its last, each
    /// code sealed under its organisation's data key.
    fn add_unlock_codes(
        &self,
        device: &DeviceId,
        codes: Vec<NewUnlockCode>,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), HubStoreError>> + Send;

    /// Gives out the lowest-numbered code of `device` not given before
    /// (`no_unlock_code` if none is left) and marks it given: no code is
    /// given twice.
    fn issue_unlock_code(
        &self,
        device: &DeviceId,
        now: Timestamp,
    ) -> impl Future<Output = Result<(u32, String), HubStoreError>> + Send;

    /// The receive log of one device, oldest first.
    fn receipts(
        &self,
        device: &DeviceId,
    ) -> impl Future<Output = Result<Vec<Receipt>, HubStoreError>> + Send;

    /// `org`'s signing public key (made when first asked for) and its
    /// revocation list, signed anew with a higher sequence when the set of
    /// revoked devices changed. Needs the master key.
    fn org_trust(
        &self,
        org: &OrgId,
        now: Timestamp,
    ) -> impl Future<Output = Result<([u8; 32], SignedRevocationList), HubStoreError>> + Send;

    /// Seals what the hub keeps outside its database (photos) at `place`
    /// under `org`'s data key, exactly as it seals chart payloads: the
    /// key is made and stored if `org` has none. Needs the master key
    /// (`no_master_key`).
    fn seal_outside(
        &self,
        org: &OrgId,
        place: &Place<'_>,
        plain: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, HubStoreError>> + Send;

    /// Opens what `seal_outside` sealed at `place` (`tampered` if it was
    /// altered or moved). A read: it writes nothing, and an organisation
    /// without a stored key has sealed nothing (`tampered`).
    fn open_outside(
        &self,
        place: &Place<'_>,
        sealed: Vec<u8>,
    ) -> impl Future<Output = Result<Vec<u8>, HubStoreError>> + Send;

    /// A membership cert for the active `device`, naming its enrolled
    /// signing key and `bundle_key`, signed by its organisation's key, valid
    /// a year from `now`. Needs the master key.
    fn issue_cert(
        &self,
        device: &DeviceId,
        bundle_key: [u8; 32],
        now: Timestamp,
    ) -> impl Future<Output = Result<SignedCert, HubStoreError>> + Send;

    /// The latest certs of `org`'s active devices with a serial above
    /// `after`, by serial: what a device lacks to address its peers.
    fn member_certs(
        &self,
        org: &OrgId,
        after: u64,
    ) -> impl Future<Output = Result<Vec<SignedCert>, HubStoreError>> + Send;
}
