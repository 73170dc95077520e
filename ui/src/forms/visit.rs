//! The visit form: the vital signs and SOAP note of one visit as typed, kept
//! as the draft while it is unsaved; and the visit's time as a datetime-local
//! input shows it, in Japan time.

use karte_types::{
    DIASTOLIC_RANGE, Jcs, PAIN_RANGE, PULSE_RANGE, Profession, RESPIRATION_RANGE, SPO2_RANGE,
    SYSTOLIC_RANGE, Soap, TEMPERATURE_RANGE, Timestamp, ValidationError, VisitInput, VitalSigns,
    parse_blood_pressure,
};
use serde::{Deserialize, Serialize};

use super::parse::{fold_digits, number, text};
use super::{FieldErrors, with_core_rules};

/// The visit form: vital signs and a SOAP note. Also what is kept as the
/// draft, so it serialises.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VisitForm {
    /// `YYYY-MM-DDTHH:MM` in Japan time, as a datetime-local input gives it.
    pub at: String,
    pub temp: String,
    pub bp: String,
    pub pulse: String,
    pub resp: String,
    pub spo2: String,
    pub jcs: String,
    pub pain: String,
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
    /// Who visited: a profession's code (`nurse`, `physical-therapist`…),
    /// blank when not said (a nurse's visit, as before it was asked).
    pub profession: String,
    /// 長時間訪問看護加算: a visit of over 90 minutes.
    pub long_visit: bool,
}

impl VisitForm {
    pub const FIELDS: [&'static str; 12] = [
        "at",
        "temp",
        "bp",
        "pulse",
        "resp",
        "spo2",
        "jcs",
        "pain",
        "subjective",
        "objective",
        "assessment",
        "plan",
    ];

    /// A new form for a visit at `now`.
    pub fn starting_at(now: Timestamp) -> VisitForm {
        VisitForm {
            at: local_minutes(now),
            ..VisitForm::default()
        }
    }

    pub fn get(&self, field: &str) -> &str {
        match field {
            "at" => &self.at,
            "temp" => &self.temp,
            "bp" => &self.bp,
            "pulse" => &self.pulse,
            "resp" => &self.resp,
            "spo2" => &self.spo2,
            "jcs" => &self.jcs,
            "pain" => &self.pain,
            "subjective" => &self.subjective,
            "objective" => &self.objective,
            "assessment" => &self.assessment,
            _ => &self.plan,
        }
    }

    pub fn set(&mut self, field: &str, value: String) {
        let slot = match field {
            "at" => &mut self.at,
            "temp" => &mut self.temp,
            "bp" => &mut self.bp,
            "pulse" => &mut self.pulse,
            "resp" => &mut self.resp,
            "spo2" => &mut self.spo2,
            "jcs" => &mut self.jcs,
            "pain" => &mut self.pain,
            "subjective" => &mut self.subjective,
            "objective" => &mut self.objective,
            "assessment" => &mut self.assessment,
            _ => &mut self.plan,
        };
        *slot = value;
    }

    /// Whether nothing but the time was typed: such a form is not worth a draft.
    pub fn is_blank(&self) -> bool {
        VisitForm::FIELDS[1..]
            .iter()
            .all(|f| self.get(f).trim().is_empty())
    }

