//! A vault in a temporary folder, and the values tests fill it with.

use std::path::PathBuf;

use karte_store::{AuditAction, AuditEvent, KdfParams, StoreError, Vault};
use karte_types::{Date, DeviceId, PatientId, PatientSummary, Sex, Timestamp, UserId};

pub const PASSPHRASE: &[u8] = b"correct horse battery staple";
pub const NOW: Timestamp = Timestamp(1_764_030_600_000);

/// A folder holding one vault file, removed when dropped.
pub struct TestVault {
    pub dir: tempfile::TempDir,
}

impl TestVault {
    /// A new vault whose first user, `admin`, has `PASSPHRASE`.
    pub fn new() -> (TestVault, Vault) {
        let test = TestVault {
            dir: tempfile::tempdir().unwrap(),
        };
        let vault = Vault::create(
            &test.path(),
            "admin",
            PASSPHRASE,
            KdfParams::insecure_fast_for_tests(),
            UserId::from("01JUSER0000000000000000000"),
            DeviceId::from("01JDEVICE00000000000000000"),
            NOW,
        )
        .unwrap();
        (test, vault)
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("vault.karte")
    }

    pub fn unlock(&self, user: &str, passphrase: &[u8]) -> Result<Vault, StoreError> {
        Vault::open(&self.path())?.unlock(user, passphrase)
    }

    pub fn unlock_admin(&self) -> Vault {
        self.unlock("admin", PASSPHRASE).unwrap()
    }

    /// The vault file through plain SQLite, as an attacker would see it.
    pub fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path()).unwrap()
    }
}

pub fn summary(id: &str, family: &str, given: &str) -> PatientSummary {
    PatientSummary {
        id: PatientId::from(id),
        family: family.into(),
        given: given.into(),
        family_kana: "ヤマダ".into(),
        given_kana: "タロウ".into(),
        birth: Date::from_ymd(1941, 3, 2).unwrap(),
        sex: Sex::Male,
        care_level: None,
        last_visit: Some(NOW),
        open_reviews: 0,
        orders: Default::default(),
        triage: None,
    }
}

pub fn edit(id: &str, operation: &str) -> AuditEvent {
    AuditEvent {
        at: NOW,
        action: AuditAction::ChartEdit {
            operation: operation.into(),
        },
        patient: Some(PatientId::from(id)),
        detail: String::new(),
    }
}

/// Appends `chunk` to patient `id` with a plain summary.
pub fn append(vault: &mut Vault, id: &str, chunk: &[u8]) {
    vault
        .append_document(
            &PatientId::from(id),
            chunk,
            &summary(id, "山田", "太郎"),
            &[],
            edit(id, "test.append"),
        )
        .unwrap();
}

/// The `what` of an integrity error, or a panic naming what came instead.
pub fn integrity<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Integrity { what }) => what,
        other => panic!("expected an integrity error, got {other:?}"),
    }
}

/// Flips one bit of a BLOB column in one row, through raw SQLite.
pub fn flip_blob(raw: &rusqlite::Connection, table: &str, column: &str, filter: &str, byte: usize) {
    let sql = format!("SELECT {column} FROM {table} WHERE {filter}");
    let mut blob: Vec<u8> = raw.query_row(&sql, [], |r| r.get(0)).unwrap();
    let byte = byte % blob.len();
    blob[byte] ^= 0x01;
    let sql = format!("UPDATE {table} SET {column} = ?1 WHERE {filter}");
    assert_eq!(raw.execute(&sql, [blob]).unwrap(), 1);
}
