//! A patient's chart: one Automerge document, edited one attributed change at
//! a time, merged with other replicas, and read as a `ChartView`.

use std::collections::BTreeSet;

use automerge::transaction::{Transactable, Transaction};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use karte_types::{
    AllergyInput, ChartView, ClinicalStatus, ConditionInput, Demographics, DeviceId, EntryId,
    MedicationInput, PatientId, PatientSummary, Resolution, ReviewId, ReviewKind, VisitInput,
};
use serde_json::Value;

use crate::history::{ChangeInfo, Edit, actor_is_of_device, commit_options};
use crate::json::{json_to_scalar, put_json, read_map, update_map};
use crate::layout::{
    ALLERGY_ASSESSMENT, Collection, ENTERED_IN_ERROR, EntryInput, NO_KNOWN_ALLERGIES, PATIENT,
    PATIENT_ID, RECORDED_AT, RECORDED_BY, RESERVED, RESOLUTIONS, REVIEWS, SCHEMA, SCHEMA_VERSION,
    flatten, input_from_doc, input_to_doc, is_meta_key, to_json,
};
use crate::{RecordError, bytes, review, view};

/// One patient's chart. Every method that changes it makes exactly one
/// Automerge change, committed with its author, device, time and operation;
/// nothing is ever committed implicitly.
#[derive(Debug)]
pub struct Chart {
    doc: Automerge,
    id: PatientId,
}

impl Chart {
    /// A new chart. Every container is made in this first change, so that two
    /// devices never each create one and hide the other's entries.
    pub fn create(
        actor: ActorId,
        id: &PatientId,
        patient: &Demographics,
        edit: &Edit<'_>,
    ) -> Result<Chart, RecordError> {
        patient.validate(edit.at.date_jst())?;
        let mut chart = Chart {
            doc: Automerge::new().with_actor(actor),
            id: id.clone(),
        };
        chart.commit("chart.create", edit, |tx| {
            tx.put(ROOT, SCHEMA, SCHEMA_VERSION)?;
            tx.put(ROOT, PATIENT_ID, id.as_str())?;
            put_json(tx, &ROOT, PATIENT, &to_json(patient)?)?;
            let assessment = tx.put_object(ROOT, ALLERGY_ASSESSMENT, ObjType::Map)?;
            tx.put(&assessment, NO_KNOWN_ALLERGIES, false)?;
            let containers = Collection::ALL.iter().map(|c| c.key());
            for key in containers.chain([REVIEWS, RESOLUTIONS]).chain(RESERVED) {
                tx.put_object(ROOT, key, ObjType::Map)?;
            }
            Ok(())
        })?;
        Ok(chart)
    }

    /// Loads saved bytes: a snapshot followed by any number of incremental
    /// chunks, passed concatenated or one per slice. Damaged, truncated or
    /// incomplete data is an error, never a panic nor a silent partial load.
    pub fn load(actor: ActorId, chunks: &[&[u8]]) -> Result<Chart, RecordError> {
        let mut parts = Vec::new();
        for chunk in chunks {
            parts.extend(bytes::split(chunk)?);
        }
        let mut parts = parts.into_iter();
        let mut doc = match parts.next() {
            None => return Err(RecordError::Corrupt("there is no data".to_owned())),
            Some(bytes::Chunk::Document(d)) => bytes::load_document(d)?,
            Some(bytes::Chunk::Change(c)) => {
                let mut doc = Automerge::new();
                doc.apply_changes([bytes::parse_change(c)?])?;
                doc
            }
        };
        let mut changes = Vec::new();
        for part in parts {
            match part {
                bytes::Chunk::Change(c) => changes.push(bytes::parse_change(c)?),
                bytes::Chunk::Document(d) => {
                    changes.extend(bytes::load_document(d)?.get_changes(&[]))
                }
            }
        }
        doc.apply_changes(changes)?;
        if !doc.get_missing_deps(&[]).is_empty() {
            return Err(RecordError::Corrupt(
                "some changes are missing: a saved chunk was lost".to_owned(),
            ));
        }
        doc.set_actor(actor);
        let id = check_layout(&doc)?;
        Ok(Chart { doc, id })
    }

