//! Disaster mode through the session: a casualty registered in one write
//! and found by tag, triaged again and again, transported, and the board.

use karte_api::{Environment, FixedClock, SeededEntropy, Session};
use karte_test_support::{PASSPHRASE, START};
use karte_types::{
    AgeBand, CasualtyInput, Sex, Timestamp, TransportInput, TriageCategory, TriageFindings,
    TriageRequest, TriageRule,
};

use crate::support::TempVault;

fn casualty(tag: &str) -> CasualtyInput {
    CasualtyInput {
        tag: tag.into(),
        sex: Sex::Male,
        age_band: AgeBand::Sixties,
        found_at: Some("体育館東側".into()),
        found_latitude: None,
        found_longitude: None,
        features: Some("青い作業着".into()),
    }
}

fn start(walks: bool, rr: u16) -> TriageRequest {
    TriageRequest {
        findings: TriageFindings {
            walks: Some(walks),
            breathing: Some(true),
            respiratory_rate: Some(rr),
            heart_rate: Some(90),
            obeys: Some(true),
            ..TriageFindings::default()
        },
        ..TriageRequest::default()
    }
}

/// The vault reopened with its clock at `minutes` after the start.
fn open_at(vault: &TempVault, minutes: i64) -> Session {
    Session::open(
        &vault.path(),
        None,
        PASSPHRASE,
        Environment {
            clock: Box::new(FixedClock::new(
                Timestamp(START.0 + minutes * 60_000),
                1_000,
            )),
            entropy: Box::new(SeededEntropy::new(minutes as u64 + 7)),
        },
    )
    .unwrap()
}

#[test]
fn a_casualty_is_registered_found_by_tag_and_triaged() {
    let vault = TempVault::new();
    let mut session = vault.create(1);
    let patient = session.add_casualty(&casualty("T-0123")).unwrap();
    let found = session.patients("t-0123").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].display_name_ja(), "身元不明 男性 60代 #T-0123");
    assert_eq!(found[0].display_name_en(), "Unknown, male, 60s, #T-0123");
    assert!(session.patients("T-0124").unwrap().is_empty());
    assert_eq!(session.patients("#T-0123").unwrap().len(), 1);

    let result = session.triage(&patient, &start(false, 32)).unwrap();
    assert_eq!(result.category, TriageCategory::Red);
    assert_eq!(
        result.outcome.reasons[0].rule,
        TriageRule::StartRespiratoryRate
    );
    let mut overridden = start(false, 20);
    overridden.override_category = Some(TriageCategory::Red);
    overridden.override_reason = Some("腹部膨隆".into());
    let result = session.triage(&patient, &overridden).unwrap();
    assert_eq!(result.outcome.category, TriageCategory::Yellow);
    assert_eq!(result.category, TriageCategory::Red);
    session
        .record_transport(
            &patient,
            &TransportInput {
                agency: Some("熊本市消防局".into()),
                destination: Some("熊本赤十字病院".into()),
                departed_at: None,
            },
        )
        .unwrap();
    session.lock();

    // Everything is durable and the same after reopening.
    let mut session = vault.open(2);
    let chart = session.chart(&patient).unwrap();
    assert_eq!(chart.triage.history.len(), 2);
    let current = chart.triage.current().unwrap();
    assert_eq!(current.input.category, TriageCategory::Red);
    assert_eq!(current.input.computed, TriageCategory::Yellow);
    assert_eq!(current.input.override_reason.as_deref(), Some("腹部膨隆"));
    assert_eq!(
        chart
            .triage
            .transport()
            .unwrap()
            .input
            .destination
            .as_deref(),
        Some("熊本赤十字病院")
    );
    let audit = session.audit_log(&Some(patient.clone())).unwrap();
    assert!(audit.iter().any(|e| e.event.action
        == karte_api::AuditAction::ChartEdit {
            operation: "casualty.register".into()
        }));
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let vault = TempVault::new();
    let mut session = vault.create(1);
    assert_eq!(
        session.add_casualty(&casualty("")).unwrap_err().code(),
        "invalid_input"
    );
    assert!(session.patients("").unwrap().is_empty());
    let patient = session.add_casualty(&casualty("T-1")).unwrap();
    let incomplete = TriageRequest {
        findings: TriageFindings {
            walks: Some(false),
            ..TriageFindings::default()
        },
        ..TriageRequest::default()
    };
    let error = session.triage(&patient, &incomplete).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert!(error.to_string().contains("breathing"), "{error}");
    let mut future = start(true, 16);
    future.at = Some(Timestamp(START.0 + 24 * 3_600_000));
    assert_eq!(
        session.triage(&patient, &future).unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(
        session
            .record_transport(&patient, &TransportInput::default())
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert!(session.chart(&patient).unwrap().triage.history.is_empty());
}

#[test]
fn the_board_orders_by_category_then_waiting_and_marks_the_overdue() {
    let vault = TempVault::new();
    let mut session = vault.create(1);
    let red = session.add_casualty(&casualty("T-1")).unwrap();
    session.triage(&red, &start(false, 35)).unwrap();
    let yellow = session.add_casualty(&casualty("T-2")).unwrap();
    session.triage(&yellow, &start(false, 20)).unwrap();
    let green = session.add_casualty(&casualty("T-3")).unwrap();
    session.triage(&green, &start(true, 16)).unwrap();
    let gone = session.add_casualty(&casualty("T-4")).unwrap();
    session.triage(&gone, &start(false, 35)).unwrap();
    session
        .record_transport(
            &gone,
            &TransportInput {
                departed_at: Some(session.now()),
                ..TransportInput::default()
            },
        )
        .unwrap();
    session.lock();

    // Two hours later the yellow is triaged again and a new casualty arrives.
    let mut session = open_at(&vault, 120);
    session.triage(&yellow, &start(false, 22)).unwrap();
    let new = session.add_casualty(&casualty("T-5")).unwrap();
    let board = session.board(&None).unwrap();
    let order: Vec<_> = board.rows.iter().map(|r| r.patient.clone()).collect();
    assert_eq!(order, [new, red, yellow, green]);
    let overdue: Vec<bool> = board.rows.iter().map(|r| r.overdue).collect();
    assert_eq!(overdue, [false, true, false, true]);
    assert_eq!(board.untriaged, 1);
    assert_eq!(board.departed, 1);
    assert_eq!(board.counts[0], (TriageCategory::Red, 1));
    assert_eq!(board.rows[1].tag.as_deref(), Some("T-1"));
    assert!(board.rows[1].waiting_minutes >= 119);
    // A longer interval marks nobody.
    assert!(
        session
            .board(&Some(180))
            .unwrap()
            .rows
            .iter()
            .all(|r| !r.overdue)
    );
}
