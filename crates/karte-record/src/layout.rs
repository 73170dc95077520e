//! Where everything lives in a chart document, and how the `karte-types`
//! inputs are written there.
//!
//! ```text
//! ROOT
//! ├─ schema: 1
//! ├─ patient_id: "01J…"
//! ├─ patient: { family, given, family_kana, given_kana, birth, sex, address, … }
//! ├─ allergy_assessment: { no_known_allergies: bool, by: {…}, at }
//! ├─ allergies | conditions | medications | visits: { <ULID>: entry }
//! ├─ orders (指示書) | assessments (scales): { <ULID>: entry }
//! ├─ attachments (wound photos, by content hash): { <ULID>: entry }
//! ├─ triage: { <ULID>: entry of kind casualty | triage | transport }
//! ├─ reviews: { <review id>: JSON text }       review_resolutions: { <review id>: JSON text }
//! └─ care_tasks (documents: 報告書, 計画書, 記録書): { <ULID>: entry }
//! ```
//!
//! An entry is one flat map: its input's fields as serde writes them, nested
//! fields under dotted keys (`vitals.pulse`, `soap.plan`, `recorded_by.user`),
//! plus `recorded_at` and, once voided, `entered_in_error`, a map written
//! whole so two concurrent voids never mix one's author with the other's
//! reason. Flat entries read in one `map_range` each: a chart of 300 visits
//! opens in a few milliseconds. Every container exists from the chart's first change,
//! so no two devices ever create the same container. Free text is a scalar
//! string, not an Automerge text: two nurses rewriting a note concurrently
//! must see two notes to review, not one interleaving of both.

use karte_types::{
    AllergyInput, AssessmentInput, ConditionInput, DocumentEntryInput, Jcs, MedicationInput,
    OrderInput, PhotoInput, TriageTagInput, ValidationErrors, VisitInput,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::RecordError;

pub(crate) const SCHEMA: &str = "schema";
pub(crate) const SCHEMA_VERSION: i64 = 1;
pub(crate) const PATIENT_ID: &str = "patient_id";
pub(crate) const PATIENT: &str = "patient";
pub(crate) const ALLERGY_ASSESSMENT: &str = "allergy_assessment";
pub(crate) const NO_KNOWN_ALLERGIES: &str = "no_known_allergies";
pub(crate) const REVIEWS: &str = "reviews";
pub(crate) const RESOLUTIONS: &str = "review_resolutions";
/// Containers for features still to come, made from the first chart on so
/// that no later version has to create a container on first use. None is
/// left: `orders`, `assessments`, `triage`, `attachments` and `care_tasks`
/// (now the documents) were reserved so, and are collections now.
pub(crate) const RESERVED: [&str; 0] = [];

/// The maps at the root besides the patient and the allergy assessment,
/// in the order a chart's first change has made them since the first
/// version: a chart is created with the same first change (and so the same
/// bytes and hashes) as a collection leaves `RESERVED`.
pub(crate) const CONTAINERS_IN_ORDER: [&str; 11] = [
    "allergies",
    "conditions",
    "medications",
    "visits",
    REVIEWS,
    RESOLUTIONS,
    "care_tasks",
    "attachments",
    "triage",
    "orders",
    "assessments",
];

/// Keys of an entry that say who recorded or voided it, as opposed to what it says.
pub(crate) const RECORDED_BY: &str = "recorded_by";
pub(crate) const RECORDED_AT: &str = "recorded_at";
pub(crate) const ENTERED_IN_ERROR: &str = "entered_in_error";

/// The kinds of chart entries, each a map of entries keyed by ULID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Collection {
    Allergies,
    Conditions,
    Medications,
    Visits,
    /// 訪問看護指示書 and the other physician's orders.
    Orders,
    /// Scales recorded at visits (寝たきり度, 認知症, Barthel, DESIGN-R).
    Assessments,
    /// Disaster mode: a casualty's registration, triages and transport
    /// (one of the containers reserved at creation).
    Triage,
    /// Wound photos: entries naming an attachment by its content hash (the
    /// container reserved at creation as `attachments`).
    Photos,
    /// Documents saved in the chart (報告書, 計画書, 記録書), with their
    /// approval (the container reserved at creation as `care_tasks`: a
    /// 計画書 is the care plan).
    Documents,
}

impl Collection {
    pub(crate) const ALL: [Collection; 9] = [
        Collection::Allergies,
        Collection::Conditions,
        Collection::Medications,
        Collection::Visits,
        Collection::Orders,
        Collection::Assessments,
        Collection::Triage,
        Collection::Photos,
        Collection::Documents,
    ];

    /// The root key of the collection's map.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Collection::Allergies => "allergies",
            Collection::Conditions => "conditions",
            Collection::Medications => "medications",
            Collection::Visits => "visits",
            Collection::Orders => "orders",
            Collection::Assessments => "assessments",
            Collection::Triage => "triage",
            Collection::Photos => "attachments",
            Collection::Documents => "care_tasks",
        }
    }

    pub(crate) fn from_key(key: &str) -> Option<Collection> {
        Collection::ALL.into_iter().find(|c| c.key() == key)
    }

    /// The input fields of an entry (as read from the document), as dotted paths.
    pub(crate) fn input_fields(self, entry: &Value) -> Vec<String> {
        let mut fields = Vec::new();
        if let Value::Object(map) = entry {
            for (key, value) in map {
                if !is_meta_key(key) {
                    leaf_paths(key, value, &mut fields);
                }
            }
        }
        fields.sort();
        fields
    }
}

