//! The daily report through the session and the hub: consultations
//! recorded on two devices, each synced to the other, are counted once
//! on both; an identified casualty's consultation is counted once too.

use karte_test_support::{at, visit, yamada};
use karte_types::{
    AgeBand, CasualtyInput, ConsultationInput, Date, JSpeedSheet, JSpeedTicks, ReportAgeGroup, Sex,
};

use crate::hub::{Device, TestHub};

fn sheet(items: &str, age_group: Option<ReportAgeGroup>) -> JSpeedSheet {
    JSpeedSheet {
        team: "DMAT 熊本1".into(),
        site: "益城町総合体育館".into(),
        items: JSpeedTicks::parse(items).unwrap(),
        pregnant: false,
        age_group,
    }
}

fn consultation(minutes: i64, items: &str, age_group: Option<ReportAgeGroup>) -> ConsultationInput {
    ConsultationInput {
        visit: visit(minutes, 80),
        sheet: sheet(items, age_group),
    }
}

#[test]
fn consultations_synced_between_devices_are_counted_once() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("DMAT 熊本");
    let mut a = Device::enrolled(&hub, &org.id, "laptop A");
    let mut b = Device::enrolled(&hub, &org.id, "tablet B");
    let known = a.session.add_patient(&yamada()).unwrap();
    let found = a
        .session
        .add_casualty(&CasualtyInput {
            tag: "T-0100".into(),
            sex: Sex::Female,
            age_band: AgeBand::Thirties,
            found_at: None,
            found_latitude: None,
            found_longitude: None,
            features: None,
        })
        .unwrap();
    a.session
        .record_consultation(&known, &consultation(10, "16,8", None))
        .unwrap();
    a.session
        .record_consultation(&found, &consultation(20, "5", None))
        .unwrap();
    a.sync();
    b.sync();
    b.session
        .record_consultation(&known, &consultation(30, "16", None))
        .unwrap();
    // The casualty turns out to be 山田: her consultation is still one.
    b.session.identify(&found, &known).unwrap();
    b.sync();
    a.sync();

    let day = at(0).date_jst();
    let on_a = a.session.disaster_report(&day, "益城町総合体育館").unwrap();
    let on_b = b.session.disaster_report(&day, "益城町総合体育館").unwrap();
    assert_eq!(on_a, on_b);
    let team = &on_a.teams[0];
    assert_eq!(team.consultations, 3);
    assert_eq!(team.items["fever"], 2);
    assert_eq!(team.items["minor-injury"], 1);
    // 山田 is 85; the casualty was registered in her thirties.
    assert_eq!(team.male, [0, 0, 0, 2]);
    assert_eq!(team.female, [0, 0, 1, 0]);
    // Another day has none.
    let other = Date::from_ymd(2020, 1, 1).unwrap();
    assert!(
        a.session
            .disaster_report(&other, "益城町総合体育館")
            .unwrap()
            .teams
            .is_empty()
    );
    // Through the folded chart the visits read once each.
    assert_eq!(a.session.chart(&known).unwrap().visits.len(), 3);
}
