//! The clinical rule of disaster mode: two triages of one casualty made
//! without either seeing the other (on two devices, offline) that give
//! different categories. Both are kept and the newer stands; a person must
//! look at why they disagree.
//!
//! "Without seeing the other" is read from the history: a triage sees every
//! triage in the causal past of its change. The triages no other triage
//! saw are the heads; heads of more than one category make one review
//! item, about exactly those heads, so every replica finds the same item
//! in any merge order. A re-triage made after the merge sees both and
//! leaves one head: nothing more is raised.
//!
//! And its twin for identity: two devices that, apart, each identify one
//! casualty as a different person leave two standing links. Identifying
//! over a standing link is refused, so two standing links naming different
//! patients can only come from such a merge: one review item, about those
//! links, until one of them is voided.

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, ChangeHash, ROOT, ReadDoc};
use karte_types::{ConflictValue, ReviewKind, Timestamp};
use serde_json::Value;

use crate::RecordError;
use crate::json::read_map;
use crate::layout::{Collection, ENTERED_IN_ERROR, RECORDED_AT, RECORDED_BY};
use crate::review::Finding;

struct Head {
    id: String,
    hash: ChangeHash,
    category: String,
    at: i64,
    entry: Value,
}

/// Whether `ancestor` is in the causal past of `of` (not `of` itself).
fn is_before(
    deps: &HashMap<ChangeHash, Vec<ChangeHash>>,
    ancestor: &ChangeHash,
    of: &ChangeHash,
) -> bool {
    let mut stack: Vec<&ChangeHash> = deps.get(of).into_iter().flatten().collect();
    let mut seen = HashSet::new();
    while let Some(hash) = stack.pop() {
        if hash == ancestor {
            return true;
        }
        if seen.insert(*hash) {
            stack.extend(deps.get(hash).into_iter().flatten());
        }
    }
    false
}

/// The entries of kind `kind` in the triage collection that are not voided:
/// each entry's key, its object id and what it holds.
fn standing_entries(
    doc: &Automerge,
    kind: &str,
) -> Result<Vec<(String, automerge::ObjId, Value)>, RecordError> {
    let Some((_, map)) = doc.get(ROOT, Collection::Triage.key())? else {
        return Ok(Vec::new());
    };
    Ok(doc
        .map_range(&map, ..)
        .filter_map(|item| {
            let entry = read_map(doc, &item.id());
            let voided = entry.get(ENTERED_IN_ERROR).is_some_and(|v| !v.is_null());
            let of_kind = entry.get("kind").and_then(Value::as_str) == Some(kind);
            (!voided && of_kind).then(|| (item.key.to_string(), item.id(), entry))
        })
        .collect())
}

/// Who recorded an entry, for a review item's conflicting value.
fn recorded_by(entry: &Value) -> Option<karte_types::Author> {
    crate::layout::unflatten(entry)
        .get(RECORDED_BY)
        .and_then(|a| serde_json::from_value(a.clone()).ok())
}

pub(crate) fn triage_disagreement(
    doc: &Automerge,
    rule: &'static str,
) -> Result<Vec<Finding>, RecordError> {
    let key = Collection::Triage.key();
    let mut triages = Vec::new();
    for (id, opid, entry) in standing_entries(doc, "triage")? {
        let Some(hash) = doc.hash_for_opid(&opid) else {
            continue;
        };
        triages.push(Head {
            id,
            hash,
            category: entry
                .get("category")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            at: entry.get("at").and_then(Value::as_i64).unwrap_or_default(),
            entry,
        });
    }
    if triages.len() < 2 {
        return Ok(Vec::new());
    }
    let deps: HashMap<ChangeHash, Vec<ChangeHash>> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(|m| (m.hash, m.deps))
        .collect();
    let heads: Vec<&Head> = triages
        .iter()
        .filter(|t| {
            !triages
                .iter()
                .any(|other| other.hash != t.hash && is_before(&deps, &t.hash, &other.hash))
        })
        .collect();
    let categories: HashSet<&str> = heads.iter().map(|h| h.category.as_str()).collect();
    if categories.len() < 2 {
        return Ok(Vec::new());
    }
    let newest = heads
        .iter()
        .max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)))
        .expect("two heads at least");
    let values = heads
        .iter()
        .map(|h| ConflictValue {
            value: serde_json::json!({ "category": h.category, "at": h.at }).to_string(),
            author: recorded_by(&h.entry),
            at: Some(Timestamp(h.at)),
        })
        .collect();
    let about = heads.iter().map(|h| format!("triage@{}", h.id)).collect();
    Ok(vec![Finding::new(
        ReviewKind::Clinical {
            rule: rule.to_owned(),
        },
        format!("{key}/{}", newest.id),
        values,
        about,
    )])
}

pub(crate) fn identity_disagreement(
    doc: &Automerge,
    rule: &'static str,
) -> Result<Vec<Finding>, RecordError> {
    let key = Collection::Triage.key();
    let mut links = Vec::new();
    for (id, _, entry) in standing_entries(doc, "identified")? {
        let patient = entry
            .get("patient")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let at = entry
            .get(RECORDED_AT)
            .and_then(Value::as_i64)
            .unwrap_or_default();
        links.push((id, patient, at, entry));
    }
    let patients: HashSet<&str> = links.iter().map(|(_, p, _, _)| p.as_str()).collect();
    if patients.len() < 2 {
        return Ok(Vec::new());
    }
    // The item sits on the link that stands (`TriageTag::identified_as`).
    let standing = links
        .iter()
        .max_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)))
        .expect("two links at least");
    let values = links
        .iter()
        .map(|(_, patient, at, entry)| ConflictValue {
            value: serde_json::json!({ "identified_as": patient }).to_string(),
            author: recorded_by(entry),
            at: Some(Timestamp(*at)),
        })
        .collect();
    let about = links
        .iter()
        .map(|(id, ..)| format!("identified@{id}"))
        .collect();
    Ok(vec![Finding::new(
        ReviewKind::Clinical {
            rule: rule.to_owned(),
        },
        format!("{key}/{}", standing.0),
        values,
        about,
    )])
}
