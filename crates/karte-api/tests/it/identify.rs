//! Identity found later: an unknown casualty linked to the chart of the
//! person they turned out to be reads as that chart, with every entry's
//! own author; values the two disagree on are review items; the tag still
//! finds the person; links that would be wrong are refused with nothing
//! written; and two devices that link the same pair converge.

use karte_api::ApiError;
use karte_test_support::{penicillin, visit, yamada};
use karte_types::{
    AgeBand, CasualtyInput, PatientId, ReviewKind, Sex, TriageFindings, TriageRequest, refusal,
};

use crate::hub::{Device, TestHub};
use crate::support::TempVault;

fn casualty(tag: &str, sex: Sex, age_band: AgeBand) -> CasualtyInput {
    CasualtyInput {
        tag: tag.into(),
        sex,
        age_band,
        found_at: Some("体育館東側".into()),
        found_latitude: None,
        found_longitude: None,
        features: None,
    }
}

fn walks() -> TriageRequest {
    TriageRequest {
        findings: TriageFindings {
            walks: Some(true),
            ..TriageFindings::default()
        },
        ..TriageRequest::default()
    }
}

/// The code of an `invalid_input` refusal's first field.
fn refusal_code(error: ApiError) -> String {
    match error {
        ApiError::Invalid(errors) => errors.0[0].code.clone(),
        other => panic!("not a refusal of the input: {other}"),
    }
}

fn identity_rules(reviews: &[karte_types::Review]) -> Vec<String> {
    let mut rules: Vec<String> = reviews
        .iter()
        .filter_map(|r| match &r.kind {
            ReviewKind::Clinical { rule } if rule.starts_with("identity-") => Some(rule.clone()),
            _ => None,
        })
        .collect();
    rules.sort();
    rules
}

#[test]
fn an_identified_casualty_reads_as_the_known_chart_with_its_authors_and_review_items() {
    let vault = TempVault::new();
    let mut session = vault.create(1);
    // Known: 山田太郎, male, born 1941 (85 at the test's start), no known allergies.
    let known = session.add_patient(&yamada()).unwrap();
    session.set_no_known_allergies(&known).unwrap();
    // Found: a woman in her sixties, allergic to penicillin, seen twice.
    let found = session
        .add_casualty(&casualty("T-0123", Sex::Female, AgeBand::Sixties))
        .unwrap();
    session.triage(&found, &walks()).unwrap();
    let allergy = session.add_allergy(&found, &penicillin()).unwrap();
    session.record_visit(&found, &visit(10, 88)).unwrap();
    let before = session.chart(&found).unwrap();

    let link = session.identify(&found, &known).unwrap();
    let chart = session.chart(&known).unwrap();
    // The casualty's entries, with who recorded them and when, unchanged.
    let folded = chart
        .allergies
        .iter()
        .find(|a| a.meta.id == allergy)
        .expect("the casualty's allergy reads in the known chart");
    assert_eq!(folded.meta, before.allergies[0].meta);
    assert_eq!(chart.visits.len(), 1);
    assert_eq!(chart.visits[0].meta, before.visits[0].meta);
    assert_eq!(chart.triage.history.len(), 1);
    assert_eq!(chart.triage.registrations[0].input.tag, "T-0123");
    assert_eq!(chart.triage.identifications[0].meta.id, link);
    assert_eq!(chart.patient.full_name(), "山田 太郎");
    assert_eq!(chart.allergy_status, karte_types::AllergyStatus::Recorded);
    // Sex, age and allergies disagree: one review item each.
    assert_eq!(
        identity_rules(&chart.reviews),
        ["identity-age", "identity-allergies", "identity-sex"]
    );

    // The tag finds the known patient, listed once.
    let by_tag = session.patients("T-0123").unwrap();
    assert_eq!(by_tag.len(), 1);
    assert_eq!(by_tag[0].id, known);
    let everyone = session.patients("").unwrap();
    assert_eq!(everyone.len(), 1, "{everyone:?}");
    // The board shows the casualty under the known name.
    let board = session.board(&None).unwrap();
    assert_eq!(board.rows[0].name_ja, "山田 太郎");

    // The same link again writes nothing.
    let history = session.chart(&found).unwrap();
    assert_eq!(session.identify(&found, &known).unwrap(), link);
    assert_eq!(session.chart(&found).unwrap(), history);

    // A review item raised in the casualty chart is resolved through the
    // known chart's id, in the chart that holds it.
    let sex = chart
        .reviews
        .iter()
        .find(|r| matches!(&r.kind, ReviewKind::Clinical { rule } if rule == "identity-sex"))
        .unwrap();
    session
        .resolve_review(&known, &sex.id, "登録時の見誤り")
        .unwrap();
    let chart = session.chart(&known).unwrap();
    assert_eq!(
        chart.open_reviews().count(),
        2,
        "the other two stay open: {:?}",
        chart.reviews
    );

    // Voiding the link (through the known chart) separates them again.
    session.void_entry(&known, &link, "別人だった").unwrap();
    assert!(session.chart(&known).unwrap().visits.is_empty());
    assert_eq!(session.patients("T-0123").unwrap()[0].id, found);
}

