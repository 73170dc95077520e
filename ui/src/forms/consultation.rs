//! The consultation form of disaster mode: a visit recorded with its
//! J-SPEED sheet (the items ticked, the team and site, pregnancy and the
//! age group where the sheet needs them) and a note, as tapped and typed.
//! The rules are the core's (`JSpeedSheet::validate`, `VisitInput::validate`,
//! `consultation_age_group`), so what the form accepts the core accepts.

use std::collections::BTreeSet;

use karte_types::{
    ChartView, ConsultationInput, JSPEED_2018, JSpeedSheet, JSpeedTicks, ReportAgeGroup, Sex, Soap,
    Timestamp, ValidationError, VisitInput, VitalSigns, consultation_age_group,
};

use super::parse::text;
use super::visit::{local_minutes, parse_local_minutes};
use super::{FieldErrors, by_field};

/// The team and site a device's consultations are recorded under, kept
/// for the next consultation (in memory only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsultationPlace {
    pub team: String,
    pub site: String,
}

/// One consultation as tapped and typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsultationForm {
    /// `YYYY-MM-DDTHH:MM` in Japan time, as a datetime-local input gives it.
    pub at: String,
    pub team: String,
    pub site: String,
    /// The codes of the items ticked.
    pub items: BTreeSet<&'static str>,
    pub pregnant: bool,
    pub age_group: Option<ReportAgeGroup>,
    pub note: String,
}

impl ConsultationForm {
    /// A new sheet at `now`, with the team and site of the last one.
    pub fn starting_at(now: Timestamp, place: &ConsultationPlace) -> ConsultationForm {
        ConsultationForm {
            at: local_minutes(now),
            team: place.team.clone(),
            site: place.site.clone(),
            ..ConsultationForm::default()
        }
    }

    /// Ticks the item `code`, or unticks it if ticked.
    pub fn toggle(&mut self, code: &'static str) {
        if !self.items.remove(code) {
            self.items.insert(code);
        }
    }

    /// Where the consultation was given, to remember for the next one.
    pub fn place(&self) -> ConsultationPlace {
        ConsultationPlace {
            team: self.team.trim().to_owned(),
            site: self.site.trim().to_owned(),
        }
    }

    /// The consultation on `chart`, or every field's error at once.
    pub fn to_input(&self, chart: &ChartView) -> Result<ConsultationInput, FieldErrors> {
        let mut errors = Vec::new();
        let at = parse_local_minutes("at", &self.at)
            .map_err(|e| errors.push(e))
            .ok();
        if self.note.trim().is_empty() {
            errors.push(ValidationError::new(
                "note",
                "required",
                "write what was seen and done",
            ));
        }
        let items = JSpeedTicks::of(
            JSPEED_2018
                .iter()
                .filter(|item| self.items.contains(item.code)),
        );
        let input = ConsultationInput {
            visit: VisitInput {
                at: at.unwrap_or(Timestamp(0)),
                vitals: VitalSigns::default(),
                soap: Soap {
                    assessment: text(&self.note),
                    ..Soap::default()
                },
                profession: None,
                long_visit: false,
            },
            sheet: JSpeedSheet {
                team: self.team.trim().to_owned(),
                site: self.site.trim().to_owned(),
                items,
                pregnant: self.pregnant && may_be_pregnant(chart),
                age_group: self.age_group.filter(|_| needs_age_group(chart, at)),
            },
        };
        errors.extend(input.sheet.validate().err().unwrap_or_default().0);
        if let Some(at) = at
            && consultation_age_group(chart, &input.sheet, at).is_none()
        {
            errors.push(ValidationError::new(
                "age-group",
                "required",
                "choose the age group",
            ));
        }
        // The visit's only content is the note, so its "empty visit" is
        // the note's "required", already told.
        errors.extend(
            input
                .visit
                .validate()
                .err()
                .unwrap_or_default()
                .0
                .into_iter()
                .filter(|e| e.field != "visit"),
        );
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(by_field(errors))
        }
    }
}

