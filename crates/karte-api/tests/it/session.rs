//! A session's operations persist, survive reopening, are audited, and leave
//! no plaintext in any file, including the WAL while the session is open;
//! every new passphrase meets the policy shared with the UI.

use karte_api::{AuditAction, Environment, KdfParams, Role, Session};
use karte_test_support::{START, penicillin, visit, yamada};

use crate::support::TempVault;
use karte_types::AllergyStatus;

#[test]
fn everything_written_is_there_after_reopening_and_compaction() {
    let vault = TempVault::new();
    let mut session = vault.create(1);
    let patient = session.add_patient(&yamada()).unwrap();
    session.add_allergy(&patient, &penicillin()).unwrap();
    // Enough visits to pass the compaction threshold more than once.
    let visits: Vec<_> = (0..75)
        .map(|i| {
            session
                .record_visit(&patient, &visit(i * 60, 60 + (i % 30) as u16))
                .unwrap()
        })
        .collect();
    let before = session.chart(&patient).unwrap();
    session.lock();

    let mut session = vault.open(2);
    let after = session.chart(&patient).unwrap();
    assert_eq!(after, before);
    assert_eq!(after.visits.len(), 75);
    assert_eq!(after.visits[0].meta.id, visits[74], "newest first");
    assert_eq!(after.allergy_status, AllergyStatus::Recorded);
    let listed = session.patients("やまだ").unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_visit, Some(after.visits[0].input.at));
}

#[test]
fn invalid_input_changes_nothing() {
    let vault = TempVault::new();
    let mut session = vault.create(1);
    let patient = session.add_patient(&yamada()).unwrap();
    let mut typo = visit(0, 72);
    typo.vitals.systolic = Some(1200);
    let error = session.record_visit(&patient, &typo).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert!(session.chart(&patient).unwrap().visits.is_empty());
    let mut nameless = yamada();
    nameless.family_kana = "山田".into();
    assert_eq!(
        session.add_patient(&nameless).unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(session.patients("").unwrap().len(), 1);
}

#[test]
fn opens_edits_and_exports_are_audited_with_their_author() {
    let vault = TempVault::new();
    let mut session = vault.create(1);
    let patient = session.add_patient(&yamada()).unwrap();
    session.record_visit(&patient, &visit(0, 70)).unwrap();
    session.chart(&patient).unwrap();
    session
        .export_fhir(Some(&patient), std::io::sink())
        .unwrap();
    let log = session.audit_log(&Some(patient.clone())).unwrap();
    let actions: Vec<String> = log.iter().map(|e| e.event.action.to_string()).collect();
    assert!(log.iter().all(|e| e.user_name == "admin"));
    assert!(
        matches!(log[0].event.action, AuditAction::ChartEdit { .. }),
        "{actions:?}"
    );
    assert!(
        log.iter()
            .any(|e| matches!(e.event.action, AuditAction::ChartOpen)),
        "{actions:?}"
    );
    assert!(
        log.iter()
            .any(|e| matches!(e.event.action, AuditAction::Export { .. })),
        "{actions:?}"
    );
    let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "append-only order: {seqs:?}"
    );
}

#[test]
fn no_plaintext_in_any_file_while_a_session_is_open() {
    let vault = TempVault::new();
    let mut session = vault.create(1);
    let mut patient = yamada();
    patient.family = "勘解由小路".into();
    patient.family_kana = "カデノコウジ".into();
    let id = session.add_patient(&patient).unwrap();
    let mut note = visit(0, 70);
    note.soap.subjective = Some("庭の柿がたくさん実った".into());
    session.record_visit(&id, &note).unwrap();
    session.add_allergy(&id, &penicillin()).unwrap();
    session.export_fhir(None, std::io::sink()).unwrap();
    // The session is still open: the WAL holds the recent transactions.
    let mut files = Vec::new();
    for entry in std::fs::read_dir(vault.dir.path()).unwrap() {
        files.push(entry.unwrap().path());
    }
    assert!(
        files.iter().any(|f| f.to_string_lossy().ends_with("-wal")),
        "WAL present: {files:?}"
    );
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for needle in [
            "勘解由小路",
            "カデノコウジ",
            "庭の柿がたくさん実った",
            "ペニシリン",
            "蕁麻疹",
            "長野県上伊那郡辰野町",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "'{needle}' in {}",
                file.display()
            );
        }
    }
    drop(session);
}

#[test]
fn the_same_seed_makes_the_same_ids() {
    let (a, b) = (TempVault::new(), TempVault::new());
    let (mut sa, mut sb) = (a.create(9), b.create(9));
    assert_eq!(
        sa.add_patient(&yamada()).unwrap(),
        sb.add_patient(&yamada()).unwrap()
    );
}

#[test]
fn every_new_passphrase_meets_the_shared_policy() {
    let vault = TempVault::new();
    let short = b"short";
    let error = Session::create(
        &vault.path(),
        "admin",
        short,
        KdfParams::insecure_fast_for_tests(),
        Environment::fixed(START, 1),
    )
    .unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert!(
        error.to_string().contains("at least 8 characters"),
        "{error}"
    );
    assert!(!vault.path().exists(), "no vault is made");

    let mut session = vault.create(1);
    let error = session.add_user("sato", Role::Nurse, short).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert!(session.users().unwrap().iter().all(|u| u.name != "sato"));
    // Seven kanji are 21 bytes but only seven characters.
    let error = session
        .change_passphrase("合言葉は七文字".as_bytes())
        .unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    let error = session.change_passphrase(&[0xff; 12]).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    session.lock();
    // The old passphrase still opens the vault.
    let session = vault.open(2);
    session.lock();

    // A recovery is refused before the key file is even read.
    let error = Session::recover(
        &vault.path(),
        None,
        "not a key file",
        None,
        short,
        Environment::fixed(START, 3),
    )
    .unwrap_err();
    assert_eq!(error.code(), "invalid_input");
}

#[test]
fn orders_reach_the_patient_list_and_a_refused_one_changes_nothing() {
    use karte_test_support::{regular_order, special_order};
    use karte_types::{Date, OrderAlert};
    let day = |text| Date::parse("date", text).unwrap();
    let vault = TempVault::new();
    let mut session = vault.create(1);
    let patient = session.add_patient(&yamada()).unwrap();
    let special = special_order(day("2026-11-20"), day("2026-12-03"));
    let error = session.add_order(&patient, &special).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert!(error.to_string().contains("regular"), "{error}");
    assert!(session.chart(&patient).unwrap().orders.is_empty());
    let regular = session
        .add_order(&patient, &regular_order(day("2026-11-01"), None))
        .unwrap();
    session.add_order(&patient, &special).unwrap();
    session.lock();

    let mut session = vault.open(2);
    let listed = session.patients("").unwrap();
    let status = listed[0].orders.status(day("2026-11-25"));
    assert_eq!((status.specials_this_month, status.special_limit), (1, 1));
    assert_eq!(
        status.alerts,
        [OrderAlert::Expiring {
            id: regular,
            until: day("2026-11-30"),
            days_left: 5
        }]
    );
}
