//! The plain values the hub's storage takes and returns. Change bytes,
//! signatures, keys and snapshots are opaque here: verifying them is the
//! sync layer's work, done before anything reaches the store.

use karte_types::{DeviceId, PatientId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::HubStoreError;

/// An organisation (a home-care station, a clinic, a hospital), named by a
/// ULID the administrator's tool makes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgId(pub String);

impl OrgId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for OrgId {
    fn from(s: &str) -> Self {
        OrgId(s.to_owned())
    }
}

/// An organisation as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    /// The public key that lets the organisation recover its charts when
    /// every device is lost; opaque to the store.
    pub recovery_public_key: Vec<u8>,
}

/// Whether a device may sync, and if not, what it is told to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceStatus {
    Active,
    /// Retired by its organisation: it is told to finish pushing, then wipe.
    Revoked,
    /// Reported lost or stolen: it is told to wipe at once.
    RevokedLost,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Active => "active",
            DeviceStatus::Revoked => "revoked",
            DeviceStatus::RevokedLost => "revoked-lost",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<DeviceStatus, HubStoreError> {
        match text {
            "active" => Ok(DeviceStatus::Active),
            "revoked" => Ok(DeviceStatus::Revoked),
            "revoked-lost" => Ok(DeviceStatus::RevokedLost),
            other => Err(HubStoreError::corrupt(format!("device status '{other}'"))),
        }
    }
}

/// The head of a device's vault audit chain, as it last reported it; a later
/// report with a shorter chain shows that entries were removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuditHead {
    pub seq: u64,
    pub hash: [u8; 32],
}

impl AuditHead {
    /// The head of an empty log.
    pub const EMPTY: AuditHead = AuditHead {
        seq: 0,
        hash: [0; 32],
    };
}

/// Audit entries a device handed in, its signature over the last of them
/// checked: the entries after `after`, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditUploadIn {
    pub after: AuditHead,
    pub entries: Vec<karte_store::AuditRecord>,
    /// The device's signature over the last entry's number and hash
    /// (`karte_sync::audit_signing_message`).
    pub signature: Vec<u8>,
}

/// An unlock code the hub made for a device: its number, the salt and
/// slow hash the device keeps, and when an administrator was given it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockCodeHeld {
    pub number: u32,
    pub salt: [u8; 16],
    pub hash: [u8; 32],
    pub issued_at: Option<Timestamp>,
}

/// A new unlock code: the code itself (sealed at rest), its salt and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUnlockCode {
    pub code: String,
    pub salt: [u8; 16],
    pub hash: [u8; 32],
}

/// One entry of a device's audit log as the hub holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldAuditEntry {
    /// The entry: number, chain hash and the bytes it covers.
    pub record: karte_store::AuditRecord,
    /// The device's signature over this entry's number and hash, on the
    /// last entry of each upload.
    pub signature: Option<Vec<u8>>,
    /// When the hub received it, by its own clock.
    pub received_at: Timestamp,
}

/// What a device brings when it redeems an enrolment code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub id: DeviceId,
    /// The device's Ed25519 public key (32 bytes), opaque to the store.
    pub public_key: Vec<u8>,
    /// The first 16 bytes of every Automerge actor id the device may use.
    pub actor_prefix: [u8; 16],
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub org: OrgId,
    pub public_key: Vec<u8>,
    pub actor_prefix: [u8; 16],
    pub status: DeviceStatus,
    pub enrolled_at: Timestamp,
    pub last_seen: Option<Timestamp>,
    pub audit_head: Option<AuditHead>,
    /// The highest feed position the hub has answered this device with: it
    /// may have been told of everything up to here, whatever cursor it
    /// sends. "Told too late" is judged against this, never against the
    /// device's word.
    pub served_up_to: u64,
    /// When a retired device made its one final contact (its last push);
    /// every request after it is refused.
    pub handed_in_at: Option<Timestamp>,
}

impl Device {
    /// The device's Ed25519 public key; a stored key of another length is
    /// a damaged database.
    pub fn public_key_array(&self) -> Result<[u8; 32], HubStoreError> {
        self.public_key.as_slice().try_into().map_err(|_| {
            HubStoreError::corrupt(format!(
                "device {} has a public key of the wrong length",
                self.id
            ))
        })
    }
}

/// One Automerge change as a device pushed it: the hash the sync layer has
/// checked against the bytes, and its author's signature over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChange {
    pub hash: [u8; 32],
    pub bytes: Vec<u8>,
    pub signature: Vec<u8>,
    /// The device that wrote and signed the change when it is not the
    /// pushing device (a relayed change): stored as the change's signer,
    /// with the pusher as `relayed_by`. `None`: the pusher's own.
    pub author: Option<DeviceId>,
}

/// The changes of one chart in a push, in causal order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedDoc {
    pub doc: PatientId,
    pub changes: Vec<StoredChange>,
}

/// What a push did to one chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocOutcome {
    pub doc: PatientId,
    /// The chart was new to the hub and now belongs to the device's organisation.
    pub created: bool,
    /// The hashes newly stored, in push order.
    pub stored: Vec<[u8; 32]>,
    /// How many pushed changes the hub already had.
    pub skipped: usize,
}

/// What a whole push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOutcome {
    /// One entry per pushed chart, in push order.
    pub docs: Vec<DocOutcome>,
    /// The feed position of the last change stored, if any was new.
    pub last_position: Option<u64>,
}