    pub fn id(&self) -> PatientId {
        self.id.clone()
    }

    /// The chart as a reader sees it: visits newest first, review items included.
    pub fn view(&self) -> Result<ChartView, RecordError> {
        view::chart_view(&self.doc, &self.id)
    }

    /// The chart's patient-list entry, much cheaper than a whole view.
    pub fn summary(&self) -> Result<PatientSummary, RecordError> {
        view::summary(&self.doc, &self.id)
    }

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

    /// Merges another replica of this chart in, then records review items for
    /// what the merge brought (see [`Chart::apply`]).
    pub fn merge(
        &mut self,
        other: &mut Chart,
        edit: &Edit<'_>,
    ) -> Result<Vec<ReviewId>, RecordError> {
        if other.id != self.id {
            return Err(RecordError::OtherChart(other.id.to_string()));
        }
        let changes = self.doc.get_changes_added(&other.doc);
        self.ingest(changes, edit)
    }

    /// Applies changes or saved bytes received from elsewhere, then records,
    /// in one attributed change, a review item for every field that now holds
    /// concurrent values and for every clinical rule the merged chart breaks.
    /// Returns the ids of the open review items the chart did not have
    /// before, whether recorded here or brought in by the merge.
    pub fn apply(&mut self, bytes: &[u8], edit: &Edit<'_>) -> Result<Vec<ReviewId>, RecordError> {
        let changes = bytes::changes(bytes)?;
        self.ingest(changes, edit)
    }

    /// A chart this replica has never held, from bytes received from
    /// elsewhere: a saved document, or changes that include the chart's
    /// first. The chart is built from its first change and everything else
    /// is applied to it as a merge, so concurrent values it already holds
    /// become review items here, as they would have had this replica merged
    /// them itself: a later write to such a field would otherwise erase the
    /// losing value unseen. Returns the chart and its open review items that
    /// are new.
    pub fn receive(
        actor: ActorId,
        bytes: &[u8],
        edit: &Edit<'_>,
    ) -> Result<(Chart, Vec<ReviewId>), RecordError> {
        let changes = bytes::changes(bytes)?;
        let mut firsts = changes.iter().filter(|c| c.deps().is_empty());
        let first = match (firsts.next(), firsts.next()) {
            (Some(first), None) => first.clone(),
            (None, _) => {
                let hash = changes.first().map(|c| c.hash().to_string());
                return Err(RecordError::MissingChanges(
                    hash.unwrap_or_else(|| "(none received)".to_owned()),
                ));
            }
            (Some(_), Some(other)) => {
                return Err(RecordError::OtherChart(format!(
                    "second first change {}",
                    other.hash()
                )));
            }
        };
        let mut doc = Automerge::new();
        doc.apply_changes([first])?;
        doc.set_actor(actor);
        let id = check_layout(&doc)?;
        let mut chart = Chart { doc, id };
        let reviews = chart.ingest(changes, edit)?;
        Ok((chart, reviews))
    }

    /// A chart this replica has never held, received saved whole (as
    /// [`Chart::save`] writes it, e.g. by the hub for a first sync). It ends
    /// like [`Chart::receive`] of the same bytes: the same changes, and a
    /// review item recorded for every field holding concurrent values and
    /// every clinical rule the chart breaks that it has none for yet. It is
    /// loaded once instead of rebuilt change by change, and a history that
    /// is one line of changes is not searched for concurrent values: where
    /// every change saw the one before, no two values of a field are
    /// concurrent.
    pub fn receive_saved(
        actor: ActorId,
        saved: &[u8],
        edit: &Edit<'_>,
    ) -> Result<ReceivedChart, RecordError> {
        let mut chart = Chart::load(actor, &[saved])?;
        let received_heads = chart.doc.get_heads();
        let findings = chart.arrival_findings()?;
        chart.record_findings(findings, edit)?;
        let mut open_reviews = Vec::new();
        for id in review::review_ids(&chart.doc)? {
            if review::resolution(&chart.doc, &id)?.is_none() {
                open_reviews.push(ReviewId(id));
            }
        }
        Ok(ReceivedChart {
            chart,
            open_reviews,
            received_heads,
        })
    }

