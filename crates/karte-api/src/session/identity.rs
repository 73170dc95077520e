//! Identity found later: linking an unknown casualty's chart to the chart
//! of the person they turned out to be, and reading the two as one.
//!
//! The link is written into the casualty chart alone (one chart, one
//! transaction). Which charts read as one is worked out from the patient
//! index (`IdentityLinks`), so it holds whichever of the link and the
//! known chart reached this device first.

use karte_record::Edit;
use karte_types::{
    ChartView, EntryId, IdentificationInput, IdentityLinks, PatientId, PatientSummary,
    ValidationErrors, check_identification, identity_conflicts,
};

use super::Session;
use crate::ids::{Lookup, new_entry_id};
use crate::{ApiError, Permission};

impl Session {
    /// Links the unknown casualty `casualty` to the chart `known`: its
    /// entries read as the known chart's from then on, with their own
    /// authors and times, and each value the two disagree on (sex, age,
    /// allergies) becomes a review item. Linking the same pair again
    /// writes nothing and answers with the link in force.
    pub fn identify(
        &mut self,
        casualty: &PatientId,
        known: &PatientId,
    ) -> Result<EntryId, ApiError> {
        self.require(Permission::EditDemographics)?;
        if self.index()?.entry(known).is_none() {
            return Err(ApiError::NotFound {
                kind: Lookup::Patient,
                typed: known.to_string(),
            });
        }
        let links = self.identity_links()?;
        let casualty_view = self.load(casualty)?.chart.view()?;
        check_identification(&casualty_view, known, &links)
            .map_err(|e| ValidationErrors(vec![e]))?;
        if let Some(current) = casualty_view.triage.identified_as() {
            // The same link again (on this device, or synced from another).
            return Ok(current.meta.id.clone());
        }
        let known_view = self.load(known)?.chart.view()?;
        let conflicts = identity_conflicts(&casualty_view, &known_view);
        let entry = new_entry_id(self.now(), self.env.entropy.as_mut());
        let input = IdentificationInput {
            patient: known.clone(),
        };
        self.edit(casualty, "casualty.identify", |chart, edit: &Edit| {
            chart.identify(&entry, &input, conflicts, edit)
        })?;
        Ok(entry)
    }

    /// The links between the charts held here, from the patient index
    /// (built once, and again only after an edit that can change them).
    pub(super) fn identity_links(&mut self) -> Result<IdentityLinks, ApiError> {
        Ok(self.index()?.links().clone())
    }

    /// The charts whose entries read as part of `id`'s: the casualty
    /// charts identified (through any chain of links) as it. None for a
    /// chart that is itself identified as another.
    pub(super) fn identified_members(
        &mut self,
        id: &PatientId,
    ) -> Result<Vec<PatientId>, ApiError> {
        let links = self.identity_links()?;
        if links.is_empty() || &links.root(id) != id {
            return Ok(Vec::new());
        }
        Ok(links.members(id))
    }

    /// `id`'s view with the casualty charts identified as it folded in,
    /// and which those were.
    pub(super) fn folded_view(
        &mut self,
        id: &PatientId,
    ) -> Result<(ChartView, Vec<PatientId>), ApiError> {
        let mut view = self.load(id)?.chart.view()?;
        let members = self.identified_members(id)?;
        for member in &members {
            let other = self.load(member)?.chart.view()?;
            view.fold_identified(other);
        }
        Ok((view, members))
    }

    /// The chart of `id`'s group (itself, or a casualty chart identified
    /// as it) whose own view `holds`; `id` if none does, so the caller's
    /// error names the chart asked about. A chart with no casualty chart
    /// identified as it, most of them, is its own holder: no view is built.
    pub(super) fn holder(
        &mut self,
        id: &PatientId,
        holds: impl Fn(&ChartView) -> bool,
    ) -> Result<PatientId, ApiError> {
        let members = self.identified_members(id)?;
        if members.is_empty() || holds(&self.load(id)?.chart.view()?) {
            return Ok(id.clone());
        }
        for member in members {
            if holds(&self.load(&member)?.chart.view()?) {
                return Ok(member);
            }
        }
        Ok(id.clone())
    }

    /// A list of patients as a person means it: a casualty identified as
    /// a chart held here is that chart (found by the casualty's tag too),
    /// listed once.
    pub(super) fn as_identified(
        &mut self,
        list: Vec<PatientSummary>,
    ) -> Result<Vec<PatientSummary>, ApiError> {
        let links = self.identity_links()?;
        if links.is_empty() {
            return Ok(list);
        }
        let index = self.index()?;
        let mut out: Vec<PatientSummary> = Vec::with_capacity(list.len());
        for summary in list {
            let root = links.root(&summary.id);
            let shown = match index.entry(&root) {
                Some(known) if root != summary.id => known.clone(),
                _ => summary,
            };
            if !out.iter().any(|s| s.id == shown.id) {
                out.push(shown);
            }
        }
        Ok(out)
    }
}
