//! The vault's side of sync with a hub: the device key and enrolment, the
//! feed cursor and per-chart state, one transaction per page of received
//! data, recovery with the organisation's key, and wiping on the hub's order.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use karte_types::{Consultation, PatientId, PatientSummary, Timestamp};
use rusqlite::Connection;
use zeroize::Zeroizing;

use super::{Vault, VaultOpened, side_file};
use crate::change_log::{self, ChangeSignatureRecord};
use crate::crypto::{KEY_LEN, SecretKey};
use crate::lock::lock_path;
use crate::sync_state::{
    self, DocumentSyncState, DocumentToPush, Enrolment, LastSync, LockPolicy, PendingShare,
    SyncState, write_document,
};
use crate::{
    AuditEvent, QuarantineWrite, QuarantinedChart, StoreError, documents, header, patient_index,
    quarantine, recovery, users,
};

/// A chart as a page of sync leaves it.
#[derive(Debug, Clone)]
pub struct ReceivedDocument {
    pub id: PatientId,
    /// What to append: the changes not yet stored, or the whole chart for
    /// one new to this vault. Empty when the page brought nothing new.
    pub chunk: Vec<u8>,
    pub summary: PatientSummary,
    /// The chart's consultations, for the daily report; `None` for a chart
    /// filed unloaded (the report reads it once).
    pub consultations: Option<Vec<Consultation>>,
    /// Whether the chart now holds changes of this device the hub lacks
    /// (review items its merge recorded, or edits not yet acknowledged).
    pub dirty: bool,
    /// The hub's heads of the chart, when this page shows the hub has
    /// everything this device has of it.
    pub hub_heads: Option<Vec<[u8; 32]>>,
    /// `summary` is the hub's, sent with the chart, which was stored
    /// without being loaded: [`Vault::confirm_index`] checks it later.
    pub index_from_hub: bool,
}

/// Everything one page of sync changes, written in one transaction so that
/// the cursor never moves past data that is not durable.
#[derive(Debug, Clone, Default)]
pub struct SyncPageWrite {
    /// The cursor after this page.
    pub cursor: u64,
    /// The last chart of a first sync under way after this page.
    pub resume_after: Option<PatientId>,
    /// Charts the hub acknowledged, with its heads: nothing of them is left
    /// to push.
    pub acked: Vec<(PatientId, Vec<[u8; 32]>)>,
    /// Charts marked as holding changes that turned out to hold none the
    /// hub lacks.
    pub clean: Vec<PatientId>,
    pub documents: Vec<ReceivedDocument>,
    /// Charts no longer shared with this device's organisation.
    pub removed: Vec<PatientId>,
    /// Shares the hub has taken (accepted, or waiting for approval), no
    /// longer to send.
    pub shares_sent: Vec<PendingShare>,
    /// Unshares the hub has applied, no longer to send.
    pub unshares_sent: Vec<PendingShare>,
    /// Updates of charts this device could not apply, to keep aside.
    pub quarantined: Vec<QuarantineWrite>,
    /// Charts out of quarantine: an update of theirs applied.
    pub lifted: Vec<PatientId>,
    /// The request this page answers told the hub the quarantine list.
    pub quarantine_reported: bool,
    /// The hub now holds the audit log up to this entry.
    pub audit_acked: Option<u64>,
    pub audit: Vec<AuditEvent>,
    /// Signatures of changes this page brought or pushed, per chart, to
    /// keep beside the charts (those kept already are skipped).
    pub signatures: Vec<(PatientId, Vec<ChangeSignatureRecord>)>,
    /// The identity of the hub's feed this page came from, to keep with
    /// the cursor.
    pub feed_id: Option<[u8; 16]>,
    /// The page came from a peer, not the hub: each chart it brought
    /// changes to may hold changes of other devices the hub lacks, so it is
    /// marked to relay (`bundle-relay:<chart>`, as a carried bundle marks
    /// it) and handed on at the next hub sync (the charts come marked
    /// `dirty`). The mark goes once the hub acknowledges the chart, or a
    /// sync finds nothing of it after the hub's heads.
    pub relay: bool,
}

impl SyncPageWrite {
    /// Whether the page holds nothing to write but its cursor.
    fn changes_nothing(&self) -> bool {
        self.acked.is_empty()
            && self.clean.is_empty()
            && self.documents.is_empty()
            && self.removed.is_empty()
            && self.shares_sent.is_empty()
            && self.unshares_sent.is_empty()
            && self.quarantined.is_empty()
            && self.lifted.is_empty()
            && !self.quarantine_reported
            && self.audit_acked.is_none()
            && self.audit.is_empty()
            && self.signatures.iter().all(|(_, kept)| kept.is_empty())
    }
}

