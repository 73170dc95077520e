//! The vault's sync state: the device key and enrolment, which charts hold
//! changes to push, pages written whole, the last sync, recovery with the organisation's
//! key, and wiping.

use karte_store::{
    AuditAction, AuditEvent, ChangeSignatureRecord, DocumentSyncState, DocumentToPush, Enrolment,
    LastSync, PendingShare, QuarantineWrite, ReceivedDocument, StoreError, SyncPageWrite, Vault,
};
use karte_types::PatientId;
use zeroize::Zeroizing;

use crate::support::{NOW, PASSPHRASE, TestVault, append, summary};

fn enrolment() -> Enrolment {
    Enrolment {
        hub_url: "https://HUB-MARKER.example.jp".into(),
        org_id: "01JORG0000000000000000000A".into(),
        org_name: "訪問看護ステーションさくら".into(),
        device_name: "TABLET-MARKER".into(),
        recovery_public_key: [9; 32],
        enrolled_at: NOW,
    }
}

fn event(action: AuditAction) -> AuditEvent {
    AuditEvent {
        at: NOW,
        action,
        patient: None,
        detail: String::new(),
    }
}

/// The recovery "seal" of these tests: the key XORed with a pad, so a test
/// can open it with the pad. Real vaults seal with HPKE in the sync layer.
fn pad_seal(key: &[u8; 32]) -> Option<Vec<u8>> {
    Some(key.iter().map(|b| b ^ 0x5a).collect())
}

fn pad_open(sealed: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(sealed.iter().map(|b| b ^ 0x5a).collect())
}

fn enrolled() -> (TestVault, Vault) {
    let (test, mut vault) = TestVault::new();
    vault.set_device_key(b"PKCS8-KEY-MARKER").unwrap();
    vault
        .enrol(&enrolment(), event(AuditAction::Enrol), pad_seal)
        .unwrap();
    (test, vault)
}

fn ids(list: &[DocumentToPush]) -> Vec<&str> {
    list.iter().map(|d| d.id.as_str()).collect()
}

#[test]
fn enrolment_and_device_key_are_kept_sealed_and_survive_a_reopen() {
    let (test, mut vault) = TestVault::new();
    assert_eq!(vault.device_key().unwrap(), None);
    assert_eq!(vault.enrolment().unwrap(), None);
    vault.set_device_key(b"PKCS8-KEY-MARKER").unwrap();
    assert_eq!(
        vault.set_device_key(b"another").unwrap_err().code(),
        "invalid_input"
    );
    vault
        .enrol(&enrolment(), event(AuditAction::Enrol), pad_seal)
        .unwrap();
    vault.lock();
    let vault = test.unlock_admin();
    assert_eq!(
        vault.device_key().unwrap().unwrap().as_slice(),
        b"PKCS8-KEY-MARKER"
    );
    assert_eq!(vault.enrolment().unwrap(), Some(enrolment()));
    let log = vault.audit_log().unwrap();
    assert_eq!(log.last().unwrap().event.action, AuditAction::Enrol);
    vault.lock();
    let raw = std::fs::read(test.path()).unwrap();
    for marker in ["HUB-MARKER", "TABLET-MARKER", "さくら", "PKCS8-KEY-MARKER"] {
        assert!(
            !raw.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{marker} in plaintext"
        );
    }
}

