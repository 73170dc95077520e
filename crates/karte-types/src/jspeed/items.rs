//! The J-SPEED 2018 item list (一般診療版), as data: the one place the
//! items of the daily report are written. Each item has the stable code a
//! chart stores (never its number, so a correction of the numbering below
//! changes no chart), its number on the paper form, its group, its words in
//! Japanese and English, and the WHO EMT MDS item it is reported under.
//!
//! Sources:
//! - 災害時の診療録のあり方に関する合同委員会, 災害診療記録2018 / J-SPEED2018
//!   (一般診療版), via <https://www.j-speed.org/kunren> and
//!   <https://www.j-speed.org/kunren/kinkyu> (seen 2026-12): the forms
//!   were updated from the 2015 edition on 2019-04-01; No.16 発熱 is
//!   reported at 37.5 ℃ or over; No.58–60 are 追加症候群 that the
//!   headquarters assigns (for example 58 咳嗽, 59 鼻汁, 60 息切れ・呼吸苦, or
//!   58 熱中症).
//! - WHO, Classification and Minimum Standards for Emergency Medical Teams
//!   (2021), Annex: Emergency Medical Team Minimum Data Set (MDS, 2017,
//!   developed from J-SPEED): items 1–3 sex and pregnancy by age group
//!   (< 1, 1–4, 5–64, 65+), 4–8 trauma, 9–18 infectious disease, 19–25
//!   other diagnoses, 26–31 procedures and obstetrics, 32–39 outcomes,
//!   40–46 relation to the event and protection.
//!
//! **Uncertain:** only the numbers 16 and 58–60 are confirmed by the
//! sources above (`number_confirmed`). The other numbers are this list's
//! own order, grouped as the MDS groups them; the full numbered 2018 form
//! was not available when the list was written. Check them against the
//! printed J-SPEED2018 form before a team reports by number, and correct
//! them here only: charts store the codes. The MDS item of each entry
//! follows the MDS's wording; MDS 31 and 39 have no item here and are
//! left empty in the CSV, not counted as 0.

use super::JSpeedGroup::{self, *};

/// One item of the tick list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JSpeedItem {
    /// The number on the paper form (see the note on uncertainty above).
    pub number: u8,
    /// Whether a source confirms `number`.
    pub number_confirmed: bool,
    /// What a chart stores.
    pub code: &'static str,
    pub group: JSpeedGroup,
    pub ja: &'static str,
    pub en: &'static str,
    /// The WHO EMT MDS item it is reported under, if any.
    pub mds: Option<u8>,
}

const fn item(
    number: u8,
    code: &'static str,
    group: JSpeedGroup,
    ja: &'static str,
    en: &'static str,
    mds: Option<u8>,
) -> JSpeedItem {
    JSpeedItem {
        number,
        number_confirmed: matches!(number, 16 | 58 | 59 | 60),
        code,
        group,
        ja,
        en,
        mds,
    }
}