impl Vault {
    /// The device's signing key (PKCS#8), if one was made.
    pub fn device_key(&self) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        self.live()?;
        sync_state::device_key(&self.conn, &self.key)
    }

    /// Stores the device's signing key, sealed. A vault has one key for
    /// good: it is made before enrolling, so an enrolment interrupted after
    /// the hub registered the key can be finished with the same key.
    pub fn set_device_key(&mut self, pkcs8: &[u8]) -> Result<(), StoreError> {
        self.transact(None, |conn, key| {
            sync_state::insert_device_key(conn, key, pkcs8)
        })
    }

    pub fn enrolment(&self) -> Result<Option<Enrolment>, StoreError> {
        self.live()?;
        sync_state::enrolment(&self.conn, &self.key)
    }

    /// Records the enrolment, and keeps the data key sealed to the
    /// organisation's recovery key in the header, in one transaction.
    /// `seal_for_recovery` is given the raw data key and returns the sealed
    /// box, or `None` if it cannot seal to the enrolment's key.
    pub fn enrol(
        &mut self,
        enrolment: &Enrolment,
        audit: AuditEvent,
        seal_for_recovery: impl FnOnce(&[u8; KEY_LEN]) -> Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        self.enrol_with_trust(enrolment, audit, seal_for_recovery, &[])
    }

    /// [`Vault::enrol`], also writing `trust` (id and value pairs) to the
    /// trust store in the same transaction.
    pub fn enrol_with_trust(
        &mut self,
        enrolment: &Enrolment,
        audit: AuditEvent,
        seal_for_recovery: impl FnOnce(&[u8; KEY_LEN]) -> Option<Vec<u8>>,
        trust: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        self.live()?;
        let sealed = seal_for_recovery(self.key.expose()).ok_or_else(|| {
            StoreError::invalid(
                "the vault key could not be sealed to the organisation's recovery key: ask the hub administrator to check the organisation's key",
            )
        })?;
        self.transact(Some(audit), |conn, key| {
            sync_state::write_enrolment(conn, key, enrolment)?;
            for (id, value) in trust {
                crate::trust_store::put(conn, key, id, value)?;
            }
            recovery::write(conn, &sealed)
        })
    }

    /// Writes entries of the trust store, in one transaction.
    pub fn put_trust(&mut self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.transact(None, |conn, key| {
            for (id, value) in entries {
                crate::trust_store::put(conn, key, id, value)?;
            }
            Ok(())
        })
    }

    /// Every entry of the trust store, by id.
    pub fn trust_entries(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.live()?;
        crate::trust_store::all(&self.conn, &self.key)
    }

    pub fn sync_state(&self) -> Result<SyncState, StoreError> {
        self.live()?;
        Ok(sync_state::state(&self.conn, &self.key)?.0)
    }

    /// Checks what the hub sent with a chart filed unloaded, its list
    /// entry and heads, against `summary` and `heads`, the chart's own as
    /// loaded here, once: a wrong entry is replaced (under its version,
    /// since the chart did not change), and wrong heads with the chart's,
    /// which the hub holds since it sent them; the chart's consultations,
    /// which the hub does not send, are kept beside the entry. Returns
    /// whether the entry or the heads were wrong.
    pub fn confirm_index(
        &mut self,
        id: &PatientId,
        summary: &PatientSummary,
        consultations: &[Consultation],
        heads: &[[u8; 32]],
    ) -> Result<bool, StoreError> {
        self.transact(None, |conn, key| {
            let (mut state, _) = sync_state::document(conn, key, id)?;
            if !state.index_from_hub {
                return Ok(false);
            }
            let entry = patient_index::entry(conn, key, id)?;
            let wrong_entry = entry.as_ref().map(|(_, stored)| stored) != Some(summary);
            if wrong_entry {
                let version = entry.map_or(0, |(version, _)| version);
                patient_index::put(conn, key, id, summary, Some(consultations), version)?;
            } else {
                patient_index::put_consultations(conn, key, id, consultations)?;
            }
            let sorted = |heads: &[[u8; 32]]| {
                let mut heads = heads.to_vec();
                heads.sort_unstable();
                heads
            };
            let wrong_heads = sorted(&state.hub_heads) != sorted(heads);
            if wrong_heads {
                state.hub_heads = heads.to_vec();
            }
            let wrong = wrong_entry || wrong_heads;
            state.index_from_hub = false;
            write_document(conn, key, id, &state)?;
            Ok(wrong)
        })
    }

    /// What the vault knows of one chart's sync.
    pub fn document_sync_state(&self, id: &PatientId) -> Result<DocumentSyncState, StoreError> {
        self.live()?;
        Ok(sync_state::document(&self.conn, &self.key, id)?.0)
    }

    /// The charts that may hold changes the hub lacks, each with the hub's
    /// heads at its last acknowledgement (none if it never acknowledged).
    pub fn documents_to_push(&self) -> Result<Vec<DocumentToPush>, StoreError> {
        self.live()?;
        let mut cached = self.to_push.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cached.as_ref() {
            return Ok(found.clone());
        }
        let mut out = Vec::new();
        for id in documents::ids(&self.conn)? {
            let (state, _) = sync_state::document(&self.conn, &self.key, &id)?;
            if state.dirty {
                out.push(DocumentToPush {
                    id,
                    hub_heads: state.hub_heads,
                });
            }
        }
        *cached = Some(out.clone());
        Ok(out)
    }

    /// The charts in quarantine, with what was received of each.
    pub fn quarantined(&self) -> Result<Vec<QuarantinedChart>, StoreError> {
        self.live()?;
        quarantine::list(&self.conn, &self.key)
    }

    /// The signatures kept of `document`'s changes, in arrival order: who
    /// wrote each change this vault holds and could prove it.
    pub fn change_signatures(
        &self,
        document: &PatientId,
    ) -> Result<Vec<ChangeSignatureRecord>, StoreError> {
        self.live()?;
        change_log::of_document(&self.conn, &self.key, document)
    }

    /// The ids of the charts in quarantine, without opening anything.
    pub fn quarantined_ids(&self) -> Result<Vec<PatientId>, StoreError> {
        self.live()?;
        quarantine::ids(&self.conn)
    }

    /// Keeps a share to send at the next sync; an unshare of the same chart
    /// with the same organisation not yet sent is dropped (the last wish
    /// stands, as in [`Vault::add_pending_unshare`]).
    pub fn add_pending_share(
        &mut self,
        share: PendingShare,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        self.transact(Some(audit), |conn, key| {
            let (mut state, version) = sync_state::state(conn, key)?;
            state.pending_unshares.retain(|s| *s != share);
            if !state.pending_shares.contains(&share) {
                state.pending_shares.push(share);
            }
            sync_state::write_state(conn, key, &state, version)
        })
    }

    /// Keeps an unshare to send at the next sync; a share of the same chart
    /// with the same organisation not yet sent is dropped.
    pub fn add_pending_unshare(
        &mut self,
        unshare: PendingShare,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        self.transact(Some(audit), |conn, key| {
            let (mut state, version) = sync_state::state(conn, key)?;
            state.pending_shares.retain(|s| *s != unshare);
            if !state.pending_unshares.contains(&unshare) {
                state.pending_unshares.push(unshare);
            }
            sync_state::write_state(conn, key, &state, version)
        })
    }

    /// Withdraws an unshare not yet sent (one the hub refused, say).
    pub fn remove_pending_unshare(
        &mut self,
        unshare: &PendingShare,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        self.transact(Some(audit), |conn, key| {
            let (mut state, version) = sync_state::state(conn, key)?;
            state.pending_unshares.retain(|s| s != unshare);
            sync_state::write_state(conn, key, &state, version)
        })
    }

    /// Withdraws a share not yet sent (one the hub refused, say).
    pub fn remove_pending_share(
        &mut self,
        share: &PendingShare,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        self.transact(Some(audit), |conn, key| {
            let (mut state, version) = sync_state::state(conn, key)?;
            state.pending_shares.retain(|s| s != share);
            sync_state::write_state(conn, key, &state, version)
        })
    }

    /// Records that a sync ran to its end, with the organisation's lock
    /// policy it brought and its audit entry if it moved anything, in one
    /// transaction. A quiet sync writes this small transaction only.
    pub fn record_sync(
        &mut self,
        last: LastSync,
        lock: Option<LockPolicy>,
        audit: Option<AuditEvent>,
    ) -> Result<(), StoreError> {
        self.transact(audit, |conn, key| {
            let (mut state, version) = sync_state::state(conn, key)?;
            state.last_sync = Some(last);
            state.lock = lock;
            sync_state::write_state(conn, key, &state, version)
        })
    }

    /// Records that unlock code `number` opened the vault at `at`, with its
    /// audit entry: the code is used up, and the policy's days start again.
    pub fn record_unlock_code(
        &mut self,
        number: u32,
        at: Timestamp,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        self.transact(Some(audit), |conn, key| {
            let (mut state, version) = sync_state::state(conn, key)?;
            if !state.used_unlock_codes.contains(&number) {
                state.used_unlock_codes.push(number);
            }
            state.unlocked_by_code_at = Some(at);
            sync_state::write_state(conn, key, &state, version)
        })
    }

    /// Writes one page of sync in one transaction: acknowledgements, the
    /// charts received, removals, the accepted shares, the new cursor and
    /// the audit entries. Either all of it is durable or none of it. A page
    /// that changes nothing (a quiet sync) writes nothing.
    pub fn write_sync_page(&mut self, page: SyncPageWrite) -> Result<(), StoreError> {
        if page.changes_nothing() {
            let state = self.sync_state()?;
            if state.cursor == page.cursor
                && state.resume_after == page.resume_after
                && page.feed_id.is_none_or(|feed| state.feed_id == Some(feed))
            {
                return Ok(());
            }
        }
        let SyncPageWrite {
            cursor,
            resume_after,
            acked,
            clean,
            documents,
            removed,
            shares_sent,
            unshares_sent,
            quarantined,
            lifted,
            quarantine_reported,
            audit_acked,
            audit,
            signatures,
            feed_id,
            relay,
        } = page;
        self.transact_audited(audit, |conn, key| {
            for (id, heads) in acked {
                // A chart pushed was loaded to find its changes, which
                // checked any list entry the hub sent with it.
                let state = DocumentSyncState {
                    dirty: false,
                    hub_heads: heads,
                    index_from_hub: false,
                };
                write_document(conn, key, &id, &state)?;
                // The hub holds what a bundle brought of it now.
                crate::app_values::remove(conn, &super::bundles::relay_name(&id))?;
            }
            for id in clean {
                let (mut state, _) = sync_state::document(conn, key, &id)?;
                state.dirty = false;
                write_document(conn, key, &id, &state)?;
                // Nothing of it after the hub's heads: nothing to relay.
                crate::app_values::remove(conn, &super::bundles::relay_name(&id))?;
            }
            for document in documents {
                if relay && !document.chunk.is_empty() {
                    crate::app_values::put(
                        conn,
                        key,
                        &super::bundles::relay_name(&document.id),
                        &[1],
                    )?;
                }
                write_received(conn, key, document)?;
            }
            for (id, records) in &signatures {
                change_log::add(conn, key, id, records)?;
            }
            let mut quarantine_news = false;
            for write in quarantined {
                quarantine_news |= quarantine::add(conn, key, write)?;
            }
            for id in lifted {
                quarantine_news |= quarantine::remove(conn, &id)?;
            }
            for id in removed {
                patient_index::remove(conn, &id)?;
                documents::remove(conn, &id)?;
                sync_state::remove_document(conn, &id)?;
                change_log::remove(conn, &id)?;
                quarantine_news |= quarantine::remove(conn, &id)?;
            }
            let (mut state, version) = sync_state::state(conn, key)?;
            if quarantine_reported {
                state.quarantine_news = false;
            }
            state.quarantine_news |= quarantine_news;
            state.cursor = cursor;
            state.resume_after = resume_after;
            if let Some(acked) = audit_acked {
                state.audit_acked = state.audit_acked.max(acked);
            }
            if feed_id.is_some() {
                state.feed_id = feed_id;
            }
            state.pending_shares.retain(|s| !shares_sent.contains(s));
            state
                .pending_unshares
                .retain(|s| !unshares_sent.contains(s));
            sync_state::write_state(conn, key, &state, version)
        })
    }

    /// The hub's feed is another than the one this vault synced with (the
    /// hub was restored from a backup): the cursor, the feed's identity and
    /// every chart's acknowledged heads are forgotten, every chart is marked
    /// to push, and the vault reconciles ([`SyncState::reconcile`]).
    pub fn start_over(&mut self, event: AuditEvent) -> Result<(), StoreError> {
        self.transact(Some(event), |conn, key| {
            for id in documents::ids(conn)? {
                let (mut state, _) = sync_state::document(conn, key, &id)?;
                state.dirty = true;
                state.hub_heads = Vec::new();
                write_document(conn, key, &id, &state)?;
            }
            let (mut state, version) = sync_state::state(conn, key)?;
            state.cursor = 0;
            state.resume_after = None;
            state.feed_id = None;
            state.reconcile = true;
            // The restored hub may hold less of this device's audit log than
            // it acknowledged: the log goes again from its start, and the
            // hub keeps what it lacks (entries it holds are taken again as
            // they are).
            state.audit_acked = 0;
            sync_state::write_state(conn, key, &state, version)
        })
    }

    /// Ends a reconciliation: every chart was handed back.
    pub fn end_reconcile(&mut self) -> Result<(), StoreError> {
        self.transact(None, |conn, key| {
            let (mut state, version) = sync_state::state(conn, key)?;
            state.reconcile = false;
            sync_state::write_state(conn, key, &state, version)
        })
    }

    /// Destroys the vault on the hub's order: every wrapped copy of the
    /// data key and the device key is overwritten in the file and the log
    /// is checkpointed away, then the files are overwritten with zeros and
    /// deleted, and the key leaves memory. Without a wrapped key the rest of
    /// the file is ciphertext nobody can open, whatever the disk keeps.
    /// Every later call on this vault fails with `Wiped`.
    pub fn wipe(&mut self) -> Result<(), StoreError> {
        self.live()?;
        let path = self.conn.path().map(PathBuf::from);
        let destroyed = destroy_keys(&mut self.conn);
        let closed = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        drop(closed);
        self.key = SecretKey::generate()?;
        self.wiped = true;
        let removed = match &path {
            Some(path) => remove_files(path),
            None => Ok(()),
        };
        destroyed.and(removed)
    }
}

