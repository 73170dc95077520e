//! The clinical tables: conditions common in home care with their ICD-10
//! codes and usual prescriptions, and common allergies. Prescriptions that
//! would clash with a patient's allergy are never chosen.

use karte_types::{AllergyCategory, Criticality, Route};

/// A condition that changes how a patient's visits look: vital signs, notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Hypertension,
    Diabetes,
    HeartFailure,
    AtrialFibrillation,
    Dementia,
    StrokeSequelae,
    Copd,
    Osteoporosis,
    Parkinson,
    KidneyDisease,
    Dyslipidemia,
    KneeOsteoarthritis,
    PressureUlcer,
    LungCancer,
    GastricCancer,
    Constipation,
    Insomnia,
    Depression,
    HipFracture,
    AspirationPneumonia,
    UrinaryInfection,
}

/// How a condition runs in the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Course {
    /// Present throughout care.
    Chronic,
    /// Over before care began (a healed fracture).
    Past,
    /// An illness during the months of visits, with fever, then resolved.
    Episode,
}

/// Allergies that rule out a class of drugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrugClass {
    BetaLactam,
    Nsaid,
}

#[derive(Debug)]
pub struct Drug {
    pub name: &'static str,
    pub dose: &'static str,
    pub route: Route,
    pub frequency: &'static str,
    pub class: Option<DrugClass>,
}

const fn oral(name: &'static str, dose: &'static str, frequency: &'static str) -> Drug {
    Drug {
        name,
        dose,
        route: Route::Oral,
        frequency,
        class: None,
    }
}

const fn given(
    name: &'static str,
    dose: &'static str,
    route: Route,
    frequency: &'static str,
    class: Option<DrugClass>,
) -> Drug {
    Drug {
        name,
        dose,
        route,
        frequency,
        class,
    }
}

#[derive(Debug)]
pub struct ProblemKind {
    pub problem: Problem,
    pub name: &'static str,
    pub icd10: &'static str,
    /// Share of home-care patients with it, before adjusting for care level.
    pub prevalence: f64,
    pub course: Course,
    /// Notes a nurse might keep on the problem list.
    pub notes: &'static [&'static str],
    /// Alternatives; one (sometimes two) is prescribed.
    pub drugs: &'static [Drug],
}

