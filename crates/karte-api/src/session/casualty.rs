//! Disaster mode on the session: registering a casualty with no name,
//! triage, transport, and the team's board drawn from the patient index.

use karte_record::{Chart, Edit};
use karte_types::{
    Board, CasualtyInput, DEFAULT_RETRIAGE_MINUTES, EntryId, PatientId, TransportInput,
    TriageRequest, TriageResult, ValidationError, ValidationErrors,
};

use super::Session;
use crate::ids::{new_entry_id, new_ulid};
use crate::{ApiError, Permission};

/// How far ahead of the device's clock a time typed in may be: a minute,
/// for two clocks that differ by seconds.
const AHEAD_SLACK_MS: i64 = 60_000;

impl Session {
    /// Registers a casualty whose name nobody knows: a new chart with the
    /// registration (tag number, sex, age band, where found, features),
    /// stored in one transaction with its index entry and audit entry.
    pub fn add_casualty(&mut self, input: &CasualtyInput) -> Result<PatientId, ApiError> {
        self.require(Permission::EditDemographics)?;
        input.validate()?;
        let now = self.now();
        let id = PatientId(new_ulid(now, self.env.entropy.as_mut()));
        let entry = new_entry_id(now, self.env.entropy.as_mut());
        let edit = Edit {
            author: &self.author,
            at: now,
        };
        let chart = Chart::create_casualty(self.actor.clone(), &id, &entry, input, &edit)?;
        self.persist_new_chart(chart, "casualty.register", now)?;
        Ok(id)
    }

    /// Records a triage: the rules' category for the findings (or the
    /// clinician's override, with its reason), kept beside every earlier
    /// triage. Answers with the category and the reasons.
    pub fn triage(
        &mut self,
        id: &PatientId,
        request: &TriageRequest,
    ) -> Result<TriageResult, ApiError> {
        self.require(Permission::RecordClinical)?;
        let now = self.now();
        let (input, outcome) = request.decide(now)?;
        not_ahead("at", input.at.0, now.0)?;
        let entry = self.add_entry(id, "triage.record", Ok(()), |chart, entry, edit| {
            chart.record_triage(entry, &input, edit)
        })?;
        Ok(TriageResult {
            entry,
            category: input.category,
            outcome,
            override_reason: input.override_reason,
        })
    }

    /// Records where a casualty is taken, by whom, and when they left.
    pub fn record_transport(
        &mut self,
        id: &PatientId,
        input: &TransportInput,
    ) -> Result<EntryId, ApiError> {
        let now = self.now();
        let valid = input.validate().and_then(|()| match input.departed_at {
            Some(at) => not_ahead("departed", at.0, now.0),
            None => Ok(()),
        });
        self.add_entry(id, "transport.record", valid, |chart, entry, edit| {
            chart.record_transport(entry, input, edit)
        })
    }

    /// The team's board now, from the patient index (no chart is opened):
    /// who waits, most urgent first, and who waited longer than
    /// `retriage_minutes` (by default [`DEFAULT_RETRIAGE_MINUTES`]).
    pub fn board(&mut self, retriage_minutes: &Option<u32>) -> Result<Board, ApiError> {
        let now = self.now();
        let links = self.identity_links()?;
        let index = self.index()?;
        let summaries: Vec<_> = index
            .entries
            .iter()
            .filter(|(s, _)| s.triage.is_some())
            .map(|(s, _)| {
                // An identified casualty stands on the board under the
                // name of the chart they were identified as.
                let mut shown = s.clone();
                let root = links.root(&s.id);
                if root != s.id
                    && let Some(known) = index.entry(&root)
                {
                    shown.family = known.family.clone();
                    shown.given = known.given.clone();
                    shown.family_kana = known.family_kana.clone();
                    shown.given_kana = known.given_kana.clone();
                }
                shown
            })
            .collect();
        Ok(Board::draw(
            &summaries,
            now,
            retriage_minutes.unwrap_or(DEFAULT_RETRIAGE_MINUTES),
        ))
    }
}

/// Refuses a time typed in that lies ahead of the device's clock.
fn not_ahead(field: &str, at: i64, now: i64) -> Result<(), ValidationErrors> {
    if at > now + AHEAD_SLACK_MS {
        return Err(ValidationErrors(vec![ValidationError::new(
            field,
            "in_future",
            format!("{field} is in the future: give a time up to now"),
        )]));
    }
    Ok(())
}