/// Appends a received chart's chunk and sets its sync state.
pub(super) fn write_received(
    conn: &Connection,
    key: &SecretKey,
    document: ReceivedDocument,
) -> Result<(), StoreError> {
    if document.summary.id != document.id {
        return Err(StoreError::invalid(format!(
            "the summary is of patient '{}' but the chunk is for '{}'",
            document.summary.id, document.id
        )));
    }
    let (mut state, _) = sync_state::document(conn, key, &document.id)?;
    if !document.chunk.is_empty() {
        let version = documents::append(conn, key, &document.id, &document.chunk)?;
        patient_index::put(
            conn,
            key,
            &document.id,
            &document.summary,
            document.consultations.as_deref(),
            version,
        )?;
        state.index_from_hub = document.index_from_hub;
    }
    state.dirty = document.dirty;
    if let Some(heads) = document.hub_heads {
        state.hub_heads = heads;
    }
    write_document(conn, key, &document.id, &state)
}

/// Overwrites every wrapped or sealed copy of a key in the file, then
/// checkpoints so the write-ahead log keeps no older page.
fn destroy_keys(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute_batch(
        "UPDATE users SET wrapped_key = zeroblob(length(wrapped_key)), salt = zeroblob(length(salt));
         UPDATE vault_meta SET header = zeroblob(length(header)), recovery_box = NULL;
         UPDATE sync_identity SET device_key = zeroblob(length(device_key)), enrolment = NULL;",
    )?;
    tx.commit()?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Overwrites the vault file with zeros and deletes it and its side files.
fn remove_files(path: &Path) -> Result<(), StoreError> {
    let mut first_error = None;
    if let Err(error) = zero_fill(path) {
        first_error.get_or_insert(error);
    }
    for file in [
        path.to_owned(),
        side_file(path, "-wal"),
        side_file(path, "-shm"),
        lock_path(path),
    ] {
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::NotFound => {}
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error.into()),
        None => Ok(()),
    }
}