/// The age group the chart tells at `at` (from the birth date, or an
/// unknown casualty's estimated band when it lies in one group).
pub fn chart_age_group(chart: &ChartView, at: Option<Timestamp>) -> Option<ReportAgeGroup> {
    let blank = JSpeedSheet {
        team: String::new(),
        site: String::new(),
        items: JSpeedTicks::default(),
        pregnant: false,
        age_group: None,
    };
    consultation_age_group(chart, &blank, at.unwrap_or(Timestamp(0)))
}

/// Whether the sheet must say the age group: the chart cannot tell it (an
/// unknown casualty whose estimated band straddles 65).
pub fn needs_age_group(chart: &ChartView, at: Option<Timestamp>) -> bool {
    chart_age_group(chart, at).is_none()
}

/// Whether the sheet asks about pregnancy: not for a patient recorded as
/// male (the core refuses it).
pub fn may_be_pregnant(chart: &ChartView) -> bool {
    chart.patient.sex != Sex::Male
}

/// A refusal's field errors as this form shows them: the core's "empty
/// visit" beside the note.
pub fn consultation_errors(problem: &karte_types::Problem) -> FieldErrors {
    by_field(
        problem
            .fields
            .iter()
            .cloned()
            .map(|mut e| {
                if e.field == "visit" {
                    e.field = "note".to_owned();
                }
                e
            })
            .collect(),
    )
}

/// The fields this form reports errors for; the message test checks each
/// has words in both languages.
pub const CONSULTATION_ERROR_FIELDS: &[&str] = &[
    "at",
    "team",
    "site",
    "jspeed",
    "age-group",
    "pregnant",
    "note",
];

#[cfg(test)]
mod tests {
    use karte_types::{
        AgeBand, AllergyStatus, Author, Casualty, CasualtyInput, Date, Demographics, EntryId,
        EntryMeta, ErrorCode, PatientId, Problem,
    };

    use super::*;
    use crate::forms::field_message;
    use crate::i18n::{Language, Tr};

    fn named(sex: Sex) -> ChartView {
        ChartView {
            id: PatientId::from("p1"),
            patient: Demographics {
                family: "高橋".into(),
                given: "良子".into(),
                family_kana: "タカハシ".into(),
                given_kana: "ヨシコ".into(),
                birth: Date::from_ymd(1958, 4, 10).unwrap(),
                sex,
                address: None,
                phone: None,
                insurance_number: None,
                care_level: None,
            },
            allergy_status: AllergyStatus::NotRecorded,
            allergies: vec![],
            conditions: vec![],
            medications: vec![],
            visits: vec![],
            reviews: vec![],
            orders: vec![],
            assessments: vec![],
            triage: Default::default(),
            documents: Vec::new(),
        }
    }

    /// An unknown casualty of the sixties: a band that straddles 65.
    fn casualty_in_sixties() -> ChartView {
        let input = CasualtyInput {
            tag: "T-0123".into(),
            sex: Sex::Male,
            age_band: AgeBand::Sixties,
            found_at: None,
            found_latitude: None,
            found_longitude: None,
            features: None,
        };
        let mut chart = named(Sex::Male);
        chart.patient.family.clear();
        chart.patient.given.clear();
        chart.triage.registrations.push(Casualty {
            meta: EntryMeta {
                id: EntryId::from("c1"),
                recorded_by: Author {
                    user: "u1".into(),
                    user_name: "sato".into(),
                    device: "d1".into(),
                },
                recorded_at: Timestamp(0),
                entered_in_error: None,
            },
            input,
        });
        chart
    }

    fn form() -> ConsultationForm {
        let mut form = ConsultationForm::starting_at(
            Timestamp::parse_rfc3339("at", "2026-12-07T10:00:00+09:00").unwrap(),
            &ConsultationPlace {
                team: " DMAT 熊本1 ".into(),
                site: "益城町総合体育館".into(),
            },
        );
        form.toggle("fever");
        form.toggle("hypertension");
        form.note = "発熱と頭痛。解熱剤を処方".into();
        form
    }

