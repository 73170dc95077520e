//! The medication form: one medication, its dose, route and dates.

use karte_types::{MedicationInput, Route};

use super::parse::{coded, date};
use super::{FieldErrors, with_core_rules};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_medication_cannot_end_before_it_starts() {
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
    }
}
