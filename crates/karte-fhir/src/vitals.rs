//! JP_Observation_VitalSigns: one observation per measured sign, coded in
//! LOINC with the UCUM unit the base FHIR vital-sign profiles require, plus
//! pain (NRS) and consciousness (JCS) as JP_Observation_Common.

use karte_types::Visit;
use serde_json::{Value, json};

use crate::datatypes::{Entry, concept, instance_identifier, meta};
use crate::ids::resource_id;
use crate::systems::{
    FHIR_BLOOD_PRESSURE, FHIR_BODY_TEMPERATURE, FHIR_HEART_RATE, FHIR_OXYGEN_SATURATION,
    FHIR_RESPIRATORY_RATE, JP_OBSERVATION_COMMON, JP_OBSERVATION_VITAL_SIGNS, LOINC,
    OBSERVATION_CATEGORY, UCUM,
};

/// What one kind of observation is: its id suffix, profiles, category, codes
/// (LOINC code and display) and the Japanese name shown to readers.
struct Kind {
    key: &'static str,
    profiles: &'static [&'static str],
    category: (&'static str, &'static str),
    loinc: &'static [(&'static str, &'static str)],
    text: &'static str,
}

const VITAL_SIGNS: (&str, &str) = ("vital-signs", "Vital Signs");

const TEMPERATURE: Kind = Kind {
    key: "temperature",
    profiles: &[JP_OBSERVATION_VITAL_SIGNS, FHIR_BODY_TEMPERATURE],
    category: VITAL_SIGNS,
    loinc: &[("8310-5", "Body temperature")],
    text: "体温",
};
const BLOOD_PRESSURE: Kind = Kind {
    key: "blood-pressure",
    profiles: &[JP_OBSERVATION_VITAL_SIGNS, FHIR_BLOOD_PRESSURE],
    category: VITAL_SIGNS,
    loinc: &[("85354-9", "Blood pressure panel with all children optional")],
    text: "血圧",
};
const PULSE: Kind = Kind {
    key: "pulse",
    profiles: &[JP_OBSERVATION_VITAL_SIGNS, FHIR_HEART_RATE],
    category: VITAL_SIGNS,
    loinc: &[("8867-4", "Heart rate")],
    text: "脈拍",
};
const RESPIRATION: Kind = Kind {
    key: "respiration",
    profiles: &[JP_OBSERVATION_VITAL_SIGNS, FHIR_RESPIRATORY_RATE],
    category: VITAL_SIGNS,
    loinc: &[("9279-1", "Respiratory rate")],
    text: "呼吸数",
};
/// The base profile fixes 2708-6; 59408-5 says it was a pulse oximeter.
const SPO2: Kind = Kind {
    key: "spo2",
    profiles: &[JP_OBSERVATION_VITAL_SIGNS, FHIR_OXYGEN_SATURATION],
    category: VITAL_SIGNS,
    loinc: &[
        ("2708-6", "Oxygen saturation in Arterial blood"),
        (
            "59408-5",
            "Oxygen saturation in Arterial blood by Pulse oximetry",
        ),
    ],
    text: "SpO2",
};
const PAIN: Kind = Kind {
    key: "pain",
    profiles: &[JP_OBSERVATION_COMMON],
    category: ("survey", "Survey"),
    loinc: &[(
        "72514-3",
        "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
    )],
    text: "疼痛（NRS）",
};
/// The Japan Coma Scale has no LOINC code; it is named in words.
const JCS: Kind = Kind {
    key: "jcs",
    profiles: &[JP_OBSERVATION_COMMON],
    category: ("exam", "Exam"),
    loinc: &[],
    text: "意識レベル（JCS）",
};

/// Every sign measured at the visit, as observations of the encounter.
pub fn observations(visit: &Visit, patient: &Value, encounter: &Value) -> Vec<Entry> {
    let v = &visit.input.vitals;
    let mut entries = Vec::new();
    let mut add = |kind: &Kind, value: (&str, Value)| {
        entries.push(observation(visit, kind, patient, encounter, value));
    };
    if let Some(t) = v.temperature_c {
        add(&TEMPERATURE, ("valueQuantity", quantity(t, "°C", "Cel")));
    }
    if let (Some(systolic), Some(diastolic)) = (v.systolic, v.diastolic) {
        let component = |code: &str, display: &str, text: &str, value: u16| {
            json!({
                "code": {
                    "coding": [{ "system": LOINC, "code": code, "display": display }],
                    "text": text,
                },
                "valueQuantity": quantity(value, "mmHg", "mm[Hg]"),
            })
        };
        add(
            &BLOOD_PRESSURE,
            (
                "component",
                json!([
                    component("8480-6", "Systolic blood pressure", "収縮期血圧", systolic),
                    component(
                        "8462-4",
                        "Diastolic blood pressure",
                        "拡張期血圧",
                        diastolic
                    ),
                ]),
            ),
        );
    }
    if let Some(pulse) = v.pulse {
        add(&PULSE, ("valueQuantity", quantity(pulse, "/min", "/min")));
    }
    if let Some(respiration) = v.respiration {
        add(
            &RESPIRATION,
            ("valueQuantity", quantity(respiration, "/min", "/min")),
        );
    }
    if let Some(spo2) = v.spo2 {
        add(&SPO2, ("valueQuantity", quantity(spo2, "%", "%")));
    }
    if let Some(pain) = v.pain {
        add(&PAIN, ("valueInteger", json!(pain)));
    }
    if let Some(jcs) = v.jcs {
        add(
            &JCS,
            ("valueCodeableConcept", json!({ "text": jcs.to_string() })),
        );
    }
    entries
}

fn observation(
    visit: &Visit,
    kind: &Kind,
    patient: &Value,
    encounter: &Value,
    (value_key, value): (&str, Value),
) -> Entry {
    let id = resource_id(&format!("observation/{}", kind.key), visit.meta.id.as_str());
    let status = if visit.meta.entered_in_error.is_some() {
        "entered-in-error"
    } else {
        "final"
    };
    let coding: Vec<Value> = kind
        .loinc
        .iter()
        .map(|(code, display)| json!({ "system": LOINC, "code": code, "display": display }))
        .collect();
    let mut code = json!({ "text": kind.text });
    if !coding.is_empty() {
        code["coding"] = json!(coding);
    }
    let mut resource = json!({
        "resourceType": "Observation",
        "id": id,
        "meta": meta(kind.profiles),
        "identifier": instance_identifier(&format!("{}/{}", visit.meta.id, kind.key)),
        "status": status,
        "category": [concept(OBSERVATION_CATEGORY, kind.category.0, kind.category.1)],
        "code": code,
        "subject": patient,
        "encounter": encounter,
        "effectiveDateTime": visit.input.at.to_rfc3339(),
    });
    resource[value_key] = value;
    Entry { id, resource }
}

fn quantity(value: impl Into<Value>, unit: &str, ucum: &str) -> Value {
    json!({ "value": value.into(), "unit": unit, "system": UCUM, "code": ucum })
}
