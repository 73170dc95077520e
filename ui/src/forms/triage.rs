//! The triage form: START's yes/no findings and counts, PAT's second
//! stage, and a clinician's override, as tapped and typed. The category is
//! decided by the core's own function ([`karte_types::triage`]) on every
//! change, so the screen shows live what saving will record.

use std::collections::BTreeSet;

use karte_types::{
    Anatomy, Mechanism, TriageCategory, TriageFindings, TriageOutcome, TriageRequest,
    ValidationError, Vulnerable, triage,
};

use super::parse::{number, text};
use super::visit::Stepper;
use super::{FieldErrors, by_field};

/// The triage form. Yes/no findings are `None` until tapped; counts are
/// kept as typed (or stepped), like the visit form's vital signs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriageForm {
    pub walks: Option<bool>,
    pub breathing: Option<bool>,
    pub rr: String,
    pub radial_pulse: Option<bool>,
    pub pulse: String,
    pub crt: String,
    pub obeys: Option<bool>,
    /// PAT: the JCS level tapped (0, 1, 2, 3, 10, …, 300).
    pub jcs: Option<u16>,
    pub gcs: String,
    pub sbp: String,
    pub spo2: String,
    pub shock: Option<bool>,
    pub temp: String,
    pub anatomy: BTreeSet<Anatomy>,
    pub mechanism: BTreeSet<Mechanism>,
    pub vulnerable: BTreeSet<Vulnerable>,
    /// The category a clinician chose over the rules', with why.
    pub override_category: Option<TriageCategory>,
    pub override_reason: String,
}

/// The yes/no findings, by the name the form and its test ids use.
pub const YES_NO: [&str; 5] = ["walks", "breathing", "radial-pulse", "obeys", "shock"];

/// The JCS levels PAT reads, as the buttons show them.
pub const JCS_LEVELS: [u16; 10] = [0, 1, 2, 3, 10, 20, 30, 100, 200, 300];

/// What the live category says now.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveCategory {
    /// Nothing entered yet.
    Nothing,
    /// The rules' category and why.
    Decided(TriageOutcome),
    /// The rules need this finding first (`walks`, `pulse-or-crt`, …).
    Needs(String),
    /// Something typed is implausible or contradicts another finding.
    Invalid(FieldErrors),
}

impl TriageForm {
    pub fn yes_no(&self, finding: &str) -> Option<bool> {
        match finding {
            "walks" => self.walks,
            "breathing" => self.breathing,
            "radial-pulse" => self.radial_pulse,
            "obeys" => self.obeys,
            _ => self.shock,
        }
    }

    /// A tap on yes or no: sets the finding, or clears it when the same
    /// answer is tapped again.
    pub fn answer(&mut self, finding: &str, value: bool) {
        let slot = match finding {
            "walks" => &mut self.walks,
            "breathing" => &mut self.breathing,
            "radial-pulse" => &mut self.radial_pulse,
            "obeys" => &mut self.obeys,
            _ => &mut self.shock,
        };
        *slot = if *slot == Some(value) {
            None
        } else {
            Some(value)
        };
    }

    pub fn get(&self, field: &str) -> &str {
        match field {
            "rr" => &self.rr,
            "pulse" => &self.pulse,
            "crt" => &self.crt,
            "gcs" => &self.gcs,
            "sbp" => &self.sbp,
            "spo2" => &self.spo2,
            "temp" => &self.temp,
            _ => &self.override_reason,
        }
    }

    pub fn set(&mut self, field: &str, value: String) {
        let slot = match field {
            "rr" => &mut self.rr,
            "pulse" => &mut self.pulse,
            "crt" => &mut self.crt,
            "gcs" => &mut self.gcs,
            "sbp" => &mut self.sbp,
            "spo2" => &mut self.spo2,
            "temp" => &mut self.temp,
            _ => &mut self.override_reason,
        };
        *slot = value;
    }

    /// One press of a ± button on a count.
    pub fn step(&mut self, field: &str, up: bool) {
        if let Some(stepper) = triage_stepper(field) {
            let next = stepper.press(self.get(field), up);
            self.set(field, next);
        }
    }

