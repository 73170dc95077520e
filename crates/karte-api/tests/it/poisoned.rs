//! Issue "A hub a prefecture can trust", item 1: one chart must not stall
//! an organisation. A device of one organisation pushes a change that is
//! valid Automerge but no valid chart (another "first change" making the
//! containers again) to a chart shared with a second organisation, whose
//! devices all refuse it. The hub refuses such a push as devices would;
//! and a device that meets such a chart anyway (from a hub that took it
//! before it checked) keeps the rest of the page and goes on.
//!
//! These tests fail on Karte as it was before: its hub stored such a push,
//! and every sync of the station's devices failed on the chart.

use karte_hub::StoredChange;
use karte_test_support::{visit, yamada};
use karte_types::PatientId;

use crate::hub::{Device, Hostile, TestHub};

/// A clinic (the chart's owner, where the hostile device is enrolled) and a
/// home-care station it shares `charts` charts with, each side with one
/// device that has synced them.
fn shared_charts(hub: &TestHub, charts: usize) -> (Device, Device, Hostile, Vec<PatientId>) {
    let (clinic, _) = hub.add_org("辰野クリニック");
    let (station, _) = hub.add_org("訪問看護ステーションさくら");
    let mut doctor = Device::enrolled(hub, &clinic.id, "clinic laptop");
    let mut nurse = Device::enrolled(hub, &station.id, "station tablet");
    hub.accept_shares(&station.id, &clinic.id);
    let patients: Vec<PatientId> = (0..charts)
        .map(|_| {
            let patient = doctor.session.add_patient(&yamada()).unwrap();
            doctor.session.share(&patient, station.id.as_str()).unwrap();
            patient
        })
        .collect();
    doctor.sync();
    nurse.sync();
    let hostile = Hostile::enrolled(hub, &clinic.id);
    (doctor, nurse, hostile, patients)
}

#[test]
fn the_hub_refuses_a_change_that_makes_a_chart_no_chart() {
    let hub = TestHub::start();
    let (mut doctor, mut nurse, mut hostile, patients) = shared_charts(&hub, 1);
    let patient = &patients[0];
    let head = hub.feed_head();
    let poison = hostile.second_first_change(patient);
    let refused = hostile.push(&hub, patient, &[poison]).unwrap_err();
    // The per-change check sees a second first change before the chart
    // checks do; either refuses the push whole.
    assert!(
        ["invalid_chart", "forbidden_change"].contains(&refused.code()),
        "{refused}"
    );
    assert_eq!(hub.feed_head(), head, "nothing of the push is stored");

    // The station's devices go on syncing the chart.
    doctor
        .session
        .record_visit(patient, &visit(60, 72))
        .unwrap();
    doctor.sync();
    for _ in 0..2 {
        nurse.sync();
    }
    assert_eq!(nurse.session.chart(patient).unwrap().visits.len(), 1);
    let doc = |device: &mut Device| serde_json::to_value(device.session.chart(patient).unwrap());
    assert_eq!(doc(&mut nurse).unwrap(), doc(&mut doctor).unwrap());
    let station = nurse.session.enrolment().unwrap().unwrap().org_id;
    let mut fresh = Device::enrolled(&hub, &karte_hub::OrgId(station), "second tablet");
    fresh.sync();
    assert_eq!(doc(&mut fresh).unwrap(), doc(&mut doctor).unwrap());
}

#[test]
fn a_device_quarantines_a_poisoned_chart_and_applies_the_rest_of_the_page() {
    let hub = TestHub::start();
    let (mut doctor, mut nurse, hostile, patients) = shared_charts(&hub, 4);
    for patient in &patients {
        doctor
            .session
            .record_visit(patient, &visit(60, 72))
            .unwrap();
    }
    doctor.sync();
    // A hub that took the change before it checked holds it, after the
    // visits: the station's next page brings all four charts.
    let poisoned = &patients[2];
    let signed = hostile.sign(&hostile.second_first_change(poisoned));
    let stored = StoredChange {
        hash: signed.hash,
        bytes: signed.change,
        signature: signed.signature,
        author: None,
    };
    hub.store_behind_the_checks(&hostile.id, poisoned, vec![stored]);

    let summary = nurse.sync();
    assert_eq!(summary.received_charts, 4, "{summary}");
    assert_eq!(summary.requests, 1, "one page: {summary}");
    assert_eq!(summary.quarantined.len(), 1, "{summary}");
    assert_eq!(summary.quarantined[0].doc, *poisoned);
    let reason = summary.quarantined[0].reason.as_str();
    assert!(
        ["invalid_chart", "forbidden_change"].contains(&reason),
        "{reason}"
    );
    for patient in &patients {
        let visits = nurse.session.chart(patient).unwrap().visits.len();
        let expected = if patient == poisoned { 0 } else { 1 };
        assert_eq!(visits, expected, "the last good state stays readable");
    }
    let kept = nurse.session.quarantined_charts().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].patient, *poisoned);
    assert_eq!(kept[0].reason.as_str(), reason);
    assert_eq!(kept[0].updates, 1);
    assert!(kept[0].summary.is_some(), "the chart's list entry is kept");
    assert_eq!(nurse.session.sync_status().unwrap().quarantined, 1);
    assert!(hub.quarantined().is_empty(), "not reported yet");

    // The next sync reports the chart and meets nothing of it again; the
    // one after sends no list, and the hub keeps what it was told.
    let again = nurse.sync();
    assert_eq!((again.received_charts, again.quarantined.len()), (0, 0));
    let reported = hub.quarantined();
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].doc, *poisoned);
    assert_eq!(reported[0].reason, reason);
    assert_eq!(
        reported[0].device,
        nurse.session.author().device,
        "reported by the station's tablet"
    );
    nurse.sync();
    assert_eq!(hub.quarantined().len(), 1);

    // Later changes of the other charts still arrive; the quarantine stays
    // in the reopened vault.
    doctor
        .session
        .record_visit(&patients[0], &visit(61, 80))
        .unwrap();
    doctor.sync();
    let mut nurse = nurse.reopen();
    nurse.sync();
    assert_eq!(nurse.session.chart(&patients[0]).unwrap().visits.len(), 2);
    assert_eq!(nurse.session.quarantined_charts().unwrap().len(), 1);
}
