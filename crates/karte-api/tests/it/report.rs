//! The daily report through the session and the hub: consultations
//! recorded on two devices, each synced to the other, are counted once
//! on both; an identified casualty's consultation is counted once too;
//! and the report read from the patient index equals the one counted from
//! the charts, on random steps.

use karte_test_support::{at, visit, yamada};
use karte_types::{
    AgeBand, AssessmentInput, CasualtyInput, ConsultationInput, Date, JSpeedSheet, JSpeedTicks,
    ReportAgeGroup, Scale, Sex,
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

/// What one step of the property test does.
#[derive(Debug, Clone)]
enum Step {
    /// A consultation on a device, on one of the charts.
    Consult {
        device: usize,
        chart: usize,
        minutes: i64,
        team: usize,
        site: usize,
        items: usize,
    },
    /// A later sheet for a consultation already recorded (a correction),
    /// on a device that has synced it.
    Correct {
        device: usize,
        nth: usize,
        team: usize,
        items: usize,
    },
    /// The sheet of a consultation voided.
    Void {
        device: usize,
        nth: usize,
    },
    Sync {
        device: usize,
    },
}

const TEAMS: [&str; 2] = ["DMAT 熊本1", "JMAT 福岡"];
const SITES: [&str; 2] = ["益城町総合体育館", "益城町保健福祉センター"];
const ITEMS: [&str; 4] = ["16,8", "5", "19,44", "21"];

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        4 => (0..2usize, 0..3usize, 0..2_000i64, 0..2usize, 0..2usize, 0..4usize).prop_map(
            |(device, chart, minutes, team, site, items)| Step::Consult {
                device,
                chart,
                minutes,
                team,
                site,
                items
            }
        ),
        1 => (0..2usize, any::<usize>(), 0..2usize, 0..4usize)
            .prop_map(|(device, nth, team, items)| Step::Correct { device, nth, team, items }),
        1 => (0..2usize, any::<usize>()).prop_map(|(device, nth)| Step::Void { device, nth }),
        1 => (0..2usize).prop_map(|device| Step::Sync { device }),
    ]
}

fn jspeed(team: usize, site: usize, items: usize) -> JSpeedSheet {
    JSpeedSheet {
        team: TEAMS[team].into(),
        site: SITES[site].into(),
        items: JSpeedTicks::parse(ITEMS[items]).unwrap(),
        pregnant: false,
        age_group: None,
    }
}