/// The items, in the order of the form.
#[rustfmt::skip]
pub const JSPEED_2018: &[JSpeedItem] = &[
    item(1, "major-head-spine-injury", Trauma, "頭頸部・脊椎の重症外傷", "major head or spine injury", Some(4)),
    item(2, "major-torso-injury", Trauma, "体幹の重症外傷", "major torso injury", Some(5)),
    item(3, "major-extremity-injury", Trauma, "四肢の重症外傷", "major extremity injury", Some(6)),
    item(4, "moderate-injury", Trauma, "中等症外傷", "moderate injury", Some(7)),
    item(5, "minor-injury", Trauma, "軽症外傷", "minor injury", Some(8)),
    item(6, "burn", Trauma, "熱傷", "burn", None),
    item(7, "crush-syndrome", Trauma, "クラッシュ症候群", "crush syndrome", None),
    item(8, "acute-respiratory-infection", Infection, "急性呼吸器感染症", "acute respiratory infection", Some(9)),
    item(9, "acute-watery-diarrhoea", Infection, "急性水様性下痢", "acute watery diarrhoea", Some(10)),
    item(10, "acute-bloody-diarrhoea", Infection, "急性血性下痢", "acute bloody diarrhoea", Some(11)),
    item(11, "acute-jaundice", Infection, "急性黄疸症候群", "acute jaundice syndrome", Some(12)),
    item(12, "suspected-measles", Infection, "麻疹疑い", "suspected measles", Some(13)),
    item(13, "suspected-meningitis", Infection, "髄膜炎疑い", "suspected meningitis", Some(14)),
    item(14, "suspected-tetanus", Infection, "破傷風疑い", "suspected tetanus", Some(15)),
    item(15, "acute-flaccid-paralysis", Infection, "急性弛緩性麻痺", "acute flaccid paralysis", Some(16)),
    item(16, "fever", Infection, "発熱（37.5℃以上）", "fever (37.5 °C or over)", Some(18)),
    item(17, "acute-haemorrhagic-fever", Infection, "急性出血熱", "acute haemorrhagic fever", Some(17)),
    item(18, "surgical-emergency", Other, "外科的緊急疾患（外傷以外）", "surgical emergency (non-trauma)", Some(19)),
    item(19, "medical-emergency", Other, "内科的緊急疾患（感染症以外）", "medical emergency (non-infectious)", Some(20)),
    item(20, "skin-disease", Other, "皮膚疾患", "skin disease", Some(21)),
    item(21, "acute-mental-health", Other, "急性の精神保健上の問題", "acute mental health problem", Some(22)),
    item(22, "obstetric-complication", Other, "産科合併症", "obstetric complication", Some(23)),
    item(23, "severe-acute-malnutrition", Other, "重症急性栄養失調", "severe acute malnutrition", Some(24)),
    item(24, "hypertension", Other, "高血圧", "hypertension", None),
    item(25, "asthma-attack", Other, "喘息発作", "asthma attack", None),
    item(26, "suspected-dvt", Other, "深部静脈血栓症疑い（エコノミークラス症候群）", "suspected deep vein thrombosis", None),
    item(27, "heat-illness", Other, "熱中症", "heat illness", None),
    item(28, "hypothermia", Other, "低体温症", "hypothermia", None),
    item(29, "insomnia", Other, "不眠", "insomnia", None),
    item(30, "treatment-interrupted", Other, "治療中断（薬の不足を含む）", "treatment interrupted (medicines run out)", None),
    item(31, "other-diagnosis", Other, "その他の疾患", "other diagnosis", Some(25)),
    item(32, "major-procedure", Procedure, "大手術（四肢切断を除く）", "major procedure (excluding amputation)", Some(26)),
    item(33, "limb-amputation", Procedure, "四肢切断", "limb amputation", Some(27)),
    item(34, "minor-procedure", Procedure, "小処置", "minor surgical procedure", Some(28)),
    item(35, "vaginal-delivery", Procedure, "経腟分娩", "normal vaginal delivery", Some(29)),
    item(36, "caesarean-section", Procedure, "帝王切開", "caesarean section", Some(30)),
    item(37, "discharge-no-follow-up", Outcome, "診療終了（フォロー不要）", "discharged without follow-up", Some(32)),
    item(38, "discharge-follow-up", Outcome, "継続診療（フォロー要）", "discharged with follow-up", Some(33)),
    item(39, "admission", Outcome, "入院", "admitted", Some(34)),
    item(40, "referral", Outcome, "搬送・紹介", "referred or transferred", Some(35)),
    item(41, "dead-on-arrival", Outcome, "来院時死亡", "dead on arrival", Some(36)),
    item(42, "death-in-facility", Outcome, "診療中の死亡", "died in the facility", Some(37)),
    item(43, "left-against-advice", Outcome, "自己退去", "left against medical advice", Some(38)),
    item(44, "directly-related", Relation, "災害との直接の関連あり", "directly related to the event", Some(40)),
    item(45, "indirectly-related", Relation, "災害との間接的な関連あり", "indirectly related to the event", Some(41)),
    item(46, "not-related", Relation, "災害との関連なし", "not related to the event", Some(42)),
    item(47, "vulnerable-child", Protection, "要保護児童", "child protection concern", Some(43)),
    item(48, "vulnerable-adult", Protection, "要保護成人", "vulnerable adult", Some(44)),
    item(49, "sexual-gender-based-violence", Protection, "性暴力・ジェンダーに基づく暴力", "sexual or gender-based violence", Some(45)),
    item(50, "other-violence", Protection, "暴力（性暴力以外）", "violence (other than sexual)", Some(46)),
    item(58, "additional-58", Additional, "追加症候群58（本部指定、例: 咳嗽）", "additional syndrome 58 (set by headquarters, e.g. cough)", None),
    item(59, "additional-59", Additional, "追加症候群59（本部指定、例: 鼻汁）", "additional syndrome 59 (set by headquarters, e.g. runny nose)", None),
    item(60, "additional-60", Additional, "追加症候群60（本部指定、例: 息切れ・呼吸苦）", "additional syndrome 60 (set by headquarters, e.g. breathlessness)", None),
];

/// The WHO EMT MDS items 4–46 a report has columns for.
pub const MDS_ITEMS: std::ops::RangeInclusive<u8> = 4..=46;
