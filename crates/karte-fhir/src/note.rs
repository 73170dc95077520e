//! The SOAP note of a visit as a DocumentReference (a LOINC "Nurse Note")
//! whose attachment is the note's plain text, linked to the visit's
//! encounter. A document keeps the four parts together as the nurse wrote
//! them, which is what 記録書II asks for.

use karte_types::{Soap, Visit};
use serde_json::{Value, json};

use crate::base64;
use crate::datatypes::{Entry, instance_identifier, meta, named};
use crate::ids::resource_id;
use crate::systems::{JP_DOCUMENT_REFERENCE, LOINC};

/// The note of a visit, if anything was written.
pub fn document(visit: &Visit, patient: &Value, encounter: &Value) -> Option<Entry> {
    let soap = &visit.input.soap;
    if soap.is_empty() {
        return None;
    }
    let id = resource_id("note", visit.meta.id.as_str());
    let at = visit.input.at.to_rfc3339();
    let status = if visit.meta.entered_in_error.is_some() {
        "entered-in-error"
    } else {
        "current"
    };
    let resource = json!({
        "resourceType": "DocumentReference",
        "id": id,
        "meta": meta(&[JP_DOCUMENT_REFERENCE]),
        "identifier": instance_identifier(&format!("{}/soap", visit.meta.id)),
        "status": status,
        "docStatus": "final",
        "type": {
            "coding": [{ "system": LOINC, "code": "34746-8", "display": "Nurse Note" }],
            "text": "訪問看護記録",
        },
        "subject": patient,
        "date": at,
        "author": [named(&visit.meta.recorded_by.user_name)],
        "description": "SOAP",
        "content": [{
            "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "language": "ja",
                "data": base64::encode(text(soap).as_bytes()),
                "title": format!("訪問看護記録（SOAP） {}", visit.input.at.date_jst()),
            },
        }],
        "context": {
            "encounter": [encounter],
            "period": { "start": at },
        },
    });
    Some(Entry { id, resource })
}

/// The note as text, one line per written part: `S: …`, `O: …`, `A: …`, `P: …`.
pub fn text(soap: &Soap) -> String {
    [
        ("S", &soap.subjective),
        ("O", &soap.objective),
        ("A", &soap.assessment),
        ("P", &soap.plan),
    ]
    .iter()
    .filter_map(|(letter, part)| {
        let part = part.as_deref()?.trim();
        (!part.is_empty()).then(|| format!("{letter}: {part}"))
    })
    .collect::<Vec<_>>()
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_written_parts_are_lines() {
        let soap = Soap {
            subjective: Some("「夜間よく眠れた」と話す。".into()),
            objective: Some("  ".into()),
            assessment: None,
            plan: Some("現在のケアを継続。".into()),
        };
        assert_eq!(
            text(&soap),
            "S: 「夜間よく眠れた」と話す。\nP: 現在のケアを継続。"
        );
    }
}
