//! The writes a user makes to a chart: demographics, new entries, a
//! corrected field, a voided entry, "no known allergies", and the resolution
//! of a review item. Each is one attributed change; a correction writes only
//! the fields that differ, so concurrent values awaiting review are never
//! erased.

use std::collections::BTreeSet;

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use karte_types::{
    AllergyInput, ConditionInput, Demographics, EntryId, MedicationInput, Resolution, ReviewId,
    ReviewKind, VisitInput,
};
use serde_json::Value;

use super::fields::{after_allergy_write, set_field, set_nka, write_path};
use super::{Chart, container, find_entry};
use crate::history::Edit;
use crate::json::{put_json, read_map, update_map};
use crate::layout::{
    ENTERED_IN_ERROR, EntryInput, PATIENT, RECORDED_AT, RECORDED_BY, RESOLUTIONS, flatten,
    input_to_doc, to_json,
};
use crate::{RecordError, review};

impl Chart {
    /// Writes only the fields that changed: rewriting a whole form would erase
    /// concurrent values that still await review, and blur the history.
    pub fn update_demographics(
        &mut self,
        patient: &Demographics,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        patient.validate(edit.at.date_jst())?;
        let new = to_json(patient)?;
        self.commit("patient.update", edit, |tx| {
            let obj = container(tx, PATIENT)?;
            let old = read_map(tx, &obj);
            update_map(tx, &obj, as_object(&old), as_object(&new))?;
            Ok(())
        })
    }

    pub fn add_allergy(
        &mut self,
        id: &EntryId,
        input: &AllergyInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        self.add_entry("allergy.add", id, input, edit)
    }

    /// Records that the patient was asked and has no known allergies. Refused
    /// while active allergies are recorded.
    pub fn set_no_known_allergies(&mut self, edit: &Edit<'_>) -> Result<(), RecordError> {
        self.commit("allergy.none", edit, |tx| set_nka(tx, true, edit))
    }

    pub fn add_condition(
        &mut self,
        id: &EntryId,
        input: &ConditionInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        self.add_entry("condition.add", id, input, edit)
    }

    pub fn add_medication(
        &mut self,
        id: &EntryId,
        input: &MedicationInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        self.add_entry("medication.add", id, input, edit)
    }

    pub fn record_visit(
        &mut self,
        id: &EntryId,
        input: &VisitInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        self.add_entry("visit.record", id, input, edit)
    }

    /// Corrects one field of an entry, named by its dotted path as serde
    /// writes the entry's input: `pulse` of a visit is `vitals.pulse`, the
    /// plan `soap.plan`, JCS `vitals.jcs` (as text, e.g. `"II-20R"`). The
    /// entry as corrected must validate; only that field is written, and
    /// nothing at all if it already holds the value.
    pub fn set_entry_field(
        &mut self,
        id: &EntryId,
        field: &str,
        value: &Value,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        self.commit("entry.correct", edit, |tx| {
            let (collection, obj) =
                find_entry(tx, id)?.ok_or_else(|| RecordError::UnknownEntry(id.clone()))?;
            set_field(tx, collection, &obj, field, value, false, edit)
        })
    }

    /// Marks an entry entered-in-error, with who, when and why. Nothing is
    /// ever deleted; voiding a voided entry changes nothing.
    pub fn void_entry(
        &mut self,
        id: &EntryId,
        reason: &str,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        if reason.trim().is_empty() {
            return Err(RecordError::invalid(
                "reason",
                "required",
                "say why the entry is void, e.g. wrong patient",
            ));
        }
        let voided =
            serde_json::json!({ "by": to_json(edit.author)?, "at": edit.at.0, "reason": reason });
        self.commit("entry.void", edit, |tx| {
            let (_, obj) =
                find_entry(tx, id)?.ok_or_else(|| RecordError::UnknownEntry(id.clone()))?;
            if matches!(
                tx.get(&obj, ENTERED_IN_ERROR)?,
                Some((automerge::Value::Object(_), _))
            ) {
                return Ok(());
            }
            put_json(tx, &obj, ENTERED_IN_ERROR, &voided)?;
            Ok(())
        })
    }

