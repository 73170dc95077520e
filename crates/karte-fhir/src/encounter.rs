//! A home visit: one JP_Encounter (class HH, home health), its vital signs as
//! observations and its SOAP note as a DocumentReference, all pointing at the
//! encounter. A visit recorded in error keeps every resource, each with the
//! entered-in-error status.

use karte_types::Visit;
use serde_json::{Value, json};

use crate::datatypes::{Entry, coding, instance_identifier, meta, reference};
use crate::ids::resource_id;
use crate::systems::{ACT_CODE, JP_ENCOUNTER};
use crate::{note, vitals};

/// The encounter of a visit, then its observations, then its note.
pub fn visit(visit: &Visit, patient: &Value) -> Vec<Entry> {
    let id = resource_id("encounter", visit.meta.id.as_str());
    let status = if visit.meta.entered_in_error.is_some() {
        "entered-in-error"
    } else {
        "finished"
    };
    let resource = json!({
        "resourceType": "Encounter",
        "id": id,
        "meta": meta(&[JP_ENCOUNTER]),
        "identifier": instance_identifier(visit.meta.id.as_str()),
        "status": status,
        "class": coding(ACT_CODE, "HH", "home health"),
        "subject": patient,
        "period": { "start": visit.input.at.to_rfc3339() },
    });
    let encounter = reference(&id);
    let mut entries = vec![Entry { id, resource }];
    entries.extend(vitals::observations(visit, patient, &encounter));
    entries.extend(note::document(visit, patient, &encounter));
    entries
}
