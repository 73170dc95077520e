//! What each place of the chart's layout accepts from a change, as the
//! `Chart` edit API writes there: the root only in the chart's first change;
//! the patient's fields; "no known allergies" with who and when; new entries
//! whole; an entry's fields and its entered-in-error mark; review items and
//! their resolutions. Whatever names a person (who recorded, voided,
//! asserted or resolved, and when) must name the change's own author and
//! time. The entries' rules are in `entries`.

use std::collections::BTreeSet;

use automerge::ChangeHash;
use karte_types::{Demographics, PatientId, Resolution, ReviewId};
use serde_json::{Map, Value, json};

mod entries;

use super::Refuse;
use super::before::ChartBefore;
use super::writes::{Patch, Place};
use crate::RecordError;
use crate::history::CommitMessage;
use crate::json::read_map;
use crate::layout::{
    ALLERGY_ASSESSMENT, CONTAINERS_IN_ORDER, Collection, NO_KNOWN_ALLERGIES, PATIENT, PATIENT_ID,
    RESERVED, RESOLUTIONS, REVIEWS, SCHEMA, SCHEMA_VERSION,
};
use crate::review::{ReviewRecord, review_id, review_ids};

/// Checks every patch of a change by its author `message`; `first` says
/// the change is the chart's first.
pub(super) fn check(
    chart: &ChartBefore<'_>,
    patient: &PatientId,
    first: bool,
    patches: &[Patch],
    message: &CommitMessage,
    deps: &[ChangeHash],
    refuse: &Refuse,
) -> Result<(), RecordError> {
    if first && !patches.iter().any(|p| p.place == Place::Root) {
        return Err(refuse
            .forbidden("it is the chart's first change but does not create the chart's layout"));
    }
    let by = Attribution::new(message)?;
    for patch in patches {
        let rule = Rule {
            chart,
            patch,
            by: &by,
            deps,
            refuse,
        };
        match &patch.place {
            Place::Root if first => rule.creation(patient)?,
            Place::Root => {
                return Err(refuse.forbidden(format!(
                    "it writes {} at the chart's root, which only the chart's first change writes",
                    keys_of(patch)
                )));
            }
            Place::Container(key) => match key.as_str() {
                PATIENT => rule.patient_fields()?,
                ALLERGY_ASSESSMENT => rule.allergy_assessment()?,
                REVIEWS => rule.review_items()?,
                RESOLUTIONS => rule.resolutions(patches)?,
                other => match Collection::from_key(other) {
                    Some(collection) => rule.new_entries(collection)?,
                    None if RESERVED.contains(&other) => {
                        return Err(refuse.forbidden(format!(
                            "it writes {} into '{other}', which this version of Karte keeps empty",
                            keys_of(patch)
                        )));
                    }
                    None => {
                        return Err(refuse.forbidden(format!(
                            "it writes {} into '{other}', which is no part of a chart",
                            keys_of(patch)
                        )));
                    }
                },
            },
            Place::Entry { collection, .. } => rule.entry_edit(*collection)?,
        }
    }
    Ok(())
}

/// The change's author and time, as the document writes them.
struct Attribution<'m> {
    message: &'m CommitMessage,
    author: Value,
    at: Value,
}

impl<'m> Attribution<'m> {
    fn new(message: &'m CommitMessage) -> Result<Attribution<'m>, RecordError> {
        Ok(Attribution {
            author: crate::layout::to_json(&message.author)?,
            at: Value::from(message.at.0),
            message,
        })
    }

    /// Whether `by` and `at`, as a write names who did something and when,
    /// are the change's own.
    fn is(&self, by: Option<&Value>, at: Option<&Value>) -> bool {
        by == Some(&self.author) && at == Some(&self.at)
    }

    fn describe(&self) -> String {
        format!(
            "{} on device {} at {}",
            self.message.author.user,
            self.message.author.device,
            self.message.at.to_rfc3339()
        )
    }
}

/// One patch to check, with what every rule needs.
struct Rule<'a> {
    chart: &'a ChartBefore<'a>,
    patch: &'a Patch,
    by: &'a Attribution<'a>,
    /// The change's own dependencies: what its author saw.
    deps: &'a [ChangeHash],
    refuse: &'a Refuse,
}

