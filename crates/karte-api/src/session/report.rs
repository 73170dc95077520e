//! Disaster mode's daily report on the session: consultations recorded as
//! visits with their J-SPEED sheets, and the report of a site and day
//! counted from the consultations the patient index keeps of every chart.

use std::collections::BTreeSet;

use karte_store::AuditAction;
use karte_types::{
    ConsultationInput, DailyReport, Date, EntryId, PatientId, Sex, ValidationError,
    ValidationErrors, consultation_age_group, daily_report,
};

use super::Session;
use crate::ids::new_entry_id;
use crate::{ApiError, Permission};

impl Session {
    /// Records a consultation: the visit and its J-SPEED sheet in one
    /// durable edit. Answers with the visit's id, which the report counts
    /// it by.
    pub fn record_consultation(
        &mut self,
        id: &PatientId,
        input: &ConsultationInput,
    ) -> Result<EntryId, ApiError> {
        self.require(Permission::RecordClinical)?;
        let mut errors = input.visit.validate().err().unwrap_or_default();
        errors
            .0
            .extend(input.sheet.validate().err().unwrap_or_default().0);
        let view = self.load(id)?.chart.view()?;
        if consultation_age_group(&view, &input.sheet, input.visit.at).is_none() {
            errors.push(ValidationError::new(
                "age-group",
                "required",
                "this casualty's estimated age band straddles 65: tick the age group, e.g. --age-group 65+",
            ));
        }
        if input.sheet.pregnant && view.patient.sex == Sex::Male {
            errors.push(ValidationError::new(
                "pregnant",
                "implausible",
                "the patient is recorded as male: correct the sex first, or leave pregnancy out",
            ));
        }
        errors.into_result()?;
        let now = self.now();
        let visit = new_entry_id(now, self.env.entropy.as_mut());
        let sheet = new_entry_id(now, self.env.entropy.as_mut());
        self.edit(id, "consultation.record", |chart, edit| {
            chart.record_consultation(&visit, &input.visit, &sheet, &input.sheet, edit)
        })?;
        Ok(visit)
    }

    /// The daily report (診療日報) of `site` on `date`, per team, counted
    /// from the consultations of every chart held here (each once, by its
    /// visit's id), as the vault's patient index keeps them beside each
    /// chart's entry: no chart is opened, except one whose consultations
    /// the index does not know yet (a vault from before they were kept, a
    /// chart filed unloaded from the hub), which is read once and its
    /// consultations kept. Only charts with a visit on or after the day
    /// count. Audited as an export: the counts leave the vault.
    pub fn disaster_report(&mut self, date: &Date, site: &str) -> Result<DailyReport, ApiError> {
        if site.trim().is_empty() {
            return Err(ValidationErrors(vec![ValidationError::new(
                "site",
                "required",
                "give the site of the report, e.g. --site 益城町総合体育館",
            )])
            .into());
        }
        let recent: BTreeSet<PatientId> = self
            .index()?
            .entries
            .iter()
            .filter(|(s, _)| s.last_visit.is_some_and(|at| at.date_jst() >= *date))
            .map(|(s, _)| s.id.clone())
            .collect();
        let mut consultations = Vec::new();
        let mut unknown = Vec::new();
        for (id, kept) in self.vault.indexed_consultations()? {
            if !recent.contains(&id) {
                continue;
            }
            match kept {
                Some(kept) => consultations.extend(kept),
                None => unknown.push(id),
            }
        }
        let mut read = Vec::with_capacity(unknown.len());
        for id in unknown {
            let found = self.view_unkept(&id)?.consultations();
            consultations.extend(found.iter().cloned());
            read.push((id, found));
        }
        self.vault.keep_consultations(&read)?;
        let report = daily_report(*date, site, consultations);
        self.audit(
            AuditAction::Export {
                format: "jspeed-daily-report".to_owned(),
            },
            None,
            format!("{date} {}", report.site),
        )?;
        Ok(report)
    }
}