pub const PROBLEMS: &[ProblemKind] = &[
    ProblemKind {
        problem: Problem::Hypertension,
        name: "高血圧症",
        icd10: "I10",
        prevalence: 0.55,
        course: Course::Chronic,
        notes: &["家庭血圧の記録あり"],
        drugs: &[
            oral("アムロジピン", "5mg", "1日1回 朝食後"),
            oral("オルメサルタン", "20mg", "1日1回 朝食後"),
            oral("カンデサルタン", "8mg", "1日1回 朝食後"),
            oral("アゼルニジピン", "16mg", "1日1回 朝食後"),
        ],
    },
    ProblemKind {
        problem: Problem::Diabetes,
        name: "2型糖尿病",
        icd10: "E11.9",
        prevalence: 0.22,
        course: Course::Chronic,
        notes: &["HbA1c 7%前後で推移", "低血糖症状に注意"],
        drugs: &[
            oral("メトホルミン", "250mg", "1日2回 朝夕食後"),
            oral("シタグリプチン", "50mg", "1日1回 朝食後"),
            oral("リナグリプチン", "5mg", "1日1回 朝食後"),
            given(
                "インスリン グラルギン",
                "8単位",
                Route::Subcutaneous,
                "1日1回 就寝前",
                None,
            ),
        ],
    },
    ProblemKind {
        problem: Problem::HeartFailure,
        name: "慢性心不全",
        icd10: "I50.9",
        prevalence: 0.18,
        course: Course::Chronic,
        notes: &["体重増加2kg/週で主治医へ連絡", "NYHA II度"],
        drugs: &[
            oral("フロセミド", "20mg", "1日1回 朝食後"),
            oral("スピロノラクトン", "25mg", "1日1回 朝食後"),
            oral("カルベジロール", "2.5mg", "1日2回 朝夕食後"),
        ],
    },
    ProblemKind {
        problem: Problem::AtrialFibrillation,
        name: "心房細動",
        icd10: "I48.9",
        prevalence: 0.12,
        course: Course::Chronic,
        notes: &["抗凝固療法中、出血傾向に注意"],
        drugs: &[
            oral("アピキサバン", "2.5mg", "1日2回 朝夕食後"),
            oral("エドキサバン", "30mg", "1日1回 朝食後"),
            oral("ワルファリン", "1mg", "1日1回 夕食後"),
        ],
    },
    ProblemKind {
        problem: Problem::Dementia,
        name: "アルツハイマー型認知症",
        icd10: "G30.9",
        prevalence: 0.33,
        course: Course::Chronic,
        notes: &["服薬は家族が管理", "短期記憶障害あり"],
        drugs: &[
            oral("ドネペジル", "5mg", "1日1回 朝食後"),
            oral("メマンチン", "20mg", "1日1回 夕食後"),
            given(
                "リバスチグミン貼付剤",
                "9mg",
                Route::Topical,
                "1日1回 貼付",
                None,
            ),
        ],
    },
    ProblemKind {
        problem: Problem::StrokeSequelae,
        name: "脳梗塞後遺症",
        icd10: "I69.3",
        prevalence: 0.24,
        course: Course::Chronic,
        notes: &[
            "右片麻痺、移乗は一部介助",
            "左片麻痺、車椅子で生活",
            "構音障害あり",
        ],
        drugs: &[
            oral("クロピドグレル", "75mg", "1日1回 朝食後"),
            given(
                "アスピリン",
                "100mg",
                Route::Oral,
                "1日1回 朝食後",
                Some(DrugClass::Nsaid),
            ),
        ],
    },
    ProblemKind {
        problem: Problem::Copd,
        name: "慢性閉塞性肺疾患",
        icd10: "J44.9",
        prevalence: 0.08,
        course: Course::Chronic,
        notes: &["在宅酸素療法 安静時1L/分", "労作時の息切れあり"],
        drugs: &[given(
            "チオトロピウム吸入液",
            "2.5μg 2吸入",
            Route::Inhalation,
            "1日1回",
            None,
        )],
    },
    ProblemKind {
        problem: Problem::Osteoporosis,
        name: "骨粗鬆症",
        icd10: "M81.9",
        prevalence: 0.25,
        course: Course::Chronic,
        notes: &["転倒に注意"],
        drugs: &[
            oral("アレンドロン酸", "35mg", "週1回 起床時"),
            oral("エルデカルシトール", "0.75μg", "1日1回 朝食後"),
        ],
    },
    ProblemKind {
        problem: Problem::Parkinson,
        name: "パーキンソン病",
        icd10: "G20",
        prevalence: 0.06,
        course: Course::Chronic,
        notes: &["ヤール重症度分類 III度", "すくみ足あり"],
        drugs: &[oral("レボドパ・カルビドパ", "100mg", "1日3回 毎食後")],
    },
    ProblemKind {
        problem: Problem::KidneyDisease,
        name: "慢性腎臓病",
        icd10: "N18.9",
        prevalence: 0.12,
        course: Course::Chronic,
        notes: &["eGFR 40前後", "腎機能に応じて薬剤調整"],
        drugs: &[oral("球形吸着炭", "2g", "1日3回 食間")],
    },
    ProblemKind {
        problem: Problem::Dyslipidemia,
        name: "脂質異常症",
        icd10: "E78.5",
        prevalence: 0.2,
        course: Course::Chronic,
        notes: &[],
        drugs: &[
            oral("ロスバスタチン", "2.5mg", "1日1回 夕食後"),
            oral("アトルバスタチン", "10mg", "1日1回 夕食後"),
        ],
    },
    ProblemKind {
        problem: Problem::KneeOsteoarthritis,
        name: "変形性膝関節症",
        icd10: "M17.9",
        prevalence: 0.2,
        course: Course::Chronic,
        notes: &["両膝痛、歩行器使用"],
        drugs: &[
            given(
                "ロキソプロフェンナトリウムテープ",
                "100mg",
                Route::Topical,
                "1日1回 貼付",
                Some(DrugClass::Nsaid),
            ),
            oral("アセトアミノフェン", "500mg", "疼痛時 1日3回まで"),
        ],
    },
    ProblemKind {
        problem: Problem::PressureUlcer,
        name: "褥瘡",
        icd10: "L89.9",
        prevalence: 0.07,
        course: Course::Chronic,
        notes: &["仙骨部 d2-e1s3i0g1n0p0:5", "右踵部 d1-e0s3i0g0n0p0:3"],
        drugs: &[
            given(
                "スルファジアジン銀クリーム",
                "適量",
                Route::Topical,
                "1日1回 処置時",
                None,
            ),
            given(
                "ブロメライン軟膏",
                "適量",
                Route::Topical,
                "1日1回 処置時",
                None,
            ),
        ],
    },
    ProblemKind {
        problem: Problem::LungCancer,
        name: "肺癌",
        icd10: "C34.9",
        prevalence: 0.04,
        course: Course::Chronic,
        notes: &["緩和ケア中、在宅看取りを希望"],
        drugs: &[oral("オキシコドン徐放錠", "5mg", "1日2回 12時間毎")],
    },
    ProblemKind {
        problem: Problem::GastricCancer,
        name: "胃癌",
        icd10: "C16.9",
        prevalence: 0.03,
        course: Course::Chronic,
        notes: &["緩和ケア中"],
        drugs: &[given(
            "フェンタニル貼付剤",
            "1mg",
            Route::Topical,
            "1日1回 貼付",
            None,
        )],
    },
    ProblemKind {
        problem: Problem::Constipation,
        name: "便秘症",
        icd10: "K59.0",
        prevalence: 0.3,
        course: Course::Chronic,
        notes: &["3日排便なければ坐薬使用"],
        drugs: &[
            oral("酸化マグネシウム", "330mg", "1日3回 毎食後"),
            oral("センノシド", "12mg", "1日1回 就寝前"),
            given(
                "ビサコジル坐薬",
                "10mg",
                Route::Rectal,
                "排便がない時",
                None,
            ),
        ],
    },
    ProblemKind {
        problem: Problem::Insomnia,
        name: "不眠症",
        icd10: "G47.0",
        prevalence: 0.15,
        course: Course::Chronic,
        notes: &[],
        drugs: &[
            oral("レンボレキサント", "5mg", "1日1回 就寝前"),
            oral("ゾルピデム", "5mg", "1日1回 就寝前"),
        ],
    },
    ProblemKind {
        problem: Problem::Depression,
        name: "うつ病",
        icd10: "F32.9",
        prevalence: 0.05,
        course: Course::Chronic,
        notes: &[],
        drugs: &[oral("セルトラリン", "25mg", "1日1回 夕食後")],
    },
    ProblemKind {
        problem: Problem::HipFracture,
        name: "大腿骨頸部骨折",
        icd10: "S72.0",
        prevalence: 0.12,
        course: Course::Past,
        notes: &["人工骨頭置換術後"],
        drugs: &[],
    },
    ProblemKind {
        problem: Problem::AspirationPneumonia,
        name: "誤嚥性肺炎",
        icd10: "J69.0",
        prevalence: 0.07,
        course: Course::Episode,
        notes: &["嚥下評価後、とろみ食へ変更"],
        drugs: &[
            given(
                "セフトリアキソン",
                "1g",
                Route::Intravenous,
                "1日1回 点滴静注",
                Some(DrugClass::BetaLactam),
            ),
            oral("レボフロキサシン", "500mg", "1日1回 朝食後"),
        ],
    },
    ProblemKind {
        problem: Problem::UrinaryInfection,
        name: "尿路感染症",
        icd10: "N39.0",
        prevalence: 0.06,
        course: Course::Episode,
        notes: &[],
        drugs: &[oral("レボフロキサシン", "500mg", "1日1回 朝食後")],
    },
];

