//! The FHIR datatypes every resource is made of (Coding, CodeableConcept,
//! Reference, Identifier, Annotation, Meta), and the bundle entry.

use karte_types::Voided;
use serde_json::{Value, json};

use crate::ids::full_url;
use crate::systems::RESOURCE_INSTANCE_ID_SYSTEM;

/// One resource of the bundle with its id.
#[derive(Debug)]
pub struct Entry {
    pub id: String,
    pub resource: Value,
}

impl Entry {
    pub fn into_json(self) -> Value {
        json!({ "fullUrl": full_url(&self.id), "resource": self.resource })
    }
}

pub fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "system": system, "code": code, "display": display })
}

/// A CodeableConcept of one coding.
pub fn concept(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [coding(system, code, display)] })
}

/// A reference to a resource of the bundle by its full URL.
pub fn reference(resource_id: &str) -> Value {
    json!({ "reference": full_url(resource_id) })
}

/// A reference that only names a person: Karte keeps the user's name with
/// each entry, not a Practitioner resource.
pub fn named(name: &str) -> Value {
    json!({ "display": name })
}

pub fn meta(profiles: &[&str]) -> Value {
    json!({ "profile": profiles })
}

/// The business identifier of an entry: its ULID, which survives re-export
/// and lets a receiver match updates to what it already holds.
pub fn instance_identifier(value: &str) -> Value {
    json!([{ "system": RESOURCE_INSTANCE_ID_SYSTEM, "value": value }])
}

/// Why and by whom an entry was marked entered-in-error, as an Annotation.
pub fn void_note(voided: &Voided) -> Value {
    json!({
        "authorString": voided.by.user_name,
        "time": voided.at.to_rfc3339(),
        "text": format!("入力誤り: {}", voided.reason),
    })
}
