//! Documents through the application API: a draft prefilled from the
//! chart, edited, and its PDF carrying the edit, audited as an export;
//! a bad request refused with nothing recorded.

use std::io::Write;
use std::process::Command;

use karte_store::AuditAction;
use karte_test_support::{visit, yamada};
use karte_types::{DocumentDraft, DocumentKind, DocumentRequest, ErrorCode};

use crate::support::TempVault;

fn report_of(month: &str) -> DocumentRequest {
    DocumentRequest {
        kind: DocumentKind::Report,
        month: Some(month.into()),
        date: None,
        visit: None,
    }
}

fn pdftotext(pdf: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(pdf).unwrap();
    let output = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(file.path())
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(output.status.success(), "pdftotext failed");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn an_edited_report_is_rendered_as_edited_and_audited_as_an_export() {
    let vault = TempVault::new();
    let mut session = vault.create(7);
    let patient = session.add_patient(&yamada()).unwrap();
    // START is 25 November 2026 (09:00 in Japan); two visits that day.
    session.record_visit(&patient, &visit(0, 72)).unwrap();
    session.record_visit(&patient, &visit(120, 80)).unwrap();

    let draft = session
        .document_draft(&patient, &report_of("2026-11"))
        .unwrap();
    let DocumentDraft::Report(mut report) = draft else {
        panic!("a report was asked for: {draft:?}")
    };
    assert_eq!((report.year, report.month), (2026, 11));
    assert_eq!(report.visits.len(), 2);
    assert_eq!(report.patient.name, "山田 太郎");
    assert_eq!(report.care_given, "", "left for the nurse to write");
    let exports = |session: &karte_api::Session| {
        session
            .audit_log(&Some(patient.clone()))
            .unwrap()
            .into_iter()
            .filter(|e| matches!(&e.event.action, AuditAction::Export { format } if format == "pdf-report"))
            .count()
    };
    assert_eq!(exports(&session), 0, "a draft is not an export");

    report.care_given = "服薬確認と清拭を行った".into();
    report.station.name = "みどり訪問看護ステーション".into();
    let pdf = session
        .document_pdf(&patient, &DocumentDraft::Report(report))
        .unwrap();
    assert!(pdf.0.starts_with(b"%PDF"));
    let text: String = pdftotext(&pdf.0).split_whitespace().collect();
    assert!(text.contains("服薬確認と清拭を行った"), "{text}");
    assert!(text.contains("みどり訪問看護ステーション"), "{text}");
    assert_eq!(exports(&session), 1);
}

#[test]
fn a_bad_month_or_a_missing_visit_is_refused_and_nothing_is_recorded() {
    let vault = TempVault::new();
    let mut session = vault.create(8);
    let patient = session.add_patient(&yamada()).unwrap();
    let before = session.audit_log(&None).unwrap().len();
    for month in [Some("2026-13"), Some("十一月"), None] {
        let mut request = report_of("");
        request.month = month.map(str::to_owned);
        let error = session.document_draft(&patient, &request).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput, "{month:?}");
    }
    let record2 = DocumentRequest {
        kind: DocumentKind::Record2,
        month: None,
        date: Some(karte_types::Date::parse("date", "2026-11-25").unwrap()),
        visit: None,
    };
    let error = session.document_draft(&patient, &record2).unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    assert!(
        error.to_string().contains("no visit on 2026-11-25"),
        "{error}"
    );
    assert_eq!(session.audit_log(&None).unwrap().len(), before);
}

#[test]
fn a_visit_record_with_a_malformed_end_time_is_refused() {
    let vault = TempVault::new();
    let mut session = vault.create(9);
    let patient = session.add_patient(&yamada()).unwrap();
    session.record_visit(&patient, &visit(0, 72)).unwrap();
    let request = DocumentRequest {
        kind: DocumentKind::Record2,
        month: None,
        date: Some(karte_types::Date::parse("date", "2026-11-25").unwrap()),
        visit: None,
    };
    let DocumentDraft::Record2(mut record) = session.document_draft(&patient, &request).unwrap()
    else {
        panic!("a visit record was asked for")
    };
    assert_eq!(record.start, "09:00");
    record.end = Some("25:70".into());
    let error = session
        .document_pdf(&patient, &DocumentDraft::Record2(record))
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidInput);
}

#[test]
fn a_saved_document_is_approved_by_a_second_person_then_only_voided() {
    use karte_api::{Environment, Role, Session};
    let vault = TempVault::new();
    let mut admin = vault.create(10);
    admin
        .add_user("sato", Role::Nurse, b"sato's long passphrase")
        .unwrap();
    let patient = admin.add_patient(&yamada()).unwrap();
    admin.record_visit(&patient, &visit(0, 72)).unwrap();
    drop(admin);

    // The nurse saves the month's report, edits it, and may not approve it.
    let mut nurse = Session::open(
        &vault.path(),
        Some("sato"),
        b"sato's long passphrase",
        Environment::fixed(karte_test_support::START, 11),
    )
    .unwrap();
    let DocumentDraft::Report(mut report) = nurse
        .document_draft(&patient, &report_of("2026-11"))
        .unwrap()
    else {
        panic!("a report")
    };
    report.care_given = "清拭".into();
    let entry = nurse
        .save_document(&patient, &DocumentDraft::Report(report.clone()))
        .unwrap();
    report.care_given = "清拭と服薬確認".into();
    nurse
        .update_document(&patient, &entry, &DocumentDraft::Report(report.clone()))
        .unwrap();
    let refused = nurse.approve_document(&patient, &entry).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::NotPermitted);
    drop(nurse);

    // The administrator approves it; then it is not edited, only voided.
    let mut admin = Session::open(
        &vault.path(),
        Some("admin"),
        karte_test_support::PASSPHRASE,
        Environment::fixed(karte_test_support::START, 12),
    )
    .unwrap();
    admin.approve_document(&patient, &entry).unwrap();
    let chart = admin.chart(&patient).unwrap();
    let document = &chart.documents[0];
    assert_eq!(document.meta.recorded_by.user_name, "sato");
    assert_eq!(document.input.approved_by_name.as_deref(), Some("admin"));
    assert!(document.input.approved_at.is_some());
    let DocumentDraft::Report(saved) = document.input.draft().unwrap() else {
        panic!("a report")
    };
    assert_eq!(saved.care_given, "清拭と服薬確認");
    let error = admin
        .update_document(&patient, &entry, &DocumentDraft::Report(report))
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    assert!(error.to_string().contains("approved"), "{error}");
    admin
        .void_entry(&patient, &entry, "別の月の報告書")
        .unwrap();
    assert!(
        admin.chart(&patient).unwrap().documents[0]
            .meta
            .entered_in_error
            .is_some()
    );
}

#[test]
fn the_one_who_saved_a_document_may_not_approve_it_even_as_an_administrator() {
    let vault = TempVault::new();
    let mut admin = vault.create(13);
    let patient = admin.add_patient(&yamada()).unwrap();
    let draft = admin
        .document_draft(&patient, &report_of("2026-11"))
        .unwrap();
    let entry = admin.save_document(&patient, &draft).unwrap();
    let error = admin.approve_document(&patient, &entry).unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    assert!(error.to_string().contains("second person"), "{error}");
    assert!(
        admin.chart(&patient).unwrap().documents[0]
            .input
            .approved_at
            .is_none()
    );
}
