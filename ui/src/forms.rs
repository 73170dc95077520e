//! The app's forms as the text a user typed, and how that text becomes the
//! core's inputs. Validation uses exactly the rules of `karte-types`, so what
//! the form accepts the core accepts; errors carry the same field and code,
//! which [`field_message`] turns into words in the user's language.
//!
//! Forms keep the raw text, never the parsed value, so a failed save or a
//! typo never loses what was typed.

use std::collections::{BTreeMap, BTreeSet};

use karte_types::{
    AllergyCategory, AllergyInput, CareLevel, ClinicalStatus, ConditionInput, Criticality, Date,
    Demographics, EnrolRequest, Jcs, MedicationInput, Route, Sex, Soap, Timestamp, ValidationError,
    ValidationErrors, VisitInput, VitalSigns, parse_blood_pressure, parse_number,
};
use serde::{Deserialize, Serialize};

use crate::i18n::Tr;

/// The first error of each field, by field name.
pub type FieldErrors = BTreeMap<String, ValidationError>;

fn by_field(errors: Vec<ValidationError>) -> FieldErrors {
    let mut map = FieldErrors::new();
    for error in errors {
        map.entry(error.field.clone()).or_insert(error);
    }
    map
}

/// `value` if neither the form nor the core's own rules (`checked`) found
/// anything wrong. The form's errors come first, so a field the form already
/// flagged (a number that did not parse, say) keeps that message rather
/// than the core's second, misleading one.
fn with_core_rules<T>(
    value: T,
    mut errors: Vec<ValidationError>,
    checked: Result<(), ValidationErrors>,
) -> Result<T, FieldErrors> {
    if let Err(more) = checked {
        errors.extend(more.0);
    }
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(by_field(errors))
    }
}

/// A field's error in the user's language: a message for this field and
/// code if there is one (`invalid-temp-out_of_range`), else the code's
/// general message naming the field.
pub fn field_message(tr: &Tr, error: &ValidationError) -> String {
    let specific = format!("invalid-{}-{}", error.field, error.code);
    if tr.has(&specific) {
        return tr.t_args(&specific, &[]);
    }
    let general = format!("invalid-{}", error.code);
    let label = format!("field-{}", error.field);
    let field = if tr.has(&label) {
        tr.t_args(&label, &[])
    } else {
        error.field.clone()
    };
    if tr.has(&general) {
        tr.t_args(&general, &[("field", field)])
    } else {
        // A code the UI does not know yet: the core's English words are
        // better than nothing.
        error.message.clone()
    }
}

/// The errors to show now: those of fields the user has typed in, or all of
/// them once a save was attempted, so an empty form does not start in red.
pub fn visible(errors: FieldErrors, touched: &BTreeSet<String>, attempted: bool) -> FieldErrors {
    errors
        .into_iter()
        .filter(|(field, _)| attempted || touched.contains(field))
        .collect()
}

/// The words for `field`'s error, if it has one.
pub fn error_text(tr: &Tr, errors: &FieldErrors, field: &str) -> Option<String> {
    errors.get(field).map(|e| field_message(tr, e))
}

/// Errors the core reported for a form's fields (422 `invalid_input`).
pub fn from_problem(problem: &karte_types::Problem) -> FieldErrors {
    by_field(problem.fields.clone())
}

fn text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Full-width digits, point and slash from a Japanese keyboard, as ASCII.
fn fold_digits(value: &str) -> String {
    value
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '／' => '/',
            _ => c,
        })
        .collect()
}