fn zero_fill(path: &Path) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).open(path)?;
    let len = file.metadata()?.len();
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

impl VaultOpened {
    /// The data key sealed to the organisation's recovery key, if the
    /// device was ever enrolled.
    pub fn recovery_box(&self) -> Result<Option<Vec<u8>>, StoreError> {
        recovery::read(&self.conn)
    }

    /// Unlocks the vault for `user` with the data key an administrator
    /// opened from [`VaultOpened::recovery_box`] with the organisation's
    /// recovery key. The key is checked against the sealed header; set a
    /// new passphrase next with [`Vault::change_passphrase`].
    pub fn unlock_with_recovered_key(
        self,
        user: &str,
        data_key: Zeroizing<Vec<u8>>,
    ) -> Result<Vault, StoreError> {
        if data_key.len() != KEY_LEN {
            return Err(StoreError::WrongRecoveryKey);
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        bytes.copy_from_slice(&data_key);
        let key = SecretKey::from_bytes(bytes);
        let (header, sealed) =
            header::read(&self.conn, &key, &self.meta).map_err(|_| StoreError::WrongRecoveryKey)?;
        let credentials = users::credentials(&self.conn, user)?;
        let user = users::record(&self.conn, &key, &credentials.id)?;
        // The user's old wrapping is about to be replaced, so only the
        // vault's own parameters are held to the floor.
        self.into_vault(key, user, header, sealed, None)
    }
}