#[test]
fn every_written_chart_is_to_push_until_the_hub_acknowledges_it() {
    let (_test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    append(&mut vault, "P2", b"two");
    let to_push = vault.documents_to_push().unwrap();
    assert_eq!(ids(&to_push), ["P1", "P2"]);
    assert!(to_push.iter().all(|d| d.hub_heads.is_empty()));

    vault
        .write_sync_page(SyncPageWrite {
            cursor: 7,
            acked: vec![("P1".into(), vec![[1; 32]])],
            clean: vec!["P2".into()],
            ..SyncPageWrite::default()
        })
        .unwrap();
    assert!(vault.documents_to_push().unwrap().is_empty());
    assert_eq!(vault.sync_state().unwrap().cursor, 7);

    // A later edit makes the chart dirty again and keeps the hub's heads.
    append(&mut vault, "P1", b"three");
    assert_eq!(
        vault.documents_to_push().unwrap(),
        [DocumentToPush {
            id: "P1".into(),
            hub_heads: vec![[1; 32]]
        }]
    );
}

/// Shared, unshared and shared again before a sync: the hub applies a
/// request's shares before its unshares, so a stale unshare left beside the
/// new share would undo it. The last wish stands, either way round.
#[test]
fn the_last_of_a_share_and_an_unshare_not_yet_sent_stands() {
    let (_test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    let share = PendingShare {
        patient: "P1".into(),
        org: "01JCLINIC00000000000000000".into(),
    };
    let shared = |vault: &mut Vault| {
        vault
            .add_pending_share(share.clone(), event(AuditAction::Sync))
            .unwrap()
    };
    let unshared = |vault: &mut Vault| {
        vault
            .add_pending_unshare(share.clone(), event(AuditAction::Sync))
            .unwrap()
    };
    shared(&mut vault);
    unshared(&mut vault);
    let state = vault.sync_state().unwrap();
    assert!(state.pending_shares.is_empty());
    assert_eq!(state.pending_unshares, std::slice::from_ref(&share));
    shared(&mut vault);
    let state = vault.sync_state().unwrap();
    assert_eq!(state.pending_shares, std::slice::from_ref(&share));
    assert!(
        state.pending_unshares.is_empty(),
        "{:?}",
        state.pending_unshares
    );
}

#[test]
fn a_page_is_written_whole_with_its_cursor_shares_and_audit() {
    let (test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    let share = PendingShare {
        patient: "P1".into(),
        org: "01JCLINIC00000000000000000".into(),
    };
    vault
        .add_pending_share(
            share.clone(),
            event(AuditAction::Share {
                org: share.org.clone(),
            }),
        )
        .unwrap();
    assert_eq!(
        vault.sync_state().unwrap().pending_shares,
        std::slice::from_ref(&share)
    );
    let other = PendingShare {
        patient: "P1".into(),
        org: "01JUNKNOWNORG0000000000000".into(),
    };
    vault
        .add_pending_share(other.clone(), event(AuditAction::Sync))
        .unwrap();
    vault
        .remove_pending_share(&other, event(AuditAction::Sync))
        .unwrap();
    assert_eq!(
        vault.sync_state().unwrap().pending_shares,
        std::slice::from_ref(&share)
    );
    let audit_before = vault.audit_log().unwrap().len();

    vault
        .write_sync_page(SyncPageWrite {
            cursor: 12,
            acked: vec![("P1".into(), vec![[1; 32]])],
            documents: vec![ReceivedDocument {
                id: "P9".into(),
                chunk: b"received whole".to_vec(),
                summary: summary("P9", "鈴木", "花子"),
                consultations: None,
                dirty: false,
                hub_heads: Some(vec![[9; 32]]),
                index_from_hub: true,
            }],
            removed: vec![],
            shares_sent: vec![share],
            audit: vec![event(AuditAction::Sync), event(AuditAction::Sync)],
            ..SyncPageWrite::default()
        })
        .unwrap();
    vault.lock();
    let mut vault = test.unlock_admin();
    let state = vault.sync_state().unwrap();
    assert_eq!((state.cursor, state.pending_shares.len()), (12, 0));
    assert_eq!(
        vault.load_document(&"P9".into()).unwrap(),
        [b"received whole".to_vec()]
    );
    assert_eq!(
        vault.document_sync_state(&"P9".into()).unwrap(),
        DocumentSyncState {
            dirty: false,
            hub_heads: vec![[9; 32]],
            index_from_hub: true,
        }
    );
    assert_eq!(vault.patient_index().unwrap().len(), 2);
    assert_eq!(vault.audit_log().unwrap().len(), audit_before + 2);

    // The hub's list entry is checked once against the chart as loaded:
    // a wrong one is replaced, and either way it is not checked again.
    let p9 = PatientId::from("P9");
    let truth = summary("P9", "鈴木", "春子");
    assert!(vault.confirm_index(&p9, &truth, &[], &[[9; 32]]).unwrap());
    let state = vault.document_sync_state(&p9).unwrap();
    assert!(!state.index_from_hub);
    assert_eq!(state.hub_heads, [[9; 32]]);
    assert!(vault.patient_index().unwrap().contains(&truth));
    let lie = summary("P9", "偽", "名");
    assert!(!vault.confirm_index(&p9, &lie, &[], &[[8; 32]]).unwrap());
    assert!(vault.patient_index().unwrap().contains(&truth));
    assert_eq!(
        vault.document_sync_state(&p9).unwrap().hub_heads,
        [[9; 32]],
        "checked once"
    );
    vault.lock();
    let vault = test.unlock_admin();
    assert!(vault.patient_index().unwrap().contains(&truth));
}

#[test]
fn a_failed_page_leaves_the_cursor_and_charts_as_they_were() {
    let (_test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    let error = vault
        .write_sync_page(SyncPageWrite {
            cursor: 99,
            acked: vec![("P1".into(), vec![[1; 32]])],
            documents: vec![ReceivedDocument {
                id: "P2".into(),
                chunk: b"x".to_vec(),
                // A summary of another chart: refused, and the whole page with it.
                summary: summary("P3", "鈴木", "花子"),
                consultations: None,
                dirty: false,
                hub_heads: None,
                index_from_hub: false,
            }],
            ..SyncPageWrite::default()
        })
        .unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert_eq!(vault.sync_state().unwrap().cursor, 0);
    assert_eq!(ids(&vault.documents_to_push().unwrap()), ["P1"]);
    assert_eq!(vault.document_ids().unwrap(), [PatientId::from("P1")]);
}

#[test]
fn a_removed_chart_leaves_no_trace_in_documents_index_or_sync_state() {
    let (_test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    append(&mut vault, "P2", b"two");
    vault
        .write_sync_page(SyncPageWrite {
            cursor: 3,
            removed: vec!["P1".into()],
            ..SyncPageWrite::default()
        })
        .unwrap();
    assert_eq!(vault.document_ids().unwrap(), [PatientId::from("P2")]);
    assert_eq!(vault.patient_index().unwrap().len(), 1);
    assert!(matches!(
        vault.load_document(&"P1".into()),
        Err(StoreError::UnknownDocument { .. })
    ));
    assert_eq!(ids(&vault.documents_to_push().unwrap()), ["P2"]);
}

#[test]
fn the_recovery_box_opens_the_vault_without_any_passphrase() {
    let (test, mut vault) = enrolled();
    append(&mut vault, "P1", b"unsynced visit");
    vault.lock();

    let opened = Vault::open(&test.path()).unwrap();
    let sealed = opened.recovery_box().unwrap().unwrap();
    let mut recovered = opened
        .unlock_with_recovered_key("admin", pad_open(&sealed))
        .unwrap();
    assert_eq!(
        recovered.load_document(&"P1".into()).unwrap(),
        [b"unsynced visit".to_vec()]
    );
    recovered.change_passphrase(b"a new passphrase").unwrap();
    recovered.lock();
    assert!(matches!(
        test.unlock("admin", PASSPHRASE),
        Err(StoreError::WrongPassphrase)
    ));
    let vault = test.unlock("admin", b"a new passphrase").unwrap();
    assert_eq!(vault.document_ids().unwrap().len(), 1);
    vault.audit_log().unwrap();
}

#[test]
fn a_wrong_recovered_key_or_an_unenrolled_vault_is_refused() {
    let (test, vault) = enrolled();
    vault.lock();
    let opened = Vault::open(&test.path()).unwrap();
    let wrong = Zeroizing::new(vec![7u8; 32]);
    assert!(matches!(
        opened.unlock_with_recovered_key("admin", wrong),
        Err(StoreError::WrongRecoveryKey)
    ));
    let opened = Vault::open(&test.path()).unwrap();
    assert!(matches!(
        opened.unlock_with_recovered_key("admin", Zeroizing::new(vec![1, 2, 3])),
        Err(StoreError::WrongRecoveryKey)
    ));

    let (plain, vault) = TestVault::new();
    vault.lock();
    assert_eq!(
        Vault::open(&plain.path()).unwrap().recovery_box().unwrap(),
        None
    );
}

#[test]
fn a_wiped_vault_is_gone_from_disk_and_refuses_every_call() {
    let (test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    vault.wipe().unwrap();
    let left: Vec<_> = std::fs::read_dir(test.dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(matches!(vault.document_ids(), Err(StoreError::Wiped)));
    assert!(matches!(vault.device_key(), Err(StoreError::Wiped)));
    assert_eq!(
        vault
            .record_audit(event(AuditAction::Sync))
            .unwrap_err()
            .code(),
        "vault_wiped"
    );
    assert!(matches!(vault.wipe(), Err(StoreError::Wiped)));
    vault.lock();
    assert!(matches!(
        Vault::open(&test.path()),
        Err(StoreError::NoVault { .. })
    ));
}

#[test]
fn charts_of_a_vault_from_before_sync_count_as_never_pushed() {
    let (test, mut vault) = TestVault::new();
    append(&mut vault, "P1", b"one");
    vault.lock();
    // Take the file back to the first format, as an older Karte left it.
    let raw = test.raw();
    raw.execute_batch(
        "DROP TABLE attachments; DROP TABLE trust_store; DROP TABLE change_log; DROP TABLE quarantine; DROP TABLE app_values; DROP TABLE sync_identity; DROP TABLE sync_state; DROP TABLE sync_documents;
         ALTER TABLE vault_meta DROP COLUMN recovery_box; ALTER TABLE patient_index DROP COLUMN consultations;
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(raw);
    let vault = test.unlock_admin();
    assert_eq!(
        vault.documents_to_push().unwrap(),
        [DocumentToPush {
            id: "P1".into(),
            hub_heads: vec![]
        }]
    );
    assert_eq!(vault.sync_state().unwrap().cursor, 0);
    let user_version: i64 = test
        .raw()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(user_version, 8);
    assert!(vault.quarantined().unwrap().is_empty());
    assert!(vault.change_signatures(&"P1".into()).unwrap().is_empty());
}

#[test]
fn a_page_that_changes_nothing_writes_nothing_but_a_moved_cursor_is_kept() {
    let (_test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    let quiet = || SyncPageWrite {
        cursor: 0,
        ..SyncPageWrite::default()
    };
    let (head, state) = (vault.audit_head(), vault.sync_state().unwrap());
    vault.write_sync_page(quiet()).unwrap();
    assert_eq!(vault.audit_head(), head);
    assert_eq!(vault.sync_state().unwrap(), state);
    assert_eq!(ids(&vault.documents_to_push().unwrap()), ["P1"]);
    // Other organisations' entries move the cursor without a chart.
    vault
        .write_sync_page(SyncPageWrite {
            cursor: 12,
            ..quiet()
        })
        .unwrap();
    assert_eq!(vault.sync_state().unwrap().cursor, 12);
    vault
        .write_sync_page(SyncPageWrite {
            cursor: 12,
            ..quiet()
        })
        .unwrap();
    assert_eq!(vault.sync_state().unwrap().cursor, 12);
    assert_eq!(ids(&vault.documents_to_push().unwrap()), ["P1"]);
}

#[test]
fn a_first_sync_under_way_is_durable_with_its_cursor_and_ends() {
    let (_test, mut vault) = enrolled();
    let page = |resume: Option<&str>| SyncPageWrite {
        cursor: 40,
        resume_after: resume.map(PatientId::from),
        ..SyncPageWrite::default()
    };
    vault.write_sync_page(page(Some("P3"))).unwrap();
    let state = vault.sync_state().unwrap();
    assert_eq!((state.cursor, state.resume_after), (40, Some("P3".into())));
    // The same position, the first sync over: not a page that changes
    // nothing.
    vault.write_sync_page(page(None)).unwrap();
    let state = vault.sync_state().unwrap();
    assert_eq!((state.cursor, state.resume_after), (40, None));
}

fn quarantine(id: &str, reason: &str, received: &[u8]) -> QuarantineWrite {
    QuarantineWrite {
        id: id.into(),
        reason: reason.into(),
        detail: format!("DETAIL-MARKER of {id}"),
        at: NOW,
        received: received.to_vec(),
    }
}

#[test]
fn a_quarantined_chart_is_kept_sealed_with_its_reason_until_lifted() {
    let (test, mut vault) = enrolled();
    vault
        .write_sync_page(SyncPageWrite {
            cursor: 5,
            quarantined: vec![quarantine("P2", "forbidden_change", b"UPDATE-MARKER-1")],
            ..SyncPageWrite::default()
        })
        .unwrap();
    let state = vault.sync_state().unwrap();
    assert_eq!(state.cursor, 5, "the cursor moved past the chart");
    assert!(state.quarantine_news, "the hub is to be told");

    // A later update of the chart joins it; the first reason stays.
    vault
        .write_sync_page(SyncPageWrite {
            cursor: 7,
            quarantined: vec![quarantine("P2", "missing_changes", b"UPDATE-MARKER-2")],
            quarantine_reported: true,
            ..SyncPageWrite::default()
        })
        .unwrap();
    assert!(
        !vault.sync_state().unwrap().quarantine_news,
        "told, and the list of charts did not change"
    );
    vault.lock();
    let mut vault = test.unlock_admin();
    let kept = vault.quarantined().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id.as_str(), "P2");
    assert_eq!(kept[0].reason, "forbidden_change");
    assert_eq!(kept[0].since, NOW);
    assert_eq!(
        kept[0].received,
        [b"UPDATE-MARKER-1".to_vec(), b"UPDATE-MARKER-2".to_vec()]
    );
    assert_eq!(vault.quarantined_ids().unwrap(), [PatientId::from("P2")]);
    for file in ["", "-wal"] {
        let mut path = test.path().into_os_string();
        path.push(file);
        let bytes = std::fs::read(path).unwrap_or_default();
        for marker in [&b"UPDATE-MARKER"[..], b"DETAIL-MARKER", b"forbidden_change"] {
            let found = bytes.windows(marker.len()).any(|w| w == marker);
            assert!(!found, "the quarantine is sealed");
        }
    }

    vault
        .write_sync_page(SyncPageWrite {
            cursor: 8,
            lifted: vec!["P2".into()],
            ..SyncPageWrite::default()
        })
        .unwrap();
    assert!(vault.quarantined().unwrap().is_empty());
    assert!(vault.sync_state().unwrap().quarantine_news);
}

#[test]
fn the_last_sync_is_kept_with_its_audit_entry_and_outlives_pages_and_locking() {
    let (test, mut vault) = enrolled();
    assert_eq!(vault.sync_state().unwrap().last_sync, None);
    let last = LastSync {
        at: NOW,
        pushed_changes: 3,
        received_changes: 5,
        received_charts: 2,
        removed_charts: 1,
        new_reviews: 0,
    };
    let head = vault.audit_head();
    vault.record_sync(last, None, None).unwrap();
    assert_eq!(vault.audit_head(), head, "a quiet sync is not audited");
    vault
        .record_sync(last, None, Some(event(AuditAction::Sync)))
        .unwrap();
    assert_eq!(vault.audit_head().seq, head.seq + 1);
    vault
        .write_sync_page(SyncPageWrite {
            cursor: 7,
            ..SyncPageWrite::default()
        })
        .unwrap();
    assert_eq!(vault.sync_state().unwrap().last_sync, Some(last));
    vault.lock();
    let vault = test.unlock_admin();
    assert_eq!(vault.sync_state().unwrap().last_sync, Some(last));
    assert_eq!(vault.sync_state().unwrap().cursor, 7);
}

fn signed(hash: u8, author: &str) -> ChangeSignatureRecord {
    ChangeSignatureRecord {
        hash: [hash; 32],
        author: karte_types::DeviceId(author.to_owned()),
        signature: vec![hash; 64],
    }
}

fn signatures_page(doc: &str, records: Vec<ChangeSignatureRecord>) -> SyncPageWrite {
    SyncPageWrite {
        signatures: vec![(doc.into(), records)],
        ..SyncPageWrite::default()
    }
}

#[test]
fn change_signatures_are_kept_once_per_change_and_survive_a_restart() {
    let (test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    vault
        .write_sync_page(signatures_page(
            "P1",
            vec![signed(1, "DEV-A"), signed(2, "DEV-B")],
        ))
        .unwrap();
    // The same change again (pushed twice, received back) is not kept twice.
    vault
        .write_sync_page(signatures_page(
            "P1",
            vec![signed(2, "DEV-B"), signed(3, "DEV-C")],
        ))
        .unwrap();
    vault.lock();
    let vault = test.unlock_admin();
    assert_eq!(
        vault.change_signatures(&"P1".into()).unwrap(),
        [signed(1, "DEV-A"), signed(2, "DEV-B"), signed(3, "DEV-C")]
    );
    assert!(vault.change_signatures(&"P2".into()).unwrap().is_empty());
    // Nothing of a signature is plaintext: neither the author nor the hash.
    let raw = test.raw();
    let authors: i64 = raw
        .query_row(
            "SELECT COUNT(*) FROM change_log WHERE instr(sealed, CAST('DEV-' AS BLOB)) > 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(authors, 0);
}

#[test]
fn a_change_signature_moved_to_another_chart_does_not_open() {
    let (test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    append(&mut vault, "P2", b"two");
    vault
        .write_sync_page(signatures_page("P1", vec![signed(1, "DEV-A")]))
        .unwrap();
    test.raw()
        .execute("UPDATE change_log SET document = 'P2'", [])
        .unwrap();
    assert!(matches!(
        vault.change_signatures(&"P2".into()),
        Err(StoreError::Integrity { .. })
    ));
}

#[test]
fn the_signatures_of_a_removed_chart_go_with_it() {
    let (_test, mut vault) = enrolled();
    append(&mut vault, "P1", b"one");
    vault
        .write_sync_page(signatures_page("P1", vec![signed(1, "DEV-A")]))
        .unwrap();
    vault
        .write_sync_page(SyncPageWrite {
            removed: vec!["P1".into()],
            ..SyncPageWrite::default()
        })
        .unwrap();
    assert!(vault.change_signatures(&"P1".into()).unwrap().is_empty());
}

#[test]
fn the_trust_store_is_written_with_the_enrolment_sealed_and_a_moved_row_is_refused() {
    let (test, mut vault) = TestVault::new();
    vault.set_device_key(b"PKCS8-KEY-MARKER").unwrap();
    let trust = vec![
        ("anchor:org:01JORG".to_owned(), b"ANCHOR-MARKER".to_vec()),
        ("cert:01JDEVICE".to_owned(), b"CERT-MARKER".to_vec()),
    ];
    vault
        .enrol_with_trust(&enrolment(), event(AuditAction::Enrol), pad_seal, &trust)
        .unwrap();
    vault
        .put_trust(&[("key:bundle".to_owned(), b"BUNDLE-KEY-MARKER".to_vec())])
        .unwrap();
    vault.lock();
    let vault = test.unlock_admin();
    let mut expected = trust.clone();
    expected.push(("key:bundle".to_owned(), b"BUNDLE-KEY-MARKER".to_vec()));
    assert_eq!(vault.trust_entries().unwrap(), expected);
    vault.lock();
    let raw = std::fs::read(test.path()).unwrap();
    for marker in ["ANCHOR-MARKER", "CERT-MARKER", "BUNDLE-KEY-MARKER"] {
        assert!(
            !raw.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{marker} in plaintext"
        );
    }
    // A sealed value moved to another row does not open there.
    test.raw()
        .execute_batch(
            "UPDATE trust_store SET sealed = (SELECT sealed FROM trust_store WHERE id = 'key:bundle')
             WHERE id = 'cert:01JDEVICE'",
        )
        .unwrap();
    let vault = test.unlock_admin();
    assert_eq!(vault.trust_entries().unwrap_err().code(), "integrity");
}