    /// Resolves a review item with who, when and what was chosen. For
    /// concurrent values `chosen` is the JSON text of the value to keep (one of
    /// the item's values, or a correction); it is written to the field, which
    /// must then validate. For a clinical item it is a note. Resolving also
    /// resolves the older items about a subset of the same values.
    pub fn resolve_review(
        &mut self,
        id: &ReviewId,
        chosen: &str,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        let record =
            review::record(&self.doc, id)?.ok_or_else(|| RecordError::UnknownReview(id.clone()))?;
        let value = match record.kind {
            ReviewKind::ConcurrentValues => {
                Some(serde_json::from_str::<Value>(chosen).map_err(|_| {
                    RecordError::invalid(
                        "chosen",
                        "malformed",
                        "give the chosen value as JSON, e.g. 80 or \"text\"",
                    )
                })?)
            }
            ReviewKind::Clinical { .. } => None,
        };
        let resolution = serde_json::to_string(&Resolution {
            by: edit.author.clone(),
            at: edit.at,
            chosen: chosen.to_owned(),
        })
        .expect("a resolution serialises");
        let subsumed = self.subsumed_reviews(id, &record)?;
        self.commit("review.resolve", edit, |tx| {
            if let Some(value) = &value {
                write_path(tx, &record.path, value, edit)?;
            }
            let resolutions = container(tx, RESOLUTIONS)?;
            tx.put(&resolutions, id.as_str(), resolution.as_str())?;
            for other in &subsumed {
                tx.put(&resolutions, other.as_str(), resolution.as_str())?;
            }
            Ok(())
        })
    }

    pub(super) fn add_entry<T: EntryInput>(
        &mut self,
        operation: &str,
        id: &EntryId,
        input: &T,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        let entry = new_entry::<T>(id, input, edit)?;
        self.commit(operation, edit, |tx| {
            put_new_entry::<T>(tx, id, &entry, edit)
        })
    }

    /// Open items about concurrent values at the same path whose values are
    /// all among those of `record`: choosing among all settles them too.
    fn subsumed_reviews(
        &self,
        id: &ReviewId,
        record: &review::ReviewRecord,
    ) -> Result<Vec<ReviewId>, RecordError> {
        if record.kind != ReviewKind::ConcurrentValues {
            return Ok(Vec::new());
        }
        let about: BTreeSet<&String> = record.about.iter().collect();
        let mut out = Vec::new();
        for other in review::review_ids(&self.doc)? {
            if other == id.as_str() || review::resolution(&self.doc, &other)?.is_some() {
                continue;
            }
            let other = ReviewId(other);
            if let Some(r) = review::record(&self.doc, &other)?
                && r.kind == ReviewKind::ConcurrentValues
                && r.path == record.path
                && r.about.iter().all(|a| about.contains(a))
            {
                out.push(other);
            }
        }
        Ok(out)
    }
}

/// A new entry as it is written: the input's fields, flat, with who
/// recorded it and when. Checks the id is a ULID and the input is valid.
pub(super) fn new_entry<T: EntryInput>(
    id: &EntryId,
    input: &T,
    edit: &Edit<'_>,
) -> Result<Value, RecordError> {
    if ulid::Ulid::from_string(id.as_str()).is_err() {
        return Err(RecordError::invalid(
            "id",
            "malformed",
            format!("'{id}' is not a ULID"),
        ));
    }
    input.check()?;
    let mut entry = input_to_doc(input)?;
    entry.extend(flatten(
        &serde_json::json!({ RECORDED_BY: to_json(edit.author)? }),
        &[],
    ));
    entry.insert(RECORDED_AT.to_owned(), Value::from(edit.at.0));
    Ok(Value::Object(entry))
}

/// Puts a new entry made by [`new_entry`] into its collection, within a
/// change; an id the chart holds already is refused.
pub(super) fn put_new_entry<T: EntryInput>(
    tx: &mut automerge::transaction::Transaction<'_>,
    id: &EntryId,
    entry: &Value,
    edit: &Edit<'_>,
) -> Result<(), RecordError> {
    if find_entry(tx, id)?.is_some() {
        return Err(RecordError::DuplicateEntry(id.clone()));
    }
    let collection = container(tx, T::COLLECTION.key())?;
    put_json(tx, &collection, id.as_str(), entry)?;
    after_allergy_write(tx, T::COLLECTION, entry, edit)
}

fn as_object(value: &Value) -> &serde_json::Map<String, Value> {
    value.as_object().expect("a map reads as a JSON object")
}
