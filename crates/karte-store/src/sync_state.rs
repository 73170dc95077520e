//! What the vault remembers about sync, every value sealed under the data
//! key: the device's signing key, its enrolment at a hub, its position in
//! the hub's change feed with the shares waiting to be sent, when the last
//! sync ended, and for each
//! chart whether this device has changes the hub lacks and which heads the
//! hub last acknowledged.
//!
//! A chart with no row here counts as never acknowledged and holding
//! changes to push. So a chart written before this table existed is pushed
//! whole, and removing a row (the one change per-row encryption cannot
//! notice) can only make a device push more, never less.

use karte_types::{PatientId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::StoreError;
use crate::crypto::{Aad, SecretKey, open, seal};

pub(crate) const V2: &str = "
CREATE TABLE sync_identity (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    -- Sealed: the device's Ed25519 key pair, PKCS#8.
    device_key BLOB NOT NULL,
    -- A counter, bound into the enrolment's associated data.
    enrolment_version INTEGER NOT NULL,
    -- Sealed: the hub, the organisation and the device's name; NULL until
    -- the hub has accepted the device.
    enrolment BLOB
);
CREATE TABLE sync_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    -- A counter, bound into the state's associated data.
    version INTEGER NOT NULL,
    -- Sealed: the feed cursor and the shares not yet sent.
    state BLOB NOT NULL
);
CREATE TABLE sync_documents (
    -- Plaintext: a random id and a counter.
    document TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    -- Sealed: whether the chart has changes to push, and the hub's heads.
    state BLOB NOT NULL
);
";

/// Where and as what this device is enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// The hub's base URL, e.g. `https://hub.example.jp`.
    pub hub_url: String,
    pub org_id: String,
    pub org_name: String,
    /// The name people know this device by, as given at enrolment.
    pub device_name: String,
    /// The organisation's X25519 recovery public key.
    pub recovery_public_key: [u8; 32],
    pub enrolled_at: Timestamp,
}

/// A request to add an organisation to a chart's care circle, kept until
/// the hub has accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingShare {
    pub patient: PatientId,
    pub org: String,
}

/// The device's place in the hub's feed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// Every feed entry up to here is durable in this vault.
    pub cursor: u64,
    /// During a first sync, the last of the charts sent whole that is
    /// durable here: the hub goes on after it.
    #[serde(default)]
    pub resume_after: Option<PatientId>,
    pub pending_shares: Vec<PendingShare>,
    /// Organisations to remove from charts' care circles at the next sync.
    #[serde(default)]
    pub pending_unshares: Vec<PendingShare>,
    /// The charts in quarantine changed since the hub last answered a
    /// request that told it the list.
    #[serde(default)]
    pub quarantine_news: bool,
    /// The last sync that ran to its end; `None` in a vault that never
    /// finished one (or was made before this was kept).
    #[serde(default)]
    pub last_sync: Option<LastSync>,
    /// The number of the last audit entry the hub holds: the entries after
    /// it go with the next sync.
    #[serde(default)]
    pub audit_acked: u64,
    /// The organisation's lock for lost devices, as the last whole sync
    /// brought it; `None` when it has none.
    #[serde(default)]
    pub lock: Option<LockPolicy>,
    /// The unlock codes already used here: none works twice.
    #[serde(default)]
    pub used_unlock_codes: Vec<u32>,
    /// When an unlock code last opened the vault: like a sync, it starts
    /// the policy's days again.
    #[serde(default)]
    pub unlocked_by_code_at: Option<Timestamp>,
    /// The identity of the hub's feed `cursor` is a position in; `None`
    /// before the first sync (or in a vault made before this was kept).
    #[serde(default)]
    pub feed_id: Option<[u8; 16]>,
    /// The hub was restored from a backup and this vault started over:
    /// until a sync ends with every chart handed back, the device pushes
    /// every change the hub lacks, other devices' too, with their
    /// authors' signatures.
    #[serde(default)]
    pub reconcile: bool,
}