    /// The findings as entered, or the fields that do not read as numbers.
    pub fn findings(&self) -> Result<TriageFindings, FieldErrors> {
        let mut errors = Vec::new();
        let findings = TriageFindings {
            walks: self.walks,
            breathing: self.breathing,
            respiratory_rate: number("rr", &self.rr, &mut errors),
            radial_pulse: self.radial_pulse,
            heart_rate: number("pulse", &self.pulse, &mut errors),
            capillary_refill_s: number("crt", &self.crt, &mut errors),
            obeys: self.obeys,
            jcs: self.jcs,
            gcs: number("gcs", &self.gcs, &mut errors),
            systolic_bp: number("sbp", &self.sbp, &mut errors),
            spo2: number("spo2", &self.spo2, &mut errors),
            shock: self.shock,
            temperature_c: number("temp", &self.temp, &mut errors),
            anatomy: self.anatomy.iter().copied().collect(),
            mechanism: self.mechanism.iter().copied().collect(),
            vulnerable: self.vulnerable.iter().copied().collect(),
        };
        if errors.is_empty() {
            Ok(findings)
        } else {
            Err(by_field(errors))
        }
    }

    /// The rules' category for what is entered now, as the core decides it.
    pub fn live(&self) -> LiveCategory {
        let findings = match self.findings() {
            Ok(findings) => findings,
            Err(errors) => return LiveCategory::Invalid(errors),
        };
        match triage(&findings) {
            Ok(outcome) => LiveCategory::Decided(outcome),
            Err(errors) => {
                let first = &errors.0[0];
                match first.code.as_str() {
                    "empty" => LiveCategory::Nothing,
                    "incomplete" => LiveCategory::Needs(first.field.replace(' ', "-")),
                    _ => LiveCategory::Invalid(by_field(errors.0)),
                }
            }
        }
    }

    /// What saving sends: the findings and, if chosen, the override with
    /// its reason. An override the rules agree with is no override.
    pub fn request(&self) -> Result<TriageRequest, FieldErrors> {
        let findings = self.findings()?;
        let computed = triage(&findings).map_err(|e| by_field(e.0))?.category;
        let override_category = self.override_category.filter(|c| *c != computed);
        let override_reason = override_category.and_then(|_| text(&self.override_reason));
        if override_category.is_some() && override_reason.is_none() {
            return Err(by_field(vec![ValidationError::new(
                "reason",
                "required",
                "say why you override the rules' category",
            )]));
        }
        Ok(TriageRequest {
            at: None,
            findings,
            override_category,
            override_reason,
        })
    }
}

/// The ± buttons of a triage count: the visit form's steppers where the
/// count is the same vital sign, with triage's wider ranges (no breaths or
/// no pulse is a finding here, not a typo), and capillary refill by half
/// seconds from 2.
pub fn triage_stepper(field: &str) -> Option<Stepper> {
    let (part, range) = match field {
        "rr" => ("resp", (0.0, 80.0)),
        "pulse" => ("pulse", (0.0, 250.0)),
        "sbp" => ("sys", (0.0, 300.0)),
        "spo2" => ("spo2", (30.0, 100.0)),
        "temp" => ("temp", (20.0, 45.0)),
        "crt" => {
            return Some(Stepper {
                part: "crt",
                step: 0.5,
                start: 2.0,
                range: (0.0, 20.0),
                decimals: 1,
            });
        }
        "gcs" => {
            return Some(Stepper {
                part: "gcs",
                step: 1.0,
                start: 15.0,
                range: (3.0, 15.0),
                decimals: 0,
            });
        }
        _ => return None,
    };
    Stepper::of(part).map(|s| Stepper { range, ..s })
}

