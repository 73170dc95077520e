//! The problem (condition) form: one condition, recorded as active.

use karte_types::{ClinicalStatus, ConditionInput};

use super::parse::{date, text};
use super::{FieldErrors, with_core_rules};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_checks_its_icd10_code() {
        let condition = ConditionForm {
            name: "高血圧".into(),
            icd10: "10".into(),
            ..Default::default()
        };
        assert_eq!(condition.to_input().unwrap_err()["icd10"].code, "malformed");
    }
}
