//! Disaster mode's two small forms on a casualty: the registration (tag
//! number, sex and age band as buttons, where found, features) and the
//! transport (搬送機関, 収容医療機関, departure), as typed and tapped.

use karte_types::{AgeBand, CasualtyInput, Sex, TransportInput, ValidationError};

use super::parse::text;
use super::visit::parse_local_minutes;
use super::{FieldErrors, with_core_rules};

/// Registering an unknown casualty. Sex and age band are chosen with a
/// tap, so they are `None` until chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CasualtyForm {
    pub tag: String,
    pub sex: Option<Sex>,
    pub age_band: Option<AgeBand>,
    pub found_at: String,
    pub features: String,
}

impl CasualtyForm {
    /// The registration, or every field's error at once. The tag's rules
    /// are the core's ([`CasualtyInput::validate`]); sex and age band are
    /// asked for here, since the core's input cannot be without them.
    pub fn to_input(&self) -> Result<CasualtyInput, FieldErrors> {
        let mut errors = Vec::new();
        if self.sex.is_none() {
            errors.push(ValidationError::new(
                "casualty-sex",
                "required",
                "choose the sex (unknown if nobody can tell)",
            ));
        }
        if self.age_band.is_none() {
            errors.push(ValidationError::new(
                "age-band",
                "required",
                "choose the age band as estimated",
            ));
        }
        let input = CasualtyInput {
            tag: self.tag.trim().to_owned(),
            sex: self.sex.unwrap_or(Sex::Unknown),
            age_band: self.age_band.unwrap_or(AgeBand::Fifties),
            found_at: text(&self.found_at),
            found_latitude: None,
            found_longitude: None,
            features: text(&self.features),
        };
        let checked = input.validate();
        with_core_rules(input, errors, checked)
    }
}

/// A casualty's transport, as typed: two names and a departure time
/// (`YYYY-MM-DDTHH:MM` in Japan time, as a datetime-local input holds it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransportForm {
    pub agency: String,
    pub destination: String,
    pub departed: String,
}

impl TransportForm {
    pub fn to_input(&self) -> Result<TransportInput, FieldErrors> {
        let mut errors = Vec::new();
        let departed_at = if self.departed.trim().is_empty() {
            None
        } else {
            parse_local_minutes("departed", &self.departed)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let input = TransportInput {
            agency: text(&self.agency),
            destination: text(&self.destination),
            departed_at,
        };
        let checked = if errors.is_empty() {
            input.validate()
        } else {
            Ok(())
        };
        with_core_rules(input, errors, checked)
    }
}

/// The fields these forms report errors for; the message test checks each
/// has words in both languages.
pub const CASUALTY_ERROR_FIELDS: &[&str] = &[
    "tag",
    "casualty-sex",
    "age-band",
    "found-at",
    "transport",
    "departed",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::field_message;
    use crate::i18n::{Language, Tr};

    fn form() -> CasualtyForm {
        CasualtyForm {
            tag: " T-0123 ".into(),
            sex: Some(Sex::Male),
            age_band: Some(AgeBand::Sixties),
            found_at: "体育館東側".into(),
            features: "  ".into(),
        }
    }

    #[test]
    fn a_registration_takes_the_taps_and_the_core_rules() {
        let input = form().to_input().unwrap();
        assert_eq!(input.tag, "T-0123");
        assert_eq!(input.found_at.as_deref(), Some("体育館東側"));
        assert_eq!(input.features, None, "blank is absent");
        assert_eq!(input.label().label_ja(), "身元不明 男性 60代 #T-0123");

        let errors = CasualtyForm::default().to_input().unwrap_err();
        assert_eq!(errors["tag"].code, "required");
        assert_eq!(errors["casualty-sex"].code, "required");
        assert_eq!(errors["age-band"].code, "required");
        let mut bad = form();
        bad.tag = "T 0123; drop".into();
        assert_eq!(bad.to_input().unwrap_err()["tag"].code, "malformed");
    }

    #[test]
    fn a_transport_needs_something_and_reads_the_time_in_japan() {
        let empty = TransportForm::default().to_input().unwrap_err();
        assert_eq!(empty["transport"].code, "empty");
        let input = TransportForm {
            agency: "熊本市消防局".into(),
            destination: String::new(),
            departed: "2026-12-07T10:15".into(),
        }
        .to_input()
        .unwrap();
        assert_eq!(input.agency.as_deref(), Some("熊本市消防局"));
        assert_eq!(input.destination, None);
        assert_eq!(
            input.departed_at.unwrap().to_rfc3339(),
            "2026-12-07T10:15:00+09:00"
        );
        let bad = TransportForm {
            departed: "soon".into(),
            ..TransportForm::default()
        };
        assert_eq!(
            bad.to_input().unwrap_err().len(),
            1,
            "only the time's error"
        );
    }

    #[test]
    fn every_field_has_words_in_both_languages() {
        let tr = Tr::default();
        for language in Language::ALL {
            let tr = tr.in_language(language);
            for field in CASUALTY_ERROR_FIELDS {
                assert!(
                    tr.has(&format!("field-{field}")),
                    "field-{field} in {language:?}"
                );
            }
            // The tag's rule is told in the user's words, not the core's.
            let mut bad = form();
            bad.tag = "x y".into();
            let error = &bad.to_input().unwrap_err()["tag"];
            assert_ne!(field_message(&tr, error), error.message);
            assert!(field_message(&tr, error).contains("T-0123"));
        }
    }
}
