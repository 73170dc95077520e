//! Reading a chart document as a `ChartView`.
//!
//! The document is read in one walk into JSON and from there through serde.
//! (`map_range` reads a 300-visit chart several times faster than
//! `Automerge::hydrate`.)

use automerge::{Automerge, ReadDoc};
use karte_types::{
    Allergy, AllergyStatus, Assessment, Casualty, ChartView, Condition, Consultation, Demographics,
    DocumentEntry, EntryId, EntryMeta, Identification, Medication, Order, OrderSummary, PatientId,
    PatientSummary, Photo, Scale, Timestamp, Transport, Triage, TriageTag, TriageTagInput, Visit,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::RecordError;
use crate::json::{read_map, read_map_nested, scalar_to_json};
use crate::layout::{
    ALLERGY_ASSESSMENT, Collection, ENTERED_IN_ERROR, EntryInput, NO_KNOWN_ALLERGIES, PATIENT,
    RECORDED_AT, RECORDED_BY, RESOLUTIONS, REVIEWS, input_from_nested,
};
use crate::review::reviews_from_json;

pub(crate) fn chart_view(doc: &Automerge, id: &PatientId) -> Result<ChartView, RecordError> {
    let mut root = serde_json::Map::new();
    for key in [PATIENT, ALLERGY_ASSESSMENT, REVIEWS, RESOLUTIONS] {
        if let Some((_, obj)) = doc.get(automerge::ROOT, key)? {
            root.insert(key.to_owned(), read_map(doc, &obj));
        }
    }
    let root = Value::Object(root);
    let patient: Demographics = field(&root, PATIENT, PATIENT)?;
    let allergies = entries(doc, |meta, input| Allergy { meta, input })?;
    let conditions = entries(doc, |meta, input| Condition { meta, input })?;
    let medications = entries(doc, |meta, input| Medication { meta, input })?;
    let visits = entries(doc, |meta, input| Visit { meta, input })?;
    let orders = entries(doc, |meta, input| Order { meta, input })?;
    let assessments = entries(doc, |meta, input| Assessment { meta, input })?;
    let nka = root
        .get(ALLERGY_ASSESSMENT)
        .and_then(|a| a.get(NO_KNOWN_ALLERGIES))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut view = ChartView {
        id: id.clone(),
        patient,
        allergy_status: AllergyStatus::NotRecorded,
        allergies,
        conditions,
        medications,
        visits,
        reviews: reviews_from_json(&root),
        orders,
        assessments,
        triage: triage_tag(doc)?,
        documents: documents(doc)?,
    };
    view.settle(nka);
    Ok(view)
}

/// The chart's consultations for the daily report
/// (`ChartView::consultations`): a chart without a J-SPEED sheet, most of
/// them, answers after reading its assessments only.
pub(crate) fn consultations(
    doc: &Automerge,
    id: &PatientId,
) -> Result<Vec<Consultation>, RecordError> {
    let assessments = entries(doc, |meta, input| Assessment { meta, input })?;
    if !assessments
        .iter()
        .any(|a| matches!(a.input.scale, Scale::JSpeed(_)))
    {
        return Ok(Vec::new());
    }
    Ok(chart_view(doc, id)?.consultations())
}

/// The photo entries of a chart, oldest first by when they were taken.
pub(crate) fn photos(doc: &Automerge) -> Result<Vec<Photo>, RecordError> {
    let mut photos = entries(doc, |meta, input| Photo { meta, input })?;
    photos.sort_by(|a, b| (a.input.taken_at, &a.meta.id).cmp(&(b.input.taken_at, &b.meta.id)));
    Ok(photos)
}

/// The document entries of a chart, oldest first by when they were saved;
/// one whose approval does not stand (its draft is not the one approved)
/// shows unapproved.
pub(crate) fn documents(doc: &Automerge) -> Result<Vec<DocumentEntry>, RecordError> {
    let mut documents = entries(doc, |meta, input| DocumentEntry {
        meta,
        input: crate::chart::standing_approval(input),
    })?;
    documents
        .sort_by(|a, b| (a.meta.recorded_at, &a.meta.id).cmp(&(b.meta.recorded_at, &b.meta.id)));
    Ok(documents)
}

/// The orders of a chart, earliest period first.
pub(crate) fn orders(doc: &Automerge) -> Result<Vec<Order>, RecordError> {
    let mut orders = entries(doc, |meta, input| Order { meta, input })?;
    orders.sort_by(|a, b| (a.input.from, &a.meta.id).cmp(&(b.input.from, &b.meta.id)));
    Ok(orders)
}

/// The chart's triage tag: registrations and transports oldest first,
/// triages newest first by when they were done.
pub(crate) fn triage_tag(doc: &Automerge) -> Result<TriageTag, RecordError> {
    let mut tag = TriageTag::default();
    for (meta, input) in entries(doc, |meta, input: TriageTagInput| (meta, input))? {
        match input {
            TriageTagInput::Casualty(input) => tag.registrations.push(Casualty { meta, input }),
            TriageTagInput::Triage(input) => tag.history.push(Triage { meta, input }),
            TriageTagInput::Transport(input) => tag.transports.push(Transport { meta, input }),
            TriageTagInput::Identified(input) => {
                tag.identifications.push(Identification { meta, input })
            }
        }
    }
    tag.settle();
    Ok(tag)
}

/// The patient-list entry of a chart, read without materialising every
/// entry: demographics, open review items, the orders (few), and of each
/// visit only its time and whether it was voided. Equal to
/// `PatientSummary::from_chart(view)`.
pub(crate) fn summary(doc: &Automerge, id: &PatientId) -> Result<PatientSummary, RecordError> {
    let mut root = serde_json::Map::new();
    for key in [PATIENT, REVIEWS, RESOLUTIONS] {
        if let Some((_, obj)) = doc.get(automerge::ROOT, key)? {
            root.insert(key.to_owned(), read_map(doc, &obj));
        }
    }
    let root = Value::Object(root);
    let patient: Demographics = field(&root, PATIENT, PATIENT)?;
    let open_reviews = reviews_from_json(&root)
        .iter()
        .filter(|r| r.resolution.is_none())
        .count() as u32;
    let visits_key = Collection::Visits.key();
    let Some((_, visits)) = doc.get(automerge::ROOT, visits_key)? else {
        return Err(RecordError::NotAChart(format!(
            "it has no '{visits_key}' map"
        )));
    };
    let mut last_visit: Option<Timestamp> = None;
    let mut visit_days = Vec::new();
    for item in doc.map_range(&visits, ..) {
        // One walk over the visit's keys, which come in order and stop
        // after the two wanted here: a few times faster than two lookups.
        let (mut at, mut voided) = (None, false);
        for field in doc.map_range(item.id(), ..) {
            match &*field.key {
                VISIT_AT => {
                    if let automerge::Value::Scalar(scalar) = field.value.into_value() {
                        at = scalar_to_json(&scalar).as_i64();
                    }
                }
                ENTERED_IN_ERROR => {
                    voided = matches!(field.value, automerge::ValueRef::Object(_));
                }
                key if key > ENTERED_IN_ERROR => break,
                _ => {}
            }
        }
        if voided {
            continue;
        }
        let at = at
            .map(Timestamp)
            .ok_or_else(|| RecordError::NotAChart(format!("{visits_key}/{}: no time", item.key)))?;
        last_visit = last_visit.max(Some(at));
        visit_days.push(at.date_jst());
    }
    let orders = OrderSummary::new(&orders(doc)?, visit_days);
    Ok(PatientSummary {
        id: id.clone(),
        family: patient.family,
        given: patient.given,
        family_kana: patient.family_kana,
        given_kana: patient.given_kana,
        birth: patient.birth,
        sex: patient.sex,
        care_level: patient.care_level,
        last_visit,
        open_reviews,
        orders,
        triage: triage_tag(doc)?.summary().map(Box::new),
    })
}

/// The key of a visit's time (`VisitInput::at`); it sorts before
/// `ENTERED_IN_ERROR`, which the summary's walk over a visit relies on.
const VISIT_AT: &str = "at";

fn field<T: DeserializeOwned>(value: &Value, key: &str, path: &str) -> Result<T, RecordError> {
    T::deserialize(value.get(key).unwrap_or(&Value::Null))
        .map_err(|e| RecordError::NotAChart(format!("{path}: {e}")))
}

/// The entries of `T`'s collection, oldest id first (`map_range` is in key order).
fn entries<T: EntryInput, E>(
    doc: &Automerge,
    make: impl Fn(EntryMeta, T) -> E,
) -> Result<Vec<E>, RecordError> {
    let collection = T::COLLECTION.key();
    let Some((_, map)) = doc.get(automerge::ROOT, collection)? else {
        return Err(RecordError::NotAChart(format!(
            "it has no '{collection}' map"
        )));
    };
    let mut out = Vec::new();
    for item in doc.map_range(&map, ..) {
        let id = item.key.to_string();
        let path = format!("{collection}/{id}");
        let entry = read_map_nested(doc, &item.id());
        let voided = entry.get(ENTERED_IN_ERROR).is_some_and(|v| !v.is_null());
        let meta = EntryMeta {
            id: EntryId(id),
            recorded_by: field(&entry, RECORDED_BY, &path)?,
            recorded_at: field(&entry, RECORDED_AT, &path)?,
            entered_in_error: if voided {
                Some(field(&entry, ENTERED_IN_ERROR, &path)?)
            } else {
                None
            },
        };
        let input = input_from_nested::<T>(entry)
            .map_err(|e| RecordError::NotAChart(format!("{path}: {e}")))?;
        out.push(make(meta, input));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visits_time_comes_before_its_void_in_key_order() {
        // The summary stops walking a visit's keys after the void.
        assert!(VISIT_AT < ENTERED_IN_ERROR);
    }
}