#[test]
fn wrong_links_are_refused_with_their_codes_and_change_nothing() {
    let vault = TempVault::new();
    let mut session = vault.create(2);
    let known = session.add_patient(&yamada()).unwrap();
    let first = session
        .add_casualty(&casualty("T-1", Sex::Male, AgeBand::Eighties))
        .unwrap();
    let second = session
        .add_casualty(&casualty("T-2", Sex::Male, AgeBand::Eighties))
        .unwrap();
    let audit = session.audit_log(&None).unwrap().len();

    let code = |e: Result<_, ApiError>| refusal_code(e.unwrap_err());
    assert_eq!(code(session.identify(&first, &first)), refusal::SAME_CHART);
    assert_eq!(code(session.identify(&known, &first)), refusal::NOT_UNKNOWN);
    // One person registered twice: T-1 is T-2.
    session.identify(&first, &second).unwrap();
    assert_eq!(code(session.identify(&second, &first)), refusal::CYCLE);
    assert_eq!(
        code(session.identify(&first, &known)),
        refusal::ALREADY_IDENTIFIED
    );
    let missing = PatientId::from("01KNOWNNOWHERE0000000000000");
    assert_eq!(
        session
            .identify(&first, &missing)
            .unwrap_err()
            .code()
            .as_str(),
        "unknown_patient"
    );
    // Only the one link was written (its edit and the opens since).
    let edits: Vec<_> = session
        .audit_log(&None)
        .unwrap()
        .into_iter()
        .skip(audit)
        .filter(|e| matches!(e.event.action, karte_types::AuditAction::ChartEdit { .. }))
        .collect();
    assert_eq!(edits.len(), 1, "{edits:?}");

    // A chain: T-2 found to be 山田; T-1, linked to T-2, reads there too.
    session.identify(&second, &known).unwrap();
    let chart = session.chart(&known).unwrap();
    let mut tags: Vec<&str> = chart
        .triage
        .registrations
        .iter()
        .map(|r| r.input.tag.as_str())
        .collect();
    tags.sort();
    assert_eq!(tags, ["T-1", "T-2"]);
    assert_eq!(session.patients("T-1").unwrap()[0].id, known);
}

#[test]
fn two_devices_that_link_the_same_pair_offline_converge() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("DMAT 熊本");
    let mut a = Device::enrolled(&hub, &org.id, "laptop A");
    let mut b = Device::enrolled(&hub, &org.id, "tablet B");
    let known = a.session.add_patient(&yamada()).unwrap();
    let found = a
        .session
        .add_casualty(&casualty("T-0042", Sex::Female, AgeBand::Forties))
        .unwrap();
    a.sync();
    b.sync();

    // Both find out who T-0042 is while apart.
    a.session.identify(&found, &known).unwrap();
    b.session.triage(&found, &walks()).unwrap();
    b.session.identify(&found, &known).unwrap();
    a.sync();
    b.sync();
    a.sync();
    let on_a = a.session.chart(&known).unwrap();
    let on_b = b.session.chart(&known).unwrap();
    assert_eq!(on_a, on_b);
    assert_eq!(on_a.triage.identifications.len(), 2);
    assert_eq!(on_a.triage.history.len(), 1);
    // Both recorded the same disagreements under the same ids: one each.
    assert_eq!(
        identity_rules(&on_a.reviews),
        ["identity-age", "identity-sex"]
    );
    assert_eq!(
        a.session.patients("T-0042").unwrap(),
        b.session.patients("T-0042").unwrap()
    );
    assert_eq!(a.session.patients("T-0042").unwrap()[0].id, known);
}

#[test]
fn two_devices_that_link_one_casualty_to_two_people_raise_a_review_item() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("DMAT 熊本");
    let mut a = Device::enrolled(&hub, &org.id, "laptop A");
    let mut b = Device::enrolled(&hub, &org.id, "tablet B");
    let yamada_chart = a.session.add_patient(&yamada()).unwrap();
    let mut other = yamada();
    other.family = "鈴木".into();
    other.family_kana = "スズキ".into();
    let suzuki_chart = a.session.add_patient(&other).unwrap();
    let found = a
        .session
        .add_casualty(&casualty("T-0043", Sex::Male, AgeBand::Eighties))
        .unwrap();
    a.sync();
    b.sync();

    // Apart, each device takes T-0043 for someone else.
    a.session.identify(&found, &yamada_chart).unwrap();
    b.session.identify(&found, &suzuki_chart).unwrap();
    a.sync();
    b.sync();
    a.sync();
    let on_a = a.session.chart(&found).unwrap();
    let on_b = b.session.chart(&found).unwrap();
    assert_eq!(on_a.triage.identifications.len(), 2);
    let disagreement = |view: &karte_types::ChartView| {
        view.reviews
            .iter()
            .filter(|r| {
                r.kind
                    == ReviewKind::Clinical {
                        rule: "identity-disagreement".into(),
                    }
            })
            .map(|r| r.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(disagreement(&on_a).len(), 1, "{:?}", on_a.reviews);
    assert_eq!(disagreement(&on_a), disagreement(&on_b));
    // Both devices still agree on whom the casualty reads as meanwhile.
    assert_eq!(
        a.session.patients("T-0043").unwrap(),
        b.session.patients("T-0043").unwrap()
    );
}