/// An organisation's lock for lost devices, as a device keeps it: a vault
/// that has not reached its hub for `lock_after_days` opens only with an
/// unlock code, of which it holds only slow salted hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockPolicy {
    pub lock_after_days: u32,
    /// Argon2id's memory (KiB), passes and lanes for the hashes.
    pub cost: (u32, u32, u32),
    /// Each code's number, salt and hash.
    pub codes: Vec<(u32, [u8; 16], [u8; 32])>,
}

impl SyncState {
    /// Since when the vault counts its days without the hub: its last whole
    /// sync or its last unlock with a code, whichever came later.
    pub fn last_contact(&self) -> Option<Timestamp> {
        let synced = self.last_sync.map(|last| last.at);
        synced.max(self.unlocked_by_code_at)
    }
}

/// When the last whole sync ended, and what it moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSync {
    pub at: Timestamp,
    pub pushed_changes: usize,
    pub received_changes: usize,
    pub received_charts: usize,
    pub removed_charts: usize,
    pub new_reviews: usize,
}

/// What the vault knows of one chart's sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSyncState {
    /// This device may hold changes to the chart that the hub lacks.
    pub dirty: bool,
    /// The hub's heads of the chart when it last acknowledged a push, or
    /// when this device last received everything the hub had of it.
    pub hub_heads: Vec<[u8; 32]>,
    /// The chart's patient-list entry is the one the hub sent with it, not
    /// yet checked against the chart on this device.
    #[serde(default)]
    pub index_from_hub: bool,
}

/// A chart that may hold changes the hub lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentToPush {
    pub id: PatientId,
    /// The hub's heads at its last acknowledgement; empty if it never
    /// acknowledged the chart.
    pub hub_heads: Vec<[u8; 32]>,
}

impl DocumentSyncState {
    /// A chart the hub has never acknowledged.
    pub const NEVER_SYNCED: DocumentSyncState = DocumentSyncState {
        dirty: true,
        hub_heads: Vec::new(),
        index_from_hub: false,
    };
}

const KEY_AAD: Aad<'static> = Aad {
    table: "sync_identity.device_key",
    row: "1",
    version: 0,
};

fn enrolment_aad(version: u64) -> Aad<'static> {
    Aad {
        table: "sync_identity.enrolment",
        row: "1",
        version,
    }
}

fn state_aad(version: u64) -> Aad<'static> {
    Aad {
        table: "sync_state",
        row: "1",
        version,
    }
}

fn document_aad(id: &PatientId, version: u64) -> Aad<'_> {
    Aad {
        table: "sync_documents",
        row: id.as_str(),
        version,
    }
}

fn sealed_json<T: Serialize>(
    key: &SecretKey,
    aad: &Aad<'_>,
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    let json = Zeroizing::new(serde_json::to_vec(value).expect("sync state always serialises"));
    seal(key, aad, &json)
}

fn opened_json<T: for<'de> Deserialize<'de>>(
    key: &SecretKey,
    aad: &Aad<'_>,
    sealed: &[u8],
    what: &str,
) -> Result<T, StoreError> {
    let plain = Zeroizing::new(open(key, aad, sealed).map_err(|_| StoreError::integrity(what))?);
    serde_json::from_slice(&plain).map_err(|_| StoreError::integrity(what))
}

pub(crate) fn device_key(
    conn: &Connection,
    key: &SecretKey,
) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    let sealed: Option<Vec<u8>> = conn
        .query_row(
            "SELECT device_key FROM sync_identity WHERE singleton = 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    sealed
        .map(|sealed| {
            open(key, &KEY_AAD, &sealed)
                .map(Zeroizing::new)
                .map_err(|_| StoreError::integrity("the device's signing key"))
        })
        .transpose()
}

/// Stores the device's signing key; there is only ever one.
pub(crate) fn insert_device_key(
    conn: &Connection,
    key: &SecretKey,
    pkcs8: &[u8],
) -> Result<(), StoreError> {
    let sealed = seal(key, &KEY_AAD, pkcs8)?;
    let inserted = conn.execute(
        "INSERT INTO sync_identity (singleton, device_key, enrolment_version, enrolment) VALUES (1, ?1, 0, NULL)
         ON CONFLICT (singleton) DO NOTHING",
        params![sealed],
    )?;
    if inserted == 0 {
        return Err(StoreError::invalid(
            "this vault already has a device key: keep using it",
        ));
    }
    Ok(())
}

