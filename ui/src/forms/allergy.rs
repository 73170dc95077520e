//! The allergy form: one substance the patient reacts to, recorded as active.

use karte_types::{AllergyCategory, AllergyInput, ClinicalStatus, Criticality};

use super::parse::{coded, text};
use super::{FieldErrors, with_core_rules};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allergy_needs_a_substance() {
        assert_eq!(
            AllergyForm::default().to_input().unwrap_err()["substance"].code,
            "required"
        );
    }
}
