//! Disaster mode through the hub: casualties registered and triaged on two
//! devices offline reach each other with every triage kept, a review item
//! on both when re-triages disagree, and the same board.

use karte_types::{
    AgeBand, CasualtyInput, PatientId, ReviewKind, Sex, TriageCategory, TriageFindings,
    TriageRequest,
};

use crate::hub::{Device, TestHub};

fn casualty(tag: &str) -> CasualtyInput {
    CasualtyInput {
        tag: tag.into(),
        sex: Sex::Female,
        age_band: AgeBand::Seventies,
        found_at: None,
        found_latitude: None,
        found_longitude: None,
        features: None,
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

fn board_lines(device: &mut Device) -> Vec<(PatientId, Option<TriageCategory>)> {
    let board = device.session.board(&None).unwrap();
    board
        .rows
        .into_iter()
        .map(|r| (r.patient, r.category))
        .collect()
}

#[test]
fn casualties_and_retriages_converge_through_the_hub() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("DMAT 熊本");
    let mut a = Device::enrolled(&hub, &org.id, "laptop A");
    let mut b = Device::enrolled(&hub, &org.id, "tablet B");

    let on_a = a.session.add_casualty(&casualty("T-0001")).unwrap();
    a.session.triage(&on_a, &start(false, 20)).unwrap();
    let on_b = b.session.add_casualty(&casualty("T-0002")).unwrap();
    b.session.triage(&on_b, &start(true, 16)).unwrap();
    a.sync();
    b.sync();
    a.sync();
    assert_eq!(b.session.patients("T-0001").unwrap()[0].id, on_a);
    assert_eq!(
        a.session.patients("t-0002").unwrap()[0].display_name_en(),
        "Unknown, female, 70s, #T-0002"
    );

    // Both re-triage T-0001 offline and disagree.
    a.session.triage(&on_a, &start(false, 34)).unwrap();
    b.session.triage(&on_a, &start(true, 16)).unwrap();
    a.sync();
    let merged = b.sync();
    assert_eq!(merged.new_reviews, 1, "{merged}");
    a.sync();
    let chart_a = a.session.chart(&on_a).unwrap();
    let chart_b = b.session.chart(&on_a).unwrap();
    assert_eq!(chart_a.triage.history.len(), 3);
    assert_eq!(chart_a.triage, chart_b.triage);
    assert_eq!(chart_a.reviews, chart_b.reviews);
    assert_eq!(
        chart_a.reviews[0].kind,
        ReviewKind::Clinical {
            rule: "triage-disagreement".into()
        }
    );
    assert_eq!(board_lines(&mut a), board_lines(&mut b));
    assert_eq!(board_lines(&mut a).len(), 2);
}
