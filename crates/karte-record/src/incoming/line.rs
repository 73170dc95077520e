//! Checking a line of changes at once. Checking each change against a
//! copy of the chart grown change by change costs an application per
//! change; here the changes are applied together, once (or the chart is
//! taken as loaded whole), and each is checked against that one document
//! read as it stood at the heads of the changes before it, which is the
//! chart the one-by-one check sees. Only when that fails are the changes
//! checked and applied one by one, which names the change refused and why.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::panic::AssertUnwindSafe;

use automerge::{Automerge, Change, ChangeHash, ObjType, ROOT, ReadDoc};
use karte_types::{DeviceId, PatientId, Timestamp};

use super::before::ChartBefore;
use super::writes::Place;
use super::{Delivery, check_change, check_change_before};
use crate::RecordError;
use crate::chart::{admit_changes, check_layout};
use crate::layout::Collection;

/// `before` with `changes` applied, once every change it lacks passes
/// [`check_change`] against the chart with the changes before it in the
/// line applied, as received at `received_at` from the device `signer_of`
/// names, and the chart takes them as `Chart::admit` does; else the first
/// refusal, naming the change. The verdict and the refusal are those of
/// checking and admitting the changes one at a time; it is reached by
/// applying the line once (see the module's documentation). `before` is
/// empty for a chart the receiver does not hold yet. Changes it holds are
/// skipped. `before` is copied once to apply the line to, and once more
/// only when the line fails.
pub fn check_and_apply(
    before: &Automerge,
    patient: &PatientId,
    changes: Vec<Change>,
    signer_of: impl Fn(usize, &Change) -> Option<DeviceId>,
    received_at: Timestamp,
) -> Result<Automerge, RecordError> {
    let new_chart = before.get_heads().is_empty();
    let line = Line::before(before, &changes);
    let mut chart = before.clone();
    let fresh: Vec<Change> = changes
        .iter()
        .filter(|c| line.later.contains(&c.hash()))
        .cloned()
        .collect();
    let passed = line.fits_admission(&fresh, new_chart)
        // Automerge 0.12 panics on some changes it parsed but cannot
        // apply; the one-by-one check refuses those before applying them.
        && std::panic::catch_unwind(AssertUnwindSafe(|| chart.apply_changes(fresh)))
            .is_ok_and(|applied| applied.is_ok())
        && line.check(&chart, patient, &changes, &signer_of, received_at);
    if passed {
        return Ok(chart);
    }
    // An empty chart is rebuilt for nothing: no copy of it.
    let chart = if new_chart {
        Automerge::default()
    } else {
        before.clone()
    };
    one_by_one(chart, patient, changes, &signer_of, received_at)
}

/// [`check_and_apply`] of a chart new to the receiver that came whole:
/// `loaded` is the saved document as loaded, and `changes` its changes in
/// causal order. Loading rebuilds the document applying every change to
/// an empty one would, so the changes are checked against it as it is,
/// and not applied again; the verdict and the refusal are those of
/// checking and admitting them one at a time into an empty chart.
pub fn check_loaded(
    loaded: Automerge,
    patient: &PatientId,
    changes: &[Change],
    signer_of: impl Fn(usize, &Change) -> Option<DeviceId>,
    received_at: Timestamp,
) -> Result<Automerge, RecordError> {
    let empty = Automerge::new();
    let line = Line::before(&empty, changes);
    let fresh: Vec<&Change> = changes.iter().collect();
    let passed = loaded.get_missing_deps(&[]).is_empty()
        && line.later.len() == loaded.get_changes_meta(&[]).len()
        && line
            .later
            .iter()
            .all(|h| loaded.get_change_meta_by_hash(h).is_some())
        && line.fits_admission(&fresh, true)
        && line.check(&loaded, patient, changes, &signer_of, received_at);
    if passed {
        return Ok(loaded);
    }
    let changes = changes.to_vec();
    one_by_one(empty, patient, changes, &signer_of, received_at)
}

/// The changes of a line, against the chart that receives them.
struct Line {
    /// The chart's heads before the line.
    heads: Vec<ChangeHash>,
    /// The changes of the line the chart lacks: in the document once it
    /// is built, but not in the chart a change is checked against.
    later: HashSet<ChangeHash>,
    /// Every key of a collection's map, so that a new entry's id is looked
    /// for through the collections only when one has it: those of the
    /// chart, then those each change writes there, which the rules allow
    /// only as new entries (nothing is deleted), so no key leaves.
    entry_keys: HashSet<String>,
}