    /// The visit, or every field's error at once.
    pub fn to_input(&self) -> Result<VisitInput, FieldErrors> {
        let mut errors = Vec::new();
        let at = parse_local_minutes("at", &self.at)
            .map_err(|e| errors.push(e))
            .ok();
        let temperature_c = number::<f64>("temp", &self.temp, &mut errors);
        let (systolic, diastolic) = if self.bp.trim().is_empty() {
            (None, None)
        } else {
            match parse_blood_pressure(&fold_digits(&self.bp)) {
                Ok((s, d)) => (Some(s), Some(d)),
                Err(e) => {
                    errors.push(e);
                    (None, None)
                }
            }
        };
        let jcs = if self.jcs.trim().is_empty() {
            None
        } else {
            Jcs::parse(&self.jcs).map_err(|e| errors.push(e)).ok()
        };
        let vitals = VitalSigns {
            temperature_c,
            systolic,
            diastolic,
            pulse: number("pulse", &self.pulse, &mut errors),
            respiration: number("resp", &self.resp, &mut errors),
            spo2: number("spo2", &self.spo2, &mut errors),
            jcs,
            pain: number("pain", &self.pain, &mut errors),
        };
        let soap = Soap {
            subjective: text(&self.subjective),
            objective: text(&self.objective),
            assessment: text(&self.assessment),
            plan: text(&self.plan),
        };
        let profession = if self.profession.trim().is_empty() {
            None
        } else {
            Profession::parse(&self.profession)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let input = VisitInput {
            at: at.unwrap_or(Timestamp(0)),
            vitals,
            soap,
            profession,
            long_visit: self.long_visit,
        };
        let checked = input.validate();
        with_core_rules(input, errors, checked)
    }

    /// The errors to show while typing: those of fields already typed in,
    /// without the "empty visit" complaint that only a save attempt earns.
    pub fn errors_as_typed(&self) -> FieldErrors {
        let mut errors = self.to_input().err().unwrap_or_default();
        errors.remove("visit");
        errors
    }
}

/// A vital sign the ± buttons move: which part of the form it is, how far
/// one press moves it, the usual value an empty field starts from, and the
/// plausible range it stays in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stepper {
    /// The form field, or `sys`/`dia` for the two halves of the BP field.
    pub part: &'static str,
    pub step: f64,
    pub start: f64,
    pub range: (f64, f64),
    /// Digits after the point (1 for temperature).
    pub decimals: usize,
}

impl Stepper {
    pub const ALL: [Stepper; 7] = [
        Stepper::new("temp", 0.1, 36.5, TEMPERATURE_RANGE, 1),
        Stepper::whole("sys", 120, SYSTOLIC_RANGE),
        Stepper::whole("dia", 80, DIASTOLIC_RANGE),
        Stepper::whole("pulse", 72, PULSE_RANGE),
        Stepper::whole("resp", 16, RESPIRATION_RANGE),
        Stepper::whole("spo2", 97, (SPO2_RANGE.0 as u16, SPO2_RANGE.1 as u16)),
        Stepper::whole("pain", 0, (PAIN_RANGE.0 as u16, PAIN_RANGE.1 as u16)),
    ];

    const fn new(
        part: &'static str,
        step: f64,
        start: f64,
        range: (f64, f64),
        decimals: usize,
    ) -> Stepper {
        Stepper {
            part,
            step,
            start,
            range,
            decimals,
        }
    }

    const fn whole(part: &'static str, start: u16, range: (u16, u16)) -> Stepper {
        Stepper::new(part, 1.0, start as f64, (range.0 as f64, range.1 as f64), 0)
    }

    pub fn of(part: &str) -> Option<Stepper> {
        Stepper::ALL.into_iter().find(|s| s.part == part)
    }

    /// The text after one press: `up` or down by one step from what is
    /// typed (full-width digits too), kept in range. An empty or unreadable
    /// field starts at the usual value, so two presses reach 36.7.
    pub fn press(&self, typed: &str, up: bool) -> String {
        let next = match fold_digits(typed).parse::<f64>() {
            Ok(value) if value.is_finite() => {
                let moved = if up {
                    value + self.step
                } else {
                    value - self.step
                };
                // Snap to the step so 36.55 + 0.1 reads 36.7, not 36.65.
                (moved / self.step).round() * self.step
            }
            _ => self.start,
        };
        format!(
            "{:.*}",
            self.decimals,
            next.clamp(self.range.0, self.range.1)
        )
    }
}

