//! JP_AllergyIntolerance: one resource per recorded allergy, and one coded
//! "no known allergy" (SNOMED CT 716186003) when that was asked and stated,
//! because "nobody asked" and "none" are different clinical facts.

use karte_types::{Allergy, AllergyStatus, ChartView, ClinicalStatus};
use serde_json::{Value, json};

use crate::datatypes::{Entry, concept, instance_identifier, meta, named, void_note};
use crate::ids::resource_id;
use crate::systems::{ALLERGY_CLINICAL, ALLERGY_VERIFICATION, JP_ALLERGY_INTOLERANCE, SNOMED};

pub fn allergy(allergy: &Allergy, patient: &Value) -> Entry {
    let a = &allergy.input;
    let id = resource_id("allergy", allergy.meta.id.as_str());
    let mut resource = json!({
        "resourceType": "AllergyIntolerance",
        "id": id,
        "meta": meta(&[JP_ALLERGY_INTOLERANCE]),
        "identifier": instance_identifier(allergy.meta.id.as_str()),
        "category": [a.category.code()],
        "criticality": a.criticality.code(),
        "code": { "text": a.substance },
        "patient": patient,
        "recordedDate": allergy.meta.recorded_at.to_rfc3339(),
        "recorder": named(&allergy.meta.recorded_by.user_name),
    });
    match &allergy.meta.entered_in_error {
        // FHIR forbids a clinical status on an entry recorded in error (ait-2).
        Some(voided) => {
            resource["verificationStatus"] =
                concept(ALLERGY_VERIFICATION, "entered-in-error", "Entered in Error");
            resource["note"] = json!([void_note(voided)]);
        }
        None => {
            resource["clinicalStatus"] = clinical_status(a.status);
            resource["verificationStatus"] =
                concept(ALLERGY_VERIFICATION, "confirmed", "Confirmed");
        }
    }
    if let Some(reaction) = &a.reaction {
        resource["reaction"] = json!([{ "manifestation": [{ "text": reaction }] }]);
    }
    Entry { id, resource }
}

/// The "no known allergy" statement, if the chart holds one. A chart that
/// also lists a current allergy (two devices disagreed before a review) does
/// not claim there are none.
pub fn no_known_allergies(chart: &ChartView, patient: &Value) -> Option<Entry> {
    let listed = chart
        .allergies
        .iter()
        .any(|a| a.meta.entered_in_error.is_none());
    if chart.allergy_status != AllergyStatus::NoKnownAllergies || listed {
        return None;
    }
    let id = resource_id("no-known-allergy", chart.id.as_str());
    let resource = json!({
        "resourceType": "AllergyIntolerance",
        "id": id,
        "meta": meta(&[JP_ALLERGY_INTOLERANCE]),
        "identifier": instance_identifier(&format!("{}/no-known-allergy", chart.id)),
        "clinicalStatus": clinical_status(ClinicalStatus::Active),
        "verificationStatus": concept(ALLERGY_VERIFICATION, "confirmed", "Confirmed"),
        "code": {
            "coding": [{ "system": SNOMED, "code": "716186003", "display": "No known allergy" }],
            "text": "アレルギーなし",
        },
        "patient": patient,
    });
    Some(Entry { id, resource })
}

fn clinical_status(status: ClinicalStatus) -> Value {
    let (code, display) = match status {
        ClinicalStatus::Active => ("active", "Active"),
        ClinicalStatus::Inactive => ("inactive", "Inactive"),
        ClinicalStatus::Resolved => ("resolved", "Resolved"),
    };
    concept(ALLERGY_CLINICAL, code, display)
}