fn number<T: std::str::FromStr>(
    field: &str,
    value: &str,
    errors: &mut Vec<ValidationError>,
) -> Option<T> {
    let folded = fold_digits(value);
    if folded.is_empty() {
        return None;
    }
    match parse_number(field, &folded) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

fn date(field: &str, value: &str, errors: &mut Vec<ValidationError>) -> Option<Date> {
    if value.trim().is_empty() {
        return None;
    }
    match Date::parse(field, value) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

fn required_date(field: &str, value: &str, errors: &mut Vec<ValidationError>) -> Option<Date> {
    if value.trim().is_empty() {
        errors.push(ValidationError::new(
            field,
            "required",
            format!("{field} must not be empty"),
        ));
        return None;
    }
    date(field, value, errors)
}

fn coded<T>(
    field: &str,
    value: &str,
    parse: fn(&str) -> Result<T, ValidationError>,
    errors: &mut Vec<ValidationError>,
) -> Option<T> {
    match parse(value) {
        Ok(v) => Some(v),
        Err(mut e) => {
            e.field = field.to_owned();
            errors.push(e);
            None
        }
    }
}

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
        let input = VisitInput {
            at: at.unwrap_or(Timestamp(0)),
            vitals,
            soap,
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

/// The patient form, for adding a patient and editing demographics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientForm {
    pub family: String,
    pub given: String,
    pub family_kana: String,
    pub given_kana: String,
    pub birth: String,
    pub sex: String,
    pub address: String,
    pub phone: String,
    pub insurance_number: String,
    pub care_level: String,
}

impl Default for PatientForm {
    fn default() -> PatientForm {
        PatientForm {
            family: String::new(),
            given: String::new(),
            family_kana: String::new(),
            given_kana: String::new(),
            birth: String::new(),
            sex: Sex::Female.code().to_owned(),
            address: String::new(),
            phone: String::new(),
            insurance_number: String::new(),
            care_level: String::new(),
        }
    }
}

impl PatientForm {
    pub fn from_demographics(d: &Demographics) -> PatientForm {
        PatientForm {
            family: d.family.clone(),
            given: d.given.clone(),
            family_kana: d.family_kana.clone(),
            given_kana: d.given_kana.clone(),
            birth: d.birth.to_string(),
            sex: d.sex.code().to_owned(),
            address: d.address.clone().unwrap_or_default(),
            phone: d.phone.clone().unwrap_or_default(),
            insurance_number: d.insurance_number.clone().unwrap_or_default(),
            care_level: d
                .care_level
                .map(|c| c.code().to_owned())
                .unwrap_or_default(),
        }
    }

    pub fn set(&mut self, field: &str, value: String) {
        let slot = match field {
            "family" => &mut self.family,
            "given" => &mut self.given,
            "family-kana" => &mut self.family_kana,
            "given-kana" => &mut self.given_kana,
            "birth" => &mut self.birth,
            "sex" => &mut self.sex,
            "address" => &mut self.address,
            "phone" => &mut self.phone,
            "insurance" => &mut self.insurance_number,
            _ => &mut self.care_level,
        };
        *slot = value;
    }

    pub fn to_demographics(&self, today: Date) -> Result<Demographics, FieldErrors> {
        let mut errors = Vec::new();
        let birth = required_date("birth", &self.birth, &mut errors);
        let sex = coded("sex", &self.sex, Sex::parse, &mut errors);
        let care_level = if self.care_level.trim().is_empty() {
            None
        } else {
            coded(
                "care-level",
                &self.care_level,
                CareLevel::parse,
                &mut errors,
            )
        };
        let demographics = Demographics {
            family: self.family.trim().to_owned(),
            given: self.given.trim().to_owned(),
            family_kana: self.family_kana.trim().to_owned(),
            given_kana: self.given_kana.trim().to_owned(),
            birth: birth.unwrap_or(today),
            sex: sex.unwrap_or(Sex::Unknown),
            address: text(&self.address),
            phone: text(&self.phone),
            insurance_number: text(&self.insurance_number),
            care_level,
        };
        let checked = demographics.validate(today);
        with_core_rules(demographics, errors, checked)
    }
}

/// The allergy form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllergyForm {
    pub substance: String,
    pub category: String,
    pub criticality: String,
    pub reaction: String,
}

impl Default for AllergyForm {
    fn default() -> AllergyForm {
        AllergyForm {
            substance: String::new(),
            category: AllergyCategory::Medication.code().to_owned(),
            criticality: Criticality::High.code().to_owned(),
            reaction: String::new(),
        }
    }
}

impl AllergyForm {
    pub fn to_input(&self) -> Result<AllergyInput, FieldErrors> {
        let mut errors = Vec::new();
        let category = coded(
            "category",
            &self.category,
            AllergyCategory::parse,
            &mut errors,
        );
        let criticality = coded(
            "criticality",
            &self.criticality,
            Criticality::parse,
            &mut errors,
        );
        let input = AllergyInput {
            substance: self.substance.trim().to_owned(),
            category: category.unwrap_or(AllergyCategory::Medication),
            criticality: criticality.unwrap_or(Criticality::UnableToAssess),
            reaction: text(&self.reaction),
            status: ClinicalStatus::Active,
        };
        let checked = input.validate();
        with_core_rules(input, errors, checked)
    }
}

/// The problem (condition) form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionForm {
    pub name: String,
    pub icd10: String,
    pub onset: String,
    pub note: String,
}

