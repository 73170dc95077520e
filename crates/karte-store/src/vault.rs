//! The vault: one SQLite file holding a device's charts, patient index, users
//! and audit log, every value that could hold patient data sealed under one
//! data key.
//!
//! `Vault::open` takes the process lock and reads only what is plaintext
//! (the device id and login names); `VaultOpened::unlock` derives the user's
//! key, unwraps the data key and yields a `Vault`. Every write is one SQLite
//! transaction, committed before the method returns.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use karte_types::{Consultation, DeviceId, PatientId, PatientSummary, Timestamp, UserId};
use rusqlite::{Connection, TransactionBehavior};

use crate::audit::{self, AuditEntry, AuditEvent, AuditHead};
use crate::crypto::SecretKey;
use crate::crypto::kdf::KdfParams;
use crate::header::{self, VaultHeader, VaultMeta};
use crate::lock::{ProcessLock, lock_path};
use crate::patient_index::IndexedConsultations;
use crate::sync_state::DocumentToPush;
use crate::users::{self, Role, UserRecord};
use crate::{StoreError, documents, patient_index, schema, sync_state};

mod attachments;
mod bundles;
mod peers;
mod sync;
mod teams;
mod values;

pub use bundles::BundleImportWrite;
pub use sync::{ReceivedDocument, SyncPageWrite};

/// A vault whose file is open and held by this process, not yet unlocked.
#[derive(Debug)]
pub struct VaultOpened {
    // Fields drop in order: the connection closes before the lock is let go.
    conn: Connection,
    meta: VaultMeta,
    users: Vec<String>,
    _lock: ProcessLock,
}

/// An unlocked vault.
#[derive(Debug)]
pub struct Vault {
    // Fields drop in order: the connection closes before the lock is let go,
    // and the key is wiped on drop.
    conn: Connection,
    key: SecretKey,
    meta: VaultMeta,
    user: UserRecord,
    header: VaultHeader,
    /// Set once the vault's files are destroyed: every later call fails.
    wiped: bool,
    /// What `documents_to_push` found, kept until the next write: this
    /// process alone writes the vault, and a quiet sync should not decrypt
    /// the sync state of every chart.
    to_push: std::sync::Mutex<Option<Vec<DocumentToPush>>>,
    _lock: ProcessLock,
}

