//! Receiving other replicas' work: merging a replica or applying changes,
//! taking in a chart never held before (as changes or saved whole), and
//! working out what a chart received whole would record. Whatever arrives
//! with concurrent values for a field, or breaks a clinical rule, leaves a
//! review item recorded in the chart. Before any of that, received changes
//! are checked to be edits Karte makes (`check_received`).

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ChangeHash};
use karte_types::{DeviceId, PatientId, PatientSummary, ReviewId, Timestamp};

use super::admit::admit;
use super::{Chart, check_layout, container};
use crate::history::Edit;
use crate::incoming::check_and_apply;
use crate::layout::REVIEWS;
use crate::{RecordError, bytes, review};

impl Chart {
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

    /// Checks the changes of `bytes`, received for the chart `patient`, in
    /// the order given (causal order, as the hub sends them), each against
    /// the chart as the ones before it leave it (see [`crate::check_change`]):
    /// `held` is this replica's chart, `None` for one it does not hold yet.
    /// `signer_of` names the device whose signature each change carries.
    /// Changes the chart has are skipped; nothing is applied.
    ///
    /// The verdict is [`check_and_apply`]'s: the changes are checked
    /// together first, and one by one only to name the change refused.
    pub fn check_received(
        held: Option<&Chart>,
        patient: &PatientId,
        bytes: &[u8],
        signer_of: impl Fn(&ChangeHash) -> Option<DeviceId>,
        received_at: Timestamp,
    ) -> Result<(), RecordError> {
        let empty;
        let base = match held {
            Some(chart) => &chart.doc,
            None => {
                empty = Automerge::new();
                &empty
            }
        };
        let changes = bytes::changes(bytes)?;
        let signer = |_: usize, change: &automerge::Change| signer_of(&change.hash());
        check_and_apply(base, patient, changes, signer, received_at).map(|_| ())
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
        let mut doc = Automerge::new().with_actor(actor);
        let admitted = admit(&mut doc, None, changes)?;
        let id = check_layout(&doc)?;
        let mut chart = Chart { doc, id };
        // Every review item of a chart new to this replica is new to it.
        let reviews = chart.record_arrival(&admitted.fresh, &BTreeSet::new(), edit)?;
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
        Chart::receive_loaded(Chart::load(actor, &[saved])?, edit)
    }

    /// [`Chart::receive_saved`] of a chart loaded already: `doc` as
    /// loaded from the saved bytes received, or as [`check_loaded`]
    /// returns it, taken under `actor`.
    ///
    /// [`check_loaded`]: crate::check_loaded
    pub fn receive_checked(
        actor: ActorId,
        mut doc: Automerge,
        edit: &Edit<'_>,
    ) -> Result<ReceivedChart, RecordError> {
        doc.set_actor(actor);
        let id = check_layout(&doc)?;
        Chart::receive_loaded(Chart { doc, id }, edit)
    }

    /// What receiving a chart whole records, once it is loaded.
    fn receive_loaded(mut chart: Chart, edit: &Edit<'_>) -> Result<ReceivedChart, RecordError> {
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
        let mut findings = if history_is_one_line(&self.doc)? {
            Vec::new()
        } else {
            review::all_conflicts(&self.doc)?
        };
        findings.extend(review::clinical_findings(&self.doc)?);
        self.unrecorded(findings)
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

    /// Applies incoming changes, all or none (see [`admit`]), and records
    /// the review items they call for.
    fn ingest(
        &mut self,
        changes: Vec<automerge::Change>,
        edit: &Edit<'_>,
    ) -> Result<Vec<ReviewId>, RecordError> {
        let reviews_before = review::review_ids(&self.doc)?;
        let admitted = admit(&mut self.doc, Some(&self.id), changes)?;
        self.record_arrival(&admitted.fresh, &reviews_before, edit)
    }

    /// Records the review items that `fresh`, changes just applied, call
    /// for; returns the open ones not among `reviews_before`.
    fn record_arrival(
        &mut self,
        fresh: &[automerge::Change],
        reviews_before: &BTreeSet<String>,
        edit: &Edit<'_>,
    ) -> Result<Vec<ReviewId>, RecordError> {
        if fresh.is_empty() {
            return Ok(Vec::new());
        }
        let mut findings = review::conflicts_from(&self.doc, fresh)?;
        findings.extend(review::clinical_findings(&self.doc)?);
        self.record_findings(findings, edit)?;
        let mut new = Vec::new();
        for id in review::review_ids(&self.doc)?.difference(reviews_before) {
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
        self.commit("review.record", edit, |tx| put_reviews(tx, findings, edit))
    }

    /// `findings` less those the chart has a review item for, once each.
    pub(super) fn unrecorded(
        &self,
        mut findings: Vec<review::Finding>,
    ) -> Result<Vec<review::Finding>, RecordError> {
        let existing = review::review_ids(&self.doc)?;
        let mut seen = BTreeSet::new();
        findings.retain(|f| !existing.contains(f.id.as_str()) && seen.insert(f.id.clone()));
        Ok(findings)
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
/// other change made on top of exactly the one before it. A history with
/// more than one first change is no chart: each made the containers, and
/// the entries of one side hide behind the other's (a replica holding the
/// chart refuses such a change, see [`super::admit`]).
fn history_is_one_line(doc: &Automerge) -> Result<bool, RecordError> {
    let changes = doc.get_changes_meta(&[]);
    let mut firsts = 0;
    let mut one_line = true;
    let mut built_on = std::collections::HashSet::with_capacity(changes.len());
    for change in &changes {
        match change.deps.as_slice() {
            [] => firsts += 1,
            [dep] => one_line &= built_on.insert(*dep),
            _ => one_line = false,
        }
    }
    if firsts > 1 {
        return Err(RecordError::NotAChart(format!(
            "it has {firsts} first changes, each making the chart's containers"
        )));
    }
    Ok(one_line && firsts == 1)
}

/// Writes `findings` as review items in the transaction of an attributed
/// edit.
pub(super) fn put_reviews(
    tx: &mut automerge::transaction::Transaction<'_>,
    findings: Vec<review::Finding>,
    edit: &Edit<'_>,
) -> Result<(), RecordError> {
    let reviews = container(tx, REVIEWS)?;
    for finding in findings {
        let id = finding.id.clone();
        let record = finding.into_record(edit.at, edit.author);
        let text = serde_json::to_string(&record).expect("a review serialises");
        tx.put(&reviews, id.as_str(), text)?;
    }
    Ok(())
}