/// A change in the feed, with who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedChange {
    pub position: u64,
    pub doc: PatientId,
    pub hash: [u8; 32],
    pub bytes: Vec<u8>,
    pub signer: DeviceId,
    pub signature: Vec<u8>,
}

/// One entry of the feed as an organisation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEntry {
    Change(FeedChange),
    /// The chart was shared with the reader's organisation: the reader needs
    /// a snapshot of it, not its history change by change.
    Shared {
        position: u64,
        doc: PatientId,
    },
    /// The chart is no longer shared with the reader's organisation.
    Unshared {
        position: u64,
        doc: PatientId,
    },
}

impl FeedEntry {
    pub fn position(&self) -> u64 {
        match self {
            FeedEntry::Change(change) => change.position,
            FeedEntry::Shared { position, .. } | FeedEntry::Unshared { position, .. } => *position,
        }
    }

    pub fn doc(&self) -> &PatientId {
        match self {
            FeedEntry::Change(change) => &change.doc,
            FeedEntry::Shared { doc, .. } | FeedEntry::Unshared { doc, .. } => doc,
        }
    }
}

/// A change to a chart's care circle, as the feed records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CircleEvent {
    /// An organisation was added to the circle.
    Shared,
    /// An organisation was removed from it.
    Unshared,
}

impl CircleEvent {
    /// The feed's `kind` of the event.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            CircleEvent::Shared => "share",
            CircleEvent::Unshared => "unshare",
        }
    }
}

/// A page of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    pub entries: Vec<FeedEntry>,
    /// Where the reader's next page starts. It may pass positions the reader
    /// cannot see (other organisations' charts), never one it has not been given.
    pub next_cursor: u64,
    /// Another page follows at once.
    pub more: bool,
    /// The highest position committed when the page was read. A reader
    /// whose cursor is beyond it read a feed this hub no longer has (one
    /// restored from a backup).
    pub head: u64,
}

/// A chart as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRecord {
    pub id: PatientId,
    pub owner: OrgId,
    /// Every organisation the chart is shared with, the owner included, sorted.
    pub circle: Vec<OrgId>,
    pub created_at: Timestamp,
}

/// A compacted copy of a chart (Automerge `save()`), holding every change of
/// the chart up to and including feed position `up_to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub bytes: Vec<u8>,
    pub up_to: u64,
    /// What a device receiving these bytes whole would do, once the hub has
    /// worked it out; a new snapshot starts without.
    pub arrival: Option<Arrival>,
}

/// What a device receiving a snapshot whole would do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arrival {
    /// Store the bytes as they came and file this list entry: the device is
    /// sent it and need not load the chart. Boxed: the patient-list entry
    /// (with its orders) is far larger than the other variant.
    Settled(Box<karte_sync::ChartDigest>),
    /// Record review items of its own: the device loads the chart.
    RecordsReviews,
}

/// One chart of a first sync's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeChart {
    pub doc: PatientId,
    /// The chart's last change at or below the page's head: the chart sent
    /// must hold at least the changes up to it.
    pub last_change: u64,
    /// The cached snapshot, which may be older than `last_change`.
    pub snapshot: Option<Snapshot>,
}

/// A page of the charts an organisation may see, in id order, as a device
/// with nothing receives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholePage {
    /// The feed position the page is as of.
    pub head: u64,
    pub charts: Vec<WholeChart>,
    /// More charts follow the last one.
    pub more: bool,
}

/// A chart a device keeps in quarantine: it received the chart but could
/// not apply it, and said so in a sync request. The hub keeps the latest
/// list each device reported, for its administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    pub org: OrgId,
    pub device: DeviceId,
    pub doc: PatientId,
    /// The device's reason, an error code such as `forbidden_change`.
    pub reason: String,
    /// Since when, by the device's clock.
    pub since: Timestamp,
    /// When the hub was told, by its own clock.
    pub reported_at: Timestamp,
}

/// One line of the append-only receive log: what a device sent, and when the
/// hub received it by its own clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub device: DeviceId,
    pub received_at: Timestamp,
    pub docs: Vec<PatientId>,
    /// Changes received, stored or not.
    pub changes: u64,
    /// Of them, the changes that were new.
    pub stored: u64,
    /// Bytes of change data received.
    pub bytes: u64,
}

/// A share into an organisation that waits for its administrator
/// (`karte-hub share approve` or `reject`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingShare {
    pub doc: PatientId,
    /// The organisation the chart would be shared with.
    pub org: OrgId,
    /// The organisation of the device that asked.
    pub from_org: OrgId,
    pub device: DeviceId,
    pub requested_at: Timestamp,
}

/// What an organisation's administrator set for charts other
/// organisations share with it. With no rule, such a share is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShareRules {
    /// Shares from these organisations are accepted at once.
    pub accept_from: Vec<OrgId>,
    /// Shares from any other organisation wait for approval.
    pub approve_each: bool,
}

/// What a rule makes of a share one organisation asks for into another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareVerdict {
    Accept,
    /// Waits for the receiving organisation's administrator.
    Approve,
    Refuse,
}

/// What became of a share a device asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareOutcome {
    /// In the care circle now: the feed position of the share event, or
    /// `None` if it was in it already.
    Shared(Option<u64>),
    /// Waiting for the receiving organisation's administrator.
    Pending,
}
