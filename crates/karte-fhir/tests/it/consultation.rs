//! Disaster mode's consultations and daily report in FHIR: a consultation
//! is its visit's Encounter with the J-SPEED sheet an Observation of it,
//! the daily counts are MeasureReports (one per team), and both stay
//! valid for the independent validator.

use karte_fhir::{JSPEED_DAILY_MEASURE, bundle, daily_report_bundle, systems};
use karte_types::{
    AssessmentInput, ChartView, JSpeedSheet, JSpeedTicks, Scale, Soap, VisitInput, VitalSigns,
    daily_report,
};
use serde_json::Value;

use crate::chart::{ChartBuilder, at, generated_at, yamada};
use crate::json::of_type;
use crate::validator::{report, validate};

fn sheet(team: &str, items: &str, pregnant: bool) -> JSpeedSheet {
    JSpeedSheet {
        team: team.into(),
        site: "益城町総合体育館".into(),
        items: JSpeedTicks::parse(items).unwrap(),
        pregnant,
        age_group: None,
    }
}

/// A chart with two consultations of two teams.
fn consulted_chart() -> ChartView {
    let mut builder = ChartBuilder::new(yamada(), at("2026-12-07T08:00:00+09:00"));
    for (hour, team, items) in [(9, "DMAT 熊本1", "16,8"), (10, "JMAT 福岡", "5,44")] {
        let visit_at = at(&format!("2026-12-07T{hour:02}:00:00+09:00"));
        builder = builder.visit(VisitInput {
            at: visit_at,
            vitals: VitalSigns {
                pulse: Some(80),
                ..VitalSigns::default()
            },
            soap: Soap::default(),
            profession: None,
            long_visit: false,
        });
        let visit = Some(builder.last_visit_id());
        builder = builder.assessment(AssessmentInput {
            at: visit_at,
            visit,
            scale: Scale::JSpeed(sheet(team, items, false)),
        });
    }
    builder.build()
}

#[test]
fn a_consultation_is_an_encounter_with_its_jspeed_observation() {
    let chart = consulted_chart();
    let exported = bundle(
        std::slice::from_ref(&chart),
        generated_at(),
        "karte-export-1",
    );
    assert_eq!(of_type(&exported, "Encounter").len(), 2);
    let sheets: Vec<&Value> = of_type(&exported, "Observation")
        .into_iter()
        .filter(|o| {
            o["code"]["text"]
                .as_str()
                .unwrap_or("")
                .starts_with("J-SPEED")
        })
        .collect();
    assert_eq!(sheets.len(), 2);
    let codes: Vec<&str> = sheets[0]["component"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["code"]["coding"][0]["code"].as_str())
        .collect();
    assert_eq!(codes, ["acute-respiratory-infection", "fever"]);
    assert_eq!(
        sheets[0]["component"][0]["code"]["coding"][0]["system"],
        systems::KARTE_JSPEED_2018
    );
    assert!(sheets[0]["encounter"]["reference"].is_string());

    let daily = daily_report(
        karte_types::Date::from_ymd(2026, 12, 7).unwrap(),
        "益城町総合体育館",
        chart.consultations(),
    );
    let measures = daily_report_bundle(&daily, "karte-jspeed-2026-12-07");
    let reports = of_type(&measures, "MeasureReport");
    assert_eq!(reports.len(), 2);
    let dmat = reports
        .iter()
        .find(|r| r["reporter"]["display"] == "DMAT 熊本1")
        .unwrap();
    assert_eq!(dmat["measure"], JSPEED_DAILY_MEASURE);
    assert_eq!(dmat["type"], "summary");
    assert_eq!(dmat["period"]["start"], "2026-12-07T00:00:00+09:00");
    assert_eq!(dmat["group"][0]["population"][0]["count"], 1);
    assert_eq!(
        dmat["group"][0]["stratifier"][0]["stratum"][0]["value"]["text"],
        "male 65+"
    );
    let fever = dmat["group"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"]["coding"][0]["code"] == "fever")
        .unwrap();
    assert_eq!(fever["population"][0]["count"], 1);

    for checked in [exported, measures] {
        let output = validate(&checked);
        assert!(output.status.success(), "{}", report(&output));
    }
}
