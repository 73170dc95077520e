//! JP_Condition: a problem-list item with its ICD-10 code (JP Core's MHLW
//! ICD-10 code system) and the name as written.

use karte_types::{ClinicalStatus, Condition};
use serde_json::{Value, json};

use crate::datatypes::{Entry, concept, instance_identifier, meta, named, void_note};
use crate::ids::resource_id;
use crate::systems::{
    CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, ICD10_JP, JP_CONDITION,
};

pub fn condition(condition: &Condition, patient: &Value) -> Entry {
    let c = &condition.input;
    let id = resource_id("condition", condition.meta.id.as_str());
    let mut code = json!({ "text": c.name });
    if let Some(icd10) = &c.icd10 {
        code["coding"] = json!([{ "system": ICD10_JP, "code": icd10 }]);
    }
    let mut resource = json!({
        "resourceType": "Condition",
        "id": id,
        "meta": meta(&[JP_CONDITION]),
        "identifier": instance_identifier(condition.meta.id.as_str()),
        "category": [concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": code,
        "subject": patient,
        "recordedDate": condition.meta.recorded_at.to_rfc3339(),
        "recorder": named(&condition.meta.recorded_by.user_name),
    });
    if let Some(onset) = c.onset {
        resource["onsetDateTime"] = json!(onset.to_string());
    }
    let mut notes: Vec<Value> = c.note.iter().map(|n| json!({ "text": n })).collect();
    match &condition.meta.entered_in_error {
        // FHIR forbids a clinical status on an entry recorded in error (con-5).
        Some(voided) => {
            resource["verificationStatus"] = concept(
                CONDITION_VERIFICATION,
                "entered-in-error",
                "Entered in Error",
            );
            notes.push(void_note(voided));
        }
        None => {
            let (code, display) = match c.status {
                ClinicalStatus::Active => ("active", "Active"),
                ClinicalStatus::Inactive => ("inactive", "Inactive"),
                ClinicalStatus::Resolved => ("resolved", "Resolved"),
            };
            resource["clinicalStatus"] = concept(CONDITION_CLINICAL, code, display);
            resource["verificationStatus"] =
                concept(CONDITION_VERIFICATION, "confirmed", "Confirmed");
        }
    }
    if !notes.is_empty() {
        resource["note"] = json!(notes);
    }
    Entry { id, resource }
}