pub(crate) fn enrolment(
    conn: &Connection,
    key: &SecretKey,
) -> Result<Option<Enrolment>, StoreError> {
    let row: Option<(i64, Option<Vec<u8>>)> = conn
        .query_row(
            "SELECT enrolment_version, enrolment FROM sync_identity WHERE singleton = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        Some((version, Some(sealed))) => Ok(Some(opened_json(
            key,
            &enrolment_aad(version as u64),
            &sealed,
            "the enrolment record",
        )?)),
        _ => Ok(None),
    }
}

/// Records the enrolment; the device key must be stored already.
pub(crate) fn write_enrolment(
    conn: &Connection,
    key: &SecretKey,
    enrolment: &Enrolment,
) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row(
            "SELECT enrolment_version FROM sync_identity WHERE singleton = 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::invalid("make the device key before enrolling"))?;
    let version = version as u64 + 1;
    let sealed = sealed_json(key, &enrolment_aad(version), enrolment)?;
    conn.execute(
        "UPDATE sync_identity SET enrolment_version = ?1, enrolment = ?2 WHERE singleton = 1",
        params![version as i64, sealed],
    )?;
    Ok(())
}

pub(crate) fn state(conn: &Connection, key: &SecretKey) -> Result<(SyncState, u64), StoreError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT version, state FROM sync_state WHERE singleton = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok((SyncState::default(), 0)),
        Some((version, sealed)) => {
            let version = version as u64;
            let state = opened_json(key, &state_aad(version), &sealed, "the sync state")?;
            Ok((state, version))
        }
    }
}

/// Writes the state as the version after `previous`.
pub(crate) fn write_state(
    conn: &Connection,
    key: &SecretKey,
    state: &SyncState,
    previous: u64,
) -> Result<(), StoreError> {
    let version = previous + 1;
    let sealed = sealed_json(key, &state_aad(version), state)?;
    conn.prepare_cached(
        "INSERT INTO sync_state (singleton, version, state) VALUES (1, ?1, ?2)
         ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, state = excluded.state",
    )?
    .execute(params![version as i64, sealed])?;
    Ok(())
}

/// A chart's sync state and the version of its row (0 when there is none).
pub(crate) fn document(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
) -> Result<(DocumentSyncState, u64), StoreError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT version, state FROM sync_documents WHERE document = ?1")?
        .query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok((DocumentSyncState::NEVER_SYNCED, 0)),
        Some((version, sealed)) => {
            let version = version as u64;
            let what = format!("the sync state of chart {id}");
            let state = opened_json(key, &document_aad(id, version), &sealed, &what)?;
            Ok((state, version))
        }
    }
}

pub(crate) fn write_document(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
    state: &DocumentSyncState,
) -> Result<(), StoreError> {
    let (_, previous) = document(conn, key, id)?;
    let version = previous + 1;
    let sealed = sealed_json(key, &document_aad(id, version), state)?;
    conn.prepare_cached(
        "INSERT INTO sync_documents (document, version, state) VALUES (?1, ?2, ?3)
         ON CONFLICT (document) DO UPDATE SET version = excluded.version, state = excluded.state",
    )?
    .execute(params![id.as_str(), version as i64, sealed])?;
    Ok(())
}

/// Marks a chart as holding changes the hub lacks, keeping its hub heads.
pub(crate) fn mark_dirty(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
) -> Result<(), StoreError> {
    let (mut state, version) = document(conn, key, id)?;
    if state.dirty && version > 0 {
        return Ok(());
    }
    state.dirty = true;
    write_document(conn, key, id, &state)
}

pub(crate) fn remove_document(conn: &Connection, id: &PatientId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM sync_documents WHERE document = ?1")?
        .execute([id.as_str()])?;
    Ok(())
}