    /// What a replica receiving `saved` whole would file in its patient
    /// list, with the chart's heads, when receiving it records nothing (no
    /// concurrent values or clinical findings without a review item): then
    /// storing the bytes as they came and this entry is all
    /// [`Chart::receive_saved`] would do. `None` when arrival records items,
    /// which the receiving replica must do under its own actor.
    pub fn arrival_digest(
        saved: &[u8],
    ) -> Result<Option<(Vec<ChangeHash>, PatientSummary)>, RecordError> {
        // Nothing is written, so no actor ever signs a change.
        let chart = Chart::load(ActorId::from([0u8; 16]), &[saved])?;
        if !chart.arrival_findings()?.is_empty() {
            return Ok(None);
        }
        Ok(Some((chart.doc.get_heads(), chart.summary()?)))
    }

    /// The review items a chart received whole would record: concurrent
    /// values (searched for only when the history is not one line of
    /// changes, where every change saw the one before and no two values of
    /// a field are concurrent) and clinical findings, less those it holds.
    fn arrival_findings(&self) -> Result<Vec<review::Finding>, RecordError> {
        let mut findings = if history_is_one_line(&self.doc) {
            Vec::new()
        } else {
            review::all_conflicts(&self.doc)?
        };
        findings.extend(review::clinical_findings(&self.doc)?);
        self.unrecorded(findings)
    }

