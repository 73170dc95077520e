//! The app's forms as the text a user typed, and how that text becomes the
//! core's inputs. Validation uses exactly the rules of `karte-types`, so what
//! the form accepts the core accepts; errors carry the same field and code,
//! which [`field_message`] turns into words in the user's language.
//!
//! Forms keep the raw text, never the parsed value, so a failed save or a
//! typo never loses what was typed. Each form has its own file; this one
//! holds what they share: a form's errors and how they are shown.

mod allergy;
mod casualty;
mod condition;
mod consultation;
mod design_r;
mod enrol;
mod medication;
mod parse;
mod passphrase;
mod patient;
mod triage;
mod visit;

use std::collections::{BTreeMap, BTreeSet};

use karte_types::{ValidationError, ValidationErrors};

use crate::i18n::Tr;

pub use allergy::AllergyForm;
pub use casualty::{CASUALTY_ERROR_FIELDS, CasualtyForm, TransportForm};
pub use condition::ConditionForm;
pub use consultation::{
    CONSULTATION_ERROR_FIELDS, ConsultationForm, ConsultationPlace, chart_age_group,
    consultation_errors, may_be_pregnant, needs_age_group,
};
pub use design_r::{DESIGN_R_ERROR_FIELDS, DesignRForm, design_r_scores};
pub use enrol::EnrolForm;
pub use medication::MedicationForm;
pub use passphrase::{MIN_PASSPHRASE, Strength, new_passphrase_errors};
pub use patient::PatientForm;
pub use triage::{
    JCS_LEVELS, LiveCategory, TRIAGE_ERROR_FIELDS, TriageForm, YES_NO, triage_stepper,
};
pub use visit::{Stepper, VisitForm, local_minutes, parse_local_minutes};

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
    use karte_types::Date;

    use super::*;
    use crate::i18n::Language;

    #[test]
    fn errors_show_for_touched_fields_until_a_save_is_attempted() {
        let today = Date::from_ymd(2026, 11, 25).unwrap();
        let errors = PatientForm::default().to_demographics(today).unwrap_err();
        let touched: BTreeSet<String> = ["family".to_owned()].into();
        let shown = visible(errors.clone(), &touched, false);
        assert_eq!(shown.keys().collect::<Vec<_>>(), ["family"]);
        assert_eq!(visible(errors.clone(), &touched, true), errors);
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
