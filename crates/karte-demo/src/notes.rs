//! SOAP notes in the words of Japanese home-care records, composed from phrase
//! tables and the visit's findings: what the patient or family said (S), what
//! the nurse saw (O), her assessment (A) and plan (P).

use karte_types::Soap;

use crate::chance::{Dice, between, chance, one, some};
use crate::clinical::Problem;
use crate::vitals::Findings;

/// What patients say on an ordinary day.
const SAID: &[&str] = &[
    "夜間よく眠れた",
    "特に変わりないです",
    "食事はおいしく食べられている",
    "今日は調子がいい",
    "少し疲れやすい",
    "最近食欲が落ちている",
    "夜中に2回トイレに起きた",
    "デイサービスが楽しみ",
    "天気が悪いと体が重い",
];

/// What families say for patients who cannot tell themselves.
const FAMILY_SAID: &[&str] = &[
    "薬はきちんと飲めている",
    "食事は半分くらい食べた",
    "夜は穏やかに眠っていた",
    "水分があまり進まない",
    "昨日は入浴できた",
];

const SEEN: &[&str] = &[
    "顔色良好",
    "表情穏やか",
    "皮膚乾燥あり",
    "腹部膨満なし、腸蠕動音良好",
    "呼吸音清明、副雑音なし",
    "口腔内清潔",
    "四肢冷感なし",
];

const STABLE: &[&str] = &[
    "全身状態安定",
    "著変なし、在宅療養継続可能",
    "バイタルサイン安定",
    "前回訪問時と比べ大きな変化なし",
];

const ROUTINE: &[&str] = &[
    "現在のケアを継続",
    "次回訪問時に再評価",
    "服薬確認を継続",
    "入浴介助実施",
    "足浴実施",
    "下肢筋力訓練を実施",
];

/// Phrases that belong to a condition: (said, seen, plan).
fn problem_phrases(
    problem: Problem,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
) {
    use Problem::*;
    match problem {
        HeartFailure => (
            &["足がむくむ感じがする", "横になると少し息苦しい"],
            &[
                "下肢浮腫軽度",
                "両下腿に圧痕性浮腫あり",
                "体重は前回より+0.6kg",
            ],
            &["体重測定を毎日行うよう説明", "塩分・水分制限を再確認"],
        ),
        KneeOsteoarthritis => (
            &["膝が痛くて歩くのがつらい", "湿布を貼ると楽になる"],
            &["右膝関節に腫脹なし、歩行器で室内歩行"],
            &["膝周囲筋の運動を指導"],
        ),
        Constipation => (
            &["便が3日出ていない", "お通じは毎日ある"],
            &["腹部やや膨満、腸蠕動音弱い"],
            &["腹部マッサージ実施", "水分摂取を促す"],
        ),
        Copd => (
            &["階段で息が切れる", "痰が少し出る"],
            &["呼気延長あり", "口すぼめ呼吸あり"],
            &["在宅酸素の流量と使用状況を確認", "呼吸リハビリを実施"],
        ),
        Dementia => (
            &["ここはどこかね"],
            &["会話のつじつまが合わない場面あり", "同じ質問を繰り返す"],
            &["家族の介護負担に配慮し、ショートステイ利用を提案"],
        ),
        StrokeSequelae => (
            &["手が動かしにくい"],
            &["麻痺側上下肢の状態に変化なし", "端座位保持可能"],
            &["関節可動域訓練を実施"],
        ),
        Parkinson => (
            &["朝は体が動きにくい"],
            &["安静時振戦あり", "すくみ足は前回と同程度"],
            &["服薬時間を守るよう説明"],
        ),
        PressureUlcer => (
            &[],
            &["仙骨部褥瘡、滲出液少量、肉芽良好", "創周囲の発赤軽減"],
            &["褥瘡処置継続、2時間毎の体位変換を家族に再指導"],
        ),
        Diabetes => (
            &["甘いものを控えている"],
            &["足趾に傷なし"],
            &["低血糖症状と対処法を再確認"],
        ),
        LungCancer | GastricCancer => (
            &[
                "痛みは頓服でおさまっている",
                "だるくて横になっていることが多い",
            ],
            &["傾眠傾向あり", "経口摂取量減少"],
            &["疼痛時のレスキュー使用状況を確認"],
        ),
        Insomnia => (&["寝つきが悪い"], &[], &[]),
        _ => (&[], &[], &[]),
    }
}

