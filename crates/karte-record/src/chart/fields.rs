//! Writing one field of a chart: an entry's flat dotted field (`vitals.pulse`),
//! a patient field, or the "no known allergies" flag. A field is written only
//! when it must be (it differs, or a review is settling concurrent values),
//! because writing the winning value again would silently delete the loser.
//! A value is checked first as part of what it is written into: the entry or
//! the patient as corrected must validate.

use automerge::transaction::{Transactable, Transaction};
use automerge::{ObjId, ReadDoc, ScalarValue};
use karte_types::{
    AllergyInput, AssessmentInput, ClinicalStatus, ConditionInput, Demographics, EntryId,
    MedicationInput, OrderInput, PhotoInput, TriageTagInput, VisitInput,
};
use serde_json::Value;

use super::{container, find_entry};
use crate::history::Edit;
use crate::json::{json_to_scalar, put_json, read_map};
use crate::layout::{
    ALLERGY_ASSESSMENT, Collection, ENTERED_IN_ERROR, EntryInput, NO_KNOWN_ALLERGIES, PATIENT,
    input_from_doc, input_to_doc, is_meta_key, to_json,
};
use crate::{RecordError, review};

/// Sets or clears "no known allergies"; setting it is refused while active
/// allergies are recorded. Nothing is written if the flag already holds.
pub(super) fn set_nka(
    tx: &mut Transaction<'_>,
    value: bool,
    edit: &Edit<'_>,
) -> Result<(), RecordError> {
    if value && !review::active_allergies(tx)?.is_empty() {
        return Err(RecordError::ActiveAllergies);
    }
    let assessment = container(tx, ALLERGY_ASSESSMENT)?;
    let all = tx.get_all(&assessment, NO_KNOWN_ALLERGIES)?;
    let holds = all.len() == 1
        && matches!(&all[0].0, automerge::Value::Scalar(s) if s.as_ref() == &ScalarValue::Boolean(value));
    if holds {
        return Ok(());
    }
    tx.put(&assessment, NO_KNOWN_ALLERGIES, value)?;
    put_json(tx, &assessment, "by", &to_json(edit.author)?)?;
    tx.put(&assessment, "at", edit.at.0)?;
    Ok(())
}

/// An active allergy recorded locally withdraws "no known allergies".
pub(super) fn after_allergy_write(
    tx: &mut Transaction<'_>,
    collection: Collection,
    entry: &Value,
    edit: &Edit<'_>,
) -> Result<(), RecordError> {
    let active = collection == Collection::Allergies
        && entry.get("status") == Some(&to_json(&ClinicalStatus::Active)?)
        && entry.get(ENTERED_IN_ERROR).is_none_or(Value::is_null);
    if !active {
        return Ok(());
    }
    let assessment = container(tx, ALLERGY_ASSESSMENT)?;
    if let Some((automerge::Value::Scalar(s), _)) = tx.get(&assessment, NO_KNOWN_ALLERGIES)?
        && s.as_ref() == &ScalarValue::Boolean(true)
    {
        set_nka(tx, false, edit)?;
    }
    Ok(())
}

/// Whether `obj[key]` must be written to hold `value`: it differs, or (when
/// settling a review) it still holds several concurrent values.
fn needs_write<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    key: &str,
    value: &Value,
    settle: bool,
) -> Result<bool, RecordError> {
    let all = doc.get_all(obj, key)?;
    let current = match all.last() {
        Some((v, id)) => crate::json::value_to_json(doc, v, id),
        None => return Ok(true),
    };
    Ok(current != *value || (settle && all.len() > 1))
}

/// Writes the JSON leaf `value` at `obj[key]` if it must be.
pub(super) fn write_leaf(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    key: &str,
    value: &Value,
    settle: bool,
) -> Result<(), RecordError> {
    if needs_write(tx, obj, key, value, settle)? {
        match json_to_scalar(value) {
            Some(scalar) => tx.put(obj, key, scalar)?,
            None => put_json(tx, obj, key, value)?,
        }
    }
    Ok(())
}

/// Sets one input field of an entry after checking the corrected entry.
pub(super) fn set_field(
    tx: &mut Transaction<'_>,
    collection: Collection,
    obj: &ObjId,
    field: &str,
    value: &Value,
    settle: bool,
    edit: &Edit<'_>,
) -> Result<(), RecordError> {
    match collection {
        Collection::Allergies => {
            set_typed_field::<AllergyInput>(tx, obj, field, value, settle, edit)
        }
        Collection::Conditions => {
            set_typed_field::<ConditionInput>(tx, obj, field, value, settle, edit)
        }
        Collection::Medications => {
            set_typed_field::<MedicationInput>(tx, obj, field, value, settle, edit)
        }
        Collection::Visits => set_typed_field::<VisitInput>(tx, obj, field, value, settle, edit),
        Collection::Orders => set_typed_field::<OrderInput>(tx, obj, field, value, settle, edit),
        Collection::Assessments => {
            set_typed_field::<AssessmentInput>(tx, obj, field, value, settle, edit)
        }
        Collection::Triage => {
            set_typed_field::<TriageTagInput>(tx, obj, field, value, settle, edit)
        }
        Collection::Photos => set_typed_field::<PhotoInput>(tx, obj, field, value, settle, edit),
        Collection::Documents => {
            document_write(tx, obj, field, value, edit)?;
            set_typed_field::<karte_types::DocumentEntryInput>(tx, obj, field, value, settle, edit)
        }
    }
}

