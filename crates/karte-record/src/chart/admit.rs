//! What a replica takes in: the checks every replica makes of changes it
//! receives before they become part of a chart, and their all-or-nothing
//! application. Devices run them when they apply or receive changes
//! ([`Chart::apply`], [`Chart::receive`]); the hub runs the same ones on
//! its copy of a chart before it stores a push ([`Chart::admit`]), so a
//! change every device would refuse never reaches the feed.
//!
//! The rules: a chart has one first change, which makes its layout; a
//! change without dependencies is that first change or another chart's;
//! every dependency is held or comes along; and the chart keeps its layout
//! and its patient id once the changes are in.

use std::collections::{BTreeSet, HashSet};

use automerge::{Automerge, Change, ChangeHash};
use karte_types::PatientId;

use super::{Chart, check_layout};
use crate::RecordError;

impl Chart {
    /// Checks `changes` pushed to chart `id` as a device receiving them
    /// would, and applies them to `copy`, the hub's copy of the chart
    /// (empty when the hub holds none of it yet). Nothing is recorded: a
    /// peer that only relays a chart writes nothing to it. On error `copy`
    /// is as it was.
    ///
    /// A copy that breaks the layout already (one stored before the hub
    /// checked charts) is not held to it: refusing every later change would
    /// fix nothing and stall every device that writes to the chart.
    pub fn admit(
        copy: &mut Automerge,
        id: &PatientId,
        changes: Vec<Change>,
    ) -> Result<(), RecordError> {
        admit(copy, Some(id), changes).map(|_| ())
    }
}

/// What [`admit`] applied.
pub(crate) struct Admitted {
    /// The changes `doc` did not hold, in the order received, less a new
    /// chart's first change: what a merge must search for review items.
    pub(crate) fresh: Vec<Change>,
}

/// Checks `changes` and applies them to `doc`, a chart or, when it holds
/// no change, a replica that has never held the chart. With `expected`, the
/// chart must be that patient's. All or nothing: on error `doc` is as it
/// was.
pub(crate) fn admit(
    doc: &mut Automerge,
    expected: Option<&PatientId>,
    changes: Vec<Change>,
) -> Result<Admitted, RecordError> {
    let new_chart = doc.get_heads().is_empty();
    let was_chart = new_chart || check_layout(doc).is_ok();
    let first = if new_chart {
        Some(only_first_change(&changes)?)
    } else {
        None
    };
    let incoming: BTreeSet<ChangeHash> = changes.iter().map(|c| c.hash()).collect();
    let held = |hash: &ChangeHash| doc.get_change_meta_by_hash(hash).is_some();
    for change in &changes {
        // A change without dependencies starts a document: if it is not
        // this chart's first change, the changes are another chart's, or
        // would make the containers again and hide one side's entries.
        if change.deps().is_empty() && !held(&change.hash()) && first != Some(change.hash()) {
            return Err(RecordError::OtherChart(format!(
                "first change {}",
                change.hash()
            )));
        }
        // Automerge would park such a change unseen until its
        // dependencies came, and a save would silently leave it out.
        if let Some(missing) = change
            .deps()
            .iter()
            .find(|d| !incoming.contains(d) && !held(d))
        {
            return Err(RecordError::MissingChanges(missing.to_string()));
        }
    }
    let fresh: Vec<Change> = changes.into_iter().filter(|c| !held(&c.hash())).collect();
    let added: HashSet<ChangeHash> = fresh.iter().map(|c| c.hash()).collect();
    let applied = apply_checked(doc, first, &fresh, was_chart, expected);
    if let Err(error) = applied {
        roll_back(doc, &added)?;
        return Err(error);
    }
    let fresh = fresh
        .into_iter()
        .filter(|c| Some(c.hash()) != first)
        .collect();
    Ok(Admitted { fresh })
}

/// The one change without dependencies that a chart new to a replica must
/// come with.
fn only_first_change(changes: &[Change]) -> Result<ChangeHash, RecordError> {
    let mut firsts = changes.iter().filter(|c| c.deps().is_empty());
    match (firsts.next(), firsts.next()) {
        (Some(first), None) => Ok(first.hash()),
        (None, _) => {
            let hash = changes.first().map(|c| c.hash().to_string());
            Err(RecordError::MissingChanges(
                hash.unwrap_or_else(|| "(none received)".to_owned()),
            ))
        }
        (Some(_), Some(other)) => Err(RecordError::OtherChart(format!(
            "second first change {}",
            other.hash()
        ))),
    }
}

/// Applies `fresh` to `doc`; a new chart's `first` change on its own first,
/// which must make the whole layout. The chart must keep its layout (if it
/// had it) and be `expected`'s.
fn apply_checked(
    doc: &mut Automerge,
    first: Option<ChangeHash>,
    fresh: &[Change],
    was_chart: bool,
    expected: Option<&PatientId>,
) -> Result<(), RecordError> {
    if let Some(first) = first {
        let change = fresh.iter().find(|c| c.hash() == first);
        doc.apply_changes(change.cloned())?;
        check_layout(doc)?;
    }
    doc.apply_changes(fresh.iter().cloned())?;
    if !was_chart {
        return Ok(());
    }
    let id = check_layout(doc)?;
    match expected {
        Some(expected) if *expected != id => Err(RecordError::OtherChart(id.to_string())),
        _ => Ok(()),
    }
}

/// `doc` without the changes `added`: as it was before they were applied.
/// Only the changes applied are dropped, so no other change depends on
/// them, and the document is rebuilt from the rest in their causal order.
fn roll_back(doc: &mut Automerge, added: &HashSet<ChangeHash>) -> Result<(), RecordError> {
    let kept = doc
        .get_changes(&[])
        .into_iter()
        .filter(|c| !added.contains(&c.hash()));
    let mut before = Automerge::new().with_actor(doc.get_actor().clone());
    before.apply_changes(kept)?;
    *doc = before;
    Ok(())
}
