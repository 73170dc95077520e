//! The hub's storage rules, written once for both backends: who may push to
//! which chart, what a push, a share and an unshare write to the feed, what
//! a device's status allows, when an enrolment code still works, and how a
//! page of the feed or of a first sync is cut.
//!
//! A backend offers only row-level primitives (read a row, insert a row,
//! list the rows of a query) through the traits below, each call inside
//! whatever transaction the backend opened for the operation; it never
//! decides anything. The SQL text stays with each backend. The rules are
//! `async` because PostgreSQL's primitives wait on the network; SQLite's
//! answer at once (rusqlite blocks its own thread), so the SQLite backend
//! runs a rule's future to its end in a single poll.
//!
//! What stays with a backend is the transaction: its isolation, the lock
//! that orders feed writes, where feed positions come from
//! ([`crate::feed::Positions`]), and the test hook's pause before commit.

mod accounts;
pub(crate) mod audit;
mod circle;
pub(crate) mod lock;
mod payload;
mod push;
mod read;
mod sharing;
pub(crate) mod trust;

use std::collections::HashSet;

use karte_types::{DeviceId, PatientId, Timestamp};

use crate::{
    AuditHead, CircleEvent, Device, DeviceStatus, FeedChange, FeedEntry, HubStoreError, NewDevice,
    Org, OrgId, PendingShare, Quarantined, Receipt, StoredChange, UnlockCodeHeld,
};

pub(crate) use accounts::{
    add_org, check_and_record_nonce, create_enrolment, hand_in, record_contact, record_quarantine,
    redeem_enrolment, revoke,
};
pub(crate) use circle::{doc, share, unshare};
pub(crate) use payload::{doc_changes, put_arrival, put_snapshot, snapshot};
pub(crate) use push::write_push;
pub(crate) use read::{present_changes, read_feed, whole_charts};
pub(crate) use sharing::{
    accept_shares_from, approve_each_share, approve_share, reject_share, request_share,
    share_rules, share_verdict,
};

type Result<T> = std::result::Result<T, HubStoreError>;

/// Rows of the feed and of the changes it points to.
pub(crate) trait FeedRows {
    /// The highest feed position committed (0 for an empty feed).
    async fn feed_head(&self) -> Result<u64>;

    /// The feed's identity: random, new when the database is restored from
    /// a backup, so devices learn that positions they read may be gone.
    async fn feed_identity(&self) -> Result<[u8; 16]>;

    /// Gives the feed a new identity.
    async fn set_feed_identity(&self, identity: [u8; 16]) -> Result<()>;

    /// The position and the size in bytes (change and signature; 0 for an
    /// event) of the first `limit` entries `org` may see in `(after, head]`,
    /// in position order: changes of charts in its care circles now, and
    /// events addressed to it.
    async fn visible_sizes(
        &self,
        org: &OrgId,
        after: u64,
        head: u64,
        limit: i64,
    ) -> Result<Vec<(u64, usize)>>;

    /// The entries `org` may see in `(after, up_to]`, in position order.
    async fn visible_entries(&self, org: &OrgId, after: u64, up_to: u64) -> Result<Vec<FeedEntry>>;

    /// The changes of `doc` after position `after`, in feed order.
    async fn doc_changes(&self, doc: &PatientId, after: u64) -> Result<Vec<FeedChange>>;

    /// Which of `hashes` are stored for `doc`, in no particular order.
    async fn stored_hashes(
        &self,
        doc: &PatientId,
        hashes: &[[u8; 32]],
    ) -> Result<HashSet<[u8; 32]>>;

    /// Inserts new changes of `doc`, each with its feed entry at the
    /// position paired with it.
    async fn insert_changes(
        &self,
        doc: &PatientId,
        signer: &DeviceId,
        now: Timestamp,
        changes: &[(u64, &StoredChange)],
    ) -> Result<()>;

    /// Inserts a share or unshare event at `position`.
    async fn insert_circle_event(
        &self,
        position: u64,
        doc: &PatientId,
        org: &OrgId,
        event: CircleEvent,
        now: Timestamp,
    ) -> Result<()>;

    /// Whether `doc` has an `event` for `org` at a position after `after`.
    async fn circle_event_after(
        &self,
        doc: &PatientId,
        org: &OrgId,
        event: CircleEvent,
        after: u64,
    ) -> Result<bool>;

