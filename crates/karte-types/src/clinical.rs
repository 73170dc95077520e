//! Coded clinical values: sex, care level (要介護度), allergy and condition
//! codes. Each parses the Japanese and English words a user would type and
//! knows its Japanese label.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// Defines a coded value: its variants with the code stored in the chart,
/// the words accepted on input (first = English label) and a Japanese label.
macro_rules! coded {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($variant:ident => $code:literal, $ja:literal, [$($alias:literal),*];)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code stored in the chart and used in FHIR, e.g. `high`.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Japanese label shown to users.
            pub fn label_ja(self) -> &'static str {
                match self { $($name::$variant => $ja),+ }
            }

            /// Parses a code, its Japanese label or a listed synonym.
            pub fn parse(text: &str) -> Result<$name, ValidationError> {
                let t = text.trim();
                let lower = t.to_lowercase();
                $(
                    if lower == $code || t == $ja $(|| lower == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                let known: Vec<&str> = $name::ALL.iter().map(|v| v.code()).collect();
                Err(ValidationError::new($field, "unknown_code", format!("'{text}' is not known; use one of {}", known.join(", "))))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

pub(crate) use coded;

coded!(
    /// Administrative sex, as FHIR `Patient.gender`.
    Sex, "sex" {
        Male => "male", "男性", ["m", "男"];
        Female => "female", "女性", ["f", "女"];
        Other => "other", "その他", [];
        Unknown => "unknown", "不明", [];
    }
);

coded!(
    /// 要介護度: the long-term care insurance level.
    CareLevel, "care-level" {
        Support1 => "support-1", "要支援1", ["要支援１", "support1"];
        Support2 => "support-2", "要支援2", ["要支援２", "support2"];
        Care1 => "care-1", "要介護1", ["要介護１", "care1"];
        Care2 => "care-2", "要介護2", ["要介護２", "care2"];
        Care3 => "care-3", "要介護3", ["要介護３", "care3"];
        Care4 => "care-4", "要介護4", ["要介護４", "care4"];
        Care5 => "care-5", "要介護5", ["要介護５", "care5"];
    }
);

coded!(
    /// The kind of substance an allergy is to (FHIR `AllergyIntolerance.category`).
    AllergyCategory, "category" {
        Food => "food", "食物", ["食品"];
        Medication => "medication", "薬剤", ["drug", "医薬品"];
        Environment => "environment", "環境", [];
        Biologic => "biologic", "生物製剤", [];
    }
);

coded!(
    /// How dangerous a reaction could be (FHIR `AllergyIntolerance.criticality`).
    Criticality, "criticality" {
        Low => "low", "低", [];
        High => "high", "高", [];
        UnableToAssess => "unable-to-assess", "評価不能", ["unknown"];
    }
);

coded!(
    /// Clinical status of an allergy or a condition.
    ClinicalStatus, "status" {
        Active => "active", "有効", ["活動性"];
        Inactive => "inactive", "非活動", [];
        Resolved => "resolved", "解決", ["寛解"];
    }
);

coded!(
    /// How a medication is given.
    Route, "route" {
        Oral => "oral", "経口", ["po", "内服"];
        Topical => "topical", "外用", ["貼付"];
        Subcutaneous => "subcutaneous", "皮下注射", ["sc", "皮下"];
        Intravenous => "intravenous", "静脈注射", ["iv", "点滴"];
        Inhalation => "inhalation", "吸入", [];
        Rectal => "rectal", "直腸", ["坐薬"];
        Other => "other", "その他", [];
    }
);

coded!(
    /// Who made a visit, by profession (訪問職種). The report's calendar
    /// marks a therapist's visit ◇; a visit recorded without a profession
    /// was a nurse's.
    Profession, "profession" {
        Nurse => "nurse", "看護師", ["rn", "ns"];
        PublicHealthNurse => "public-health-nurse", "保健師", ["phn"];
        Midwife => "midwife", "助産師", [];
        AssociateNurse => "associate-nurse", "准看護師", ["lpn"];
        PhysicalTherapist => "physical-therapist", "理学療法士", ["pt"];
        OccupationalTherapist => "occupational-therapist", "作業療法士", ["ot"];
        SpeechTherapist => "speech-therapist", "言語聴覚士", ["st"];
    }
);

impl Profession {
    /// 理学療法士, 作業療法士 or 言語聴覚士 (理学療法士等), as opposed to
    /// 保健師, 助産師, 看護師 or 准看護師.
    pub fn is_therapist(self) -> bool {
        matches!(
            self,
            Profession::PhysicalTherapist
                | Profession::OccupationalTherapist
                | Profession::SpeechTherapist
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_japanese_parses() {
        for level in CareLevel::ALL {
            assert_eq!(CareLevel::parse(level.code()), Ok(*level));
            assert_eq!(CareLevel::parse(level.label_ja()), Ok(*level));
        }
        assert_eq!(CareLevel::parse("要介護３"), Ok(CareLevel::Care3));
        assert_eq!(Sex::parse("Male"), Ok(Sex::Male));
        let err = Criticality::parse("extreme").unwrap_err();
        assert_eq!(err.code, "unknown_code");
        assert!(err.message.contains("unable-to-assess"));
    }

    #[test]
    fn professions_parse_and_tell_therapists_from_nurses() {
        let cases = [
            ("看護師", Profession::Nurse, false),
            ("nurse", Profession::Nurse, false),
            ("保健師", Profession::PublicHealthNurse, false),
            ("助産師", Profession::Midwife, false),
            ("准看護師", Profession::AssociateNurse, false),
            ("PT", Profession::PhysicalTherapist, true),
            ("作業療法士", Profession::OccupationalTherapist, true),
            ("st", Profession::SpeechTherapist, true),
        ];
        for (typed, profession, therapist) in cases {
            assert_eq!(Profession::parse(typed), Ok(profession), "{typed}");
            assert_eq!(profession.is_therapist(), therapist, "{typed}");
            assert_eq!(Profession::parse(profession.code()), Ok(profession));
        }
        assert_eq!(Profession::parse("医師").unwrap_err().code, "unknown_code");
    }
}