impl ConditionForm {
    pub fn to_input(&self) -> Result<ConditionInput, FieldErrors> {
        let mut errors = Vec::new();
        let onset = date("onset", &self.onset, &mut errors);
        let input = ConditionInput {
            name: self.name.trim().to_owned(),
            icd10: text(&self.icd10).map(|c| c.to_uppercase()),
            onset,
            status: ClinicalStatus::Active,
            note: text(&self.note),
        };
        let checked = input.validate();
        with_core_rules(input, errors, checked)
    }
}

/// The medication form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedicationForm {
    pub name: String,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub start: String,
    pub end: String,
}

impl Default for MedicationForm {
    fn default() -> MedicationForm {
        MedicationForm {
            name: String::new(),
            dose: String::new(),
            route: Route::Oral.code().to_owned(),
            frequency: String::new(),
            start: String::new(),
            end: String::new(),
        }
    }
}

impl MedicationForm {
    pub fn to_input(&self) -> Result<MedicationInput, FieldErrors> {
        let mut errors = Vec::new();
        let route = coded("route", &self.route, Route::parse, &mut errors);
        let start = date("start", &self.start, &mut errors);
        let end = date("end", &self.end, &mut errors);
        let input = MedicationInput {
            name: self.name.trim().to_owned(),
            dose: self.dose.trim().to_owned(),
            route: route.unwrap_or(Route::Other),
            frequency: self.frequency.trim().to_owned(),
            start,
            end,
        };
        let checked = input.validate();
        with_core_rules(input, errors, checked)
    }
}

/// The enrolment form: the hub's address, the one-time code, this device's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrolForm {
    pub hub_url: String,
    pub code: String,
    pub device_name: String,
}

impl EnrolForm {
    pub fn to_request(&self) -> Result<EnrolRequest, FieldErrors> {
        let mut errors = Vec::new();
        let url = self.hub_url.trim();
        if url.is_empty() {
            errors.push(ValidationError::new(
                "hub-url",
                "required",
                "the hub's address is needed",
            ));
        } else if !(url.starts_with("http://") || url.starts_with("https://")) {
            errors.push(ValidationError::new(
                "hub-url",
                "malformed",
                "write the hub's address with http:// or https://",
            ));
        }
        if self.code.trim().is_empty() {
            errors.push(ValidationError::new(
                "code",
                "required",
                "the enrolment code is needed",
            ));
        }
        if self.device_name.trim().is_empty() {
            errors.push(ValidationError::new(
                "device-name",
                "required",
                "name this device, e.g. tablet-3",
            ));
        }
        if errors.is_empty() {
            Ok(EnrolRequest {
                hub_url: url.trim_end_matches('/').to_owned(),
                code: self.code.trim().to_owned(),
                device_name: self.device_name.trim().to_owned(),
            })
        } else {
            Err(by_field(errors))
        }
    }
}

