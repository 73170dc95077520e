//! Wound photos as FHIR R4 `Media` (type image): who took it and when,
//! the wound as `bodySite`, its size in pixels and bytes, and its content
//! hash as an identifier. The DESIGN-R Observation made with a photo names
//! it in `derivedFrom`, and the photo points at that assessment's visit.
//!
//! Media rather than DocumentReference: R4 defines Media for "a photo,
//! video or audio recording acquired or used in healthcare", a clinical
//! photograph being its first use, with the body site and pixel size as
//! elements; DocumentReference is for documents, and neither JP Core nor
//! JP-CLINS profiles clinical photographs. (R5 folds Media into
//! DocumentReference; an R5 export would move it there.)
//!
//! The photo's bytes are not in the export: the chart entry names them by
//! their SHA-256, and the attachment says its type, size and when it was
//! made (`Attachment.hash` would be SHA-1, so the SHA-256 is an
//! identifier instead).

use karte_types::{Assessment, Photo};
use serde_json::{Value, json};

use crate::datatypes::{Entry, coding, instance_identifier, named, reference, void_note};
use crate::ids::resource_id;
use crate::systems::{KARTE_ATTACHMENT_SHA256, MEDIA_TYPE};

/// The id of the Media of a photo entry.
pub fn media_id(photo: &str) -> String {
    resource_id("media", photo)
}

/// One Media per photo entry, voided ones as entered-in-error.
/// `assessments` are the chart's, whose visit a linked photo shares;
/// `visit_ids` the chart's visits.
pub fn media(
    photos: &[Photo],
    assessments: &[Assessment],
    patient: &Value,
    visit_ids: &[&str],
) -> Vec<Entry> {
    photos
        .iter()
        .map(|photo| one(photo, assessments, patient, visit_ids))
        .collect()
}

fn one(photo: &Photo, assessments: &[Assessment], patient: &Value, visit_ids: &[&str]) -> Entry {
    let input = &photo.input;
    let id = media_id(photo.meta.id.as_str());
    let mut identifier = instance_identifier(photo.meta.id.as_str());
    identifier
        .as_array_mut()
        .expect("an array")
        .push(json!({ "system": KARTE_ATTACHMENT_SHA256, "value": input.attachment }));
    let title = match &input.wound {
        Some(wound) => format!("創傷写真 {wound}"),
        None => "創傷写真".to_owned(),
    };
    let mut resource = json!({
        "resourceType": "Media",
        "id": id,
        "identifier": identifier,
        "status": if photo.meta.entered_in_error.is_some() { "entered-in-error" } else { "completed" },
        "type": { "coding": [coding(MEDIA_TYPE, "image", "Image")], "text": "写真" },
        "subject": patient,
        "createdDateTime": input.taken_at.to_rfc3339(),
        "issued": photo.meta.recorded_at.to_rfc3339(),
        "operator": named(&photo.meta.recorded_by.user_name),
        "width": input.width,
        "height": input.height,
        "content": {
            "contentType": input.media_type,
            "title": title,
            "creation": input.taken_at.to_rfc3339(),
        },
    });
    // unsignedInt (up to 2^31 - 1): a photo is at most 25 MiB, but say
    // nothing rather than something out of range.
    if input.size <= i32::MAX as u64 {
        resource["content"]["size"] = json!(input.size);
    }
    if let Some(wound) = &input.wound {
        resource["bodySite"] = json!({ "text": wound });
    }
    let visit = input
        .assessment
        .as_ref()
        .and_then(|linked| assessments.iter().find(|a| &a.meta.id == linked))
        .and_then(|assessment| assessment.input.visit.as_ref())
        .filter(|visit| visit_ids.contains(&visit.as_str()));
    if let Some(visit) = visit {
        resource["encounter"] = reference(&resource_id("encounter", visit.as_str()));
    }
    if let Some(voided) = &photo.meta.entered_in_error {
        resource["note"] = json!([void_note(voided)]);
    }
    Entry { id, resource }
}
