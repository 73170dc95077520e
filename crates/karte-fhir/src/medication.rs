//! JP_MedicationStatement: what the patient takes, as prescribed, with the
//! route coded in JP Core's HL7 table 0162 codes and the prescription's own
//! wording as the dosage text.

use karte_types::{Date, Medication, Route, Timestamp};
use serde_json::{Value, json};

use crate::datatypes::{Entry, instance_identifier, meta, void_note};
use crate::ids::resource_id;
use crate::systems::{JP_MEDICATION_STATEMENT, ROUTE_HL70162};

pub fn medication(medication: &Medication, patient: &Value, generated_at: Timestamp) -> Entry {
    let m = &medication.input;
    let id = resource_id("medication", medication.meta.id.as_str());
    let (route_code, route_display) = route_code(m.route);
    let mut resource = json!({
        "resourceType": "MedicationStatement",
        "id": id,
        "meta": meta(&[JP_MEDICATION_STATEMENT]),
        "identifier": instance_identifier(medication.meta.id.as_str()),
        "status": status(medication, generated_at.date_jst()),
        "medicationCodeableConcept": { "text": m.name },
        "subject": patient,
        "dateAsserted": medication.meta.recorded_at.to_rfc3339(),
        "dosage": [{
            "text": format!("{} {}", m.dose, m.frequency),
            "route": {
                "coding": [{ "system": ROUTE_HL70162, "code": route_code, "display": route_display }],
                "text": m.route.label_ja(),
            },
        }],
    });
    if m.start.is_some() || m.end.is_some() {
        let mut period = json!({});
        if let Some(start) = m.start {
            period["start"] = json!(start.to_string());
        }
        if let Some(end) = m.end {
            period["end"] = json!(end.to_string());
        }
        resource["effectivePeriod"] = period;
    }
    if let Some(voided) = &medication.meta.entered_in_error {
        resource["note"] = json!([void_note(voided)]);
    }
    Entry { id, resource }
}

/// Completed once the last day of the prescription has passed.
fn status(medication: &Medication, today: Date) -> &'static str {
    if medication.meta.entered_in_error.is_some() {
        "entered-in-error"
    } else if medication.input.end.is_some_and(|end| end < today) {
        "completed"
    } else {
        "active"
    }
}

/// The HL7 table 0162 code and JP Core's display for a route.
fn route_code(route: Route) -> (&'static str, &'static str) {
    match route {
        Route::Oral => ("PO", "口"),
        Route::Topical => ("AP", "外用"),
        Route::Subcutaneous => ("SC", "皮下"),
        Route::Intravenous => ("IV", "静脈内"),
        Route::Inhalation => ("IH", "吸入"),
        Route::Rectal => ("PR", "直腸"),
        Route::Other => ("OTH", "その他／さまざま"),
    }
}