/// How hard a passphrase is to guess, roughly; shown as the user types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    TooShort,
    Weak,
    Fair,
    Strong,
}

/// The shortest passphrase the app accepts.
pub const MIN_PASSPHRASE: usize = 8;

impl Strength {
    /// Length counts most; mixing kinds of characters helps a little.
    pub fn of(passphrase: &str) -> Strength {
        let length = passphrase.chars().count();
        if length < MIN_PASSPHRASE {
            return Strength::TooShort;
        }
        let kinds = [
            passphrase.chars().any(|c| c.is_ascii_lowercase()),
            passphrase.chars().any(|c| c.is_ascii_uppercase()),
            passphrase.chars().any(|c| c.is_ascii_digit()),
            passphrase.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .iter()
        .filter(|k| **k)
        .count();
        let distinct = {
            let mut chars: Vec<char> = passphrase.chars().collect();
            chars.sort_unstable();
            chars.dedup();
            chars.len()
        };
        if distinct < 4 {
            Strength::Weak
        } else if length >= 16 || (length >= 12 && kinds >= 3) {
            Strength::Strong
        } else if length >= 10 || kinds >= 3 {
            Strength::Fair
        } else {
            Strength::Weak
        }
    }

    /// The message id naming this strength.
    pub fn message_id(self) -> &'static str {
        match self {
            Strength::TooShort => "strength-too-short",
            Strength::Weak => "strength-weak",
            Strength::Fair => "strength-fair",
            Strength::Strong => "strength-strong",
        }
    }
}

/// The errors of a new passphrase and its confirmation.
pub fn new_passphrase_errors(user: &str, passphrase: &str, confirm: &str) -> FieldErrors {
    let mut errors = Vec::new();
    if user.trim().is_empty() {
        errors.push(ValidationError::new(
            "user",
            "required",
            "a user name is needed",
        ));
    }
    if Strength::of(passphrase) == Strength::TooShort {
        errors.push(ValidationError::new(
            "passphrase",
            "too_short",
            "use at least 8 characters",
        ));
    }
    if passphrase != confirm {
        errors.push(ValidationError::new(
            "confirm",
            "mismatch",
            "the passphrases differ",
        ));
    }
    by_field(errors)
}

/// Every field name a form of the app can report an error for, and every
/// code the forms or the core's validation can give; the message test
/// checks each pair has words in both languages.
pub const ERROR_FIELDS: &[&str] = &[
    "at",
    "temp",
    "bp",
    "pulse",
    "resp",
    "spo2",
    "jcs",
    "pain",
    "visit",
    "family",
    "given",
    "family-kana",
    "given-kana",
    "birth",
    "sex",
    "care-level",
    "substance",
    "category",
    "criticality",
    "name",
    "icd10",
    "onset",
    "dose",
    "route",
    "frequency",
    "start",
    "end",
    "hub-url",
    "code",
    "device-name",
    "user",
    "passphrase",
    "confirm",
    "auto_lock_minutes",
];
pub const ERROR_CODES: &[&str] = &[
    "required",
    "malformed",
    "malformed_date",
    "malformed_time",
    "out_of_range",
    "inconsistent",
    "incomplete",
    "empty",
    "not_kana",
    "in_future",
    "before_start",
    "unknown_code",
    "too_short",
    "mismatch",
];

#[cfg(test)]
mod tests {
    use karte_types::JcsLevel;

    use super::*;
    use crate::i18n::{Language, Tr};