impl VisitForm {
    /// One press of a ± button on `part` (a field, or `sys`/`dia` of the
    /// blood pressure, whose other half is kept as typed).
    pub fn step(&mut self, part: &str, up: bool) {
        let Some(stepper) = Stepper::of(part) else {
            return;
        };
        if part == "sys" || part == "dia" {
            let bp = fold_digits(&self.bp);
            let (sys, dia) = bp.split_once('/').unwrap_or((&bp, ""));
            let half = |name: &str, typed: &str| match Stepper::of(name) {
                // The pressed half moves; the other is kept, or starts at
                // its usual value when empty, so the field always reads
                // as a whole pressure.
                Some(s) if name == part => s.press(typed, up),
                Some(s) if typed.trim().is_empty() => s.press("", up),
                _ => typed.trim().to_owned(),
            };
            self.bp = format!("{}/{}", half("sys", sys), half("dia", dia));
        } else {
            let next = stepper.press(self.get(part), up);
            self.set(part, next);
        }
    }
}

/// `YYYY-MM-DDTHH:MM` in Japan time, for a datetime-local input.
pub fn local_minutes(at: Timestamp) -> String {
    let rfc = at.to_rfc3339();
    rfc[..16].to_owned()
}

/// Reads a datetime-local value as Japan time.
pub fn parse_local_minutes(field: &str, text: &str) -> Result<Timestamp, ValidationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ValidationError::new(
            field,
            "required",
            "the time of the visit is needed",
        ));
    }
    let seconds = if text.len() == 16 { ":00" } else { "" };
    Timestamp::parse_rfc3339(field, &format!("{text}{seconds}+09:00"))
}

#[cfg(test)]
mod tests {
    use karte_types::JcsLevel;

    use super::*;