    /// The next `limit` candidates for a first sync of `device` in `org`,
    /// in byte order of chart id after `after`: the charts in `org`'s care
    /// circles with a change at or below `head`, leaving out those whose
    /// every such change `device` wrote.
    async fn whole_candidates(
        &self,
        org: &OrgId,
        device: &DeviceId,
        head: u64,
        after: &str,
        limit: i64,
    ) -> Result<Vec<WholeCandidate>>;
}

/// A chart a first sync may send, before its snapshot is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WholeCandidate {
    pub doc: PatientId,
    /// Its last change at or below the head.
    pub last_change: u64,
    /// The size of its cached snapshot; `None` when none is cached.
    pub snapshot_size: Option<i64>,
}

/// Rows of the charts, their care circles and their cached snapshots.
pub(crate) trait ChartRows {
    /// The chart's owner and when it was created.
    async fn doc_row(&self, doc: &PatientId) -> Result<Option<(OrgId, Timestamp)>>;

    /// Inserts a chart owned by `owner`; `false` if it exists.
    async fn insert_doc(&self, doc: &PatientId, owner: &OrgId, now: Timestamp) -> Result<bool>;

    /// The organisations in the chart's care circle, in byte order of id.
    async fn circle(&self, doc: &PatientId) -> Result<Vec<OrgId>>;

    async fn is_member(&self, doc: &PatientId, org: &OrgId) -> Result<bool>;

    /// Adds `org` to the circle; `false` if it was in it.
    async fn add_member(&self, doc: &PatientId, org: &OrgId) -> Result<bool>;

    /// Removes `org` from the circle; `false` if it was not in it.
    async fn remove_member(&self, doc: &PatientId, org: &OrgId) -> Result<bool>;

    async fn snapshot(&self, doc: &PatientId) -> Result<Option<SnapshotRow>>;

    /// Caches a snapshot of a known chart, unless the cached one is newer
    /// (a higher `up_to`): one conditional statement, so racing writers
    /// never move the cache back.
    async fn write_snapshot(&self, doc: &PatientId, snapshot: &SnapshotRow) -> Result<()>;

    /// Sets the (sealed) arrival of the cached snapshot if it is still the
    /// one of `up_to`.
    async fn write_arrival(&self, doc: &PatientId, up_to: u64, arrival: &str) -> Result<()>;
}

/// A cached snapshot's row: its bytes sealed, and its arrival sealed and
/// written as base64 text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnapshotRow {
    pub bytes: Vec<u8>,
    pub up_to: u64,
    pub arrival: Option<String>,
}

/// An enrolment code's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnrolmentRow {
    pub org: OrgId,
    pub expires_at: Timestamp,
    pub used: bool,
}

/// What decides what a device may do, read under its row's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Standing {
    pub org: OrgId,
    /// The device's enrolled Ed25519 public key.
    pub public_key: Vec<u8>,
    pub status: DeviceStatus,
    /// The highest feed position the hub answered the device with.
    pub served_up_to: u64,
    /// When a retired device first handed in its work, if it did.
    pub handed_in: Option<Timestamp>,
}

/// How long a retired device may go on handing in its own work, page by
/// page, after its first contact since it was retired. A device hands in
/// everything in one sync; the window only bounds a device that would never
/// stop.
pub(crate) const HAND_IN_WINDOW_MS: i64 = 60 * 60 * 1000;

/// Whether a retired device that first handed in at `handed_in` may no
/// longer contact the hub at `now`.
pub(crate) fn hand_in_closed(handed_in: Option<Timestamp>, now: Timestamp) -> bool {
    handed_in.is_some_and(|at| now.0.saturating_sub(at.0) >= HAND_IN_WINDOW_MS)
}

/// Rows of organisations, enrolment codes, devices, nonces and receipts.
pub(crate) trait AccountRows {
    /// Inserts an organisation; `false` if its id exists.
    async fn insert_org(&self, org: &Org) -> Result<bool>;

    async fn org(&self, id: &OrgId) -> Result<Option<Org>>;

    /// Every organisation, by id.
    async fn orgs(&self) -> Result<Vec<Org>>;

    /// Inserts an enrolment code; `false` if its hash exists.
    async fn insert_enrolment(
        &self,
        code_hash: [u8; 32],
        org: &OrgId,
        expires_at: Timestamp,
    ) -> Result<bool>;

    /// The enrolment code's row, which no other transaction may change
    /// until this one ends.
    async fn enrolment_for_update(&self, code_hash: [u8; 32]) -> Result<Option<EnrolmentRow>>;