#[derive(Debug)]
pub struct Allergen {
    pub substance: &'static str,
    pub category: AllergyCategory,
    pub criticality: Criticality,
    pub reactions: &'static [&'static str],
    pub weight: u32,
    pub rules_out: Option<DrugClass>,
}

const fn allergen(
    substance: &'static str,
    category: AllergyCategory,
    criticality: Criticality,
    reactions: &'static [&'static str],
    weight: u32,
    rules_out: Option<DrugClass>,
) -> Allergen {
    Allergen {
        substance,
        category,
        criticality,
        reactions,
        weight,
        rules_out,
    }
}

use AllergyCategory::{Environment, Food, Medication};
use Criticality::{High, Low};

pub const ALLERGENS: &[Allergen] = &[
    allergen(
        "ペニシリン系抗菌薬",
        Medication,
        High,
        &["蕁麻疹", "呼吸困難", "全身の発疹"],
        10,
        Some(DrugClass::BetaLactam),
    ),
    allergen(
        "セフェム系抗菌薬",
        Medication,
        High,
        &["薬疹", "蕁麻疹"],
        5,
        Some(DrugClass::BetaLactam),
    ),
    allergen(
        "ヨード造影剤",
        Medication,
        High,
        &["アナフィラキシー", "嘔吐、蕁麻疹"],
        6,
        None,
    ),
    allergen(
        "アスピリン",
        Medication,
        High,
        &["喘息発作"],
        3,
        Some(DrugClass::Nsaid),
    ),
    allergen(
        "ロキソプロフェン",
        Medication,
        Low,
        &["蕁麻疹", "顔面浮腫"],
        4,
        Some(DrugClass::Nsaid),
    ),
    allergen("卵", Food, Low, &["蕁麻疹", "口腔内のかゆみ"], 5, None),
    allergen(
        "そば",
        Food,
        High,
        &["アナフィラキシー", "呼吸困難"],
        4,
        None,
    ),
    allergen("エビ・カニ", Food, Low, &["蕁麻疹"], 4, None),
    allergen("牛乳", Food, Low, &["下痢", "腹痛"], 3, None),
    allergen("サバ", Food, Low, &["蕁麻疹", "皮膚のかゆみ"], 3, None),
    allergen("小麦", Food, High, &["蕁麻疹", "呼吸困難"], 2, None),
    allergen(
        "スギ花粉",
        Environment,
        Low,
        &["鼻汁、くしゃみ", "目のかゆみ"],
        6,
        None,
    ),
    allergen(
        "ラテックス",
        Environment,
        High,
        &["接触皮膚炎", "蕁麻疹"],
        2,
        None,
    ),
    allergen(
        "医療用テープ",
        Environment,
        Low,
        &["接触皮膚炎", "発赤、かぶれ"],
        6,
        None,
    ),
    allergen("アルコール綿", Environment, Low, &["発赤"], 3, None),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_has_a_plausible_icd10_code() {
        for kind in PROBLEMS {
            let input = karte_types::ConditionInput {
                name: kind.name.to_owned(),
                icd10: Some(kind.icd10.to_owned()),
                onset: None,
                status: karte_types::ClinicalStatus::Active,
                note: None,
            };
            assert_eq!(input.validate(), Ok(()), "{}", kind.name);
        }
    }

    #[test]
    fn every_problem_with_a_clashing_drug_has_an_alternative() {
        for kind in PROBLEMS {
            if kind.drugs.iter().any(|d| d.class.is_some()) {
                assert!(
                    kind.drugs.iter().any(|d| d.class.is_none()),
                    "{}",
                    kind.name
                );
            }
        }
    }
}