/// The report as counted from every chart, opened: what the index must
/// give.
fn from_charts(
    session: &mut karte_api::Session,
    date: Date,
    site: &str,
) -> karte_types::DailyReport {
    let ids: Vec<_> = session
        .patients("")
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let consultations = ids
        .iter()
        .flat_map(|id| session.chart(id).unwrap().consultations())
        .collect::<Vec<_>>();
    karte_types::daily_report(date, site, consultations)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6))]

    /// The report read from the index equals the one counted from the
    /// charts on both devices, whatever was recorded, corrected or voided
    /// where, and whenever the devices synced: consultations synced
    /// through the hub (some charts filed unloaded with the hub's entry)
    /// count once.
    #[test]
    fn the_report_from_the_index_equals_the_report_from_the_charts(
        steps in proptest::collection::vec(step(), 1..14)
    ) {
        let hub = TestHub::start();
        let (org, _) = hub.add_org("DMAT 熊本");
        let mut devices = [
            Device::enrolled(&hub, &org.id, "laptop A"),
            Device::enrolled(&hub, &org.id, "tablet B"),
        ];
        let mut charts = vec![devices[0].session.add_patient(&yamada()).unwrap()];
        for (tag, sex, age_band) in [("T-0001", Sex::Female, AgeBand::Thirties), ("T-0002", Sex::Male, AgeBand::Tens)] {
            charts.push(devices[0].session.add_casualty(&CasualtyInput {
                tag: tag.into(),
                sex,
                age_band,
                found_at: None,
                found_latitude: None,
                found_longitude: None,
                features: None,
            }).unwrap());
        }
        devices[0].sync();
        devices[1].sync();
        // (chart, visit, sheet) of each consultation, in the order recorded.
        let mut recorded = Vec::new();
        for step in steps {
            match step {
                Step::Consult { device, chart, minutes, team, site, items } => {
                    let input = ConsultationInput {
                        visit: visit(minutes, 80),
                        sheet: jspeed(team, site, items),
                    };
                    let session = &mut devices[device].session;
                    let visit = session.record_consultation(&charts[chart], &input).unwrap();
                    let sheet = session
                        .chart(&charts[chart])
                        .unwrap()
                        .assessments
                        .into_iter()
                        .find(|a| a.input.visit.as_ref() == Some(&visit))
                        .unwrap()
                        .meta
                        .id;
                    recorded.push((chart, visit, sheet, minutes, site));
                }
                Step::Correct { device, nth, team, items } if !recorded.is_empty() => {
                    let (chart, visit, _, minutes, site) = recorded[nth % recorded.len()].clone();
                    devices[1 - device].sync();
                    devices[device].sync();
                    devices[device].session.record_scale(&charts[chart], &AssessmentInput {
                        at: at(minutes),
                        visit: Some(visit),
                        scale: Scale::JSpeed(jspeed(team, site, items)),
                    }).unwrap();
                }
                Step::Void { device, nth } if !recorded.is_empty() => {
                    let (chart, _, sheet, _, _) = recorded[nth % recorded.len()].clone();
                    devices[1 - device].sync();
                    devices[device].sync();
                    // Voided once; a second void of the same sheet is refused or
                    // changes nothing, either way the counts must agree.
                    let _ = devices[device].session.void_entry(&charts[chart], &sheet, "wrong sheet");
                }
                Step::Sync { device } => {
                    devices[device].sync();
                }
                Step::Correct { .. } | Step::Void { .. } => {}
            }
        }
        for device in &mut devices {
            for date in [at(0).date_jst(), at(1_440).date_jst()] {
                for site in SITES {
                    // The index first: a chart filed unloaded and never
                    // opened since is read by the report itself.
                    let from_index = device.session.disaster_report(&date, site).unwrap();
                    proptest::prop_assert_eq!(
                        from_index,
                        from_charts(&mut device.session, date, site)
                    );
                }
            }
        }
        // Synced both ways, the devices count alike.
        devices[0].sync();
        devices[1].sync();
        devices[0].sync();
        let date = at(0).date_jst();
        let on_a = devices[0].session.disaster_report(&date, SITES[0]).unwrap();
        let on_b = devices[1].session.disaster_report(&date, SITES[0]).unwrap();
        proptest::prop_assert_eq!(on_a, on_b);
    }
}

/// A device that joins later gets the charts whole with the hub's list
/// entries, filed unloaded: the index knows none of their consultations,
/// so the report reads those charts once, keeps what it found, and counts
/// as the device that recorded them.
#[test]
fn charts_filed_unloaded_from_the_hub_are_counted_by_the_report() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("DMAT 熊本");
    let mut a = Device::enrolled(&hub, &org.id, "laptop A");
    let known = a.session.add_patient(&yamada()).unwrap();
    a.session
        .record_consultation(&known, &consultation(10, "16,8", None))
        .unwrap();
    a.session
        .record_consultation(&known, &consultation(20, "5", None))
        .unwrap();
    a.sync();
    let day = at(0).date_jst();
    let expected = a.session.disaster_report(&day, "益城町総合体育館").unwrap();
    assert_eq!(expected.teams[0].consultations, 2);

    let mut c = Device::enrolled(&hub, &org.id, "tablet C");
    let fresh = c.sync();
    assert_eq!(fresh.received_whole, 1, "{fresh}");
    let first = c.session.disaster_report(&day, "益城町総合体育館").unwrap();
    assert_eq!(first, expected);
    // Kept: the next report, and one after reopening, read no chart and
    // count the same.
    assert_eq!(
        c.session.disaster_report(&day, "益城町総合体育館").unwrap(),
        expected
    );
    let mut c = c.reopen();
    assert_eq!(
        c.session.disaster_report(&day, "益城町総合体育館").unwrap(),
        expected
    );
}