/// The fields the triage form reports errors for, under `triage-` in the
/// message files; the message test checks each has words in both languages.
pub const TRIAGE_ERROR_FIELDS: &[&str] = &[
    "walks",
    "breathing",
    "rr",
    "pulse",
    "pulse-or-crt",
    "crt",
    "obeys",
    "jcs",
    "gcs",
    "sbp",
    "spo2",
    "temp",
    "reason",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Language, Tr};

    #[test]
    fn start_decides_live_as_findings_are_tapped() {
        let mut form = TriageForm::default();
        assert_eq!(form.live(), LiveCategory::Nothing);
        form.answer("walks", false);
        assert_eq!(form.live(), LiveCategory::Needs("breathing".into()));
        form.answer("breathing", true);
        assert_eq!(form.live(), LiveCategory::Needs("rr".into()));
        form.step("rr", true);
        assert_eq!(form.rr, "16", "an empty count starts at the usual value");
        assert_eq!(form.live(), LiveCategory::Needs("pulse-or-crt".into()));
        form.answer("radial-pulse", true);
        form.answer("obeys", true);
        let LiveCategory::Decided(outcome) = form.live() else {
            panic!("{:?}", form.live())
        };
        assert_eq!(outcome.category, TriageCategory::Yellow);
        form.set("rr", "32".into());
        let LiveCategory::Decided(outcome) = form.live() else {
            panic!()
        };
        assert_eq!(outcome.category, TriageCategory::Red);
        assert_eq!(outcome.reasons[0].finding.as_deref(), Some("32"));
        // Tapping the same answer again clears it.
        form.answer("obeys", true);
        assert_eq!(form.obeys, None);
    }

    #[test]
    fn pat_findings_and_typos() {
        let mut form = TriageForm {
            walks: Some(true),
            ..TriageForm::default()
        };
        form.anatomy.insert(Anatomy::FlailChest);
        let LiveCategory::Decided(outcome) = form.live() else {
            panic!()
        };
        assert_eq!(
            outcome.category,
            TriageCategory::Red,
            "PAT's red stands over START's green"
        );
        form.set("spo2", "abc".into());
        let LiveCategory::Invalid(errors) = form.live() else {
            panic!()
        };
        assert_eq!(errors["spo2"].code, "malformed");
        form.set("spo2", "120".into());
        let LiveCategory::Invalid(errors) = form.live() else {
            panic!()
        };
        assert_eq!(errors["spo2"].code, "out_of_range");
    }

    #[test]
    fn an_override_needs_a_reason_and_one_the_rules_agree_with_is_none() {
        let mut form = TriageForm {
            walks: Some(true),
            override_category: Some(TriageCategory::Yellow),
            ..TriageForm::default()
        };
        assert_eq!(form.request().unwrap_err()["reason"].code, "required");
        form.override_reason = "骨盤の動揺".into();
        let request = form.request().unwrap();
        assert_eq!(request.override_category, Some(TriageCategory::Yellow));
        assert_eq!(request.override_reason.as_deref(), Some("骨盤の動揺"));
        form.override_category = Some(TriageCategory::Green);
        let request = form.request().unwrap();
        assert_eq!(request.override_category, None);
        assert_eq!(request.override_reason, None);
    }

    #[test]
    fn triage_steppers_reach_what_triage_accepts() {
        let mut form = TriageForm {
            rr: "1".into(),
            ..TriageForm::default()
        };
        form.step("rr", false);
        form.step("rr", false);
        assert_eq!(form.rr, "0", "no breaths is a finding");
        form.step("crt", true);
        assert_eq!(form.crt, "2.0");
        form.step("crt", true);
        assert_eq!(form.crt, "2.5");
        form.step("gcs", true);
        assert_eq!(form.gcs, "15");
        form.step("temp", false);
        assert_eq!(form.temp, "36.5");
    }

    #[test]
    fn every_field_and_finding_has_words_in_both_languages() {
        let tr = Tr::default();
        for language in Language::ALL {
            let tr = tr.in_language(language);
            for field in TRIAGE_ERROR_FIELDS.iter().chain(YES_NO.iter()) {
                assert!(
                    tr.has(&format!("field-triage-{field}")),
                    "field-triage-{field} in {language:?}"
                );
            }
        }
    }
}
