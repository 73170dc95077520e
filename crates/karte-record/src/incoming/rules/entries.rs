//! What a change may write into the entries of a chart: new entries under
//! new ULID keys, written whole as the input of their collection and
//! recorded by the change's author; corrections of an entry's fields to
//! values of their type; and an entry's entered-in-error mark, once, with
//! who, when and why.

use std::collections::BTreeSet;

use automerge::ReadDoc;
use karte_types::{
    AllergyInput, AssessmentInput, ConditionInput, DocumentEntryInput, EntryId, MedicationInput,
    OrderInput, PhotoInput, TriageTagInput, VisitInput,
};
use serde_json::{Map, Value, json};

use super::super::writes::Write;
use super::Rule;
use crate::RecordError;
use crate::chart::{approval_holds, draft_hash, find_entry};
use crate::json::{read_map, value_to_json};
use crate::layout::{
    Collection, ENTERED_IN_ERROR, EntryInput, RECORDED_AT, RECORDED_BY, flatten, input_from_doc,
    input_to_doc, is_meta_key,
};

impl Rule<'_> {
    /// New entries: under new ULID keys, written whole as the input of the
    /// collection, recorded by the change's author at its time.
    pub(super) fn new_entries(&self, collection: Collection) -> Result<(), RecordError> {
        for write in &self.patch.writes {
            let id = &write.key;
            if write.seen {
                return Err(self.refuse.forbidden(format!(
                    "it writes a new entry over entry {id} of {}; entries are never replaced",
                    collection.key()
                )));
            }
            if ulid::Ulid::from_string(id).is_err() {
                return Err(self.refuse.forbidden(format!(
                    "it adds an entry to {} under '{id}', which is not a ULID",
                    collection.key()
                )));
            }
            if self.chart.may_hold_entry(id)
                && find_entry(self.chart, &EntryId::from(id.as_str()))?.is_some()
            {
                return Err(self.refuse.forbidden(format!(
                    "it adds an entry {id} to {}, but the chart holds an entry {id} already",
                    collection.key()
                )));
            }
            self.whole_entry(collection, id, &write.value)?;
        }
        Ok(())
    }

    fn whole_entry(
        &self,
        collection: Collection,
        id: &str,
        value: &Value,
    ) -> Result<(), RecordError> {
        let place = format!("{}/{id}", collection.key());
        let Value::Object(entry) = value else {
            return Err(self
                .refuse
                .forbidden(format!("it puts {value} where entry {place} goes")));
        };
        if let Some((key, _)) = entry.iter().find(|(_, v)| v.is_object()) {
            return Err(self.refuse.forbidden(format!(
                "it writes entry {place} with a map at '{key}'; entries are flat"
            )));
        }
        let (meta, input): (Map<String, Value>, Map<String, Value>) = entry
            .clone()
            .into_iter()
            .partition(|(key, _)| is_meta_key(key));
        let mut expected = flatten(&json!({ RECORDED_BY: self.by.author }), &[]);
        expected.insert(RECORDED_AT.to_owned(), self.by.at.clone());
        if !same_keys(&meta, &expected) {
            return Err(self.refuse.forbidden(format!(
                "it writes entry {place} with the keys {:?} of who recorded it, not {:?}",
                meta.keys().collect::<Vec<_>>(),
                expected.keys().collect::<Vec<_>>()
            )));
        }
        if meta != expected {
            return Err(self.refuse.misattributed(format!(
                "it records entry {place} as by {} at {}, but the change is by {}",
                json!({
                    "user": meta.get("recorded_by.user"),
                    "device": meta.get("recorded_by.device")
                }),
                meta[RECORDED_AT],
                self.by.describe()
            )));
        }
        let input = Value::Object(input);
        let canonical = entry_keys(collection, &input).map_err(|why| {
            self.refuse.forbidden(format!(
                "entry {place} is not a valid {} entry: {why}",
                collection.key()
            ))
        })?;
        let written: BTreeSet<String> = input
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect();
        if written != canonical {
            return Err(self.refuse.forbidden(format!(
                "it writes entry {place} with the fields {written:?}, not those of a {} entry: {canonical:?}",
                collection.key()
            )));
        }
        if collection == Collection::Documents {
            self.new_document(&place, &input)?;
        }
        Ok(())
    }

    /// Corrections of an entry's fields, and its entered-in-error mark.
    pub(super) fn entry_edit(&self, collection: Collection) -> Result<(), RecordError> {
        let place = &self.patch.place;
        let mut corrected = read_map(self.chart, &self.patch.obj);
        let mut fields = Vec::new();
        for write in &self.patch.writes {
            if write.key == ENTERED_IN_ERROR {
                self.void(write)?;
            } else if collection == Collection::Triage && write.key == "kind" {
                return Err(self.refuse.forbidden(format!(
                    "it rewrites the kind of {place}; a registration, a triage or a transport stays what it was recorded as"
                )));
            } else if is_meta_key(&write.key) {
                return Err(self.refuse.forbidden(format!(
                    "it rewrites '{}' of {place}; who recorded or voided an entry, and when, is never rewritten",
                    write.key
                )));
            } else if write.value.is_object() {
                return Err(self.refuse.forbidden(format!(
                    "it writes a map at '{}' of {place}; entries are flat",
                    write.key
                )));
            } else {
                corrected[write.key.as_str()] = write.value.clone();
                fields.push(&write.key);
            }
        }
        if fields.is_empty() {
            return Ok(());
        }
        if collection == Collection::Documents {
            self.document_edit(&fields)?;
        }
        let canonical = entry_keys(collection, &corrected).map_err(|why| {
            self.refuse.forbidden(format!(
                "{place} as it corrects it is not a valid entry: {why}"
            ))
        })?;
        match fields.into_iter().find(|f| !canonical.contains(*f)) {
            Some(field) => Err(self.refuse.forbidden(format!(
                "it writes '{field}' of {place}, which is not a field of {} entries",
                collection.key()
            ))),
            None => Ok(()),
        }
    }

    /// A new document entry: its draft reads as one of the kind and
    /// detail the entry says, and it is not approved yet (a document is
    /// saved first, then approved by a second person).
    fn new_document(&self, place: &str, input: &Value) -> Result<(), RecordError> {
        let document = self.document_input(place, input)?;
        if document.approved_by.is_some()
            || document.approved_by_name.is_some()
            || document.approved_at.is_some()
            || document.approved_draft.is_some()
        {
            return Err(self.refuse.forbidden(format!(
                "it saves document {place} approved; a document is saved first, then approved by a second person"
            )));
        }
        Ok(())
    }

    /// `input` read as a document entry that passes its own checks.
    fn document_input(
        &self,
        place: &str,
        input: &Value,
    ) -> Result<DocumentEntryInput, RecordError> {
        let document: DocumentEntryInput = input_from_doc(input).map_err(|e| {
            self.refuse
                .forbidden(format!("{place} is not a valid document entry: {e}"))
        })?;
        document.validate().map_err(|e| {
            self.refuse
                .forbidden(format!("{place} is not a valid document entry: {e}"))
        })?;
        Ok(document)
    }

    /// A document entry's edit, judged by the entry as the change's author
    /// saw it (at the change's own dependencies, so every receiver gives
    /// the same verdict whatever else it holds): none once it is approved;
    /// a draft rewritten only by the one who saved it (anyone may choose
    /// among drafts standing side by side), still a valid document; an approval written whole (who, their name, when, the
    /// hash of the draft seen) by the change's author at its time, who is
    /// not the one who saved the document.
    fn document_edit(&self, fields: &[&String]) -> Result<(), RecordError> {
        const APPROVAL: [&str; 4] = [
            "approved_by",
            "approved_by_name",
            "approved_at",
            "approved_draft",
        ];
        let place = &self.patch.place;
        let seen = read_map(&self.chart.at_heads(self.deps), &self.patch.obj);
        let before = self.document_input(&place.to_string(), &seen)?;
        if approval_holds(&before) {
            return Err(self.refuse.forbidden(format!(
                "it edits {place}, an approved document; an approved document is not edited"
            )));
        }
        let mut after = seen.clone();
        for write in &self.patch.writes {
            if write.key != ENTERED_IN_ERROR {
                after[write.key.as_str()] = write.value.clone();
            }
        }
        let saved_by = seen.get("recorded_by.user");
        if !fields.iter().any(|f| APPROVAL.contains(&f.as_str())) {
            if saved_by != self.by.author.get("user") && !self.chooses_a_standing_draft(fields) {
                return Err(self.refuse.forbidden(format!(
                    "it rewrites {place}, a document another user saved; only the one who saved a document rewrites its draft"
                )));
            }
            self.document_input(&place.to_string(), &after)?;
            return Ok(());
        }
        // An approval's fields as they stand after the change: a second
        // approval by the same person leaves who and their name as they
        // were, unwritten.
        let approval = |key: &str| after.get(key).filter(|v| !v.is_null());
        let (Some(by), Some(name), Some(at), Some(draft)) = (
            approval("approved_by"),
            approval("approved_by_name"),
            approval("approved_at"),
            approval("approved_draft"),
        ) else {
            return Err(self.refuse.forbidden(format!(
                "it writes part of the approval of {place}; an approval names who, their name, when and the draft approved, at once"
            )));
        };
        if fields.iter().any(|f| !APPROVAL.contains(&f.as_str())) {
            return Err(self.refuse.forbidden(format!(
                "it approves {place} and edits it in the same write"
            )));
        }
        if Some(by) != self.by.author.get("user")
            || Some(name) != self.by.author.get("user_name")
            || *at != self.by.at
        {
            return Err(self.refuse.misattributed(format!(
                "it records the approval of {place} as by {by} ({name}) at {at}, but the change is by {}",
                self.by.describe()
            )));
        }
        if draft.as_str() != Some(draft_hash(&before.draft).as_str()) {
            return Err(self.refuse.forbidden(format!(
                "it approves {place} with the hash {draft}, not that of the draft its author saw"
            )));
        }
        if saved_by == Some(by) {
            return Err(self.refuse.forbidden(format!(
                "it approves {place} by the one who saved it; a document is approved by a second person"
            )));
        }
        self.document_input(&place.to_string(), &after)?;
        Ok(())
    }

    /// Whether the change writes only the draft, choosing one of the
    /// drafts standing at its dependencies (a review item's resolution by
    /// anyone), so the text's only author is still the one who saved it.
    fn chooses_a_standing_draft(&self, fields: &[&String]) -> bool {
        let [field] = fields else {
            return false;
        };
        let Some(write) = self.patch.writes.iter().find(|w| &&w.key == field) else {
            return false;
        };
        let seen = self.chart.at_heads(self.deps);
        field.as_str() == "draft"
            && seen
                .get_all(&self.patch.obj, "draft")
                .unwrap_or_default()
                .into_iter()
                .any(|(value, id)| value_to_json(&seen, &value, &id) == write.value)
    }

    /// An entry marked entered-in-error: once, with a reason, by the
    /// change's author at its time.
    fn void(&self, write: &Write) -> Result<(), RecordError> {
        let place = &self.patch.place;
        if write.seen {
            return Err(self.refuse.forbidden(format!(
                "it rewrites the entered-in-error mark of {place}; a void is never undone nor rewritten"
            )));
        }
        let Value::Object(mark) = &write.value else {
            return Err(self.refuse.forbidden(format!(
                "it marks {place} entered-in-error with {} instead of who, when and why",
                write.value
            )));
        };
        let keys: BTreeSet<&str> = mark.keys().map(String::as_str).collect();
        if keys != BTreeSet::from(["by", "at", "reason"]) {
            return Err(self.refuse.forbidden(format!(
                "it marks {place} entered-in-error with {keys:?} instead of by, at and reason"
            )));
        }
        if mark["reason"].as_str().is_none_or(|r| r.trim().is_empty()) {
            return Err(self.refuse.forbidden(format!(
                "it marks {place} entered-in-error without a reason"
            )));
        }
        if !self.by.is(mark.get("by"), mark.get("at")) {
            return Err(self.refuse.misattributed(format!(
                "it marks {place} entered-in-error as by {} at {}, but the change is by {}",
                mark["by"],
                mark["at"],
                self.by.describe()
            )));
        }
        Ok(())
    }
}

fn same_keys(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len() && a.keys().all(|k| b.contains_key(k))
}

/// The input fields of the entry `flat` (a flat map) reads as, as the
/// document writes them.
fn entry_keys(collection: Collection, flat: &Value) -> Result<BTreeSet<String>, String> {
    fn keys<T: EntryInput>(flat: &Value) -> Result<BTreeSet<String>, String> {
        let input: T = input_from_doc(flat).map_err(|e| e.to_string())?;
        let written = input_to_doc(&input).map_err(|e| e.to_string())?;
        Ok(written.into_iter().map(|(k, _)| k).collect())
    }
    match collection {
        Collection::Allergies => keys::<AllergyInput>(flat),
        Collection::Conditions => keys::<ConditionInput>(flat),
        Collection::Medications => keys::<MedicationInput>(flat),
        Collection::Visits => keys::<VisitInput>(flat),
        Collection::Orders => keys::<OrderInput>(flat),
        Collection::Assessments => keys::<AssessmentInput>(flat),
        Collection::Triage => keys::<TriageTagInput>(flat),
        Collection::Photos => keys::<PhotoInput>(flat),
        Collection::Documents => keys::<DocumentEntryInput>(flat),
    }
}