    #[test]
    fn the_profession_and_a_long_visit_reach_the_visit_and_an_old_draft_reads_as_a_nurses() {
        let mut form = visit(&[("temp", "36.8")]);
        assert_eq!(form.to_input().unwrap().profession, None);
        assert!(!form.to_input().unwrap().long_visit);
        form.profession = "physical-therapist".into();
        form.long_visit = true;
        let input = form.to_input().unwrap();
        assert_eq!(input.profession, Some(Profession::PhysicalTherapist));
        assert!(input.long_visit);
        // The draft keeps both; a draft written before they were asked has neither.
        let kept: VisitForm = serde_json::from_str(&serde_json::to_string(&form).unwrap()).unwrap();
        assert_eq!(kept, form);
        let old: VisitForm =
            serde_json::from_str(r#"{"at":"2026-11-25T09:30","temp":"36.8"}"#).unwrap();
        assert_eq!((old.profession.as_str(), old.long_visit), ("", false));
        form.profession = "doctor".into();
        assert!(form.to_input().unwrap_err().contains_key("profession"));
    }

    fn visit(fields: &[(&str, &str)]) -> VisitForm {
        let mut form = VisitForm {
            at: "2026-11-25T09:30".into(),
            ..VisitForm::default()
        };
        for (field, value) in fields {
            form.set(field, (*value).to_owned());
        }
        form
    }

    #[test]
    fn a_typical_visit_parses() {
        let form = visit(&[
            ("temp", "36.8"),
            ("bp", "132/84"),
            ("pulse", "72"),
            ("spo2", "97"),
            ("jcs", "0"),
            ("subjective", "よく眠れた"),
        ]);
        let input = form.to_input().unwrap();
        assert_eq!(input.vitals.temperature_c, Some(36.8));
        assert_eq!(
            (input.vitals.systolic, input.vitals.diastolic),
            (Some(132), Some(84))
        );
        assert_eq!(input.vitals.jcs.unwrap().level, JcsLevel::Alert);
        assert_eq!(input.soap.subjective.as_deref(), Some("よく眠れた"));
        assert_eq!(input.at.to_rfc3339(), "2026-11-25T09:30:00+09:00");
    }

    #[test]
    fn full_width_digits_from_a_japanese_keyboard_are_numbers() {
        let input = visit(&[("temp", "３６．５"), ("bp", "１２０／８０")])
            .to_input()
            .unwrap();
        assert_eq!(input.vitals.temperature_c, Some(36.5));
        assert_eq!(input.vitals.systolic, Some(120));
    }

    #[test]
    fn typos_are_errors_on_their_own_field() {
        let errors = visit(&[
            ("temp", "3.68"),
            ("bp", "1200/80"),
            ("spo2", "abc"),
            ("jcs", "4"),
        ])
        .to_input()
        .unwrap_err();
        assert_eq!(errors["temp"].code, "out_of_range");
        assert_eq!(errors["bp"].code, "out_of_range");
        assert_eq!(errors["spo2"].code, "malformed");
        assert_eq!(errors["jcs"].code, "malformed");
        assert_eq!(errors.len(), 4);
    }

    #[test]
    fn an_empty_visit_is_refused_only_on_save() {
        let form = visit(&[]);
        assert_eq!(form.to_input().unwrap_err()["visit"].code, "empty");
        assert!(form.errors_as_typed().is_empty());
        assert!(form.is_blank());
    }

    #[test]
    fn a_draft_round_trips_with_every_keystroke_kept() {
        let form = visit(&[("temp", "3"), ("plan", "明日も訪問")]);
        let text = serde_json::to_string(&form).unwrap();
        assert_eq!(serde_json::from_str::<VisitForm>(&text).unwrap(), form);
        // Drafts written by an older form with fewer fields still open.
        let old: VisitForm = serde_json::from_str(r#"{"temp":"36.5"}"#).unwrap();
        assert_eq!(old.temp, "36.5");
    }

    #[test]
    fn steppers_move_by_their_step_from_the_usual_value() {
        let mut form = visit(&[]);
        form.step("temp", true);
        assert_eq!(
            form.temp, "36.5",
            "an empty field starts at the usual value"
        );
        form.step("temp", true);
        form.step("temp", true);
        assert_eq!(form.temp, "36.7");
        form.step("temp", false);
        assert_eq!(form.temp, "36.6");
        form.temp = "３６．９".into();
        form.step("temp", true);
        assert_eq!(form.temp, "37.0");
        form.step("pulse", true);
        form.step("pulse", true);
        assert_eq!(form.pulse, "73");
        form.spo2 = "100".into();
        form.step("spo2", true);
        assert_eq!(form.spo2, "100", "kept in range");
        form.temp = "abc".into();
        form.step("temp", false);
        assert_eq!(form.temp, "36.5", "an unreadable field starts over");
        let input = form.to_input().unwrap();
        assert_eq!(input.vitals.temperature_c, Some(36.5));
    }

    #[test]
    fn blood_pressure_steps_each_half() {
        let mut form = visit(&[]);
        form.step("dia", true);
        assert_eq!(
            form.bp, "120/80",
            "an empty field starts at the usual values"
        );
        form.step("sys", true);
        form.step("dia", false);
        assert_eq!(form.bp, "121/79");
        form.bp = "132/".into();
        form.step("dia", true);
        assert_eq!(form.bp, "132/80");
        form.bp = "".into();
        form.step("sys", false);
        assert_eq!(form.bp, "120/80");
        let input = visit(&[("bp", "121/79")]).to_input().unwrap();
        assert_eq!(
            (input.vitals.systolic, input.vitals.diastolic),
            (Some(121), Some(79))
        );
    }

    #[test]
    fn the_visit_time_reads_as_japan_time() {
        let at = Timestamp::parse_rfc3339("at", "2026-11-25T00:30:00Z").unwrap();
        assert_eq!(local_minutes(at), "2026-11-25T09:30");
        assert_eq!(parse_local_minutes("at", "2026-11-25T09:30"), Ok(at));
        assert_eq!(parse_local_minutes("at", "").unwrap_err().code, "required");
        assert!(parse_local_minutes("at", "tomorrow").is_err());
    }
}