/// Whether `edit` may write `value` at `field` of the document `obj`, as
/// the received-change rules judge it: not once its approval stands; and
/// by anyone but the one who saved it, only a choice among the drafts
/// standing side by side (a review item's resolution), never new text.
fn document_write(
    tx: &Transaction<'_>,
    obj: &ObjId,
    field: &str,
    value: &Value,
    edit: &Edit<'_>,
) -> Result<(), RecordError> {
    let entry = read_map(tx, obj);
    let input: karte_types::DocumentEntryInput = input_from_doc(&entry)?;
    if super::approval_holds(&input) {
        return Err(RecordError::invalid(
            "entry",
            "approved",
            "the document is approved: an approved document is not edited; void it and save a new one",
        ));
    }
    if entry.get("recorded_by.user") == Some(&to_json(&edit.author.user)?) {
        return Ok(());
    }
    let standing = tx
        .get_all(obj, field)?
        .into_iter()
        .any(|(v, id)| crate::json::value_to_json(tx, &v, &id) == *value);
    if field == "draft" && standing {
        return Ok(());
    }
    Err(RecordError::invalid(
        "entry",
        "not_author",
        "only the one who saved a document rewrites its draft; save your text as a new document",
    ))
}

fn set_typed_field<T: EntryInput>(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    field: &str,
    value: &Value,
    settle: bool,
    edit: &Edit<'_>,
) -> Result<(), RecordError> {
    let entry = read_map(tx, obj);
    let known = T::COLLECTION.input_fields(&entry);
    if !known.iter().any(|f| f == field) {
        return Err(RecordError::UnknownField {
            collection: T::COLLECTION.key(),
            field: field.to_owned(),
            known: known.join(", "),
        });
    }
    let mut corrected = entry.clone();
    corrected[field] = value.clone();
    let input: T = input_from_doc(&corrected)?;
    input.check()?;
    // Written as the document writes it (a JCS typed as `20r` becomes `II-20R`).
    let canonical = input_to_doc(&input)?;
    let leaf = canonical.get(field).cloned().unwrap_or(Value::Null);
    write_leaf(tx, obj, field, &leaf, settle)?;
    let mut merged = entry;
    if let Value::Object(map) = &mut merged {
        map.retain(|k, _| is_meta_key(k));
        map.extend(canonical);
    }
    after_allergy_write(tx, T::COLLECTION, &merged, edit)
}

/// Writes the value chosen for a review item at its path, checked as an edit
/// of that field would be.
pub(super) fn write_path(
    tx: &mut Transaction<'_>,
    path: &str,
    value: &Value,
    edit: &Edit<'_>,
) -> Result<(), RecordError> {
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        [PATIENT, field] => {
            let obj = container(tx, PATIENT)?;
            let mut patient = read_map(tx, &obj);
            if patient.get(*field).is_none() {
                return Err(RecordError::NotAChart(format!(
                    "review path {path} is not a patient field"
                )));
            }
            patient[*field] = value.clone();
            let checked: Demographics = serde_json::from_value(patient).map_err(|e| {
                RecordError::invalid(field, "malformed", format!("not a valid value: {e}"))
            })?;
            checked.validate(edit.at.date_jst())?;
            let leaf = to_json(&checked)?[*field].clone();
            write_leaf(tx, &obj, field, &leaf, true)
        }
        [ALLERGY_ASSESSMENT, NO_KNOWN_ALLERGIES] => {
            let flag = value.as_bool().ok_or_else(|| {
                RecordError::invalid(NO_KNOWN_ALLERGIES, "malformed", "choose true or false")
            })?;
            set_nka(tx, flag, edit)
        }
        [collection, id, field @ ..] if !field.is_empty() => {
            let id = EntryId::from(*id);
            let (found, obj) = find_entry(tx, &id)?.ok_or(RecordError::UnknownEntry(id))?;
            if found.key() != *collection {
                return Err(RecordError::NotAChart(format!(
                    "review path {path} names the wrong collection"
                )));
            }
            set_field(tx, found, &obj, &field.join("."), value, true, edit)
        }
        _ => Err(RecordError::NotAChart(format!(
            "review path {path} is not a field"
        ))),
    }
}
