//! The DESIGN-R 2020 form: one wound's assessment, item by item (depth,
//! exudate, size, inflammation/infection, granulation, necrotic tissue,
//! pocket), checked by the same rules as `karte design-r` and the core.

use karte_types::{DESIGN_R_SCORED, DesignDepth, DesignInflammation, DesignR};

use super::parse::coded;
use super::{FieldErrors, with_core_rules};

/// The form as chosen: the wound's name typed, each item a select's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignRForm {
    pub wound: String,
    pub depth: String,
    pub exudate: String,
    pub size: String,
    pub inflammation: String,
    pub granulation: String,
    pub necrosis: String,
    pub pocket: String,
}

impl Default for DesignRForm {
    /// A healed wound (d0-e0s0i0g0n0p0), so each item is a choice away.
    fn default() -> DesignRForm {
        DesignRForm {
            wound: String::new(),
            depth: DesignDepth::D0.code().to_owned(),
            exudate: "0".into(),
            size: "0".into(),
            inflammation: DesignInflammation::I0.code().to_owned(),
            granulation: "0".into(),
            necrosis: "0".into(),
            pocket: "0".into(),
        }
    }
}

/// The fields of the form's errors, for the words test.
pub const DESIGN_R_ERROR_FIELDS: &[&str] = &[
    "wound",
    "depth",
    "exudate",
    "size",
    "inflammation",
    "granulation",
    "necrosis",
    "pocket",
];

/// The scores an item scored by number allows (`exudate`: 0, 1, 3, 6).
pub fn design_r_scores(field: &str) -> &'static [u8] {
    DESIGN_R_SCORED
        .iter()
        .find(|(name, ..)| *name == field)
        .map(|(_, _, allowed, _)| *allowed)
        .unwrap_or(&[])
}

impl DesignRForm {
    /// Sets one field by name (the selects and the wound's input).
    pub fn set(&mut self, field: &str, value: String) {
        let slot = match field {
            "wound" => &mut self.wound,
            "depth" => &mut self.depth,
            "exudate" => &mut self.exudate,
            "size" => &mut self.size,
            "inflammation" => &mut self.inflammation,
            "granulation" => &mut self.granulation,
            "necrosis" => &mut self.necrosis,
            "pocket" => &mut self.pocket,
            _ => return,
        };
        *slot = value;
    }

    pub fn to_design_r(&self) -> Result<DesignR, FieldErrors> {
        let mut errors = Vec::new();
        let depth = coded("depth", &self.depth, DesignDepth::parse, &mut errors);
        let inflammation = coded(
            "inflammation",
            &self.inflammation,
            DesignInflammation::parse,
            &mut errors,
        );
        let mut score = |field: &str, value: &str| match value.trim().parse::<u8>() {
            Ok(score) => score,
            Err(_) => {
                errors.push(karte_types::ValidationError::new(
                    field,
                    "malformed",
                    format!("{field} is not a score"),
                ));
                0
            }
        };
        let design = DesignR {
            wound: self.wound.trim().to_owned(),
            depth: depth.unwrap_or(DesignDepth::D0),
            exudate: score("exudate", &self.exudate),
            size: score("size", &self.size),
            inflammation: inflammation.unwrap_or(DesignInflammation::I0),
            granulation: score("granulation", &self.granulation),
            necrosis: score("necrosis", &self.necrosis),
            pocket: score("pocket", &self.pocket),
        };
        let checked = design.validate();
        with_core_rules(design, errors, checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_design_r_is_read_item_by_item_and_prints_the_forms_notation() {
        let mut form = DesignRForm::default();
        for (field, value) in [
            ("wound", " 仙骨部 "),
            ("depth", "D3"),
            ("exudate", "1"),
            ("size", "6"),
            ("inflammation", "I3C"),
            ("granulation", "3"),
            ("necrosis", "3"),
            ("pocket", "0"),
        ] {
            form.set(field, value.to_owned());
        }
        let design = form.to_design_r().unwrap();
        assert_eq!(design.wound, "仙骨部");
        assert_eq!(design.notation(), "D3-e1s6I3Cg3N3p0:16");
        assert_eq!(
            design,
            DesignR::parse("仙骨部", "D3-e1s6I3Cg3N3p0:16").unwrap()
        );
    }

    #[test]
    fn the_cores_rules_refuse_what_the_core_refuses() {
        // No wound named: the core's own "required".
        let errors = DesignRForm::default().to_design_r().unwrap_err();
        assert_eq!(errors["wound"].code, "required");
        assert_eq!(errors.len(), 1, "{errors:?}");
        // A score the item does not have (exudate 2), an unknown depth.
        let mut form = DesignRForm {
            wound: "踵".into(),
            ..DesignRForm::default()
        };
        form.set("exudate", "2".into());
        form.set("depth", "D9".into());
        let errors = form.to_design_r().unwrap_err();
        assert_eq!(errors["exudate"].code, "not_allowed");
        assert_eq!(errors["depth"].code, "unknown_code");
        // Every score the selects offer is one the core allows.
        for (field, ..) in DESIGN_R_SCORED {
            for score in design_r_scores(field) {
                let mut form = DesignRForm {
                    wound: "踵".into(),
                    ..DesignRForm::default()
                };
                form.set(field, score.to_string());
                assert!(form.to_design_r().is_ok(), "{field} {score}");
            }
        }
    }

    #[test]
    fn every_field_item_and_grade_has_words_in_both_languages() {
        use crate::i18n::{Language, Tr};
        let tr = Tr::default();
        for language in Language::ALL {
            let tr = tr.in_language(language);
            for field in DESIGN_R_ERROR_FIELDS {
                assert!(
                    tr.has(&format!("field-{field}")),
                    "field-{field} {language:?}"
                );
            }
            assert!(tr.has("invalid-not_allowed"), "{language:?}");
            for depth in DesignDepth::ALL {
                assert!(
                    tr.has(&format!("design-r-{}", depth.code())),
                    "{depth} {language:?}"
                );
            }
            for grade in DesignInflammation::ALL {
                assert!(
                    tr.has(&format!("design-r-{}", grade.code())),
                    "{grade} {language:?}"
                );
            }
            for id in [
                "design-r-open",
                "design-r-title",
                "design-r-save",
                "design-r-total",
            ] {
                assert!(tr.has(id), "{id} {language:?}");
            }
        }
    }
}
