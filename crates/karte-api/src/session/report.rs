//! Disaster mode's daily report on the session: consultations recorded as
//! visits with their J-SPEED sheets, and the report of a site and day
//! counted from every chart in the vault.

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
    /// visit's id). Only charts with a visit on or after the day are
    /// opened. Audited as an export: the counts leave the vault.
    pub fn disaster_report(&mut self, date: &Date, site: &str) -> Result<DailyReport, ApiError> {
        if site.trim().is_empty() {
            return Err(ValidationErrors(vec![ValidationError::new(
                "site",
                "required",
                "give the site of the report, e.g. --site 益城町総合体育館",
            )])
            .into());
        }
        let ids: Vec<PatientId> = self
            .index()?
            .entries
            .iter()
            .filter(|(s, _)| s.last_visit.is_some_and(|at| at.date_jst() >= *date))
            .map(|(s, _)| s.id.clone())
            .collect();
        let mut consultations = Vec::new();
        for id in &ids {
            consultations.extend(self.view_unkept(id)?.consultations());
        }
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
