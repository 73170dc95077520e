//! Disaster mode in the export: a casualty nobody has named yet is a
//! Patient without a name or birth date (each with a data-absent-reason)
//! found by its tag number, and every triage an Observation; the bundle
//! stays valid FHIR R4; once identified, its Patient links to the
//! Patient it turned out to be.

use karte_fhir::bundle;
use karte_types::{
    AgeBand, Casualty, CasualtyInput, ChartView, Demographics, EntryId, EntryMeta, Identification,
    IdentificationInput, Sex, Triage, TriageCategory, TriageFindings, TriageRequest,
};
use serde_json::Value;

use crate::chart::{ChartBuilder, at, date, generated_at, nurse, small_chart};
use crate::validator::{report, validate};

fn meta(id: &str, minutes: i64) -> EntryMeta {
    EntryMeta {
        id: EntryId(id.into()),
        recorded_by: nurse(),
        recorded_at: karte_types::Timestamp(at("2026-11-25T09:00:00+09:00").0 + minutes * 60_000),
        entered_in_error: None,
    }
}

fn triage(id: &str, minutes: i64, request: TriageRequest) -> Triage {
    let meta = meta(id, minutes);
    let (input, _) = request.decide(meta.recorded_at).unwrap();
    Triage { meta, input }
}

fn casualty_chart() -> ChartView {
    let patient = Demographics {
        family: String::new(),
        given: String::new(),
        family_kana: String::new(),
        given_kana: String::new(),
        birth: date("1962-01-01"),
        sex: Sex::Male,
        address: None,
        phone: None,
        insurance_number: None,
        care_level: None,
    };
    let mut chart = ChartBuilder::new(patient, at("2026-11-25T09:00:00+09:00")).build();
    chart.id = "01M9CASUALTY000000000000001".into();
    chart.triage.registrations.push(Casualty {
        meta: meta("01M9CASUALTY000000000000002", 0),
        input: CasualtyInput {
            tag: "T-0123".into(),
            sex: Sex::Male,
            age_band: AgeBand::Sixties,
            found_at: Some("体育館東側".into()),
            found_latitude: None,
            found_longitude: None,
            features: None,
        },
    });
    let red = TriageRequest {
        findings: TriageFindings {
            walks: Some(false),
            breathing: Some(true),
            respiratory_rate: Some(32),
            ..TriageFindings::default()
        },
        ..TriageRequest::default()
    };
    let overridden = TriageRequest {
        findings: TriageFindings {
            walks: Some(true),
            ..TriageFindings::default()
        },
        override_category: Some(TriageCategory::Yellow),
        override_reason: Some("骨盤の動揺".into()),
        ..TriageRequest::default()
    };
    chart
        .triage
        .history
        .push(triage("01M9CASUALTY000000000000004", 30, overridden));
    chart
        .triage
        .history
        .push(triage("01M9CASUALTY000000000000003", 5, red));
    chart
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

#[test]
fn an_unknown_casualty_has_no_name_but_its_tag_and_triages() {
    let exported = bundle(&[casualty_chart()], generated_at(), "karte-export-casualty");
    let patient = resources(&exported, "Patient")[0];
    assert_eq!(
        patient["name"][0]["extension"][0]["url"],
        "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
    );
    assert_eq!(patient["name"][0]["extension"][0]["valueCode"], "unknown");
    assert!(patient.get("birthDate").is_none());
    assert_eq!(
        patient["_birthDate"]["extension"][0]["valueCode"],
        "unknown"
    );
    let tag = &patient["identifier"][1];
    assert_eq!(tag["system"], "urn:karte:triage-tag");
    assert_eq!(tag["value"], "T-0123");
    assert_eq!(tag["use"], "temp");

    let triages = resources(&exported, "Observation");
    assert_eq!(triages.len(), 2);
    assert_eq!(
        triages[0]["valueCodeableConcept"]["coding"][0]["code"],
        "yellow"
    );
    assert_eq!(
        triages[0]["valueCodeableConcept"]["text"],
        "◆ 黄 II 非緊急治療群"
    );
    let notes = triages[0]["note"].to_string();
    assert!(notes.contains("骨盤の動揺"), "{notes}");
    assert_eq!(
        triages[1]["valueCodeableConcept"]["coding"][0]["code"],
        "red"
    );
    assert!(triages[1]["note"].to_string().contains("(32)"));
    assert_eq!(triages[1]["effectiveDateTime"], "2026-11-25T09:05:00+09:00");
}

#[test]
fn a_casualty_export_is_valid_fhir_r4() {
    let exported = bundle(
        &[casualty_chart(), small_chart()],
        generated_at(),
        "karte-export-casualty",
    );
    let output = validate(&exported);
    assert!(output.status.success(), "{}", report(&output));
}

#[test]
fn an_identified_casualty_links_to_the_patient_it_turned_out_to_be() {
    let known = small_chart();
    let mut casualty = casualty_chart();
    casualty.triage.identifications.push(Identification {
        meta: meta("01M9CASUALTY000000000000009", 60),
        input: IdentificationInput {
            patient: known.id.clone(),
        },
    });
    let exported = bundle(
        &[casualty, known.clone()],
        generated_at(),
        "karte-export-identified",
    );
    let patients = resources(&exported, "Patient");
    let link = &patients[0]["link"];
    assert_eq!(link.as_array().unwrap().len(), 1);
    assert_eq!(link[0]["type"], "replaced-by");
    // The link names the known patient's Patient, as its entry's fullUrl.
    let known_url = exported["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["resource"]["resourceType"] == "Patient" && e["resource"]["id"] == patients[1]["id"]
        })
        .unwrap()["fullUrl"]
        .clone();
    assert_eq!(link[0]["other"]["reference"], known_url);
    assert_eq!(
        patients[1]["id"],
        karte_fhir::patient_resource_id(&known.id)
    );
    // A casualty not identified has no link, nor has the known patient.
    assert!(patients[1].get("link").is_none());
    let plain = bundle(&[casualty_chart()], generated_at(), "karte-export-casualty");
    assert!(resources(&plain, "Patient")[0].get("link").is_none());
    let output = validate(&exported);
    assert!(output.status.success(), "{}", report(&output));
}
