//! Disaster mode: registering a casualty whose name nobody knows, each
//! triage, and transport. All three are entries of the `triage` container,
//! written whole under new ULIDs like visits, so concurrent triages on two
//! devices are both kept; which one stands is read, not written
//! (`TriageTag::current`).

use automerge::ActorId;
use karte_types::{
    CasualtyInput, Date, Demographics, EntryId, IdentificationInput, IdentityConflict, PatientId,
    ReviewKind, TransportInput, TriageInput, TriageTagInput,
};

use super::Chart;
use super::edits::{new_entry, put_new_entry};
use crate::RecordError;
use crate::history::Edit;
use crate::review::Finding;

impl Chart {
    /// A new chart for a casualty whose name nobody knows: the chart's
    /// first change, then the registration as the entry `entry`. The
    /// patient has no name yet; the chart shows the registration's
    /// temporary identity instead.
    pub fn create_casualty(
        actor: ActorId,
        id: &PatientId,
        entry: &EntryId,
        casualty: &CasualtyInput,
        edit: &Edit<'_>,
    ) -> Result<Chart, RecordError> {
        casualty.validate()?;
        let patient = unknown_patient(casualty, edit.at.date_jst());
        let mut chart = Chart::create_unchecked(actor, id, &patient, edit)?;
        chart.add_entry(
            "casualty.register",
            entry,
            &TriageTagInput::Casualty(casualty.clone()),
            edit,
        )?;
        Ok(chart)
    }

    /// Registers the chart's patient as a casualty (a tag on a person
    /// whose chart exists), or corrects a registration by a new one.
    pub fn register_casualty(
        &mut self,
        entry: &EntryId,
        casualty: &CasualtyInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        self.add_entry(
            "casualty.register",
            entry,
            &TriageTagInput::Casualty(casualty.clone()),
            edit,
        )
    }

    /// Records one triage. Earlier triages stay as they were.
    pub fn record_triage(
        &mut self,
        entry: &EntryId,
        triage: &TriageInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        self.add_entry(
            "triage.record",
            entry,
            &TriageTagInput::Triage(triage.clone()),
            edit,
        )
    }

    /// Records a transport: agency, receiving hospital, departure.
    pub fn record_transport(
        &mut self,
        entry: &EntryId,
        transport: &TransportInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        self.add_entry(
            "transport.record",
            entry,
            &TriageTagInput::Transport(transport.clone()),
            edit,
        )
    }
}

impl Chart {
    /// Links this casualty chart to the chart of the person they turned
    /// out to be, in one change: the link as the entry `entry`, and a
    /// review item for each value the two charts disagree on
    /// (`conflicts`, from `identity_conflicts`) that the chart does not
    /// hold yet. Nothing of either chart is copied or rewritten: readers
    /// fold this chart into the known one. The caller checks the link
    /// (`check_identification`), which needs the other charts.
    pub fn identify(
        &mut self,
        entry: &EntryId,
        input: &IdentificationInput,
        conflicts: Vec<IdentityConflict>,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        let link = TriageTagInput::Identified(input.clone());
        let value = new_entry(entry, &link, edit)?;
        let findings = conflicts
            .into_iter()
            .map(|c| {
                Finding::new(
                    ReviewKind::Clinical {
                        rule: c.rule.to_owned(),
                    },
                    c.path,
                    c.values,
                    c.about,
                )
            })
            .collect();
        let findings = self.unrecorded(findings)?;
        self.commit("casualty.identify", edit, |tx| {
            put_new_entry::<TriageTagInput>(tx, entry, &value, edit)?;
            super::receive::put_reviews(tx, findings, edit)
        })
    }
}

/// The patient of a casualty's chart: no name, the sex seen, and a birth
/// date estimated from the age band (1 January of the year the middle of
/// the band gives), because a chart's patient has one. What is known is
/// the registration; the estimate is never shown as a birth date where the
/// registration is read (`PatientSummary::unknown_casualty`), and the FHIR
/// export leaves it out.
fn unknown_patient(casualty: &CasualtyInput, today: Date) -> Demographics {
    let (lo, hi) = casualty.age_band.years();
    let year = today.0.year() - i32::from((lo + hi) / 2);
    Demographics {
        family: String::new(),
        given: String::new(),
        family_kana: String::new(),
        given_kana: String::new(),
        birth: Date::from_ymd(year, 1, 1).unwrap_or(today),
        sex: casualty.sex,
        address: None,
        phone: None,
        insurance_number: None,
        care_level: None,
    }
}
