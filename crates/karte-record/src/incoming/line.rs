//! Checking a line of changes at once. Checking each change against a
//! copy of the chart grown change by change costs an application per
//! change; here the changes are applied together, once, and each is
//! checked against that one document read as it stood at the heads of the
//! changes before it, which is the chart the one-by-one check sees.

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;

use automerge::{Automerge, Change, ObjType, ROOT, ReadDoc};
use karte_types::{DeviceId, PatientId, Timestamp};

use super::before::ChartBefore;
use super::writes::Place;
use super::{Delivery, check_change_before};
use crate::chart::check_layout;
use crate::layout::Collection;

/// The chart `before` with `changes` applied, when every change it lacks
/// passes [`super::check_change`] against the chart with the changes before
/// it in the line applied, as received at `received_at` from the device
/// `signer_of` names, and the result is still a chart of `patient`.
/// `None` when any of that fails, or Automerge will not take the changes
/// together: the caller then checks them one by one, which names the
/// change refused and why. Changes `before` holds are skipped.
pub fn check_line(
    before: &Automerge,
    patient: &PatientId,
    changes: &[Change],
    signer_of: impl Fn(usize, &Change) -> Option<DeviceId>,
    received_at: Timestamp,
) -> Option<Automerge> {
    // The changes of the line still to come: in the document once it is
    // built, but not in the chart a change is checked against.
    let mut later: HashSet<_> = changes
        .iter()
        .map(Change::hash)
        .filter(|hash| before.get_change_meta_by_hash(hash).is_none())
        .collect();
    let mut after = before.clone();
    let fresh: Vec<Change> = changes
        .iter()
        .filter(|c| later.contains(&c.hash()))
        .cloned()
        .collect();
    // What `Chart::admit` asks of a line besides the rules, left to the
    // one-by-one check to name: a chart new here comes with one first
    // change, which makes the whole layout on its own; a chart held gets
    // no other first change; no change waits for a dependency.
    let firsts: Vec<&Change> = fresh.iter().filter(|c| c.deps().is_empty()).collect();
    if before.get_heads().is_empty() {
        let [first] = firsts.as_slice() else {
            return None;
        };
        let mut alone = Automerge::new();
        std::panic::catch_unwind(AssertUnwindSafe(|| alone.apply_changes([(*first).clone()])))
            .ok()?
            .ok()?;
        check_layout(&alone).ok()?;
    } else if !firsts.is_empty() {
        return None;
    }
    // Automerge 0.12 panics on some changes it parsed but cannot apply;
    // the one-by-one check refuses those before applying them.
    std::panic::catch_unwind(AssertUnwindSafe(|| after.apply_changes(fresh)))
        .ok()?
        .ok()?;
    if !after.get_missing_deps(&[]).is_empty() {
        return None;
    }
    let mut heads = before.get_heads();
    // Every key of a collection's map, so that a new entry's id is looked
    // for through the collections only when one has it: those of `before`,
    // then those each change writes there, which the rules allow only as
    // new entries (nothing is deleted), so no key leaves.
    let mut entry_keys: HashSet<String> = HashSet::new();
    for collection in Collection::ALL {
        if let Ok(Some((automerge::Value::Object(ObjType::Map), obj))) =
            before.get(ROOT, collection.key())
        {
            entry_keys.extend(before.keys(&obj));
        }
    }
    for (i, change) in changes.iter().enumerate() {
        let hash = change.hash();
        if !later.contains(&hash) {
            continue;
        }
        let signer = signer_of(i, change)?;
        let delivery = Delivery {
            signer: &signer,
            received_at,
        };
        let chart = ChartBefore::at(&after, heads.clone(), &later, &entry_keys);
        let patches = check_change_before(&chart, patient, change, &delivery).ok()?;
        for patch in patches {
            if let Place::Container(key) = &patch.place
                && Collection::from_key(key).is_some()
            {
                entry_keys.extend(patch.writes.into_iter().map(|w| w.key));
            }
        }
        later.remove(&hash);
        heads.retain(|head| !change.deps().contains(head));
        heads.push(hash);
    }
    let id = check_layout(&after).ok()?;
    (id == *patient).then_some(after)
}