impl Vault {
    /// Creates a new vault file (an error if one exists) with a random
    /// 256-bit data key, a first user (an administrator) whose passphrase
    /// wraps it, and the device id. Ids are made by the caller.
    pub fn create(
        path: &Path,
        first_user: &str,
        passphrase: &[u8],
        kdf: KdfParams,
        user_id: UserId,
        device_id: DeviceId,
        now: Timestamp,
    ) -> Result<Vault, StoreError> {
        let name = users::clean_name(first_user)?;
        users::check_passphrase(passphrase)?;
        if let Some(problem) = kdf.problem() {
            return Err(StoreError::invalid(format!(
                "key-derivation parameters: {problem}"
            )));
        }
        if let Some(problem) = kdf.below_floor() {
            let floor = KdfParams::FLOOR;
            return Err(StoreError::invalid(format!(
                "key-derivation parameters below the minimum ({problem}): use at least {} KiB and {} iterations, or leave them at the default",
                floor.memory_kib, floor.iterations
            )));
        }
        if user_id.as_str().is_empty() || device_id.as_str().is_empty() {
            return Err(StoreError::invalid("user and device ids must not be empty"));
        }
        if fs::symlink_metadata(path).is_ok() {
            return Err(StoreError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        let lock = ProcessLock::acquire(path)?;
        let user = UserRecord {
            id: user_id,
            name: name.to_owned(),
            role: Role::Admin,
        };
        let meta = VaultMeta {
            device: device_id,
            kdf,
        };
        let header = VaultHeader {
            created_at: now,
            audit: AuditHead::EMPTY,
            kdf,
            version: 1,
        };
        let made = schema::create_file(path).and_then(|mut conn| {
            let key = initialise(&mut conn, &meta, &header, &user, passphrase)?;
            Ok((conn, key))
        });
        match made {
            Ok((conn, key)) => Ok(Vault {
                conn,
                key,
                meta,
                user,
                header,
                wiped: false,
                to_push: Default::default(),
                _lock: lock,
            }),
            // Someone else's file: leave it as it is.
            Err(error @ StoreError::AlreadyExists { .. }) => Err(error),
            Err(error) => {
                // Nothing was committed; leave no empty file that would later
                // be reported as "not a vault". The connection is closed by
                // now, so the WAL and shared-memory files can go too.
                for leftover in [
                    path.to_owned(),
                    side_file(path, "-wal"),
                    side_file(path, "-shm"),
                ] {
                    let _ = fs::remove_file(leftover);
                }
                drop(lock);
                let _ = fs::remove_file(lock_path(path));
                Err(error)
            }
        }
    }

    /// Opens the vault at `path` and takes the process lock: `InUse` if
    /// another process holds it; `NoVault`, `NotAVault` or `Corrupt` for a
    /// missing or bad file.
    pub fn open(path: &Path) -> Result<VaultOpened, StoreError> {
        // A mistyped path should not leave a lock file behind.
        if let Err(error) = fs::metadata(path) {
            return Err(if error.kind() == ErrorKind::NotFound {
                StoreError::NoVault {
                    path: path.to_owned(),
                }
            } else {
                error.into()
            });
        }
        let lock = ProcessLock::acquire(path)?;
        let conn = schema::open_file(path)?;
        let meta = header::read_meta(&conn)?;
        let users = users::names(&conn)?;
        Ok(VaultOpened {
            conn,
            meta,
            users,
            _lock: lock,
        })
    }
}

fn side_file(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Fills a new vault in one transaction and returns its data key.
fn initialise(
    conn: &mut Connection,
    meta: &VaultMeta,
    header: &VaultHeader,
    user: &UserRecord,
    passphrase: &[u8],
) -> Result<SecretKey, StoreError> {
    let key = SecretKey::generate()?;
    let tx = schema::begin_new(conn)?;
    header::insert(&tx, &key, meta, header)?;
    users::insert(&tx, &key, user, passphrase, meta.kdf)?;
    tx.commit()?;
    Ok(key)
}

impl VaultOpened {
    /// The login names, for the unlock screen.
    pub fn users(&self) -> Vec<String> {
        self.users.clone()
    }

    pub fn device_id(&self) -> &DeviceId {
        &self.meta.device
    }

    /// Unlocks the vault for `user`: `UnknownUser` or `WrongPassphrase` if
    /// that fails (open the vault again to retry).
    pub fn unlock(self, user: &str, passphrase: &[u8]) -> Result<Vault, StoreError> {
        let credentials = users::credentials(&self.conn, user)?;
        let key = users::unwrap_key(&credentials, passphrase)?;
        let user = users::record(&self.conn, &key, &credentials.id)?;
        let (header, sealed) = header::read(&self.conn, &key, &self.meta)?;
        self.into_vault(key, user, header, sealed, Some(credentials.kdf))
    }

    /// The unlocked vault, once its key-derivation parameters are admitted:
    /// the sealed ones are the authority and the plaintext copy must match
    /// them (an edited copy would make new passphrases cheap to guess); they
    /// and the unlocking user's must be at least [`KdfParams::FLOOR`],
    /// unless the vault was sealed as a test vault. A vault from before the
    /// parameters were sealed is held to the floor without exception, and
    /// its next header write seals them.
    fn into_vault(
        self,
        key: SecretKey,
        user: UserRecord,
        header: VaultHeader,
        sealed: bool,
        user_kdf: Option<KdfParams>,
    ) -> Result<Vault, StoreError> {
        if sealed && !header.kdf.same_cost(&self.meta.kdf) {
            return Err(StoreError::integrity(
                "the vault header's key-derivation parameters (the plaintext copy differs from the sealed one)",
            ));
        }
        if let Some(problem) = header.kdf.problem() {
            return Err(StoreError::corrupt(format!(
                "the vault header's key-derivation parameters: {problem}"
            )));
        }
        let too_cheap = header.kdf.below_floor().or_else(|| {
            let user_kdf = user_kdf.filter(|_| !header.kdf.is_for_tests())?;
            let problem = user_kdf.below_floor()?;
            Some(format!("{}'s passphrase: {problem}", user.name))
        });
        if let Some(detail) = too_cheap {
            return Err(StoreError::WeakKeyDerivation { detail });
        }
        Ok(Vault {
            conn: self.conn,
            key,
            meta: VaultMeta {
                kdf: header.kdf,
                ..self.meta
            },
            user,
            header,
            wiped: false,
            to_push: Default::default(),
            _lock: self._lock,
        })
    }
}

impl Vault {
    pub fn device_id(&self) -> &DeviceId {
        &self.meta.device
    }

    /// The unlocked user.
    pub fn user(&self) -> &UserRecord {
        &self.user
    }

    pub fn created_at(&self) -> Timestamp {
        self.header.created_at
    }

    /// The end of the audit chain, to report to the hub.
    pub fn audit_head(&self) -> AuditHead {
        self.header.audit
    }

    pub fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        self.live()?;
        users::all(&self.conn, &self.key)
    }

    /// Adds a user who may unlock this vault with `passphrase`. Only an
    /// administrator may; names are unique.
    pub fn add_user(
        &mut self,
        name: &str,
        role: Role,
        passphrase: &[u8],
        id: UserId,
    ) -> Result<(), StoreError> {
        if self.user.role != Role::Admin {
            return Err(StoreError::NotPermitted {
                action: "add users".into(),
            });
        }
        let user = UserRecord {
            id,
            name: users::clean_name(name)?.to_owned(),
            role,
        };
        let kdf = self.meta.kdf;
        self.transact(None, |conn, key| {
            users::insert(conn, key, &user, passphrase, kdf)
        })
    }

    /// Rewraps the data key under a new passphrase for the current user. No
    /// data is re-encrypted.
    pub fn change_passphrase(&mut self, new_passphrase: &[u8]) -> Result<(), StoreError> {
        let (id, kdf) = (self.user.id.clone(), self.meta.kdf);
        self.transact(None, |conn, key| {
            users::rewrap(conn, key, &id, new_passphrase, kdf)
        })
    }

    pub fn document_ids(&self) -> Result<Vec<PatientId>, StoreError> {
        self.live()?;
        documents::ids(&self.conn)
    }

    /// The decrypted chunks of a document in order, the snapshot (if it was
    /// ever compacted) first.
    pub fn load_document(&self, id: &PatientId) -> Result<Vec<Vec<u8>>, StoreError> {
        self.live()?;
        documents::load(&self.conn, &self.key, id)
    }

    /// In one transaction: appends an encrypted chunk to the document
    /// (creating it on its first chunk), writes its encrypted index entry,
    /// marks the document as holding changes to sync, and appends the audit
    /// entry. Durable when it returns.
    pub fn append_document(
        &mut self,
        id: &PatientId,
        chunk: &[u8],
        summary: &PatientSummary,
        consultations: &[Consultation],
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        if id.as_str().is_empty() || summary.id != *id {
            return Err(StoreError::invalid(format!(
                "the summary is of patient '{}' but the chunk is for '{id}'",
                summary.id
            )));
        }
        self.transact(Some(audit), |conn, key| {
            let version = documents::append(conn, key, id, chunk)?;
            patient_index::put(conn, key, id, summary, Some(consultations), version)?;
            sync_state::mark_dirty(conn, key, id)
        })
    }

    /// Replaces a document's snapshot and chunks with one snapshot, in one
    /// transaction.
    pub fn compact_document(&mut self, id: &PatientId, snapshot: &[u8]) -> Result<(), StoreError> {
        self.transact(None, |conn, key| {
            documents::compact(conn, key, id, snapshot)
        })
    }

    /// Every patient's summary, in order of patient id.
    pub fn patient_index(&self) -> Result<Vec<PatientSummary>, StoreError> {
        self.live()?;
        patient_index::all(&self.conn, &self.key)
    }

    /// Every chart's consultations as kept beside its index entry, in
    /// order of patient id: `None` where they are not known here (see
    /// [`Vault::keep_consultations`]).
    pub fn indexed_consultations(&self) -> Result<Vec<IndexedConsultations>, StoreError> {
        self.live()?;
        patient_index::all_consultations(&self.conn, &self.key)
    }

    /// Keeps the consultations of charts whose index had none, read from
    /// the charts as they stand, in one transaction: a vault from before
    /// format 8 and a chart filed unloaded are read once, not at every
    /// report.
    pub fn keep_consultations(
        &mut self,
        charts: &[(PatientId, Vec<Consultation>)],
    ) -> Result<(), StoreError> {
        if charts.is_empty() {
            return Ok(());
        }
        self.transact(None, |conn, key| {
            for (id, consultations) in charts {
                patient_index::put_consultations(conn, key, id, consultations)?;
            }
            Ok(())
        })
    }

    /// Records an event that changes no chart: a chart opened, an export.
    pub fn record_audit(&mut self, event: AuditEvent) -> Result<(), StoreError> {
        self.transact(Some(event), |_, _| Ok(()))
    }

    /// The whole audit log, verified: each entry, the chain, and its end
    /// against the head kept in the header.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.live()?;
        audit::verified_log(&self.conn, &self.key, &self.header.audit)
    }

    /// The entries after number `after`, at most `limit`, checked, with the
    /// bytes their hashes cover: what the hub has not acknowledged yet.
    pub fn audit_records_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<audit::AuditRecord>, StoreError> {
        self.live()?;
        audit::records_after(&self.conn, &self.key, &self.header.audit, after, limit)
    }

    /// Locks the vault: the key is wiped and the process lock released.
    pub fn lock(self) {
        drop(self);
    }

    /// Fails once the vault has been wiped.
    fn live(&self) -> Result<(), StoreError> {
        if self.wiped {
            Err(StoreError::Wiped)
        } else {
            Ok(())
        }
    }

    /// Runs `work` and, if given, appends the audit entry, in one committed
    /// transaction. The cached header changes only once the commit succeeded.
    fn transact<T>(
        &mut self,
        event: Option<AuditEvent>,
        work: impl FnOnce(&Connection, &SecretKey) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transact_audited(event.into_iter().collect(), work)
    }

    /// Runs `work` and appends the audit entries, in one committed
    /// transaction.
    fn transact_audited<T>(
        &mut self,
        events: Vec<AuditEvent>,
        work: impl FnOnce(&Connection, &SecretKey) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.live()?;
        *self.to_push.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx, &self.key)?;
        let mut head = self.header.audit;
        for event in events {
            head = audit::append(&tx, &self.key, &head, &self.user, &self.meta.device, event)?;
        }
        let header = if head == self.header.audit {
            None
        } else {
            let header = VaultHeader {
                audit: head,
                ..self.header
            };
            Some(header::write(&tx, &self.key, &self.meta.device, &header)?)
        };
        tx.commit()?;
        if let Some(header) = header {
            self.header = header;
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;
    use crate::AuditAction;
    use crate::crypto::{Aad, seal};

    fn vault(dir: &tempfile::TempDir) -> Vault {
        Vault::create(
            &dir.path().join("v.karte"),
            "admin",
            b"pass",
            KdfParams::insecure_fast_for_tests(),
            UserId::from("U1"),
            DeviceId::from("D1"),
            Timestamp(1_764_000_000_000),
        )
        .unwrap()
    }

    fn event(detail: &str) -> AuditEvent {
        AuditEvent {
            at: Timestamp(1_764_000_000_000),
            action: AuditAction::ChartOpen,
            patient: None,
            detail: detail.into(),
        }
    }

    impl Vault {
        /// Rewrites audit entry `seq` as a forger holding the data key would:
        /// a changed detail, sealed correctly, with the stored hash either
        /// kept or recomputed over the forged entry.
        fn forge_audit_entry(&self, seq: u64, recompute_hash: bool) {
            let row = seq.to_string();
            let aad = Aad {
                table: "audit_log",
                row: &row,
                version: 0,
            };
            let plain = self.audit_row_plaintext(seq);
            let (hash, body) = plain.split_at(32);
            let mut body: serde_json::Value = serde_json::from_slice(body).unwrap();
            body["event"]["detail"] = "nothing to see here".into();
            let body = serde_json::to_vec(&body).unwrap();
            let hash = if recompute_hash {
                let previous: [u8; 32] = if seq == 1 {
                    [0; 32]
                } else {
                    self.audit_row_plaintext(seq - 1)[..32].try_into().unwrap()
                };
                crate::crypto::sha256(&[b"karte/audit/v1", &previous, &body]).to_vec()
            } else {
                hash.to_vec()
            };
            let forged = seal(&self.key, &aad, &[hash, body].concat()).unwrap();
            self.conn
                .execute(
                    "UPDATE audit_log SET entry = ?1 WHERE seq = ?2",
                    params![forged, seq as i64],
                )
                .unwrap();
        }

        /// Audit entry `seq` decrypted: its stored hash, then its JSON.
        fn audit_row_plaintext(&self, seq: u64) -> Vec<u8> {
            let sealed: Vec<u8> = self
                .conn
                .query_row(
                    "SELECT entry FROM audit_log WHERE seq = ?1",
                    [seq as i64],
                    |r| r.get(0),
                )
                .unwrap();
            let row = seq.to_string();
            let aad = Aad {
                table: "audit_log",
                row: &row,
                version: 0,
            };
            crate::crypto::open(&self.key, &aad, &sealed)
                .unwrap()
                .to_vec()
        }
    }

    #[test]
    fn connections_run_with_wal_full_sync_memory_temp_and_secure_delete() {
        let dir = tempfile::tempdir().unwrap();
        let vault = vault(&dir);
        let pragma = |name: &str| -> String {
            vault
                .conn
                .pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), r#"Text("wal")"#);
        // 2 = FULL, 2 = MEMORY, 1 = ON.
        assert_eq!(pragma("synchronous"), "Integer(2)");
        assert_eq!(pragma("temp_store"), "Integer(2)");
        assert_eq!(pragma("secure_delete"), "Integer(1)");
        let path = dir.path().join("v.karte");
        vault.lock();
        let reopened = Vault::open(&path)
            .unwrap()
            .unlock("admin", b"pass")
            .unwrap();
        let synchronous: i64 = reopened
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 2);
    }

    #[test]
    fn a_forged_entry_sealed_with_the_real_key_breaks_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = vault(&dir);
        for i in 0..4 {
            vault.record_audit(event(&format!("opened {i}"))).unwrap();
        }
        assert_eq!(vault.audit_log().unwrap().len(), 4);
        vault.forge_audit_entry(2, false);
        assert!(matches!(
            vault.audit_log(),
            Err(StoreError::AuditTampered { seq: 2 })
        ));
        // A forger who also recomputes the entry's hash breaks the next link.
        vault.forge_audit_entry(2, true);
        assert!(matches!(
            vault.audit_log(),
            Err(StoreError::AuditTampered { seq: 3 })
        ));
    }

