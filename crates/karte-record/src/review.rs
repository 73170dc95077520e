//! Review items: what a person must look at after a merge.
//!
//! Two kinds of finding become review items:
//! - concurrent values: a merge brought in a second value for a clinical
//!   field (`get_all` shows more than one). Automerge picks a winner; the
//!   other value must not silently disappear, and the next write of the field
//!   would erase it from the document's current state. So the values, with
//!   who wrote them and when, are copied into a review item at merge time.
//! - clinical rules: merged data that is consistent for the CRDT but not
//!   clinically, such as "no known allergies" from one device and an active
//!   allergy from another.
//!
//! A review item is stored under `reviews/<id>` as JSON text and its
//! resolution under `review_resolutions/<id>`, so a later write of the field
//! never clears it; only `resolve_review` does. The id is a hash of what the
//! item is about (the path and the conflicting operation ids), so two devices
//! that record the same conflict write the same key and converge.

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::legacy::{ObjectId, OpId};
use automerge::{ActorId, Automerge, ObjId, ROOT, ReadDoc};
use karte_types::{Author, ConflictValue, Resolution, Review, ReviewId, ReviewKind, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::RecordError;
use crate::history::parse_message;
use crate::json::{read_map, scalar_to_json, value_to_json};
use crate::layout::{
    ALLERGY_ASSESSMENT, Collection, ENTERED_IN_ERROR, NO_KNOWN_ALLERGIES, PATIENT, RECORDED_AT,
    RECORDED_BY, RESOLUTIONS, REVIEWS, is_meta_key, is_reviewable, unflatten,
};

/// A review item as stored in the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReviewRecord {
    #[serde(flatten)]
    pub kind: ReviewKind,
    pub path: String,
    pub values: Vec<ConflictValue>,
    /// What the item is about, from which its id is made: the conflicting
    /// operation ids, or for a clinical rule the facts it found at odds.
    pub about: Vec<String>,
    pub recorded_at: Timestamp,
    pub recorded_by: Option<Author>,
}

/// Something found in the document that needs a review item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    pub id: ReviewId,
    pub kind: ReviewKind,
    pub path: String,
    pub values: Vec<ConflictValue>,
    pub about: Vec<String>,
}

impl Finding {
    pub(crate) fn new(
        kind: ReviewKind,
        path: String,
        values: Vec<ConflictValue>,
        mut about: Vec<String>,
    ) -> Finding {
        about.sort();
        let id = review_id(&kind, &path, &about);
        Finding {
            id,
            kind,
            path,
            values,
            about,
        }
    }

    pub(crate) fn into_record(self, recorded_at: Timestamp, recorded_by: &Author) -> ReviewRecord {
        ReviewRecord {
            kind: self.kind,
            path: self.path,
            values: self.values,
            about: self.about,
            recorded_at,
            recorded_by: Some(recorded_by.clone()),
        }
    }
}

