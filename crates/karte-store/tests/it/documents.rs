//! Documents, their compaction, the patient index, and what a flipped byte in
//! any of them does.

use karte_store::{StoreError, Vault};
use karte_types::{
    Consultation, EntryId, JSpeedSheet, JSpeedTicks, PatientId, ReportAgeGroup, Sex,
};

use crate::support::{NOW, TestVault, append, edit, flip_blob, integrity, summary};

fn id(s: &str) -> PatientId {
    PatientId::from(s)
}

#[test]
fn chunks_load_in_order_and_compaction_replaces_them() {
    let (test, mut vault) = TestVault::new();
    for i in 0..5 {
        append(&mut vault, "P1", format!("change {i}").as_bytes());
    }
    append(&mut vault, "P2", b"other chart");
    let expected: Vec<Vec<u8>> = (0..5).map(|i| format!("change {i}").into_bytes()).collect();
    assert_eq!(vault.load_document(&id("P1")).unwrap(), expected);
    assert_eq!(vault.document_ids().unwrap(), vec![id("P1"), id("P2")]);

    vault
        .compact_document(&id("P1"), b"snapshot of 0-4")
        .unwrap();
    append(&mut vault, "P1", b"change 5");
    assert_eq!(
        vault.load_document(&id("P1")).unwrap(),
        vec![b"snapshot of 0-4".to_vec(), b"change 5".to_vec()]
    );
    vault.lock();

    let raw = test.raw();
    let rows: i64 = raw
        .query_row(
            "SELECT count(*) FROM document_chunks WHERE document = 'P1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 2);
    drop(raw);
    let vault = test.unlock_admin();
    assert_eq!(vault.load_document(&id("P1")).unwrap().len(), 2);
}

#[test]
fn unknown_documents_and_mismatched_summaries_are_refused() {
    let (_test, mut vault) = TestVault::new();
    assert!(matches!(
        vault.load_document(&id("nope")),
        Err(StoreError::UnknownDocument { .. })
    ));
    assert!(matches!(
        vault.compact_document(&id("nope"), b"x"),
        Err(StoreError::UnknownDocument { .. })
    ));
    let wrong = vault.append_document(
        &id("P1"),
        b"x",
        &summary("P2", "a", "b"),
        &[],
        edit("P1", "x"),
    );
    assert_eq!(wrong.unwrap_err().code(), "invalid_input");
    assert!(vault.document_ids().unwrap().is_empty());
    assert!(vault.audit_log().unwrap().is_empty());
}

#[test]
fn the_index_holds_the_latest_summary_of_each_chart() {
    let (_test, mut vault) = TestVault::new();
    append(&mut vault, "P2", b"x");
    let first = summary("P1", "佐藤", "花子");
    vault
        .append_document(&id("P1"), b"a", &first, &[], edit("P1", "create"))
        .unwrap();
    let renamed = summary("P1", "鈴木", "花子");
    vault
        .append_document(&id("P1"), b"b", &renamed, &[], edit("P1", "rename"))
        .unwrap();
    vault.compact_document(&id("P1"), b"ab").unwrap();
    let index = vault.patient_index().unwrap();
    assert_eq!(index, vec![renamed, summary("P2", "山田", "太郎")]);
}

/// Two charts of two chunks each, the vault locked.
fn two_charts() -> TestVault {
    let (test, mut vault) = TestVault::new();
    for chart in ["P1", "P2"] {
        append(&mut vault, chart, b"first");
        append(&mut vault, chart, b"second");
    }
    vault.lock();
    test
}

fn reads_fine(vault: &Vault, chart: &str) {
    assert_eq!(
        vault.load_document(&id(chart)).unwrap(),
        vec![b"first".to_vec(), b"second".to_vec()]
    );
}

#[test]
fn a_flipped_chunk_byte_fails_that_chunk_only() {
    for byte in [0, 13, 40] {
        let test = two_charts();
        flip_blob(
            &test.raw(),
            "document_chunks",
            "ciphertext",
            "document = 'P1' AND seq = 1",
            byte,
        );
        let vault = test.unlock_admin();
        assert_eq!(
            integrity(vault.load_document(&id("P1"))),
            "document P1 chunk 1"
        );
        reads_fine(&vault, "P2");
        assert_eq!(vault.patient_index().unwrap().len(), 2);
        assert_eq!(vault.audit_log().unwrap().len(), 4);
    }
}

#[test]
fn a_flipped_index_byte_fails_the_index_but_not_the_chart() {
    let test = two_charts();
    flip_blob(&test.raw(), "patient_index", "entry", "document = 'P2'", 20);
    let vault = test.unlock_admin();
    assert_eq!(integrity(vault.patient_index()), "patient index entry P2");
    reads_fine(&vault, "P1");
    reads_fine(&vault, "P2");
}

#[test]
fn swapped_or_removed_chunks_are_detected() {
    let test = two_charts();
    let raw = test.raw();
    // The second chunk of P2 put in place of P1's.
    raw.execute(
        "UPDATE document_chunks SET ciphertext = (SELECT ciphertext FROM document_chunks WHERE document = 'P2' AND seq = 1)
         WHERE document = 'P1' AND seq = 1",
        [],
    )
    .unwrap();
    raw.execute(
        "DELETE FROM document_chunks WHERE document = 'P2' AND seq = 0",
        [],
    )
    .unwrap();
    drop(raw);
    let vault = test.unlock_admin();
    assert_eq!(
        integrity(vault.load_document(&id("P1"))),
        "document P1 chunk 1"
    );
    assert_eq!(
        integrity(vault.load_document(&id("P2"))),
        "document P2 chunk 0 (missing)"
    );
}

#[test]
fn a_tail_cut_from_a_chart_is_detected() {
    let test = two_charts();
    let raw = test.raw();
    raw.execute(
        "DELETE FROM document_chunks WHERE document = 'P1' AND seq = 1",
        [],
    )
    .unwrap();
    drop(raw);
    let vault = test.unlock_admin();
    assert_eq!(
        integrity(vault.load_document(&id("P1"))),
        "document P1 chunk 1 (missing)"
    );
    vault.lock();
    // Hiding the cut by lowering the counter breaks the sealed chunk list.
    test.raw()
        .execute("UPDATE documents SET next_seq = 1 WHERE id = 'P1'", [])
        .unwrap();
    let vault = test.unlock_admin();
    assert_eq!(
        integrity(vault.load_document(&id("P1"))),
        "document P1 (its chunk list)"
    );
    reads_fine(&vault, "P2");
}

fn consultation(visit: &str) -> Consultation {
    Consultation {
        visit: EntryId(visit.into()),
        at: NOW,
        recorded_at: NOW,
        sheet_entry: EntryId(format!("{visit}-sheet")),
        sheet: JSpeedSheet {
            team: "DMAT 熊本1".into(),
            site: "益城町総合体育館".into(),
            items: JSpeedTicks::parse("16,8").unwrap(),
            pregnant: false,
            age_group: None,
        },
        sex: Sex::Male,
        age_group: ReportAgeGroup::From65,
    }
}

#[test]
fn consultations_are_kept_beside_the_entry_and_replaced_with_it() {
    let (test, mut vault) = TestVault::new();
    let one = [consultation("v1")];
    vault
        .append_document(
            &id("P1"),
            b"a",
            &summary("P1", "a", "b"),
            &one,
            edit("P1", "x"),
        )
        .unwrap();
    append(&mut vault, "P2", b"none");
    assert_eq!(
        vault.indexed_consultations().unwrap(),
        [(id("P1"), Some(one.to_vec())), (id("P2"), Some(vec![]))]
    );
    // The next edit's consultations replace them.
    let two = [consultation("v1"), consultation("v2")];
    vault
        .append_document(
            &id("P1"),
            b"b",
            &summary("P1", "a", "b"),
            &two,
            edit("P1", "y"),
        )
        .unwrap();
    assert_eq!(
        vault.indexed_consultations().unwrap()[0].1,
        Some(two.to_vec())
    );
    // A flipped bit is an integrity error, not another count.
    vault.lock();
    flip_blob(
        &test.raw(),
        "patient_index",
        "consultations",
        "document = 'P1'",
        20,
    );
    let vault = test.unlock_admin();
    assert!(integrity(vault.indexed_consultations()).contains("P1"));
}

#[test]
fn a_vault_of_format_7_reads_its_charts_once_for_the_report() {
    let (test, mut vault) = TestVault::new();
    append(&mut vault, "P1", b"one");
    append(&mut vault, "P2", b"two");
    vault.lock();
    test.raw()
        .execute_batch(
            "ALTER TABLE patient_index DROP COLUMN consultations; PRAGMA user_version = 7;",
        )
        .unwrap();
    let mut vault = test.unlock_admin();
    let version: i64 = test
        .raw()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 8);
    // Not known: the report reads these charts, and keeps what it found.
    assert_eq!(
        vault.indexed_consultations().unwrap(),
        [(id("P1"), None), (id("P2"), None)]
    );
    assert_eq!(vault.patient_index().unwrap().len(), 2);
    vault
        .keep_consultations(&[(id("P2"), vec![consultation("v9")])])
        .unwrap();
    assert_eq!(
        vault.indexed_consultations().unwrap(),
        [(id("P1"), None), (id("P2"), Some(vec![consultation("v9")]))]
    );
}
