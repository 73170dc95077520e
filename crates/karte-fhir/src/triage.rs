//! Disaster mode: a casualty's tag number as an identifier of the Patient,
//! and each triage as an Observation whose value is the category (coded,
//! with the tag's words), with the rules' reasons and any override as
//! notes. Base FHIR R4: JP Core has no profile for triage, so none is
//! claimed.

use karte_types::{ChartView, Triage};
use serde_json::{Value, json};

use crate::datatypes::{Entry, concept, instance_identifier, named, reference, void_note};
use crate::ids::resource_id;
use crate::systems::{
    OBSERVATION_CATEGORY, TRIAGE_CATEGORY_SYSTEM, TRIAGE_CODE_SYSTEM, TRIAGE_TAG_SYSTEM,
};

/// The data-absent-reason extension, for what nobody knows yet.
pub const DATA_ABSENT_REASON: &str = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

fn unknown() -> Value {
    json!({ "extension": [{ "url": DATA_ABSENT_REASON, "valueCode": "unknown" }] })
}

/// Writes what a casualty's registration says into the Patient: the tag
/// number as an identifier (kept once the person is identified), and,
/// while nobody knows who they are, no name and no birth date but the
/// reason they are absent (the chart's birth date is only an estimate
/// from the age band). A casualty identified as the patient of another
/// chart links to that Patient as `replaced-by`: the person is that
/// Patient from then on, and this one is kept for what was recorded on it.
pub fn casualty_patient(chart: &ChartView, patient: &mut Value) {
    let Some(casualty) = chart.triage.casualty() else {
        return;
    };
    let tag = json!({
        "use": "temp",
        "type": { "text": "タッグNo. / triage tag number" },
        "system": TRIAGE_TAG_SYSTEM,
        "value": casualty.input.tag,
    });
    if let Some(identifiers) = patient["identifier"].as_array_mut() {
        identifiers.push(tag);
    }
    if let Some(link) = chart.triage.identified_as() {
        patient["link"] = json!([{
            "other": reference(&crate::patient_resource_id(&link.input.patient)),
            "type": "replaced-by",
        }]);
    }
    if chart.patient.is_unnamed() {
        patient["name"] = json!([unknown()]);
        if let Some(object) = patient.as_object_mut() {
            object.remove("birthDate");
            object.insert("_birthDate".to_owned(), unknown());
        }
    }
}

/// One Observation per triage, voided ones as entered-in-error.
pub fn triages(chart: &ChartView, subject: &Value) -> Vec<Entry> {
    chart
        .triage
        .history
        .iter()
        .map(|t| observation(t, subject))
        .collect()
}

fn observation(triage: &Triage, subject: &Value) -> Entry {
    let id = resource_id("triage", triage.meta.id.as_str());
    let i = &triage.input;
    let c = i.category;
    let mut notes: Vec<Value> = Vec::new();
    if let Some(outcome) = i.outcome() {
        for reason in &outcome.reasons {
            notes.push(json!({ "text": format!("{} / {}", reason.text_ja(), reason.text_en()) }));
        }
    }
    if let Some(reason) = &i.override_reason {
        notes.push(json!({
            "authorString": triage.meta.recorded_by.user_name,
            "text": format!(
                "判定変更 / override: 規則の判定 / the rules gave {}: {reason}",
                i.computed.label_ja()
            ),
        }));
    }
    let status = match &triage.meta.entered_in_error {
        Some(voided) => {
            notes.push(void_note(voided));
            "entered-in-error"
        }
        None => "final",
    };
    let method = if i.findings.has_pat() { "PAT" } else { "START" };
    let mut resource = json!({
        "resourceType": "Observation",
        "id": id,
        "identifier": instance_identifier(triage.meta.id.as_str()),
        "status": status,
        "category": [concept(OBSERVATION_CATEGORY, "survey", "Survey")],
        "code": {
            "coding": [{ "system": TRIAGE_CODE_SYSTEM, "code": "triage-category", "display": "Triage category" }],
            "text": "トリアージ区分 / triage category",
        },
        "subject": subject,
        "effectiveDateTime": i.at.to_rfc3339(),
        "issued": triage.meta.recorded_at.to_rfc3339(),
        "performer": [named(&triage.meta.recorded_by.user_name)],
        "valueCodeableConcept": {
            "coding": [{ "system": TRIAGE_CATEGORY_SYSTEM, "code": c.code(), "display": c.label_en() }],
            "text": c.label_ja(),
        },
        "method": { "text": method },
    });
    if !notes.is_empty() {
        resource["note"] = Value::Array(notes);
    }
    Entry { id, resource }
}