    #[test]
    fn a_sheet_takes_the_ticks_the_place_and_the_note() {
        let input = form().to_input(&named(Sex::Female)).unwrap();
        assert_eq!(input.sheet.team, "DMAT 熊本1");
        let codes: Vec<_> = input.sheet.items.items().iter().map(|i| i.number).collect();
        assert_eq!(codes, [16, 24], "in the form's order");
        assert_eq!(input.sheet.age_group, None, "the birth date tells it");
        assert_eq!(input.visit.at.to_rfc3339(), "2026-12-07T10:00:00+09:00");
        assert_eq!(
            input.visit.soap.assessment.as_deref(),
            Some("発熱と頭痛。解熱剤を処方")
        );
        assert_eq!(form().place().team, "DMAT 熊本1");
        // A second tap unticks.
        let mut once = form();
        once.toggle("fever");
        let input = once.to_input(&named(Sex::Female)).unwrap();
        assert_eq!(input.sheet.items.items().len(), 1);
    }

    #[test]
    fn what_is_missing_is_told_per_field() {
        let errors = ConsultationForm::default()
            .to_input(&named(Sex::Female))
            .unwrap_err();
        for field in ["at", "team", "site", "jspeed", "note"] {
            assert_eq!(errors[field].code, "required", "{field}");
        }
        assert!(!errors.contains_key("visit"), "told as the note's");
    }

    #[test]
    fn the_age_group_is_asked_only_when_the_chart_cannot_tell_it() {
        let chart = casualty_in_sixties();
        let at = Some(Timestamp::parse_rfc3339("at", "2026-12-07T10:00:00+09:00").unwrap());
        assert!(needs_age_group(&chart, at));
        assert!(!needs_age_group(&named(Sex::Female), at));
        assert_eq!(
            form().to_input(&chart).unwrap_err()["age-group"].code,
            "required"
        );
        let mut chosen = form();
        chosen.age_group = Some(ReportAgeGroup::From65);
        let input = chosen.to_input(&chart).unwrap();
        assert_eq!(input.sheet.age_group, Some(ReportAgeGroup::From65));
        // A group chosen where the chart tells it is not sent.
        assert_eq!(
            chosen
                .to_input(&named(Sex::Female))
                .unwrap()
                .sheet
                .age_group,
            None
        );
    }

    #[test]
    fn pregnancy_is_asked_only_of_a_patient_not_recorded_as_male() {
        let mut pregnant = form();
        pregnant.pregnant = true;
        assert!(
            pregnant
                .to_input(&named(Sex::Female))
                .unwrap()
                .sheet
                .pregnant
        );
        assert!(!may_be_pregnant(&named(Sex::Male)));
        assert!(!pregnant.to_input(&named(Sex::Male)).unwrap().sheet.pregnant);
    }

    #[test]
    fn a_refusal_of_the_core_is_told_beside_its_field_in_both_languages() {
        let mut problem = Problem::new(ErrorCode::InvalidInput, "invalid");
        problem.fields = vec![
            ValidationError::new("visit", "empty", "a visit needs…"),
            ValidationError::new("age-group", "required", "straddles 65"),
            ValidationError::new("pregnant", "implausible", "male"),
        ];
        let errors = consultation_errors(&problem);
        assert_eq!(errors["note"].code, "empty");
        let tr = Tr::default();
        for language in Language::ALL {
            let tr = tr.in_language(language);
            for field in CONSULTATION_ERROR_FIELDS {
                assert!(
                    tr.has(&format!("field-{field}")),
                    "field-{field} in {language:?}"
                );
            }
            for (field, error) in &errors {
                let words = field_message(&tr, error);
                assert_ne!(words, error.message, "{field} in {language:?}");
            }
            let missing = ConsultationForm::default()
                .to_input(&named(Sex::Female))
                .unwrap_err();
            assert_ne!(
                field_message(&tr, &missing["jspeed"]),
                missing["jspeed"].message
            );
        }
    }
}
