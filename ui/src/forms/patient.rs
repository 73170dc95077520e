//! The patient form: a patient's demographics as typed, for adding a patient
//! and for editing one.

use karte_types::{CareLevel, Date, Demographics, Sex};

use super::parse::{coded, required_date, text};
use super::{FieldErrors, with_core_rules};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::from_ymd(2026, 11, 25).unwrap()
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
}