/// Whether an entry's key (or dotted key) is about who recorded or voided it.
pub(crate) fn is_meta_key(key: &str) -> bool {
    let head = key.split('.').next().unwrap_or(key);
    matches!(head, RECORDED_BY | RECORDED_AT | ENTERED_IN_ERROR)
}

fn leaf_paths(prefix: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                leaf_paths(&format!("{prefix}.{key}"), inner, out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

/// Nested objects as one map with dotted keys; `keep` names keys kept whole.
pub(crate) fn flatten(value: &Value, keep: &[&str]) -> Map<String, Value> {
    fn walk(prefix: &str, value: &Value, keep: &[&str], out: &mut Map<String, Value>) {
        match value {
            Value::Object(map) if !keep.contains(&prefix) => {
                for (key, inner) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&path, inner, keep, out);
                }
            }
            leaf => {
                out.insert(prefix.to_owned(), leaf.clone());
            }
        }
    }
    let mut out = Map::new();
    walk("", value, keep, &mut out);
    out
}

/// Dotted keys back into nested objects.
pub(crate) fn unflatten(flat: &Value) -> Value {
    let Value::Object(map) = flat else {
        return flat.clone();
    };
    let mut out = Value::Object(Map::new());
    for (key, value) in map {
        let mut slot = &mut out;
        for segment in key.split('.') {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            slot = slot
                .as_object_mut()
                .expect("made an object above")
                .entry(segment)
                .or_insert(Value::Null);
        }
        *slot = value.clone();
    }
    out
}

/// The input of an entry kind: how it is validated and where it is kept.
pub(crate) trait EntryInput: Serialize + DeserializeOwned {
    const COLLECTION: Collection;
    fn check(&self) -> Result<(), ValidationErrors>;
}

impl EntryInput for AllergyInput {
    const COLLECTION: Collection = Collection::Allergies;
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }
}

impl EntryInput for ConditionInput {
    const COLLECTION: Collection = Collection::Conditions;
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }
}

impl EntryInput for MedicationInput {
    const COLLECTION: Collection = Collection::Medications;
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }
}

impl EntryInput for VisitInput {
    const COLLECTION: Collection = Collection::Visits;
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }
}

impl EntryInput for OrderInput {
    const COLLECTION: Collection = Collection::Orders;
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }
}

impl EntryInput for AssessmentInput {
    const COLLECTION: Collection = Collection::Assessments;
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }
}

impl EntryInput for PhotoInput {
    const COLLECTION: Collection = Collection::Photos;
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }
}

impl EntryInput for DocumentEntryInput {
    const COLLECTION: Collection = Collection::Documents;
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }
}

impl EntryInput for TriageTagInput {
    const COLLECTION: Collection = Collection::Triage;
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }
}

/// Values that are one clinical fact although serde writes them as objects.
/// They are stored as one string so that concurrent edits conflict as a whole
/// instead of merging, say, the level of one JCS with the flags of another.
const ATOMIC_FIELDS: [(Collection, &str, &str); 1] = [(Collection::Visits, "vitals", "jcs")];

/// The input as it is written into the document: a flat map.
pub(crate) fn input_to_doc<T: EntryInput>(input: &T) -> Result<Map<String, Value>, RecordError> {
    let mut value = to_json(input)?;
    for (collection, parent, field) in ATOMIC_FIELDS {
        if collection != T::COLLECTION {
            continue;
        }
        if let Some(slot) = value.get_mut(parent).and_then(|p| p.get_mut(field))
            && slot.is_object()
        {
            let jcs: Jcs = serde_json::from_value(slot.take()).map_err(|e| {
                RecordError::invalid(field, "malformed", format!("not a JCS value: {e}"))
            })?;
            *slot = Value::String(jcs.to_string());
        }
    }
    Ok(flatten(&value, &[]))
}

/// The input of an entry as read from the document (a flat map; the entry's
/// other keys, such as `recorded_by`, are ignored by serde).
pub(crate) fn input_from_doc<T: EntryInput>(entry: &Value) -> Result<T, RecordError> {
    input_from_nested(unflatten(entry))
}

/// The input of an entry already unflattened.
pub(crate) fn input_from_nested<T: EntryInput>(mut value: Value) -> Result<T, RecordError> {
    for (collection, parent, field) in ATOMIC_FIELDS {
        if collection != T::COLLECTION {
            continue;
        }
        if let Some(slot) = value.get_mut(parent).and_then(|p| p.get_mut(field))
            && let Value::String(text) = slot
        {
            let jcs =
                Jcs::parse(text).map_err(|e| RecordError::Invalid(ValidationErrors(vec![e])))?;
            *slot = to_json(&jcs)?;
        }
    }
    T::deserialize(&value).map_err(|e| {
        RecordError::invalid(
            T::COLLECTION.key(),
            "malformed",
            format!("not a valid entry: {e}"),
        )
    })
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<Value, RecordError> {
    serde_json::to_value(value)
        .map_err(|e| RecordError::invalid("value", "malformed", e.to_string()))
}

/// Whether concurrent values at this path of the document (a list of map
/// keys, an entry's dotted key being one) are clinical facts
/// a person must review. Who recorded or voided an entry and the review items
/// themselves are bookkeeping: their concurrent values are kept in history but
/// raise no review.
pub(crate) fn is_reviewable(path: &[String]) -> bool {
    match path {
        [root, _field] if root == PATIENT => true,
        [root, field] if root == ALLERGY_ASSESSMENT => field == NO_KNOWN_ALLERGIES,
        [collection, _id, field] => {
            Collection::from_key(collection).is_some() && !is_meta_key(field)
        }
        _ => false,
    }
}
