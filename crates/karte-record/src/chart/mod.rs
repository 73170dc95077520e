//! A patient's chart: one Automerge document, edited one attributed change at
//! a time, merged with other replicas, and read as a `ChartView`.
//!
//! This file holds the chart itself: how it is created with its layout, loaded
//! and checked, read and saved, and how every write becomes one change. The
//! writes a user makes are in `edits`, receiving and merging other replicas'
//! changes in `receive`, the checks whatever is received must pass (on a
//! device or at the hub) in `admit`, and the writing of one flat dotted
//! field, which the edits build on, in `fields`.

mod admit;
mod documents;
mod edits;
mod fields;
mod orders;
mod photos;
mod receive;
mod triage;

use automerge::transaction::{Transactable, Transaction};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use karte_types::{
    ChartView, Consultation, Demographics, DeviceId, EntryId, PatientId, PatientSummary,
};

use crate::history::{ChangeInfo, Edit, actor_is_of_device, commit_options};
use crate::json::put_json;
use crate::layout::{
    ALLERGY_ASSESSMENT, CONTAINERS_IN_ORDER, Collection, NO_KNOWN_ALLERGIES, PATIENT, PATIENT_ID,
    RESOLUTIONS, REVIEWS, SCHEMA, SCHEMA_VERSION, to_json,
};
use crate::{RecordError, bytes, view};

pub(crate) use admit::admit as admit_changes;
pub(crate) use documents::{approval_holds, draft_hash, standing_approval};
pub use receive::ReceivedChart;

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
        Chart::create_unchecked(actor, id, patient, edit)
    }

    /// A new chart for `patient` as given, checked by the caller.
    fn create_unchecked(
        actor: ActorId,
        id: &PatientId,
        patient: &Demographics,
        edit: &Edit<'_>,
    ) -> Result<Chart, RecordError> {
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
            for key in CONTAINERS_IN_ORDER {
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

    /// The chart's consultations as the daily report counts them, equal
    /// to `self.view()?.consultations()` and cheap for a chart without a
    /// J-SPEED sheet: kept in the vault's index beside `summary`.
    pub fn consultations(&self) -> Result<Vec<Consultation>, RecordError> {
        view::consultations(&self.doc, &self.id)
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

    /// Whether the chart holds the change `hash`.
    pub fn holds(&self, hash: &ChangeHash) -> bool {
        self.doc.get_change_meta_by_hash(hash).is_some()
    }

    /// Every change of the chart, in causal order: what the cover rule
    /// walks to find the chart's tips when it travels whole.
    pub fn changes(&self) -> Vec<automerge::Change> {
        self.doc.get_changes(&[])
    }

    /// Whether every change of the chart was written under actors of
    /// `device`: such a chart's heads are its author's tips, whose
    /// signatures vouch for all of it when it travels whole (the cover rule
    /// of `karte_sync::cover`).
    pub fn only_by(&self, device: &DeviceId) -> bool {
        self.doc
            .get_changes(&[])
            .into_iter()
            .all(|change| actor_is_of_device(change.actor_id(), device))
    }

    /// The heads of a saved chart, without checking it is one.
    pub fn saved_heads(saved: &[u8]) -> Result<Vec<ChangeHash>, RecordError> {
        Ok(Automerge::load(saved)?.get_heads())
    }

    /// Every change not in the causal past of `heads`, in causal order:
    /// its hash, its raw bytes, and whether `device` wrote it. What a device
    /// hands back to a hub that lost changes (restored from a backup),
    /// other devices' changes with their authors' signatures.
    pub fn changes_since(&self, device: &DeviceId, heads: &[ChangeHash]) -> Vec<HeldChange> {
        self.doc
            .get_changes(heads)
            .into_iter()
            .map(|change| HeldChange {
                hash: change.hash(),
                bytes: change.raw_bytes().to_vec(),
                own: actor_is_of_device(change.actor_id(), device),
            })
            .collect()
    }

    /// Those of `hashes` that are changes of this chart: another replica's
    /// heads, less what it wrote that this one has not received, so that
    /// [`Chart::changes_since`] of them is what that replica lacks.
    pub fn known(&self, hashes: &[ChangeHash]) -> Vec<ChangeHash> {
        hashes
            .iter()
            .filter(|hash| self.doc.get_change_meta_by_hash(hash).is_some())
            .copied()
            .collect()
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

/// One change a chart holds, as [`Chart::changes_since`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldChange {
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
    /// Written by the device asked about.
    pub own: bool,
}

/// Checks the document is a chart this version understands; returns its patient id.
pub(crate) fn check_layout(doc: &Automerge) -> Result<PatientId, RecordError> {
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
pub(crate) fn find_entry<R: ReadDoc>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::RESERVED;
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
        for key in CONTAINERS_IN_ORDER
            .into_iter()
            .chain([PATIENT, ALLERGY_ASSESSMENT])
        {
            container(&chart.doc, key).unwrap_or_else(|_| panic!("{key} made at creation"));
        }
        assert_eq!(check_layout(&chart.doc).unwrap(), PatientId::from("p1"));
    }

    #[test]
    fn the_containers_made_at_creation_are_the_collections_reviews_and_reserved_ones() {
        let mut made: Vec<&str> = CONTAINERS_IN_ORDER.to_vec();
        let mut expected: Vec<&str> = Collection::ALL.iter().map(|c| c.key()).collect();
        expected.extend([REVIEWS, RESOLUTIONS]);
        expected.extend(RESERVED);
        made.sort();
        expected.sort();
        assert_eq!(made, expected);
    }
}
