//! The audit log through the public API and through a file an attacker
//! edited. (A forged entry sealed with the real key is tested beside the
//! vault, where the key is at hand.)

use karte_store::{AuditAction, AuditEvent, StoreError};
use karte_types::PatientId;

use crate::support::{NOW, TestVault, append, flip_blob, integrity};

fn open_chart(id: &str) -> AuditEvent {
    AuditEvent {
        at: NOW,
        action: AuditAction::ChartOpen,
        patient: Some(PatientId::from(id)),
        detail: String::new(),
    }
}

/// A locked vault with five audit entries: two edits, three chart openings.
fn five_entries() -> TestVault {
    let (test, mut vault) = TestVault::new();
    append(&mut vault, "P1", b"a");
    append(&mut vault, "P2", b"b");
    for chart in ["P1", "P2", "P1"] {
        vault.record_audit(open_chart(chart)).unwrap();
    }
    vault.lock();
    test
}

#[test]
fn entries_are_numbered_attributed_and_chained() {
    let test = five_entries();
    let vault = test.unlock_admin();
    let log = vault.audit_log().unwrap();
    assert_eq!(
        log.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert!(
        log.iter()
            .all(|e| e.user_name == "admin" && e.device == *vault.device_id())
    );
    assert_eq!(
        log[0].event.action,
        AuditAction::ChartEdit {
            operation: "test.append".into()
        }
    );
    assert_eq!(log[4].event, open_chart("P1"));
    let head = vault.audit_head();
    assert_eq!((head.seq, head.hash), (5, log[4].hash));
    assert_eq!(log[4].hash_hex().len(), 64);
    let mut hashes: Vec<_> = log.iter().map(|e| e.hash).collect();
    hashes.dedup();
    assert_eq!(hashes.len(), 5);
}

#[test]
fn an_altered_old_entry_is_named() {
    let test = five_entries();
    flip_blob(&test.raw(), "audit_log", "entry", "seq = 2", 30);
    let vault = test.unlock_admin();
    assert_eq!(integrity(vault.audit_log()), "audit entry 2");
}

#[test]
fn a_removed_last_entry_is_a_truncation() {
    let test = five_entries();
    test.raw()
        .execute("DELETE FROM audit_log WHERE seq = 5", [])
        .unwrap();
    let vault = test.unlock_admin();
    assert!(matches!(
        vault.audit_log(),
        Err(StoreError::AuditTruncated {
            expected: 5,
            found: 4
        })
    ));
}

#[test]
fn a_removed_middle_entry_or_a_renumbered_one_is_tampering() {
    let test = five_entries();
    test.raw()
        .execute("DELETE FROM audit_log WHERE seq = 3", [])
        .unwrap();
    let vault = test.unlock_admin();
    assert!(matches!(
        vault.audit_log(),
        Err(StoreError::AuditTampered { seq: 3 })
    ));
    vault.lock();
    // Moving entry 4 into the gap does not help: it is sealed as entry 4.
    test.raw()
        .execute("UPDATE audit_log SET seq = 3 WHERE seq = 4", [])
        .unwrap();
    let vault = test.unlock_admin();
    assert_eq!(integrity(vault.audit_log()), "audit entry 3");
}

#[test]
fn the_log_goes_on_after_reopening() {
    let test = five_entries();
    let mut vault = test.unlock_admin();
    vault.record_audit(open_chart("P2")).unwrap();
    assert_eq!(vault.audit_log().unwrap().len(), 6);
}

#[test]
fn the_entries_after_one_come_with_the_bytes_their_hashes_cover() {
    let test = five_entries();
    let vault = test.unlock_admin();
    let log = vault.audit_log().unwrap();
    let all = vault.audit_records_after(0, 100).unwrap();
    assert_eq!(all.len(), 5);
    let mut previous = [0u8; 32];
    for (record, entry) in all.iter().zip(&log) {
        assert!(record.follows(&previous), "entry {}", record.seq);
        assert_eq!(record.entry().as_ref(), Some(entry));
        previous = record.hash;
    }
    let middle = vault.audit_records_after(2, 2).unwrap();
    assert_eq!(middle.iter().map(|r| r.seq).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(middle[0], all[2]);
    assert!(vault.audit_records_after(5, 10).unwrap().is_empty());
    assert!(vault.audit_records_after(6, 10).is_err());
}

#[test]
fn the_entries_after_one_show_a_removed_tail() {
    let test = five_entries();
    test.raw()
        .execute("DELETE FROM audit_log WHERE seq >= 4", [])
        .unwrap();
    let vault = test.unlock_admin();
    assert!(matches!(
        vault.audit_records_after(2, 100),
        Err(StoreError::AuditTruncated {
            expected: 5,
            found: 3
        })
    ));
}