/// The id of the review item about `about` (sorted) at `path`: a hash of
/// what the item is about, so two replicas that record the same finding
/// write the same key.
pub(crate) fn review_id(kind: &ReviewKind, path: &str, about: &[String]) -> ReviewId {
    let tag = match kind {
        ReviewKind::ConcurrentValues => "concurrent-values".to_owned(),
        ReviewKind::Clinical { rule } => format!("clinical:{rule}"),
    };
    let mut hasher = Sha256::new();
    for part in [tag.as_str(), path]
        .into_iter()
        .chain(about.iter().map(String::as_str))
    {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    ReviewId(hex::encode(&digest[..16]))
}

/// A path as review items show it: `visits/<id>/vitals/pulse` for the
/// entry key `vitals.pulse`.
fn path_text(path: &[String]) -> String {
    path.join("/").replace('.', "/")
}

/// Who wrote the operation `op` and when, from its change's message.
fn provenance(doc: &Automerge, op: &ObjId) -> (Option<Author>, Option<Timestamp>) {
    let Some(hash) = doc.hash_for_opid(op) else {
        return (None, None);
    };
    let Some(meta) = doc.get_change_meta_by_hash(&hash) else {
        return (None, None);
    };
    match parse_message(meta.message.as_deref()) {
        Some(message) => (Some(message.author), Some(message.at)),
        None => (None, Some(Timestamp(meta.timestamp.saturating_mul(1000)))),
    }
}

/// The concurrent values at `obj[path.last()]`, if there are several that differ.
fn conflict_at(
    doc: &Automerge,
    obj: &ObjId,
    path: &[String],
) -> Result<Option<Finding>, RecordError> {
    let key = path.last().expect("a path to a key").as_str();
    let all = doc.get_all(obj, key)?;
    if all.len() < 2 {
        return Ok(None);
    }
    let mut values = Vec::with_capacity(all.len());
    let mut about = Vec::with_capacity(all.len());
    let mut distinct = BTreeSet::new();
    for (value, op) in &all {
        let json = value_to_json(doc, value, op).to_string();
        distinct.insert(json.clone());
        let (author, at) = provenance(doc, op);
        values.push(ConflictValue {
            value: json,
            author,
            at,
        });
        about.push(op.to_string());
    }
    if distinct.len() < 2 {
        // Two devices wrote the same value: nothing for a person to decide.
        return Ok(None);
    }
    Ok(Some(Finding::new(
        ReviewKind::ConcurrentValues,
        path_text(path),
        values,
        about,
    )))
}

/// An object named as in a change's operations: its creating op's counter and actor.
type OpKey = (u64, ActorId);

/// The maps whose keys are clinical fields: the patient, the allergy
/// assessment and every entry, each with its path, by object id.
fn reviewable_maps(doc: &Automerge) -> Result<HashMap<OpKey, (ObjId, Vec<String>)>, RecordError> {
    let mut maps = HashMap::new();
    let mut add = |obj: ObjId, path: Vec<String>| {
        if let ObjId::Id(counter, actor, _) = &obj {
            maps.insert((*counter, actor.clone()), (obj.clone(), path));
        }
    };
    for root in [PATIENT, ALLERGY_ASSESSMENT] {
        if let Some((_, obj)) = doc.get(ROOT, root)? {
            add(obj, vec![root.to_owned()]);
        }
    }
    for collection in Collection::ALL {
        if let Some((_, obj)) = doc.get(ROOT, collection.key())? {
            for item in doc.map_range(&obj, ..) {
                add(
                    item.id(),
                    vec![collection.key().to_owned(), item.key.to_string()],
                );
            }
        }
    }
    Ok(maps)
}

/// The concurrent values in one map, looking up only keys flagged as conflicted.
fn conflicts_in_map(
    doc: &Automerge,
    obj: &ObjId,
    path: &[String],
    out: &mut Vec<Finding>,
) -> Result<(), RecordError> {
    let flagged: Vec<String> = doc
        .map_range(obj, ..)
        .filter(|item| item.conflict)
        .map(|item| item.key.to_string())
        .collect();
    for key in flagged {
        let mut inner = path.to_vec();
        inner.push(key);
        if is_reviewable(&inner) {
            out.extend(conflict_at(doc, obj, &inner)?);
        }
    }
    Ok(())
}

/// Concurrent values in the maps that `changes` (just applied) wrote to.
///
/// Not found from `Automerge::diff`: when a merge replaces a losing value but
/// the winner stays (80 and 90 concurrently, then 85 over the 80 while 90
/// still wins), the diff has no patch at all, and the 85 would hide unseen.
/// A key's values only change by an operation on that key, so the maps the
/// incoming operations touch are exactly the ones to look at.
pub(crate) fn conflicts_from(
    doc: &Automerge,
    changes: &[automerge::Change],
) -> Result<Vec<Finding>, RecordError> {
    let mut touched = HashSet::new();
    for change in changes {
        for op in change.decode().operations {
            if let ObjectId::Id(OpId(counter, actor)) = op.obj {
                touched.insert((counter, actor));
            }
        }
    }
    let mut findings = Vec::new();
    if touched.is_empty() {
        return Ok(findings);
    }
    for (key, (obj, path)) in reviewable_maps(doc)? {
        if touched.contains(&key) {
            conflicts_in_map(doc, &obj, &path, &mut findings)?;
        }
    }
    Ok(findings)
}

/// Every reviewable field with concurrent values, by walking the whole chart:
/// for a chart received whole, and to check the search after a merge, which
/// looks only where it wrote.
pub(crate) fn all_conflicts(doc: &Automerge) -> Result<Vec<Finding>, RecordError> {
    let mut findings = Vec::new();
    for (obj, path) in reviewable_maps(doc)?.into_values() {
        conflicts_in_map(doc, &obj, &path, &mut findings)?;
    }
    Ok(findings)
}

/// A clinical consistency rule, run on the whole chart after every merge.
pub(crate) struct ClinicalRule {
    pub name: &'static str,
    pub check: fn(&Automerge, &'static str) -> Result<Vec<Finding>, RecordError>,
}

/// The rules. To add one, write its check and list it here.
pub(crate) const RULES: &[ClinicalRule] = &[
    ClinicalRule {
        name: "nka-with-allergy",
        check: nka_with_allergy,
    },
    ClinicalRule {
        name: "triage-disagreement",
        check: crate::triage_review::triage_disagreement,
    },
    ClinicalRule {
        name: "identity-disagreement",
        check: crate::triage_review::identity_disagreement,
    },
];

pub(crate) fn clinical_findings(doc: &Automerge) -> Result<Vec<Finding>, RecordError> {
    let mut findings = Vec::new();
    for rule in RULES {
        findings.extend((rule.check)(doc, rule.name)?);
    }
    Ok(findings)
}

/// The non-voided allergies whose status is active, as (id, entry) pairs.
pub(crate) fn active_allergies<R: ReadDoc>(doc: &R) -> Result<Vec<(String, Value)>, RecordError> {
    let Some((_, allergies)) = doc.get(ROOT, Collection::Allergies.key())? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for item in doc.map_range(&allergies, ..) {
        let entry = read_map(doc, &item.id());
        let voided = entry.get(ENTERED_IN_ERROR).is_some_and(|v| !v.is_null());
        if !voided && entry.get("status").and_then(Value::as_str) == Some("active") {
            out.push((item.key.to_string(), entry));
        }
    }
    Ok(out)
}

/// "No known allergies" stands while an active allergy is recorded: one device
/// asserted there are none while another recorded one. One item per allergy
/// and assertion, so every device finds the same items in any merge order.
fn nka_with_allergy(doc: &Automerge, rule: &'static str) -> Result<Vec<Finding>, RecordError> {
    let Some((_, assessment)) = doc.get(ROOT, ALLERGY_ASSESSMENT)? else {
        return Ok(Vec::new());
    };
    let Some((automerge::Value::Scalar(flag), nka_op)) =
        doc.get(&assessment, NO_KNOWN_ALLERGIES)?
    else {
        return Ok(Vec::new());
    };
    if scalar_to_json(&flag) != Value::Bool(true) {
        return Ok(Vec::new());
    }
    let (nka_author, nka_at) = provenance(doc, &nka_op);
    let mut findings = Vec::new();
    for (id, entry) in active_allergies(doc)? {
        let mut input = entry.clone();
        if let Value::Object(map) = &mut input {
            map.retain(|k, _| !is_meta_key(k));
        }
        let input = unflatten(&input);
        let entry = unflatten(&entry);
        let values = vec![
            ConflictValue {
                value: serde_json::json!({ NO_KNOWN_ALLERGIES: true }).to_string(),
                author: nka_author.clone(),
                at: nka_at,
            },
            ConflictValue {
                value: input.to_string(),
                author: entry
                    .get(RECORDED_BY)
                    .and_then(|a| serde_json::from_value(a.clone()).ok()),
                at: entry
                    .get(RECORDED_AT)
                    .and_then(|a| serde_json::from_value(a.clone()).ok()),
            },
        ];
        findings.push(Finding::new(
            ReviewKind::Clinical {
                rule: rule.to_owned(),
            },
            format!("{}/{id}", Collection::Allergies.key()),
            values,
            vec![format!("nka@{nka_op}"), format!("allergy@{id}")],
        ));
    }
    Ok(findings)
}

/// The ids of the review items in the chart.
pub(crate) fn review_ids<R: ReadDoc>(doc: &R) -> Result<BTreeSet<String>, RecordError> {
    Ok(match doc.get(ROOT, REVIEWS)? {
        Some((_, reviews)) => doc.keys(&reviews).collect(),
        None => BTreeSet::new(),
    })
}

fn string_at<R: ReadDoc>(
    doc: &R,
    container: &str,
    key: &str,
) -> Result<Option<String>, RecordError> {
    let Some((_, obj)) = doc.get(ROOT, container)? else {
        return Ok(None);
    };
    Ok(match doc.get(&obj, key)? {
        Some((automerge::Value::Scalar(s), _)) => s.as_str().map(str::to_owned),
        _ => None,
    })
}

/// One stored review item. A record this version cannot read is still shown,
/// as an item of the rule `unreadable`, rather than hidden.
pub(crate) fn read_record(id: &str, text: &str) -> ReviewRecord {
    serde_json::from_str(text).unwrap_or_else(|_| ReviewRecord {
        kind: ReviewKind::Clinical {
            rule: "unreadable".to_owned(),
        },
        path: serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| v.get("path").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default(),
        values: vec![ConflictValue {
            value: text.to_owned(),
            author: None,
            at: None,
        }],
        about: vec![id.to_owned()],
        recorded_at: Timestamp(0),
        recorded_by: None,
    })
}

pub(crate) fn record<R: ReadDoc>(
    doc: &R,
    id: &ReviewId,
) -> Result<Option<ReviewRecord>, RecordError> {
    Ok(string_at(doc, REVIEWS, id.as_str())?.map(|text| read_record(id.as_str(), &text)))
}

pub(crate) fn resolution<R: ReadDoc>(doc: &R, id: &str) -> Result<Option<Resolution>, RecordError> {
    Ok(string_at(doc, RESOLUTIONS, id)?.and_then(|text| serde_json::from_str(&text).ok()))
}

/// Every review item with its resolution, oldest first.
pub(crate) fn reviews_from_json(root: &Value) -> Vec<Review> {
    let resolutions = root.get(RESOLUTIONS).and_then(Value::as_object);
    let mut reviews: Vec<Review> = root
        .get(REVIEWS)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(id, text)| {
            let record = read_record(id, text.as_str().unwrap_or_default());
            let resolution = resolutions
                .and_then(|r| r.get(id))
                .and_then(Value::as_str)
                .and_then(|t| serde_json::from_str(t).ok());
            Review {
                id: ReviewId(id.clone()),
                kind: record.kind,
                path: record.path,
                values: record.values,
                recorded_at: record.recorded_at,
                resolution,
            }
        })
        .collect();
    reviews.sort_by(|a, b| (a.recorded_at, &a.id).cmp(&(b.recorded_at, &b.id)));
    reviews
}