    fn today() -> Date {
        Date::from_ymd(2026, 11, 25).unwrap()
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
    fn the_visit_time_reads_as_japan_time() {
        let at = Timestamp::parse_rfc3339("at", "2026-11-25T00:30:00Z").unwrap();
        assert_eq!(local_minutes(at), "2026-11-25T09:30");
        assert_eq!(parse_local_minutes("at", "2026-11-25T09:30"), Ok(at));
        assert_eq!(parse_local_minutes("at", "").unwrap_err().code, "required");
        assert!(parse_local_minutes("at", "tomorrow").is_err());
    }

    #[test]
    fn a_patient_needs_names_kana_and_a_birth_date() {
        let mut form = PatientForm::default();
        let errors = form.to_demographics(today()).unwrap_err();
        for field in ["family", "given", "family-kana", "given-kana", "birth"] {
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
        for (field, value) in [
            ("family", "山田"),
            ("given", "花子"),
            ("family-kana", "やまだ"),
            ("given-kana", "山"),
            ("birth", "1941-03-02"),
        ] {
            form.set(field, value.into());
        }
        let errors = form.to_demographics(today()).unwrap_err();
        assert_eq!(errors["given-kana"].code, "not_kana");
        assert_eq!(errors.len(), 1);
        form.set("given-kana", "ハナコ".into());
        form.set("care-level", "care-2".into());
        let patient = form.to_demographics(today()).unwrap();
        assert_eq!(patient.care_level, Some(CareLevel::Care2));
        assert_eq!(PatientForm::from_demographics(&patient), form);
    }

    #[test]
    fn entry_forms_check_their_fields() {
        assert_eq!(
            AllergyForm::default().to_input().unwrap_err()["substance"].code,
            "required"
        );
        let condition = ConditionForm {
            name: "高血圧".into(),
            icd10: "10".into(),
            ..Default::default()
        };
        assert_eq!(condition.to_input().unwrap_err()["icd10"].code, "malformed");
        let medication = MedicationForm {
            name: "アムロジピン".into(),
            dose: "5 mg".into(),
            frequency: "1日1回".into(),
            start: "2026-05-01".into(),
            end: "2026-04-01".into(),
            ..Default::default()
        };
        assert_eq!(
            medication.to_input().unwrap_err()["end"].code,
            "before_start"
        );
        let enrol = EnrolForm {
            hub_url: "hub.example".into(),
            ..Default::default()
        };
        let errors = enrol.to_request().unwrap_err();
        assert_eq!(errors["hub-url"].code, "malformed");
        assert_eq!(errors.len(), 3);
    }

    #[test]
    fn errors_show_for_touched_fields_until_a_save_is_attempted() {
        let errors = PatientForm::default().to_demographics(today()).unwrap_err();
        let touched: BTreeSet<String> = ["family".to_owned()].into();
        let shown = visible(errors.clone(), &touched, false);
        assert_eq!(shown.keys().collect::<Vec<_>>(), ["family"]);
        assert_eq!(visible(errors.clone(), &touched, true), errors);
    }

    #[test]
    fn passphrase_strength_grows_with_length_and_variety() {
        assert_eq!(Strength::of("short"), Strength::TooShort);
        assert_eq!(Strength::of("aaaaaaaaaaaa"), Strength::Weak);
        assert_eq!(Strength::of("password"), Strength::Weak);
        assert_eq!(Strength::of("correct-horse"), Strength::Fair);
        assert_eq!(Strength::of("correct horse battery"), Strength::Strong);
        let errors = new_passphrase_errors("admin", "correct horse", "correct hose");
        assert_eq!(errors["confirm"].code, "mismatch");
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn every_field_error_has_words_in_both_languages() {
        let tr = Tr::default();
        for language in Language::ALL {
            let tr = tr.in_language(language);
            for code in ERROR_CODES {
                assert!(
                    tr.has(&format!("invalid-{code}")),
                    "invalid-{code} in {language:?}"
                );
            }
            for field in ERROR_FIELDS {
                assert!(
                    tr.has(&format!("field-{field}")),
                    "field-{field} in {language:?}"
                );
            }
        }
        let error = ValidationError::new("temp", "out_of_range", "temperature 3.68 °C");
        let ja = field_message(&tr, &error);
        let en = field_message(&tr.in_language(Language::En), &error);
        assert_ne!(ja, en);
        assert!(!ja.contains("temp") && !ja.is_empty());
    }
}