impl Line {
    fn before(chart: &Automerge, changes: &[Change]) -> Line {
        let later = changes
            .iter()
            .map(Change::hash)
            .filter(|hash| chart.get_change_meta_by_hash(hash).is_none())
            .collect();
        let mut entry_keys = HashSet::new();
        for collection in Collection::ALL {
            if let Ok(Some((automerge::Value::Object(ObjType::Map), obj))) =
                chart.get(ROOT, collection.key())
            {
                entry_keys.extend(chart.keys(&obj));
            }
        }
        Line {
            heads: chart.get_heads(),
            later,
            entry_keys,
        }
    }

    /// What `Chart::admit` asks of a line besides the rules, left to the
    /// one-by-one check to name: a chart new here comes with one first
    /// change, which makes the whole layout on its own; a chart held gets
    /// no other first change.
    fn fits_admission<C: std::borrow::Borrow<Change>>(&self, fresh: &[C], new_chart: bool) -> bool {
        let mut firsts = fresh
            .iter()
            .map(Borrow::borrow)
            .filter(|c| c.deps().is_empty());
        if !new_chart {
            return firsts.next().is_none();
        }
        let (Some(first), None) = (firsts.next(), firsts.next()) else {
            return false;
        };
        let mut alone = Automerge::new();
        std::panic::catch_unwind(AssertUnwindSafe(|| alone.apply_changes([first.clone()])))
            .is_ok_and(|applied| applied.is_ok())
            && check_layout(&alone).is_ok()
    }

    /// Whether every change of `changes` the chart lacked passes the
    /// rules against `after` (the chart with the whole line in it) read at
    /// the heads of the changes before it, no change waits for a
    /// dependency, and `after` is still a chart of `patient`.
    fn check(
        mut self,
        after: &Automerge,
        patient: &PatientId,
        changes: &[Change],
        signer_of: &impl Fn(usize, &Change) -> Option<DeviceId>,
        received_at: Timestamp,
    ) -> bool {
        if !after.get_missing_deps(&[]).is_empty() {
            return false;
        }
        for (i, change) in changes.iter().enumerate() {
            let hash = change.hash();
            if !self.later.contains(&hash) {
                continue;
            }
            let Some(signer) = signer_of(i, change) else {
                return false;
            };
            let delivery = Delivery {
                signer: &signer,
                received_at,
            };
            let chart = ChartBefore::at(after, self.heads.clone(), &self.later, &self.entry_keys);
            let Ok(patches) = check_change_before(&chart, patient, change, &delivery) else {
                return false;
            };
            for patch in patches {
                if let Place::Container(key) = &patch.place
                    && Collection::from_key(key).is_some()
                {
                    self.entry_keys
                        .extend(patch.writes.into_iter().map(|w| w.key));
                }
            }
            self.later.remove(&hash);
            self.heads.retain(|head| !change.deps().contains(head));
            self.heads.push(hash);
        }
        check_layout(after).is_ok_and(|id| id == *patient)
    }
}

/// The changes checked ([`check_change`]) and admitted into `chart` one at
/// a time, each against the chart the ones before it leave: slow, but the
/// refusal names the first change that fails and why.
fn one_by_one(
    mut chart: Automerge,
    patient: &PatientId,
    changes: Vec<Change>,
    signer_of: &impl Fn(usize, &Change) -> Option<DeviceId>,
    received_at: Timestamp,
) -> Result<Automerge, RecordError> {
    for (i, change) in changes.into_iter().enumerate() {
        if chart.get_change_meta_by_hash(&change.hash()).is_some() {
            continue;
        }
        let signer = signer_of(i, &change).ok_or_else(|| RecordError::MisattributedChange {
            hash: change.hash().to_string(),
            why: "it carries no device's signature".to_owned(),
        })?;
        let delivery = Delivery {
            signer: &signer,
            received_at,
        };
        check_change(&chart, patient, &change, &delivery)?;
        admit_changes(&mut chart, Some(patient), vec![change])?;
    }
    Ok(chart)
}
