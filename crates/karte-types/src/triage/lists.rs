//! The coded findings of PAT's later stages (anatomy, mechanism of injury,
//! vulnerable people), each stored in an entry as one string of codes.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// Declares a list of coded findings stored in an entry as one string of
/// comma-separated codes (one clinical fact, so concurrent edits conflict as
/// a whole), each with a Japanese and an English label.
macro_rules! finding_list {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($variant:ident => $code:literal, $ja:literal, $en:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label_ja(self) -> &'static str {
                match self { $($name::$variant => $ja),+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            pub fn parse(text: &str) -> Result<$name, ValidationError> {
                let t = text.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == t.to_lowercase() || v.label_ja() == t)
                    .ok_or_else(|| {
                        let known: Vec<&str> = $name::ALL.iter().map(|v| v.code()).collect();
                        ValidationError::new(
                            $field,
                            "unknown_code",
                            format!("'{text}' is not known; use one of {}", known.join(", ")),
                        )
                    })
            }

            /// Parses a comma-separated list of codes or Japanese labels.
            pub fn parse_list(text: &str) -> Result<Vec<$name>, ValidationError> {
                let mut out = Vec::new();
                for part in text.split([',', '、']).map(str::trim).filter(|p| !p.is_empty()) {
                    out.push($name::parse(part)?);
                }
                out.sort();
                out.dedup();
                Ok(out)
            }
        }
    };
}

finding_list!(
    /// PAT stage 2: anatomical findings that make a person red.
    Anatomy, "anatomy" {
        OpenSkullFracture => "open-skull-fracture", "開放性頭蓋骨陥没骨折", "open or depressed skull fracture";
        DistendedNeckVeins => "distended-neck-veins", "外頸静脈の著しい怒張", "markedly distended external jugular veins";
        SubcutaneousEmphysema => "subcutaneous-emphysema", "頸部または胸部の皮下気腫", "subcutaneous emphysema of the neck or chest";
        FlailChest => "flail-chest", "胸郭動揺・フレイルチェスト", "flail chest";
        OpenPneumothorax => "open-pneumothorax", "開放性気胸", "open pneumothorax";
        AbdominalDistension => "abdominal-distension", "腹部膨隆・腹壁緊張", "distended or rigid abdomen";
        PelvicFracture => "pelvic-fracture", "骨盤骨折", "pelvic fracture";
        BilateralFemurFracture => "bilateral-femur-fracture", "両側大腿骨骨折", "fracture of both femurs";
        Amputation => "amputation", "四肢の切断", "amputation of a limb";
        LimbParalysis => "limb-paralysis", "四肢の麻痺", "paralysis of the limbs";
        PenetratingInjury => "penetrating-injury", "頭頸部・体幹・鼠径部への穿通性外傷", "penetrating injury of the head, neck, trunk or groin";
        Degloving => "degloving", "デグロービング損傷", "degloving injury";
        MajorBurn => "major-burn", "15%以上の熱傷・顔面気道熱傷", "burns of 15 % or more, or of the face and airway";
    }
);

finding_list!(
    /// PAT stage 3: mechanisms of injury that make a person at least yellow.
    Mechanism, "mechanism" {
        TrunkEntrapment => "trunk-entrapment", "体幹部の挟圧", "entrapment of the trunk";
        LimbCrush => "limb-crush", "1肢以上の挟圧（4時間以上）", "crush of a limb or more (4 hours or longer)";
        Explosion => "explosion", "爆発", "explosion";
        FallFromHeight => "fall-from-height", "高所墜落", "fall from a height";
        ExtremeTemperature => "extreme-temperature", "異常温度環境", "exposure to extreme temperature";
        ToxicGas => "toxic-gas", "有毒ガス発生", "toxic gas";
        Contamination => "contamination", "特殊な汚染（NBC）", "special contamination (NBC)";
    }
);

finding_list!(
    /// PAT stage 4: people who need care sooner than their findings say.
    Vulnerable, "vulnerable" {
        Child => "child", "小児", "child";
        Elderly => "elderly", "高齢者", "elderly";
        Pregnant => "pregnant", "妊婦", "pregnant";
        ChronicIllness => "chronic-illness", "基礎疾患のある傷病者", "chronic illness";
        Traveller => "traveller", "旅行者", "traveller";
        Foreigner => "foreigner", "外国人", "foreign national";
    }
);

/// A list of findings stored as one string of codes, e.g.
/// `"flail-chest,pelvic-fracture"`; empty for none.
macro_rules! code_list_serde {
    ($module:ident, $name:ident) => {
        pub(super) mod $module {
            use serde::{Deserialize, Deserializer, Serializer};

            pub fn serialize<S: Serializer>(
                list: &[super::$name],
                s: S,
            ) -> Result<S::Ok, S::Error> {
                let codes: Vec<&str> = list.iter().map(|v| v.code()).collect();
                s.serialize_str(&codes.join(","))
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(
                d: D,
            ) -> Result<Vec<super::$name>, D::Error> {
                let text = Option::<String>::deserialize(d)?.unwrap_or_default();
                super::$name::parse_list(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

code_list_serde!(anatomy_codes, Anatomy);
code_list_serde!(mechanism_codes, Mechanism);
code_list_serde!(vulnerable_codes, Vulnerable);
