//! The JP Core rules a base FHIR validator cannot see: profiles, identifiers,
//! the kana name representation, HL7 code systems, LOINC codes paired with
//! their UCUM units, and entries recorded in error kept with their status.

use std::collections::{HashMap, HashSet};

use karte_fhir::{bundle, patient_resource_id, systems};
use karte_types::{AllergyStatus, ChartView};
use serde_json::Value;

use crate::chart::{ChartBuilder, generated_at, realistic_charts, small_chart, yamada};
use crate::json::{base64_decode, of_type, references, resources};

fn small_bundle() -> Value {
    bundle(&[small_chart()], generated_at(), "karte-export-1")
}

/// The small chart and three realistic ones, so rules are checked on every
/// kind of entry and on hundreds of visits.
fn bundles() -> Vec<Value> {
    vec![
        small_bundle(),
        bundle(&realistic_charts(3), generated_at(), "karte-export-2"),
    ]
}

fn profiles(resource: &Value) -> Vec<&str> {
    resource["meta"]["profile"]
        .as_array()
        .unwrap_or_else(|| panic!("no meta.profile: {resource}"))
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect()
}

fn codings(concept: &Value) -> Vec<(&str, &str)> {
    concept["coding"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| (c["system"].as_str().unwrap(), c["code"].as_str().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

fn is_kana(text: &str) -> bool {
    text.chars()
        .all(|c| matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FC}' | ' ' | '　'))
}

#[test]
fn every_resource_claims_its_jp_core_profile() {
    let expected: HashMap<&str, &str> = [
        ("Patient", "JP_Patient"),
        ("AllergyIntolerance", "JP_AllergyIntolerance"),
        ("Condition", "JP_Condition"),
        ("MedicationStatement", "JP_MedicationStatement"),
        ("Encounter", "JP_Encounter"),
        ("Observation", "JP_Observation_"),
        ("DocumentReference", "JP_DocumentReference"),
    ]
    .into();
    for bundle in bundles() {
        for resource in resources(&bundle) {
            let kind = resource["resourceType"].as_str().unwrap();
            let prefix = format!(
                "http://jpfhir.jp/fhir/core/StructureDefinition/{}",
                expected[kind]
            );
            assert!(
                profiles(resource).iter().any(|p| p.starts_with(&prefix)),
                "{kind} lacks {prefix}: {resource}"
            );
        }
    }
}

#[test]
fn full_urls_are_uuid_urns_and_every_reference_resolves() {
    for bundle in bundles() {
        let mut urls = HashSet::new();
        for entry in bundle["entry"].as_array().unwrap() {
            let url = entry["fullUrl"].as_str().unwrap();
            let id = entry["resource"]["id"].as_str().unwrap();
            assert_eq!(url, format!("urn:uuid:{id}"));
            let groups: Vec<usize> = id.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
            assert!(urls.insert(url.to_owned()), "{url} appears twice");
        }
        let mut found = Vec::new();
        references(&bundle, &mut found);
        assert!(!found.is_empty());
        for reference in found {
            assert!(
                urls.contains(&reference),
                "{reference} is not in the bundle"
            );
        }
    }
}

#[test]
fn the_patient_is_named_in_kanji_and_in_kana() {
    let bundle = small_bundle();
    let patient = of_type(&bundle, "Patient")[0];
    let names = patient["name"].as_array().unwrap();
    assert_eq!(names.len(), 2);
    let representation = |name: &Value| {
        let extension = &name["extension"][0];
        assert_eq!(extension["url"], systems::EN_REPRESENTATION);
        extension["valueCode"].as_str().unwrap().to_owned()
    };
    let kanji = names.iter().find(|n| representation(n) == "IDE").unwrap();
    let kana = names.iter().find(|n| representation(n) == "SYL").unwrap();
    assert_eq!(kanji["family"], "山田");
    assert_eq!(kanji["given"][0], "太郎");
    assert_eq!(kana["text"], "ヤマダ タロウ");
    for bundle in bundles() {
        for patient in of_type(&bundle, "Patient") {
            let kana = patient["name"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["extension"][0]["valueCode"] == "SYL")
                .unwrap();
            for part in [&kana["family"], &kana["given"][0], &kana["text"]] {
                assert!(is_kana(part.as_str().unwrap()), "{part} is not kana");
            }
        }
    }
    assert_eq!(patient["gender"], "male");
    assert_eq!(patient["birthDate"], "1941-03-02");
    assert_eq!(patient["address"][0]["state"], "東京都");
    assert_eq!(patient["telecom"][0]["value"], "03-1234-5678");
}

#[test]
fn every_resource_carries_its_identifier() {
    let chart = small_chart();
    let bundle = small_bundle();
    let patient = of_type(&bundle, "Patient")[0];
    assert_eq!(patient["id"], patient_resource_id(&chart.id));
    assert_eq!(
        patient["identifier"][0]["system"],
        systems::PATIENT_ID_SYSTEM
    );
    assert_eq!(patient["identifier"][0]["value"], chart.id.as_str());
    let entry_ids: HashSet<&str> = chart
        .allergies
        .iter()
        .map(|a| &a.meta.id)
        .chain(chart.conditions.iter().map(|c| &c.meta.id))
        .chain(chart.medications.iter().map(|m| &m.meta.id))
        .chain(chart.visits.iter().map(|v| &v.meta.id))
        .map(|id| id.as_str())
        .collect();
    for bundle in bundles() {
        for resource in resources(&bundle) {
            let identifier = &resource["identifier"][0];
            assert!(identifier["value"].is_string(), "no identifier: {resource}");
            if resource["resourceType"] != "Patient" {
                assert_eq!(identifier["system"], systems::RESOURCE_INSTANCE_ID_SYSTEM);
            }
        }
    }
    // Each entry's ULID leads its resources' identifiers.
    for resource in resources(&bundle) {
        let value = resource["identifier"][0]["value"].as_str().unwrap();
        let head = value.split('/').next().unwrap();
        assert!(
            entry_ids.contains(head) || head == chart.id.as_str(),
            "{value}"
        );
    }
}

#[test]
fn statuses_are_coded_in_the_hl7_code_systems() {
    for bundle in bundles() {
        for allergy in of_type(&bundle, "AllergyIntolerance") {
            let verification = codings(&allergy["verificationStatus"]);
            assert_eq!(verification[0].0, systems::ALLERGY_VERIFICATION);
            if verification[0].1 != "entered-in-error" {
                assert_eq!(
                    codings(&allergy["clinicalStatus"])[0].0,
                    systems::ALLERGY_CLINICAL
                );
            }
        }
        for condition in of_type(&bundle, "Condition") {
            assert_eq!(
                codings(&condition["verificationStatus"])[0].0,
                systems::CONDITION_VERIFICATION
            );
            assert_eq!(
                codings(&condition["category"][0]),
                [(systems::CONDITION_CATEGORY, "problem-list-item")]
            );
            for (system, code) in codings(&condition["code"]) {
                assert_eq!(system, systems::ICD10_JP);
                assert!(code.len() >= 3, "{code}");
            }
            assert!(condition["code"]["text"].is_string());
        }
        for encounter in of_type(&bundle, "Encounter") {
            assert_eq!(encounter["class"]["system"], systems::ACT_CODE);
            assert_eq!(encounter["class"]["code"], "HH");
        }
        for statement in of_type(&bundle, "MedicationStatement") {
            let route = codings(&statement["dosage"][0]["route"]);
            assert_eq!(route[0].0, systems::ROUTE_HL70162);
            assert!(statement["medicationCodeableConcept"]["text"].is_string());
        }
    }
}

#[test]
fn vital_signs_pair_loinc_codes_with_their_ucum_units() {
    let units: HashMap<&str, &str> = [
        ("8310-5", "Cel"),
        ("8867-4", "/min"),
        ("9279-1", "/min"),
        ("2708-6", "%"),
        ("8480-6", "mm[Hg]"),
        ("8462-4", "mm[Hg]"),
    ]
    .into();
    let quantity_unit = |q: &Value| {
        assert_eq!(q["system"], "http://unitsofmeasure.org", "{q}");
        assert!(q["value"].is_number(), "{q}");
        q["code"].as_str().unwrap().to_owned()
    };
    let mut seen = HashSet::new();
    for bundle in bundles() {
        for observation in of_type(&bundle, "Observation") {
            let codes = codings(&observation["code"]);
            let vital = profiles(observation).contains(&systems::JP_OBSERVATION_VITAL_SIGNS);
            if !vital {
                continue;
            }
            assert_eq!(
                codings(&observation["category"][0]),
                [(systems::OBSERVATION_CATEGORY, "vital-signs")]
            );
            assert!(observation["subject"]["reference"].is_string());
            assert!(observation["encounter"]["reference"].is_string());
            assert!(observation["effectiveDateTime"].is_string());
            let (system, code) = codes[0];
            assert_eq!(system, "http://loinc.org");
            seen.insert(code.to_owned());
            if code == "85354-9" {
                let components = observation["component"].as_array().unwrap();
                assert!(observation.get("valueQuantity").is_none());
                for component in components {
                    let (_, part) = codings(&component["code"])[0];
                    assert_eq!(quantity_unit(&component["valueQuantity"]), units[part]);
                    seen.insert(part.to_owned());
                }
            } else {
                assert_eq!(
                    quantity_unit(&observation["valueQuantity"]),
                    units[code],
                    "{observation}"
                );
            }
            if code == "2708-6" {
                assert!(codes.contains(&("http://loinc.org", "59408-5")));
            }
        }
    }
    let mut seen: Vec<String> = seen.into_iter().collect();
    seen.sort();
    let mut all: Vec<String> = units
        .keys()
        .copied()
        .chain(["85354-9"])
        .map(String::from)
        .collect();
    all.sort();
    assert_eq!(seen, all, "every vital sign is exported");
}

#[test]
fn entries_recorded_in_error_are_kept_with_that_status() {
    let bundle = small_bundle();
    let eggs = of_type(&bundle, "AllergyIntolerance")
        .into_iter()
        .find(|a| a["code"]["text"] == "卵")
        .expect("the voided allergy is exported");
    assert_eq!(
        codings(&eggs["verificationStatus"])[0].1,
        "entered-in-error"
    );
    assert!(eggs.get("clinicalStatus").is_none(), "ait-2 forbids it");
    assert!(
        eggs["note"][0]["text"]
            .as_str()
            .unwrap()
            .contains("別の患者の情報を誤って入力")
    );

    let encounters = of_type(&bundle, "Encounter");
    assert_eq!(encounters.len(), 2);
    let voided = encounters
        .iter()
        .find(|e| e["status"] == "entered-in-error")
        .expect("the voided visit is exported");
    let url = format!("urn:uuid:{}", voided["id"].as_str().unwrap());
    let belonging: Vec<&Value> = resources(&bundle)
        .into_iter()
        .filter(|r| {
            r["encounter"]["reference"] == url.as_str()
                || r["context"]["encounter"][0]["reference"] == url.as_str()
        })
        .collect();
    assert_eq!(belonging.len(), 2, "its temperature and its note");
    assert!(belonging.iter().all(|r| r["status"] == "entered-in-error"));

    let realistic = bundle_of(&realistic_charts(1));
    assert!(
        of_type(&realistic, "Condition")
            .iter()
            .any(|c| codings(&c["verificationStatus"])[0].1 == "entered-in-error")
    );
}

fn bundle_of(charts: &[ChartView]) -> Value {
    bundle(charts, generated_at(), "karte-export-3")
}

#[test]
fn prescriptions_that_ended_are_completed() {
    let bundle = small_bundle();
    let status = |name: &str| {
        of_type(&bundle, "MedicationStatement")
            .into_iter()
            .find(|m| m["medicationCodeableConcept"]["text"] == name)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("アムロジピン"), "active");
    assert_eq!(status("レボフロキサシン"), "completed");
}

#[test]
fn no_known_allergies_is_stated_only_when_asked_and_true() {
    let created = generated_at();
    let nka = |chart: ChartView| {
        of_type(&bundle_of(&[chart]), "AllergyIntolerance")
            .iter()
            .filter(|a| codings(&a["code"]) == [(systems::SNOMED, "716186003")])
            .count()
    };
    assert_eq!(nka(ChartBuilder::new(yamada(), created).build()), 0);
    assert_eq!(
        nka(ChartBuilder::new(yamada(), created)
            .no_known_allergies()
            .build()),
        1
    );
    // Two devices disagreed: one said none, the other recorded an allergy.
    let mut disputed = small_chart();
    disputed.allergy_status = AllergyStatus::NoKnownAllergies;
    assert_eq!(nka(disputed), 0);
}

#[test]
fn soap_notes_are_documents_of_their_visit() {
    let bundle = small_bundle();
    let documents = of_type(&bundle, "DocumentReference");
    assert_eq!(documents.len(), 2);
    let current = documents.iter().find(|d| d["status"] == "current").unwrap();
    assert_eq!(codings(&current["type"]), [("http://loinc.org", "34746-8")]);
    let attachment = &current["content"][0]["attachment"];
    assert_eq!(attachment["contentType"], "text/plain; charset=utf-8");
    let text = String::from_utf8(base64_decode(attachment["data"].as_str().unwrap())).unwrap();
    assert_eq!(
        text,
        "S: 「夜間よく眠れた」と話す。\nO: 下肢浮腫軽度。\nA: 血圧やや高め、経過観察。\nP: 家庭血圧の記録を依頼。"
    );
    let encounter = current["context"]["encounter"][0]["reference"]
        .as_str()
        .unwrap();
    let visit = of_type(&bundle, "Encounter")
        .into_iter()
        .find(|e| format!("urn:uuid:{}", e["id"].as_str().unwrap()) == encounter)
        .unwrap();
    assert_eq!(visit["period"]["start"], current["date"]);
}

#[test]
fn the_export_is_deterministic() {
    let charts = realistic_charts(2);
    let first = bundle(&charts, generated_at(), "a");
    assert_eq!(first, bundle(&charts, generated_at(), "a"));
    // Ids come from the chart, not from the moment of export.
    let later = bundle(
        &charts,
        karte_types::Timestamp(generated_at().0 + 86_400_000),
        "b",
    );
    let ids = |b: &Value| -> Vec<Value> { resources(b).iter().map(|r| r["id"].clone()).collect() };
    assert_eq!(ids(&first), ids(&later));
    assert_eq!(later["id"], "b");
    assert_eq!(later["type"], "collection");
}
