//! The daily J-SPEED report (診療日報) as FHIR R4 MeasureReports: one per
//! team, a `summary` of the site's day in Japan, with the consultations
//! stratified by sex and age group and a group per J-SPEED item ticked.
//! No JP Core profile covers it; base R4. The counts name no patient.

use karte_types::{DailyReport, JSPEED_2018, ReportAgeGroup, TeamCounts};
use serde_json::{Value, json};

use crate::datatypes::{Entry, coding};
use crate::ids::resource_id;
use crate::systems::KARTE_JSPEED_2018;

/// The measure the reports are of: the J-SPEED 2018 daily report.
pub const JSPEED_DAILY_MEASURE: &str = "urn:karte:measure:jspeed-2018-daily-report";
const POPULATION: &str = "http://terminology.hl7.org/CodeSystem/measure-population";

fn count(n: u32) -> Value {
    json!([{
        "code": { "coding": [coding(POPULATION, "initial-population", "Initial Population")] },
        "count": n,
    }])
}

fn team_report(report: &DailyReport, team: &TeamCounts) -> Entry {
    let id = resource_id(
        "measure-report/jspeed",
        &format!("{}\u{1f}{}\u{1f}{}", report.date, report.site, team.team),
    );
    let mut strata = Vec::new();
    for (sex, counts) in [
        ("male", &team.male),
        ("female", &team.female),
        ("unknown", &team.sex_not_stated),
    ] {
        for (group, n) in ReportAgeGroup::ALL.iter().zip(counts) {
            if *n > 0 {
                strata.push(json!({
                    "value": { "text": format!("{sex} {}", group.code()) },
                    "population": count(*n),
                }));
            }
        }
    }
    for (group, n) in ReportAgeGroup::ALL.iter().zip(&team.pregnant) {
        if *n > 0 {
            strata.push(json!({
                "value": { "text": format!("pregnant {}", group.code()) },
                "population": count(*n),
            }));
        }
    }
    let mut consultations = json!({
        "code": { "text": "診療件数 (consultations)" },
        "population": count(team.consultations),
    });
    if !strata.is_empty() {
        consultations["stratifier"] = json!([{
            "code": [{ "text": "性別・年齢区分 (sex and age group)" }],
            "stratum": strata,
        }]);
    }
    let mut groups = vec![consultations];
    for item in JSPEED_2018 {
        if let Some(n) = team.items.get(item.code) {
            groups.push(json!({
                "code": {
                    "coding": [coding(KARTE_JSPEED_2018, item.code, item.ja)],
                    "text": format!("{} {}", item.number, item.ja),
                },
                "population": count(*n),
            }));
        }
    }
    let resource = json!({
        "resourceType": "MeasureReport",
        "id": id,
        "status": "complete",
        "type": "summary",
        "measure": JSPEED_DAILY_MEASURE,
        "reporter": { "display": team.team },
        "period": {
            "start": format!("{}T00:00:00+09:00", report.date),
            "end": format!("{}T23:59:59+09:00", report.date),
        },
        "subject": { "display": report.site },
        "group": groups,
    });
    Entry { id, resource }
}

/// A Bundle of type `collection` with one MeasureReport per team of the
/// daily report.
pub fn daily_report_bundle(report: &DailyReport, bundle_id: &str) -> Value {
    let entries: Vec<Value> = report
        .teams
        .iter()
        .map(|team| team_report(report, team).into_json())
        .collect();
    json!({
        "resourceType": "Bundle",
        "id": bundle_id,
        "type": "collection",
        "entry": entries,
    })
}