    async fn mark_enrolment_used(
        &self,
        code_hash: [u8; 32],
        device: &DeviceId,
        now: Timestamp,
    ) -> Result<()>;

    /// Inserts an active device of `org`; `false` if its id exists.
    async fn insert_device(&self, device: &NewDevice, org: &OrgId, now: Timestamp) -> Result<bool>;

    async fn device(&self, id: &DeviceId) -> Result<Option<Device>>;

    /// The devices of `org`, by id.
    async fn devices(&self, org: &OrgId) -> Result<Vec<Device>>;

    /// The device's organisation, status and what it was served, which no
    /// other transaction may change until this one ends.
    async fn device_standing_for_update(&self, id: &DeviceId) -> Result<Option<Standing>>;

    /// Raises the highest feed position the device was answered with to
    /// `position`, if it is higher.
    async fn note_served(&self, id: &DeviceId, position: u64) -> Result<()>;

    /// Notes that a retired device made its final contact.
    async fn mark_handed_in(&self, id: &DeviceId, now: Timestamp) -> Result<()>;

    async fn set_device_status(&self, id: &DeviceId, status: DeviceStatus) -> Result<()>;

    /// Notes when the device was heard from and, if given, its audit head
    /// (else the last one stays); `false` if there is no such device.
    async fn note_contact(
        &self,
        id: &DeviceId,
        now: Timestamp,
        audit_head: Option<AuditHead>,
    ) -> Result<bool>;

    /// Forgets every nonce seen before `cutoff`.
    async fn forget_nonces_before(&self, cutoff: Timestamp) -> Result<()>;

    /// Records a nonce; `false` if the device's nonce is recorded already.
    async fn insert_nonce(
        &self,
        device: &DeviceId,
        nonce: [u8; 16],
        now: Timestamp,
    ) -> Result<bool>;

    async fn insert_receipt(&self, receipt: &Receipt) -> Result<()>;

    /// Forgets the charts `device` reported in quarantine.
    async fn clear_quarantine(&self, device: &DeviceId) -> Result<()>;

    /// Notes a chart `device` reported in quarantine.
    async fn insert_quarantine(
        &self,
        device: &DeviceId,
        doc: &PatientId,
        reason: &str,
        since: Timestamp,
        now: Timestamp,
    ) -> Result<()>;

    /// The charts devices reported in quarantine, of `org` or of all, by
    /// organisation, device and chart.
    async fn quarantined(&self, org: Option<&OrgId>) -> Result<Vec<Quarantined>>;

    /// The device's receipts, oldest first.
    async fn receipts(&self, device: &DeviceId) -> Result<Vec<Receipt>>;

    /// The wrapped data key of `org`, if it has one.
    async fn org_key(&self, org: &OrgId) -> Result<Option<Vec<u8>>>;

    /// Stores the wrapped data key of `org`; `false` if it has one.
    async fn insert_org_key(&self, org: &OrgId, wrapped: &[u8]) -> Result<bool>;

    /// The value only the database's master key opens, once recorded.
    async fn master_check(&self) -> Result<Option<Vec<u8>>>;

    /// Records the master key's check value; `false` if one is recorded.
    async fn insert_master_check(&self, check: &[u8]) -> Result<bool>;

    /// Whether any change or snapshot is stored.
    async fn holds_chart_payloads(&self) -> Result<bool>;

    /// The number and hash of the last audit entry held for `device`.
    async fn audit_held_head(&self, device: &DeviceId) -> Result<Option<AuditHead>>;

    /// The numbers and hashes of the audit entries held for `device` from
    /// `from` to `to`, both included.
    async fn audit_hashes(
        &self,
        device: &DeviceId,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, [u8; 32])>>;

    /// Appends an audit entry of `device`, its bytes sealed.
    async fn insert_audit_entry(
        &self,
        device: &DeviceId,
        seq: u64,
        hash: &[u8; 32],
        sealed: &[u8],
        signature: Option<&[u8]>,
        now: Timestamp,
    ) -> Result<()>;

    /// The audit entries held for `device`, oldest first, sealed.
    async fn audit_entries(&self, device: &DeviceId) -> Result<Vec<AuditRow>>;

    /// Sets (`Some`) or removes `org`'s lock policy.
    async fn set_lock_policy(&self, org: &OrgId, lock_after_days: Option<u32>) -> Result<()>;