    #[test]
    fn a_forged_last_entry_is_caught_by_the_head_in_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = vault(&dir);
        for i in 0..3 {
            vault.record_audit(event(&format!("opened {i}"))).unwrap();
        }
        vault.forge_audit_entry(3, true);
        assert!(matches!(
            vault.audit_log(),
            Err(StoreError::AuditTampered { seq: 3 })
        ));
    }

    #[test]
    fn the_index_of_ten_thousand_patients_opens_quickly() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = vault(&dir);
        let summary = |id: &PatientId| PatientSummary {
            id: id.clone(),
            family: "山田".into(),
            given: "太郎".into(),
            family_kana: "ヤマダ".into(),
            given_kana: "タロウ".into(),
            birth: karte_types::Date::from_ymd(1941, 3, 2).unwrap(),
            sex: karte_types::Sex::Male,
            care_level: Some(karte_types::CareLevel::Care2),
            last_visit: Some(Timestamp(1_764_000_000_000)),
            open_reviews: 1,
            orders: Default::default(),
            triage: None,
        };
        // One transaction, so the set-up does not pay for 10,000 commits.
        vault
            .transact(None, |conn, key| {
                for i in 0..10_000 {
                    let id = PatientId(format!("01JPATIENT{i:016}"));
                    let version = documents::append(conn, key, &id, b"chart")?;
                    patient_index::put(conn, key, &id, &summary(&id), None, version)?;
                }
                Ok(())
            })
            .unwrap();
        let started = std::time::Instant::now();
        let index = vault.patient_index().unwrap();
        let elapsed = started.elapsed();
        assert_eq!(index.len(), 10_000);
        assert_eq!(
            index[42],
            summary(&PatientId(format!("01JPATIENT{:016}", 42)))
        );
        // Well under 100 ms in a release build; this bound, for unoptimised
        // test builds on a busy machine, catches only gross regressions.
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
        assert_eq!(
            vault.load_document(&index[9_999].id).unwrap(),
            vec![b"chart".to_vec()]
        );
    }

    /// Writes the plaintext copy of the vault's parameters, as anyone who
    /// can write the file could.
    fn edit_plaintext_parameters(path: &Path, kdf: KdfParams) {
        Connection::open(path)
            .unwrap()
            .execute(
                "UPDATE vault_meta SET kdf_memory_kib = ?1, kdf_iterations = ?2, kdf_parallelism = ?3",
                params![kdf.memory_kib, kdf.iterations, kdf.parallelism],
            )
            .unwrap();
    }

    #[test]
    fn a_vault_sealed_before_its_parameters_were_is_held_to_the_floor_and_sealed_on_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.karte");
        let unlock = || Vault::open(&path).unwrap().unlock("admin", b"pass");
        let vault = Vault::create(
            &path,
            "admin",
            b"pass",
            KdfParams::FLOOR,
            UserId::from("U1"),
            DeviceId::from("D1"),
            Timestamp(1_764_000_000_000),
        )
        .unwrap();
        header::write_legacy(&vault.conn, &vault.key, &vault.meta.device, &vault.header);
        vault.lock();

        // Nothing sealed vouches for the plaintext parameters, so lowered
        // ones are refused, even to the tests' numbers: no legacy vault is a
        // test vault.
        edit_plaintext_parameters(&path, KdfParams::insecure_fast_for_tests());
        let error = unlock().unwrap_err();
        assert!(
            matches!(error, StoreError::WeakKeyDerivation { .. }),
            "{error:?}"
        );
        assert_eq!(error.code(), "weak_key_derivation");

        // At the floor it opens, and its next write seals the parameters:
        // from then on an edited copy is caught.
        edit_plaintext_parameters(&path, KdfParams::FLOOR);
        let mut vault = unlock().unwrap();
        vault.record_audit(event("first write")).unwrap();
        vault.lock();
        let raised = KdfParams::new(2 * KdfParams::FLOOR.memory_kib, 2, 1);
        edit_plaintext_parameters(&path, raised);
        assert_eq!(unlock().unwrap_err().code(), "integrity");
        edit_plaintext_parameters(&path, KdfParams::FLOOR);
        assert_eq!(unlock().unwrap().audit_log().unwrap().len(), 1);
    }

    #[test]
    fn a_user_wrapped_below_the_floor_is_refused_outside_a_test_vault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.karte");
        let mut vault = Vault::create(
            &path,
            "admin",
            b"pass",
            KdfParams::FLOOR,
            UserId::from("U1"),
            DeviceId::from("D1"),
            Timestamp(1_764_000_000_000),
        )
        .unwrap();
        // Only code holding the data key can wrap it, so this is what a
        // vault written by an older, laxer Karte could hold.
        let fast = KdfParams::insecure_fast_for_tests();
        vault
            .transact(None, |conn, key| {
                users::rewrap(conn, key, &UserId::from("U1"), b"pass", fast)
            })
            .unwrap();
        vault.lock();
        let error = Vault::open(&path)
            .unwrap()
            .unlock("admin", b"pass")
            .unwrap_err();
        assert_eq!(error.code(), "weak_key_derivation");
        assert!(error.to_string().contains("admin's passphrase"), "{error}");
    }

    #[test]
    fn a_failed_write_leaves_the_cached_audit_head_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = vault(&dir);
        vault.record_audit(event("first")).unwrap();
        let head = vault.audit_head();
        let result: Result<(), StoreError> = vault.transact(Some(event("never")), |_, _| {
            Err(StoreError::invalid("refused"))
        });
        assert!(result.is_err());
        assert_eq!(vault.audit_head(), head);
        vault.record_audit(event("second")).unwrap();
        assert_eq!(vault.audit_log().unwrap().len(), 2);
    }
}