impl Rule<'_> {
    /// The chart's first change: the layout of a new chart, as
    /// `Chart::create` writes it, for the chart it was received for.
    fn creation(&self, patient: &PatientId) -> Result<(), RecordError> {
        let expected: BTreeSet<&str> = [SCHEMA, PATIENT_ID, PATIENT, ALLERGY_ASSESSMENT]
            .into_iter()
            .chain(CONTAINERS_IN_ORDER)
            .collect();
        let written: BTreeSet<&str> = self.patch.writes.iter().map(|w| w.key.as_str()).collect();
        if written != expected {
            return Err(self.refuse.forbidden(format!(
                "it starts a chart with the root keys {written:?}, not those of a chart: {expected:?}"
            )));
        }
        for write in &self.patch.writes {
            let fits = match write.key.as_str() {
                SCHEMA => write.value == json!(SCHEMA_VERSION),
                PATIENT_ID if write.value != json!(patient.as_str()) => {
                    return Err(self.refuse.forbidden(format!(
                        "it starts chart {} but was received as chart {patient}",
                        write.value
                    )));
                }
                PATIENT_ID => true,
                PATIENT => {
                    demographics(&write.value).map_err(|why| {
                        self.refuse.forbidden(format!(
                            "it starts a chart with a patient that is not one: {why}"
                        ))
                    })?;
                    true
                }
                ALLERGY_ASSESSMENT => write.value == json!({ NO_KNOWN_ALLERGIES: false }),
                _ => write.value == json!({}),
            };
            if !fits {
                return Err(self.refuse.forbidden(format!(
                    "it starts a chart with '{}' set to {}, which a new chart does not hold",
                    write.key, write.value
                )));
            }
        }
        Ok(())
    }

    /// Corrections of the patient's fields: plain values of the fields of
    /// `Demographics`, the patient as corrected still one.
    fn patient_fields(&self) -> Result<(), RecordError> {
        let mut corrected = read_map(self.chart, &self.patch.obj);
        for write in &self.patch.writes {
            if write.value.is_object() {
                return Err(self.refuse.forbidden(format!(
                    "it writes a map at '{}' of the patient, whose fields are plain values",
                    write.key
                )));
            }
            corrected[write.key.as_str()] = write.value.clone();
        }
        let canonical = demographics_keys(&corrected).map_err(|why| {
            self.refuse.forbidden(format!(
                "the patient as it corrects them is not valid: {why}"
            ))
        })?;
        match self
            .patch
            .writes
            .iter()
            .find(|w| !canonical.contains(&w.key))
        {
            Some(write) => Err(self.refuse.forbidden(format!(
                "it writes '{}', which is not a field of the patient",
                write.key
            ))),
            None => Ok(()),
        }
    }

    /// "No known allergies" set or withdrawn, always with who and when.
    fn allergy_assessment(&self) -> Result<(), RecordError> {
        let written = self.written();
        let keys: BTreeSet<&str> = written.keys().map(String::as_str).collect();
        if keys != BTreeSet::from([NO_KNOWN_ALLERGIES, "by", "at"]) {
            return Err(self.refuse.forbidden(format!(
                "it writes {keys:?} of the allergy assessment, which is written as no_known_allergies, by and at together"
            )));
        }
        if !written[NO_KNOWN_ALLERGIES].is_boolean() {
            return Err(self
                .refuse
                .forbidden("it sets 'no known allergies' to something other than true or false"));
        }
        if !self.by.is(written.get("by"), written.get("at")) {
            return Err(self.refuse.misattributed(format!(
                "it records the allergy assessment as by {} at {}, but the change is by {}",
                written["by"],
                written["at"],
                self.by.describe()
            )));
        }
        Ok(())
    }

    /// New review items, each filed under the id of what it is about and
    /// recorded by the change's author.
    fn review_items(&self) -> Result<(), RecordError> {
        for write in &self.patch.writes {
            let id = &write.key;
            if write.seen {
                return Err(self.refuse.forbidden(format!(
                    "it rewrites review item {id}; a review item is recorded once and kept until a person resolves it"
                )));
            }
            let record: ReviewRecord = write
                .value
                .as_str()
                .and_then(|text| serde_json::from_str(text).ok())
                .ok_or_else(|| {
                    self.refuse
                        .forbidden(format!("review item {id} is not one Karte records"))
                })?;
            if review_id(&record.kind, &record.path, &record.about).as_str() != id {
                return Err(self.refuse.forbidden(format!(
                    "it files review item {id} under another id than that of what it is about"
                )));
            }
            let by = record.recorded_by.as_ref().map(|a| self.by_json(a));
            if !self
                .by
                .is(by.as_ref(), Some(&Value::from(record.recorded_at.0)))
            {
                return Err(self.refuse.misattributed(format!(
                    "it records review item {id} as by {} at {}, but the change is by {}",
                    by.unwrap_or(Value::Null),
                    record.recorded_at.to_rfc3339(),
                    self.by.describe()
                )));
            }
        }
        Ok(())
    }

    /// Resolutions of review items the chart holds (or this change
    /// records), by the change's author.
    fn resolutions(&self, patches: &[Patch]) -> Result<(), RecordError> {
        let known = review_ids(self.chart)?;
        let recorded_now: BTreeSet<&str> = patches
            .iter()
            .filter(|p| p.place == Place::Container(REVIEWS.to_owned()))
            .flat_map(|p| p.writes.iter().map(|w| w.key.as_str()))
            .collect();
        for write in &self.patch.writes {
            let id = &write.key;
            let resolution: Resolution = write
                .value
                .as_str()
                .and_then(|text| serde_json::from_str(text).ok())
                .ok_or_else(|| {
                    self.refuse.forbidden(format!(
                        "the resolution of review item {id} is not one Karte writes"
                    ))
                })?;
            if !known.contains(id) && !recorded_now.contains(id.as_str()) {
                return Err(self.refuse.forbidden(format!(
                    "it resolves review item {id}, which the chart does not hold"
                )));
            }
            let by = self.by_json(&resolution.by);
            if !self.by.is(Some(&by), Some(&Value::from(resolution.at.0))) {
                return Err(self.refuse.misattributed(format!(
                    "it resolves review item {} as by {by} at {}, but the change is by {}",
                    ReviewId(id.clone()),
                    resolution.at.to_rfc3339(),
                    self.by.describe()
                )));
            }
        }
        Ok(())
    }

    /// The patch's writes by key.
    fn written(&self) -> Map<String, Value> {
        self.patch
            .writes
            .iter()
            .map(|w| (w.key.clone(), w.value.clone()))
            .collect()
    }

    fn by_json(&self, author: &karte_types::Author) -> Value {
        serde_json::to_value(author).unwrap_or(Value::Null)
    }
}

/// The keys a patch writes, for a refusal to name.
fn keys_of(patch: &Patch) -> String {
    let keys: Vec<&str> = patch.writes.iter().map(|w| w.key.as_str()).collect();
    format!("{keys:?}")
}

/// Checks a whole patient as a new chart holds it: every field of
/// `Demographics`, and nothing else.
fn demographics(value: &Value) -> Result<(), String> {
    let canonical = demographics_keys(value)?;
    let written: BTreeSet<String> = value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    if written == canonical {
        Ok(())
    } else {
        Err(format!("its fields are {written:?}, not {canonical:?}"))
    }
}

/// The fields of the patient `value` reads as.
fn demographics_keys(value: &Value) -> Result<BTreeSet<String>, String> {
    let patient: Demographics = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    let canonical = serde_json::to_value(&patient).map_err(|e| e.to_string())?;
    Ok(canonical
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect())
}