    async fn lock_policy(&self, org: &OrgId) -> Result<Option<u32>>;

    /// The unlock codes made for `device`, by number.
    async fn unlock_codes(&self, device: &DeviceId) -> Result<Vec<UnlockCodeHeld>>;

    /// Stores an unlock code of `device`, the code sealed.
    async fn insert_unlock_code(
        &self,
        device: &DeviceId,
        number: u32,
        sealed: &[u8],
        salt: &[u8; 16],
        hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<()>;

    /// The sealed code of `device` number `number`.
    async fn unlock_code_sealed(&self, device: &DeviceId, number: u32) -> Result<Option<Vec<u8>>>;

    async fn mark_unlock_code_issued(
        &self,
        device: &DeviceId,
        number: u32,
        now: Timestamp,
    ) -> Result<()>;

    /// The wrapped seed of `org`'s signing key, if it has one.
    async fn org_signing_key(&self, org: &OrgId) -> Result<Option<Vec<u8>>>;

    /// Stores `org`'s signing key; `false` if it has one.
    async fn insert_org_signing_key(
        &self,
        org: &OrgId,
        public_key: &[u8; 32],
        wrapped: &[u8],
        now: Timestamp,
    ) -> Result<bool>;

    /// The sequence and signed bytes of `issuer`'s newest revocation list.
    async fn revocation_list(&self, issuer: &str) -> Result<Option<(u64, Vec<u8>)>>;

    /// How many of `org`'s devices are revoked, and how many of those were
    /// reported lost.
    async fn revoked_counts(&self, org: &OrgId) -> Result<(u64, u64)>;

    /// Stores `issuer`'s revocation list if its sequence is higher than the
    /// one held; `false` if it is not.
    async fn put_revocation_list(&self, issuer: &str, sequence: u64, signed: &[u8])
    -> Result<bool>;

    /// The highest cert serial given to a device of `org` (0 before the first).
    async fn max_cert_serial(&self, org: &OrgId) -> Result<u64>;

    /// Records `device`'s latest cert, its serial and the bundle key it names.
    async fn set_device_cert(
        &self,
        device: &DeviceId,
        bundle_key: &[u8; 32],
        serial: u64,
        cert: &[u8],
    ) -> Result<()>;

    /// The latest certs of `org`'s active devices with a serial above
    /// `after`, by serial.
    async fn member_certs(&self, org: &OrgId, after: u64) -> Result<Vec<Vec<u8>>>;
}

/// An audit entry's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuditRow {
    pub seq: u64,
    pub hash: [u8; 32],
    pub sealed: Vec<u8>,
    pub signature: Option<Vec<u8>>,
    pub received_at: Timestamp,
}

/// Rows of the rules organisations set for shares into them, and of the
/// shares waiting for approval.
pub(crate) trait ShareRows {
    /// Whether `org` accepts shares from `from` at once.
    async fn accepts_from(&self, org: &OrgId, from: &OrgId) -> Result<bool>;

    /// The organisations `org` accepts shares from, by id.
    async fn accepted_from(&self, org: &OrgId) -> Result<Vec<OrgId>>;

    /// Adds `from` to the organisations `org` accepts shares from.
    async fn insert_accept(&self, org: &OrgId, from: &OrgId) -> Result<()>;

    /// Whether `org` approves each share from the organisations it does not
    /// accept from.
    async fn approves_each(&self, org: &OrgId) -> Result<bool>;

    async fn set_approves_each(&self, org: &OrgId, on: bool) -> Result<()>;

    /// Records a share waiting for approval; `false` if one for the same
    /// chart and organisation waits already.
    async fn insert_pending(&self, share: &PendingShare) -> Result<bool>;

    /// The share of `doc` with `org` waiting for approval, if any.
    async fn pending_share(&self, doc: &PatientId, org: &OrgId) -> Result<Option<PendingShare>>;

    /// The shares waiting for `org`'s approval, oldest first.
    async fn pending_for(&self, org: &OrgId) -> Result<Vec<PendingShare>>;

    async fn delete_pending(&self, doc: &PatientId, org: &OrgId) -> Result<()>;
}

/// Every primitive a rule may need: what a backend's rows offer.
pub(crate) trait Rows: FeedRows + ChartRows + AccountRows + ShareRows {}

impl<R: FeedRows + ChartRows + AccountRows + ShareRows> Rows for R {}
