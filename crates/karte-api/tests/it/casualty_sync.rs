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

/// A small drill: three devices each register and triage casualties
/// offline, re-triage some of each other's after a sync, transport a few,
/// and sync again; every device's board then counts what the test did.
#[test]
fn a_drill_on_three_devices_gives_one_board_that_counts_the_drill() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("DMAT 熊本");
    let mut devices = [
        Device::enrolled(&hub, &org.id, "laptop A"),
        Device::enrolled(&hub, &org.id, "tablet B"),
        Device::enrolled(&hub, &org.id, "tablet C"),
    ];
    // The category each casualty ends with, as the test decides it.
    let mut expected: Vec<(PatientId, Option<TriageCategory>, bool)> = Vec::new();
    for (d, device) in devices.iter_mut().enumerate() {
        for n in 0..8 {
            let tag = format!("T-{d}{n:02}");
            let patient = device.session.add_casualty(&casualty(&tag)).unwrap();
            let category = match n % 4 {
                0 => None,
                1 => {
                    device.session.triage(&patient, &start(false, 34)).unwrap();
                    Some(TriageCategory::Red)
                }
                2 => {
                    device.session.triage(&patient, &start(false, 20)).unwrap();
                    Some(TriageCategory::Yellow)
                }
                _ => {
                    device.session.triage(&patient, &start(true, 16)).unwrap();
                    Some(TriageCategory::Green)
                }
            };
            expected.push((patient, category, false));
        }
    }
    for _ in 0..2 {
        for device in devices.iter_mut() {
            device.sync();
        }
    }
    // Each device re-triages the untriaged casualties of the next device
    // as yellow, and transports its own first red one.
    for (d, device) in devices.iter_mut().enumerate() {
        let next = (d + 1) % 3;
        for n in (0..8).step_by(4) {
            let i = next * 8 + n;
            device
                .session
                .triage(&expected[i].0, &start(false, 20))
                .unwrap();
            expected[i].1 = Some(TriageCategory::Yellow);
        }
        let own = d * 8 + 1;
        let now = device.session.now();
        device
            .session
            .record_transport(
                &expected[own].0,
                &karte_types::TransportInput {
                    destination: Some("熊本赤十字病院".into()),
                    departed_at: Some(now),
                    ..karte_types::TransportInput::default()
                },
            )
            .unwrap();
        expected[own].2 = true;
    }
    for _ in 0..2 {
        for device in devices.iter_mut() {
            device.sync();
        }
    }
    let count = |category: TriageCategory| {
        expected
            .iter()
            .filter(|(_, c, gone)| !gone && *c == Some(category))
            .count() as u32
    };
    let boards: Vec<_> = devices
        .iter_mut()
        .map(|d| d.session.board(&None).unwrap())
        .collect();
    for board in &boards {
        assert_eq!(board.departed, 3);
        assert_eq!(board.untriaged, 0);
        for (category, n) in &board.counts {
            assert_eq!(*n, count(*category), "{category}");
        }
        // The same casualties in the same categories (within a category
        // the order is by waiting time, which each device's clock gives).
        let lines = |b: &karte_types::Board| {
            let mut lines: Vec<_> = b
                .rows
                .iter()
                .map(|r| (r.category.map(|c| c.urgency()), r.patient.clone()))
                .collect();
            lines.sort();
            lines
        };
        assert_eq!(lines(board), lines(&boards[0]));
        let ranks: Vec<_> = board.rows.iter().map(|r| r.category).collect();
        let mut sorted = ranks.clone();
        sorted.sort_by_key(|c| c.map(|c| TriageCategory::ALL.iter().position(|x| *x == c)));
        assert_eq!(ranks, sorted, "listed by category");
    }
    assert_eq!(boards[0].rows.len(), 21);
}