    /// The changes of `device` that are not in the causal past of `heads`,
    /// as raw bytes in causal order. With `heads` the heads the hub last
    /// acknowledged, these are what the hub lacks of this device's work;
    /// hashes this chart does not know are ignored. Other devices' changes
    /// are left out: they came from the hub, and a device may push only
    /// changes written under its own actors.
    pub fn own_changes_since(&self, device: &DeviceId, heads: &[ChangeHash]) -> Vec<Vec<u8>> {
        self.doc
            .get_changes(heads)
            .into_iter()
            .filter(|change| actor_is_of_device(change.actor_id(), device))
            .map(|change| change.raw_bytes().to_vec())
            .collect()
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

    /// The whole chart, compacted.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes made since `heads`, to append to what was saved at `heads`.
    pub fn save_after(&self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Every change, in causal order, with who made it, when and why.
    pub fn history(&self) -> Vec<ChangeInfo> {
        self.doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|m| {
                ChangeInfo::new(
                    m.hash,
                    m.actor.into_owned(),
                    m.message.as_deref(),
                    m.timestamp,
                )
            })
            .collect()
    }

    /// Review items a full check of the chart would record now but that the
    /// chart lacks. Always empty unless something bypassed `merge`/`apply`;
    /// tests use it to check the patch-based search against a full walk.
    pub fn unrecorded_reviews(&self) -> Result<Vec<ReviewId>, RecordError> {
        let existing = review::review_ids(&self.doc)?;
        let mut found: Vec<ReviewId> = review::all_conflicts(&self.doc)?
            .into_iter()
            .chain(review::clinical_findings(&self.doc)?)
            .map(|f| f.id)
            .filter(|id| !existing.contains(id.as_str()))
            .collect();
        found.sort();
        found.dedup();
        Ok(found)
    }

    fn add_entry<T: EntryInput>(
        &mut self,
        operation: &str,
        id: &EntryId,
        input: &T,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
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
        let entry = Value::Object(entry);
        self.commit(operation, edit, |tx| {
            if find_entry(tx, id)?.is_some() {
                return Err(RecordError::DuplicateEntry(id.clone()));
            }
            let collection = container(tx, T::COLLECTION.key())?;
            put_json(tx, &collection, id.as_str(), &entry)?;
            after_allergy_write(tx, T::COLLECTION, &entry, edit)
        })
    }

    /// Applies incoming changes and records the review items they call for.
    fn ingest(
        &mut self,
        changes: Vec<automerge::Change>,
        edit: &Edit<'_>,
    ) -> Result<Vec<ReviewId>, RecordError> {
        let incoming: BTreeSet<ChangeHash> = changes.iter().map(|c| c.hash()).collect();
        let known = |hash: &ChangeHash| {
            incoming.contains(hash) || self.doc.get_change_meta_by_hash(hash).is_some()
        };
        for change in &changes {
            // A change without dependencies starts a document: if it is not
            // this chart's first change, the changes are another chart's.
            if change.deps().is_empty()
                && self.doc.get_change_meta_by_hash(&change.hash()).is_none()
            {
                return Err(RecordError::OtherChart(format!(
                    "first change {}",
                    change.hash()
                )));
            }
            // All or nothing: Automerge would park such a change unseen until
            // its dependencies came, and a save would silently leave it out.
            if let Some(missing) = change.deps().iter().find(|d| !known(d)) {
                return Err(RecordError::MissingChanges(missing.to_string()));
            }
        }
        let fresh: Vec<automerge::Change> = changes
            .into_iter()
            .filter(|c| self.doc.get_change_meta_by_hash(&c.hash()).is_none())
            .collect();
        if fresh.is_empty() {
            return Ok(Vec::new());
        }
        let reviews_before = review::review_ids(&self.doc)?;
        self.doc.apply_changes(fresh.iter().cloned())?;
        let mut findings = review::conflicts_from(&self.doc, &fresh)?;
        findings.extend(review::clinical_findings(&self.doc)?);
        self.record_findings(findings, edit)?;
        let mut new = Vec::new();
        for id in review::review_ids(&self.doc)?.difference(&reviews_before) {
            if review::resolution(&self.doc, id)?.is_none() {
                new.push(ReviewId(id.clone()));
            }
        }
        Ok(new)
    }

    /// Records, in one attributed change, the findings the chart has no
    /// review item for yet; makes no change when there are none.
    fn record_findings(
        &mut self,
        findings: Vec<review::Finding>,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        let findings = self.unrecorded(findings)?;
        if findings.is_empty() {
            return Ok(());
        }
        self.commit("review.record", edit, |tx| {
            let reviews = container(tx, REVIEWS)?;
            for finding in findings {
                let id = finding.id.clone();
                let record = finding.into_record(edit.at, edit.author);
                let text = serde_json::to_string(&record).expect("a review serialises");
                tx.put(&reviews, id.as_str(), text)?;
            }
            Ok(())
        })
    }

    /// `findings` less those the chart has a review item for, once each.
    fn unrecorded(
        &self,
        mut findings: Vec<review::Finding>,
    ) -> Result<Vec<review::Finding>, RecordError> {
        let existing = review::review_ids(&self.doc)?;
        let mut seen = BTreeSet::new();
        findings.retain(|f| !existing.contains(f.id.as_str()) && seen.insert(f.id.clone()));
        Ok(findings)
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

    /// Runs `f` in one transaction and commits it as one attributed change.
    /// On error nothing is committed: the transaction is rolled back.
    fn commit<T>(
        &mut self,
        operation: &str,
        edit: &Edit<'_>,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, RecordError>,
    ) -> Result<T, RecordError> {
        let mut tx = self.doc.transaction();
        let out = f(&mut tx)?;
        tx.commit_with(commit_options(operation, edit));
        Ok(out)
    }
}

/// A chart received saved whole, as [`Chart::receive_saved`] leaves it.
#[derive(Debug)]
pub struct ReceivedChart {
    pub chart: Chart,
    /// The open review items the chart holds, whether they came with it or
    /// were recorded on arrival: all of them are new to this replica.
    pub open_reviews: Vec<ReviewId>,
    /// The heads of the bytes as received. The sender holds every change up
    /// to them, so what the chart has beyond them (review items recorded on
    /// arrival) is this replica's own, to store after the bytes and to push.
    pub received_heads: Vec<ChangeHash>,
}

/// Whether the history is one line of changes: one first change, and every
/// other change made on top of exactly the one before it.
fn history_is_one_line(doc: &Automerge) -> bool {
    let changes = doc.get_changes_meta(&[]);
    let mut firsts = 0;
    let mut built_on = std::collections::HashSet::with_capacity(changes.len());
    for change in &changes {
        match change.deps.as_slice() {
            [] => firsts += 1,
            [dep] => {
                if !built_on.insert(*dep) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    firsts == 1
}

fn as_object(value: &Value) -> &serde_json::Map<String, Value> {
    value.as_object().expect("a map reads as a JSON object")
}

/// Checks the document is a chart this version understands; returns its patient id.
fn check_layout(doc: &Automerge) -> Result<PatientId, RecordError> {
    match doc.get(ROOT, SCHEMA)? {
        Some((automerge::Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Int(SCHEMA_VERSION) => {}
            ScalarValue::Int(v) if *v > SCHEMA_VERSION => {
                return Err(RecordError::NotAChart(format!(
                    "it was written by a newer version of Karte (schema {v}); update Karte"
                )));
            }
            other => return Err(RecordError::NotAChart(format!("unknown schema {other}"))),
        },
        _ => {
            return Err(RecordError::NotAChart(
                "it has no schema version".to_owned(),
            ));
        }
    }
    let id = match doc.get(ROOT, PATIENT_ID)? {
        Some((automerge::Value::Scalar(s), _)) => s.as_str().map(PatientId::from),
        _ => None,
    }
    .ok_or_else(|| RecordError::NotAChart("it has no patient id".to_owned()))?;
    let containers = Collection::ALL.iter().map(|c| c.key());
    for key in containers.chain([PATIENT, ALLERGY_ASSESSMENT, REVIEWS, RESOLUTIONS]) {
        container(doc, key)?;
    }
    Ok(id)
}

/// The map at the root key `key`.
fn container<R: ReadDoc>(doc: &R, key: &str) -> Result<ObjId, RecordError> {
    match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::Map), obj)) => Ok(obj),
        _ => Err(RecordError::NotAChart(format!("it has no '{key}' map"))),
    }
}

/// The collection and map of the entry `id`, whichever collection holds it.
fn find_entry<R: ReadDoc>(
    doc: &R,
    id: &EntryId,
) -> Result<Option<(Collection, ObjId)>, RecordError> {
    for collection in Collection::ALL {
        let obj = container(doc, collection.key())?;
        if let Some((automerge::Value::Object(ObjType::Map), entry)) = doc.get(&obj, id.as_str())? {
            return Ok(Some((collection, entry)));
        }
    }
    Ok(None)
}

/// Sets or clears "no known allergies"; setting it is refused while active
/// allergies are recorded. Nothing is written if the flag already holds.
fn set_nka(tx: &mut Transaction<'_>, value: bool, edit: &Edit<'_>) -> Result<(), RecordError> {
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
fn after_allergy_write(
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
fn write_leaf(
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
fn set_field(
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
    }
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
fn write_path(
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

#[cfg(test)]
mod tests {
    use super::*;
    use karte_types::{Author, Date, Sex, Timestamp};

    #[test]
    fn creation_makes_every_container_in_one_change() {
        let author = Author {
            user: "u".into(),
            user_name: "佐藤".into(),
            device: "d".into(),
        };
        let patient = Demographics {
            family: "山田".into(),
            given: "太郎".into(),
            family_kana: "ヤマダ".into(),
            given_kana: "タロウ".into(),
            birth: Date::from_ymd(1941, 3, 2).unwrap(),
            sex: Sex::Male,
            address: None,
            phone: None,
            insurance_number: None,
            care_level: None,
        };
        let edit = Edit {
            author: &author,
            at: Timestamp(1_795_564_800_000),
        };
        let chart = Chart::create(ActorId::from([1u8; 32]), &"p1".into(), &patient, &edit).unwrap();
        assert_eq!(chart.history().len(), 1);
        let containers = Collection::ALL.iter().map(|c| c.key());
        for key in containers
            .chain([PATIENT, ALLERGY_ASSESSMENT, REVIEWS, RESOLUTIONS])
            .chain(RESERVED)
        {
            container(&chart.doc, key).unwrap_or_else(|_| panic!("{key} made at creation"));
        }
        assert_eq!(check_layout(&chart.doc).unwrap(), PatientId::from("p1"));
    }
}