/// The note of one visit. `illness` is the infection behind a fever episode,
/// if the chart records one; `talks` is false for patients whose family
/// speaks for them.
pub fn soap(
    dice: &mut Dice,
    problems: &[Problem],
    illness: Option<Problem>,
    findings: &Findings,
    talks: bool,
) -> Soap {
    let mut said = Sentences::default();
    let mut seen = Sentences::default();
    let mut assessed = Sentences::default();
    let mut planned = Sentences::default();

    // One of the patient's conditions colours most visits.
    let focus = (!problems.is_empty() && chance(dice, 0.6)).then(|| one(dice, problems));
    let (focus_said, focus_seen, focus_plan) =
        focus.map_or((&[][..], &[][..], &[][..]), problem_phrases);

    let words = if findings.fever.is_some() && !findings.recovering {
        if talks {
            "昨日から体がだるい、熱っぽい"
        } else {
            "昨夜から熱っぽく、食事が進まない"
        }
    } else if talks && !focus_said.is_empty() && chance(dice, 0.6) {
        one(dice, focus_said)
    } else if talks {
        one(dice, SAID)
    } else {
        one(dice, FAMILY_SAID)
    };
    if talks {
        said.add(format_args!("「{words}」と話す"));
    } else {
        said.add(format_args!("家族より「{words}」"));
    }

    if let Some(t) = findings.fever {
        seen.add(format_args!("体温{t:.1}℃"));
        seen.add(match illness {
            Some(Problem::AspirationPneumonia) => "痰がらみあり、右下肺野で副雑音聴取",
            Some(Problem::UrinaryInfection) => "尿混濁あり、下腹部の不快感あり",
            _ => one(dice, &["咽頭発赤軽度", "悪寒なし", "咳嗽なし"]),
        });
        assessed.add(match illness {
            _ if findings.recovering => "解熱傾向、引き続き感染徴候に注意",
            Some(Problem::AspirationPneumonia) => "誤嚥性肺炎の疑い",
            Some(Problem::UrinaryInfection) => "尿路感染症の疑い",
            _ => "発熱あり、感染徴候に注意が必要",
        });
        planned.add(if illness.is_some() && !findings.recovering {
            "主治医に報告、抗菌薬開始の指示あり"
        } else {
            "主治医に報告し指示を確認"
        });
        planned.add("水分摂取を促す");
    }
    if let Some((s, d)) = findings.high_bp {
        seen.add(format_args!("血圧{s}/{d}mmHgとやや高値"));
        assessed.add("血圧高め、服薬状況の確認が必要");
        planned.add(one(
            dice,
            &["家庭血圧の記録を依頼", "主治医に血圧の推移を報告"],
        ));
    }
    if let Some(s) = findings.low_spo2 {
        seen.add(format_args!("SpO2 {s}%"));
        assessed.add("酸素化低下傾向、呼吸状態の観察継続");
        planned.add("体位を整え、呼吸状態を再評価");
    }
    if findings.fast_pulse {
        seen.add("脈拍やや速い");
    }
    if let Some(p) = findings.pain {
        seen.add(format_args!("疼痛 NRS {p}"));
        assessed.add("疼痛コントロール不十分");
        planned.add("主治医に鎮痛薬の調整を相談");
    }
    if !focus_seen.is_empty() {
        seen.add(one(dice, focus_seen));
    }
    // An observation is always written, if only the patient's colour.
    let general = between(dice, i64::from(seen.0.is_empty()), 2) as usize;
    for phrase in some(dice, SEEN, general) {
        seen.add(phrase);
    }
    if assessed.0.is_empty() {
        assessed.add(one(dice, STABLE));
    }
    if !focus_plan.is_empty() && chance(dice, 0.5) {
        planned.add(one(dice, focus_plan));
    }
    if planned.0.is_empty() || chance(dice, 0.3) {
        planned.add(one(dice, ROUTINE));
    }

    Soap {
        subjective: chance(dice, 0.95).then_some(said.0),
        objective: Some(seen.0),
        assessment: chance(dice, 0.95).then_some(assessed.0),
        plan: chance(dice, 0.95).then_some(planned.0),
    }
}

/// One part of a note: phrases written as sentences, each closed by 。.
struct Sentences(String);

impl Default for Sentences {
    fn default() -> Self {
        // Room for a few sentences of three-byte characters without regrowing.
        Sentences(String::with_capacity(160))
    }
}

impl Sentences {
    fn add(&mut self, phrase: impl std::fmt::Display) {
        use std::fmt::Write;
        write!(self.0, "{phrase}。").expect("writing to a String cannot fail");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn fever_is_written_into_every_part_of_the_note() {
        let mut dice = Dice::seed_from_u64(5);
        let findings = Findings {
            fever: Some(38.2),
            ..Findings::default()
        };
        let note = soap(&mut dice, &[Problem::Hypertension], None, &findings, true);
        assert!(note.objective.unwrap().contains("体温38.2℃"));
        if let Some(a) = note.assessment {
            assert!(a.contains("発熱"), "{a}");
        }
    }

    #[test]
    fn patients_who_cannot_talk_are_spoken_for() {
        let mut dice = Dice::seed_from_u64(5);
        for _ in 0..50 {
            let note = soap(
                &mut dice,
                &[Problem::Dementia],
                None,
                &Findings::default(),
                false,
            );
            if let Some(s) = &note.subjective {
                assert!(s.starts_with("家族より「"), "{s}");
            }
            assert!(note.objective.is_some_and(|o| o.ends_with('。')));
        }
    }
}
