//! Files that are not vaults, or were vaults until something broke them,
//! give a clear error and never a panic; damage never reads as other data.

use std::path::Path;

use karte_store::{AuditEntry, StoreError, UserRecord, Vault};
use karte_types::{PatientId, PatientSummary};
use proptest::prelude::*;

use crate::support::{PASSPHRASE, TestVault, append};

/// Everything a vault holds, as read through the API.
#[derive(Debug, PartialEq)]
struct Contents {
    users: Vec<UserRecord>,
    documents: Vec<(PatientId, Vec<Vec<u8>>)>,
    index: Vec<PatientSummary>,
    audit: Vec<AuditEntry>,
}

fn read_everything(path: &Path) -> Result<Contents, StoreError> {
    let vault = Vault::open(path)?.unlock("admin", PASSPHRASE)?;
    let documents = vault
        .document_ids()?
        .into_iter()
        .map(|id| Ok((id.clone(), vault.load_document(&id)?)))
        .collect::<Result<_, StoreError>>()?;
    Ok(Contents {
        users: vault.users()?,
        documents,
        index: vault.patient_index()?,
        audit: vault.audit_log()?,
    })
}

/// A locked vault with a few charts, its WAL checkpointed into the file.
fn sample() -> (TestVault, Vec<u8>, Contents) {
    let (test, mut vault) = TestVault::new();
    for chart in ["P1", "P2", "P3"] {
        for i in 0..3 {
            append(
                &mut vault,
                chart,
                format!("{chart} change {i}").repeat(20).as_bytes(),
            );
        }
    }
    vault
        .compact_document(&PatientId::from("P2"), b"P2 snapshot")
        .unwrap();
    vault.lock();
    assert!(
        !test.dir.path().join("vault.karte-wal").exists(),
        "the WAL is checkpointed on close"
    );
    let bytes = std::fs::read(test.path()).unwrap();
    let contents = read_everything(&test.path()).unwrap();
    (test, bytes, contents)
}

fn with_file(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.karte");
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn files_that_are_not_vaults_are_named_so() {
    let (_dir, garbage) = with_file(&[0x5a; 10_000]);
    let (_dir2, empty) = with_file(b"");
    let (_dir3, text) = with_file(b"SQLite format 2, or so this text file says");
    let other = tempfile::tempdir().unwrap();
    let foreign = other.path().join("other.sqlite");
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');")
        .unwrap();
    drop(conn);
    for path in [
        &garbage,
        &empty,
        &text,
        &foreign,
        &other.path().to_path_buf(),
    ] {
        let error = Vault::open(path).unwrap_err();
        assert!(
            matches!(error, StoreError::NotAVault { .. }),
            "{path:?}: {error:?}"
        );
    }
}

#[test]
fn truncated_vaults_are_corrupt() {
    let (_test, bytes, _) = sample();
    for len in [
        16,
        100,
        4096,
        bytes.len() / 2,
        bytes.len() - 4096,
        bytes.len() - 1,
    ] {
        let (_dir, path) = with_file(&bytes[..len]);
        let error = read_everything(&path).unwrap_err();
        assert!(
            matches!(
                error,
                StoreError::Corrupt { .. } | StoreError::NotAVault { .. }
            ),
            "cut at {len}: {error:?}"
        );
    }
}

#[test]
fn a_damaged_first_page_never_panics_nor_reads_as_other_data() {
    let (_test, bytes, contents) = sample();
    for at in 0..100 {
        for mask in [0x01, 0x80, 0xff] {
            let mut damaged = bytes.clone();
            damaged[at] ^= mask;
            let (_dir, path) = with_file(&damaged);
            if let Ok(read) = read_everything(&path) {
                assert_eq!(read, contents, "byte {at} ^ {mask:#x}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_flipped_byte_anywhere_never_panics_nor_reads_as_other_data(position in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let (bytes, contents) = &*SAMPLE;
        let mut damaged = bytes.clone();
        let at = position.index(damaged.len());
        damaged[at] ^= mask;
        let (_dir, path) = with_file(&damaged);
        if let Ok(read) = read_everything(&path) {
            prop_assert_eq!(&read, contents, "byte {} ^ {:#x}", at, mask);
        }
    }
}

/// One sample vault's bytes and contents, shared by every proptest case.
static SAMPLE: std::sync::LazyLock<(Vec<u8>, Contents)> = std::sync::LazyLock::new(|| {
    let (_test, bytes, contents) = sample();
    (bytes, contents)
});

#[test]
fn a_vault_from_a_newer_karte_is_refused_with_its_format() {
    let (test, vault) = TestVault::new();
    vault.lock();
    test.raw().pragma_update(None, "user_version", 99).unwrap();
    let error = Vault::open(&test.path()).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::NewerFormat {
                found: 99,
                supported: 8
            }
        ),
        "{error:?}"
    );
}
