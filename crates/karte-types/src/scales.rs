//! Scales a nurse records at a visit and follows over time: 障害高齢者の日常生活
//! 自立度 (寝たきり度), 認知症高齢者の日常生活自立度, the Barthel Index and
//! DESIGN-R 2020 for each pressure ulcer. Each is checked here, with the rules
//! the core enforces, and reads and prints in the notation of Japanese forms.
//!
//! DESIGN-R 2020 (日本褥瘡学会): depth (D) is recorded but not scored; the total
//! is the sum of exudate (E), size (S), inflammation/infection (I),
//! granulation (G), necrotic tissue (N) and pocket (P), 0–66, written like
//! `D3-e1s6i0g3n3p0:13`. A letter is upper case for the severe grades.

use serde::{Deserialize, Serialize};

use crate::{EntryId, EntryMeta, Timestamp, ValidationError, ValidationErrors};

/// Defines a graded value stored and printed as its code (`J1`, `IIa`,
/// `D3`): its variants with code, Japanese label and other words accepted
/// on input. Codes and words match whatever their case.
macro_rules! graded {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($(#[$vdoc:meta])* $variant:ident => $code:literal, $ja:literal, [$($alias:literal),*];)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vdoc])* #[serde(rename = $code)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code stored in the chart and printed on forms, e.g. `J1`.
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
                $(
                    if t.eq_ignore_ascii_case($code) || t == $ja $(|| t.eq_ignore_ascii_case($alias))* {
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

pub(crate) use graded;

graded!(
    /// 障害高齢者の日常生活自立度 (寝たきり度): J (生活自立), A (準寝たきり),
    /// B and C (寝たきり), each in two grades.
    BedriddenGrade, "bedridden" {
        J1 => "J1", "J1", [];
        J2 => "J2", "J2", [];
        A1 => "A1", "A1", [];
        A2 => "A2", "A2", [];
        B1 => "B1", "B1", [];
        B2 => "B2", "B2", [];
        C1 => "C1", "C1", [];
        C2 => "C2", "C2", [];
    }
);

graded!(
    /// 認知症高齢者の日常生活自立度: 自立, Ⅰ, Ⅱa, Ⅱb, Ⅲa, Ⅲb, Ⅳ, M.
    DementiaGrade, "dementia" {
        Independent => "independent", "自立", ["none", "0"];
        Rank1 => "I", "Ⅰ", ["1"];
        Rank2a => "IIa", "Ⅱa", ["2a", "ⅱa", "Ⅱa"];
        Rank2b => "IIb", "Ⅱb", ["2b", "ⅱb", "Ⅱb"];
        Rank3a => "IIIa", "Ⅲa", ["3a", "ⅲa", "Ⅲa"];
        Rank3b => "IIIb", "Ⅲb", ["3b", "ⅲb", "Ⅲb"];
        Rank4 => "IV", "Ⅳ", ["4"];
        M => "M", "M", [];
    }
);

/// The Barthel Index: ten activities of daily living, each scored in steps
/// of 5 up to its own maximum; 0–100 in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Barthel {
    /// 食事: 10, 5, 0.
    pub feeding: u8,
    /// 車椅子からベッドへの移動: 15, 10, 5, 0.
    pub transfer: u8,
    /// 整容: 5, 0.
    pub grooming: u8,
    /// トイレ動作: 10, 5, 0.
    pub toilet: u8,
    /// 入浴: 5, 0.
    pub bathing: u8,
    /// 歩行 (or 車椅子操作): 15, 10, 5, 0.
    pub mobility: u8,
    /// 階段昇降: 10, 5, 0.
    pub stairs: u8,
    /// 着替え: 10, 5, 0.
    pub dressing: u8,
    /// 排便コントロール: 10, 5, 0.
    pub bowels: u8,
    /// 排尿コントロール: 10, 5, 0.
    pub bladder: u8,
}

/// Each Barthel item: its field name, Japanese label and allowed scores.
pub const BARTHEL_ITEMS: [(&str, &str, &[u8]); 10] = [
    ("feeding", "食事", &[0, 5, 10]),
    ("transfer", "移乗", &[0, 5, 10, 15]),
    ("grooming", "整容", &[0, 5]),
    ("toilet", "トイレ動作", &[0, 5, 10]),
    ("bathing", "入浴", &[0, 5]),
    ("mobility", "歩行", &[0, 5, 10, 15]),
    ("stairs", "階段昇降", &[0, 5, 10]),
    ("dressing", "着替え", &[0, 5, 10]),
    ("bowels", "排便コントロール", &[0, 5, 10]),
    ("bladder", "排尿コントロール", &[0, 5, 10]),
];

impl Barthel {
    /// The scores in the order of [`BARTHEL_ITEMS`].
    pub fn scores(&self) -> [u8; 10] {
        [
            self.feeding,
            self.transfer,
            self.grooming,
            self.toilet,
            self.bathing,
            self.mobility,
            self.stairs,
            self.dressing,
            self.bowels,
            self.bladder,
        ]
    }

    /// Scores in the order of [`BARTHEL_ITEMS`].
    pub fn from_scores(s: [u8; 10]) -> Barthel {
        Barthel {
            feeding: s[0],
            transfer: s[1],
            grooming: s[2],
            toilet: s[3],
            bathing: s[4],
            mobility: s[5],
            stairs: s[6],
            dressing: s[7],
            bowels: s[8],
            bladder: s[9],
        }
    }

    /// 0–100.
    pub fn total(&self) -> u8 {
        self.scores()
            .iter()
            .map(|s| u16::from(*s))
            .sum::<u16>()
            .min(255) as u8
    }

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        for ((field, label, allowed), score) in BARTHEL_ITEMS.iter().zip(self.scores()) {
            if !allowed.contains(&score) {
                errors.push(not_allowed(field, label, score, allowed));
            }
        }
        errors.into_result()
    }

    /// Parses the ten scores in the order of [`BARTHEL_ITEMS`], separated by
    /// commas or spaces (`10,15,5,10,5,15,10,10,10,10`), or as `item=score`
    /// pairs naming every item (`feeding=10,transfer=15,…`).
    pub fn parse(text: &str) -> Result<Barthel, ValidationErrors> {
        let parts: Vec<&str> = text
            .split([',', ' ', '、'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let malformed = || {
            ValidationErrors(vec![ValidationError::new(
                "barthel",
                "malformed",
                format!(
                    "'{text}' is not a Barthel Index: give the ten scores in the order {}, e.g. 10,15,5,10,5,15,10,10,10,10",
                    BARTHEL_ITEMS.map(|i| i.0).join(",")
                ),
            )])
        };
        let mut scores = [None; 10];
        if parts.len() != 10 {
            return Err(malformed());
        }
        for (i, part) in parts.iter().enumerate() {
            let (slot, score) = match part.split_once('=') {
                Some((name, score)) => (
                    BARTHEL_ITEMS
                        .iter()
                        .position(|item| item.0 == name.trim())
                        .ok_or_else(malformed)?,
                    score,
                ),
                None => (i, *part),
            };
            if scores[slot].is_some() {
                return Err(malformed());
            }
            scores[slot] = Some(score.trim().parse::<u8>().map_err(|_| malformed())?);
        }
        let scores = scores.map(|s| s.unwrap_or_default());
        let barthel = Barthel::from_scores(scores);
        barthel.validate()?;
        Ok(barthel)
    }
}

fn not_allowed(field: &str, label: &str, score: u8, allowed: &[u8]) -> ValidationError {
    let allowed: Vec<String> = allowed.iter().map(u8::to_string).collect();
    ValidationError::new(
        field,
        "not_allowed",
        format!(
            "{label} ({field}) cannot score {score}; it scores one of {}",
            allowed.join(", ")
        ),
    )
}

graded!(
    /// DESIGN-R 2020 depth (D), recorded but not counted in the total.
    DesignDepth, "depth" {
        D0 => "d0", "d0 皮膚損傷・発赤なし", [];
        D1 => "d1", "d1 持続する発赤", [];
        D2 => "d2", "d2 真皮までの損傷", [];
        D3 => "D3", "D3 皮下組織までの損傷", [];
        D4 => "D4", "D4 皮下組織を越える損傷", [];
        D5 => "D5", "D5 関節腔、体腔に至る損傷", [];
        /// 深部損傷褥瘡 (DTI) 疑い.
        Dti => "DDTI", "DDTI 深部損傷褥瘡(DTI)疑い", [];
        /// 壊死組織で覆われ深さの判定が不能.
        Unstageable => "DU", "DU 深さ判定不能", [];
    }
);

impl DesignDepth {
    /// Whether the wound reaches below the dermis (D3 and deeper, and a
    /// suspected deep-tissue injury or an unstageable wound, which are).
    pub fn beyond_dermis(self) -> bool {
        !matches!(self, DesignDepth::D0 | DesignDepth::D1 | DesignDepth::D2)
    }
}

graded!(
    /// DESIGN-R 2020 inflammation/infection (I). I3C (臨界的定着疑い) and I3
    /// score alike and are told apart by their code.
    DesignInflammation, "inflammation" {
        I0 => "i0", "i0 局所の炎症徴候なし", [];
        I1 => "i1", "i1 局所の炎症徴候あり", [];
        /// 臨界的定着疑い.
        I3c => "I3C", "I3C 臨界的定着疑い", [];
        I3 => "I3", "I3 局所の明らかな感染徴候あり", [];
        I9 => "I9", "I9 全身的影響あり", [];
    }
);

impl DesignInflammation {
    pub fn score(self) -> u8 {
        match self {
            DesignInflammation::I0 => 0,
            DesignInflammation::I1 => 1,
            DesignInflammation::I3c | DesignInflammation::I3 => 3,
            DesignInflammation::I9 => 9,
        }
    }
}

/// Allowed scores of the DESIGN-R 2020 items scored by number, with the
/// lowest score written in upper case (from there on the grade is severe).
pub const DESIGN_R_SCORED: [(&str, char, &[u8], u8); 5] = [
    ("exudate", 'e', &[0, 1, 3, 6], 6),
    ("size", 's', &[0, 3, 6, 8, 9, 12, 15], 15),
    ("granulation", 'g', &[0, 1, 3, 4, 5, 6], 4),
    ("necrosis", 'n', &[0, 3, 6], 3),
    ("pocket", 'p', &[0, 6, 9, 12, 24], 6),
];

/// One DESIGN-R 2020 assessment of one pressure ulcer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignR {
    /// Which wound, as the station names it (部位), e.g. 仙骨部.
    pub wound: String,
    pub depth: DesignDepth,
    /// Exudate (E): 0, 1, 3, 6.
    pub exudate: u8,
    /// Size (S): 0, 3, 6, 8, 9, 12, 15 (long axis × short axis, cm²).
    pub size: u8,
    pub inflammation: DesignInflammation,
    /// Granulation (G): 0, 1, 3, 4, 5, 6.
    pub granulation: u8,
    /// Necrotic tissue (N): 0, 3, 6.
    pub necrosis: u8,
    /// Pocket (P): 0, 6, 9, 12, 24.
    pub pocket: u8,
}

impl DesignR {
    fn numbered(&self) -> [u8; 5] {
        [
            self.exudate,
            self.size,
            self.granulation,
            self.necrosis,
            self.pocket,
        ]
    }

    /// The total, 0–66: every item but depth.
    /// Summed wide and clamped, as `Barthel::total`: a merged entry with
    /// scores out of range must not overflow.
    pub fn total(&self) -> u8 {
        (self.numbered().iter().map(|s| u16::from(*s)).sum::<u16>()
            + u16::from(self.inflammation.score()))
        .min(255) as u8
    }

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if self.wound.trim().is_empty() {
            errors.push(ValidationError::new(
                "wound",
                "required",
                "name the wound (its site), e.g. 仙骨部",
            ));
        }
        for ((field, _, allowed, _), score) in DESIGN_R_SCORED.iter().zip(self.numbered()) {
            if !allowed.contains(&score) {
                errors.push(not_allowed(field, field, score, allowed));
            }
        }
        errors.into_result()
    }

    /// The notation of the form, e.g. `D3-e1s6i0g3n3p0:13`.
    pub fn notation(&self) -> String {
        let [e, s, g, n, p] = self.numbered();
        let letter = |i: usize, score: u8| {
            let (_, letter, _, severe) = DESIGN_R_SCORED[i];
            let letter = if score >= severe {
                letter.to_ascii_uppercase()
            } else {
                letter
            };
            format!("{letter}{score}")
        };
        format!(
            "{}-{}{}{}{}{}{}:{}",
            self.depth,
            letter(0, e),
            letter(1, s),
            self.inflammation,
            letter(2, g),
            letter(3, n),
            letter(4, p),
            self.total()
        )
    }

    /// Reads the notation of the form (`D3-e1s6i0g3n3p0:13`, letters in
    /// any case, the total optional but checked when given) for `wound`.
    pub fn parse(wound: &str, text: &str) -> Result<DesignR, ValidationErrors> {
        let malformed = || {
            ValidationErrors(vec![ValidationError::new(
                "design-r",
                "malformed",
                format!(
                    "'{text}' is not a DESIGN-R 2020 score: write it like D3-e1s6i0g3n3p0:13 (depth, then E S I G N P; the total after ':' is optional)"
                ),
            )])
        };
        let t = text.trim();
        let (body, total) = match t.split_once(':') {
            Some((body, total)) => (body, Some(total.trim())),
            None => (t, None),
        };
        let (depth, items) = body.split_once('-').ok_or_else(malformed)?;
        let depth = DesignDepth::parse(depth).map_err(|e| ValidationErrors(vec![e]))?;
        // Items: a letter, then digits; inflammation may be I3C.
        let mut rest = items.trim();
        let mut next = |letter: char| -> Option<String> {
            let mut chars = rest.chars();
            let first = chars.next()?;
            if !first.eq_ignore_ascii_case(&letter) {
                return None;
            }
            let digits: String = chars.clone().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                return None;
            }
            let mut used = 1 + digits.len();
            let mut code = format!("{letter}{digits}");
            if letter == 'i' && rest[used..].starts_with(['c', 'C']) {
                used += 1;
                code.push('C');
            }
            rest = &rest[used..];
            Some(code)
        };
        let mut number = |letter: char| -> Result<u8, ValidationErrors> {
            next(letter)
                .and_then(|code| code[1..].parse().ok())
                .ok_or_else(malformed)
        };
        let exudate = number('e')?;
        let size = number('s')?;
        let inflammation = next('i').ok_or_else(malformed)?;
        let inflammation =
            DesignInflammation::parse(&inflammation).map_err(|e| ValidationErrors(vec![e]))?;
        let mut number = |letter: char| -> Result<u8, ValidationErrors> {
            next(letter)
                .and_then(|code| code[1..].parse().ok())
                .ok_or_else(malformed)
        };
        let granulation = number('g')?;
        let necrosis = number('n')?;
        let pocket = number('p')?;
        if !rest.is_empty() {
            return Err(malformed());
        }
        let design = DesignR {
            wound: wound.trim().to_owned(),
            depth,
            exudate,
            size,
            inflammation,
            granulation,
            necrosis,
            pocket,
        };
        design.validate()?;
        if let Some(total) = total {
            let given: u8 = total.parse().map_err(|_| malformed())?;
            if given != design.total() {
                return Err(ValidationErrors(vec![ValidationError::new(
                    "design-r",
                    "wrong_total",
                    format!(
                        "the items of '{text}' add up to {}, not {given} (depth is not counted)",
                        design.total()
                    ),
                )]));
            }
        }
        Ok(design)
    }
}

/// One scale as recorded, of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Scale {
    /// 障害高齢者の日常生活自立度.
    Bedridden {
        grade: BedriddenGrade,
    },
    /// 認知症高齢者の日常生活自立度.
    Dementia {
        grade: DementiaGrade,
    },
    Barthel(Barthel),
    /// DESIGN-R 2020 of one wound.
    DesignR(DesignR),
    /// Disaster mode: the J-SPEED tick sheet of a consultation (the visit
    /// it was recorded with), counted in the daily report.
    #[serde(rename = "jspeed")]
    JSpeed(crate::JSpeedSheet),
}

impl Scale {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        match self {
            Scale::Bedridden { .. } | Scale::Dementia { .. } => Ok(()),
            Scale::Barthel(barthel) => barthel.validate(),
            Scale::DesignR(design) => design.validate(),
            Scale::JSpeed(sheet) => sheet.validate(),
        }
    }

    /// The value as a form prints it: `J2`, `IIa`, `Barthel 85`, `仙骨部 D3-e1s6i0g3n3p0:13`.
    pub fn summary(&self) -> String {
        match self {
            Scale::Bedridden { grade } => grade.to_string(),
            Scale::Dementia { grade } => grade.to_string(),
            Scale::Barthel(b) => format!("{}", b.total()),
            Scale::DesignR(d) => format!("{} {}", d.wound, d.notation()),
            Scale::JSpeed(sheet) => {
                let numbers: Vec<String> = sheet
                    .items
                    .items()
                    .iter()
                    .map(|i| i.number.to_string())
                    .collect();
                format!(
                    "J-SPEED {} ({} / {})",
                    numbers.join(","),
                    sheet.team,
                    sheet.site
                )
            }
        }
    }
}

/// A scale recorded at a visit: an entry of the chart's `assessments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentInput {
    /// When it was assessed.
    pub at: Timestamp,
    /// The visit it was made at, if recorded with one.
    pub visit: Option<EntryId>,
    pub scale: Scale,
}

impl AssessmentInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        self.scale.validate()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: AssessmentInput,
}

/// One value of a trend: when, from which entry, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint<T> {
    pub at: Timestamp,
    pub entry: EntryId,
    pub value: T,
}

/// Every scale of a chart over time, oldest first, voided entries left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleTrends {
    pub bedridden: Vec<TrendPoint<BedriddenGrade>>,
    pub dementia: Vec<TrendPoint<DementiaGrade>>,
    /// The Barthel Index with its items; its total is `value.total()`.
    pub barthel: Vec<TrendPoint<Barthel>>,
    /// DESIGN-R per wound, wounds in the order first assessed.
    pub design_r: Vec<(String, Vec<TrendPoint<DesignR>>)>,
}

impl ScaleTrends {
    pub fn from_assessments(assessments: &[Assessment]) -> ScaleTrends {
        let mut standing: Vec<&Assessment> = assessments
            .iter()
            .filter(|a| a.meta.entered_in_error.is_none())
            .collect();
        standing.sort_by(|a, b| (a.input.at, &a.meta.id).cmp(&(b.input.at, &b.meta.id)));
        let mut trends = ScaleTrends::default();
        for a in standing {
            let at = a.input.at;
            let entry = || a.meta.id.clone();
            match &a.input.scale {
                Scale::Bedridden { grade } => trends.bedridden.push(TrendPoint {
                    at,
                    entry: entry(),
                    value: *grade,
                }),
                Scale::Dementia { grade } => trends.dementia.push(TrendPoint {
                    at,
                    entry: entry(),
                    value: *grade,
                }),
                Scale::Barthel(b) => trends.barthel.push(TrendPoint {
                    at,
                    entry: entry(),
                    value: *b,
                }),
                Scale::DesignR(d) => {
                    let point = TrendPoint {
                        at,
                        entry: entry(),
                        value: d.clone(),
                    };
                    match trends.design_r.iter_mut().find(|(w, _)| *w == d.wound) {
                        Some((_, points)) => points.push(point),
                        None => trends.design_r.push((d.wound.clone(), vec![point])),
                    }
                }
                // A tick sheet has no trend; the daily report counts it.
                Scale::JSpeed(_) => {}
            }
        }
        trends
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn grades_parse_in_the_words_of_forms() {
        assert_eq!(BedriddenGrade::parse("j2"), Ok(BedriddenGrade::J2));
        assert_eq!(BedriddenGrade::parse("C2"), Ok(BedriddenGrade::C2));
        assert_eq!(
            BedriddenGrade::parse("D1").unwrap_err().code,
            "unknown_code"
        );
        assert_eq!(DementiaGrade::parse("IIa"), Ok(DementiaGrade::Rank2a));
        assert_eq!(DementiaGrade::parse("Ⅱa"), Ok(DementiaGrade::Rank2a));
        assert_eq!(DementiaGrade::parse("iiib"), Ok(DementiaGrade::Rank3b));
        assert_eq!(DementiaGrade::parse("自立"), Ok(DementiaGrade::Independent));
        assert_eq!(DementiaGrade::parse("Ⅳ"), Ok(DementiaGrade::Rank4));
        assert_eq!(DementiaGrade::parse("m"), Ok(DementiaGrade::M));
        for grade in DementiaGrade::ALL {
            assert_eq!(DementiaGrade::parse(grade.code()), Ok(*grade));
            assert_eq!(DementiaGrade::parse(grade.label_ja()), Ok(*grade));
            let json = serde_json::to_string(grade).unwrap();
            assert_eq!(json, format!("\"{}\"", grade.code()));
        }
    }

    #[test]
    fn barthel_items_take_only_their_scores() {
        let full = Barthel::parse("10,15,5,10,5,15,10,10,10,10").unwrap();
        assert_eq!(full.total(), 100);
        let named = Barthel::parse(
            "transfer=10 feeding=5 grooming=0 toilet=5 bathing=0 mobility=10 stairs=0 dressing=5 bowels=10 bladder=5",
        )
        .unwrap();
        assert_eq!((named.feeding, named.transfer, named.total()), (5, 10, 50));
        let errors = Barthel::parse("15,15,10,10,5,20,10,10,10,10").unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["feeding", "grooming", "mobility"]);
        assert!(errors.0[0].message.contains("0, 5, 10"));
        assert_eq!(Barthel::parse("10,10").unwrap_err().0[0].code, "malformed");
    }

    #[test]
    fn design_r_reads_and_prints_the_form_notation_and_leaves_depth_out_of_the_total() {
        let d = DesignR::parse("仙骨部", "D3-e1s6i0g3n3p0:13").unwrap();
        assert_eq!(d.depth, DesignDepth::D3);
        assert_eq!(d.total(), 13);
        assert_eq!(d.notation(), "D3-e1s6i0g3N3p0:13");
        let severe = DesignR::parse("踵", "DU-E6S15I3CG6N6P24").unwrap();
        assert_eq!(severe.inflammation, DesignInflammation::I3c);
        assert_eq!(severe.total(), 6 + 15 + 3 + 6 + 6 + 24);
        assert_eq!(severe.total(), 60);
        assert_eq!(severe.notation(), "DU-E6S15I3CG6N6P24:60");
        let healed = DesignR::parse("仙骨部", "d0-e0s0i0g0n0p0").unwrap();
        assert_eq!(healed.total(), 0);
        assert_eq!(
            DesignR::parse("仙骨部", "D3-e1s6i0g3n3p0:14")
                .unwrap_err()
                .0[0]
                .code,
            "wrong_total"
        );
        assert_eq!(
            DesignR::parse("仙骨部", "D3-e2s6i0g3n3p0").unwrap_err().0[0].field,
            "exudate"
        );
        assert_eq!(
            DesignR::parse("仙骨部", "D7-e1s6i0g3n3p0").unwrap_err().0[0].field,
            "depth"
        );
        assert_eq!(
            DesignR::parse("", "D3-e1s6i0g3n3p0").unwrap_err().0[0].field,
            "wound"
        );
        for bad in [
            "",
            "D3",
            "D3-",
            "D3-e1s6",
            "D3-e1s6i0g3n3p0x",
            "e1s6i0g3n3p0",
        ] {
            assert!(DesignR::parse("仙骨部", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_scale_is_stored_with_its_kind_and_codes() {
        let scale = Scale::Dementia {
            grade: DementiaGrade::Rank2a,
        };
        assert_eq!(
            serde_json::to_value(&scale).unwrap(),
            serde_json::json!({"kind": "dementia", "grade": "IIa"})
        );
        let design = Scale::DesignR(DesignR::parse("仙骨部", "D4-e3s8I3g4n0p6").unwrap());
        let json = serde_json::to_value(&design).unwrap();
        assert_eq!(json["kind"], "design-r");
        assert_eq!(json["depth"], "D4");
        assert_eq!(json["inflammation"], "I3");
        assert_eq!(serde_json::from_value::<Scale>(json).unwrap(), design);
    }

    fn any_design() -> impl Strategy<Value = DesignR> {
        let pick = |i: usize| proptest::sample::select(DESIGN_R_SCORED[i].2.to_vec());
        (
            proptest::sample::select(DesignDepth::ALL.to_vec()),
            pick(0),
            pick(1),
            proptest::sample::select(DesignInflammation::ALL.to_vec()),
            pick(2),
            pick(3),
            pick(4),
        )
            .prop_map(
                |(depth, exudate, size, inflammation, granulation, necrosis, pocket)| DesignR {
                    wound: "仙骨部".into(),
                    depth,
                    exudate,
                    size,
                    inflammation,
                    granulation,
                    necrosis,
                    pocket,
                },
            )
    }

    proptest! {
        #[test]
        fn every_valid_design_r_prints_and_reads_back(design in any_design()) {
            prop_assert!(design.validate().is_ok());
            prop_assert!(design.total() <= 66);
            let notation = design.notation();
            prop_assert_eq!(DesignR::parse("仙骨部", &notation).unwrap(), design.clone());
            let lower = notation.to_lowercase();
            prop_assert_eq!(DesignR::parse("仙骨部", &lower).unwrap(), design);
        }

        #[test]
        fn design_r_parsing_never_panics_and_accepts_only_valid_scores(text in "\\PC{0,24}", tail in "[DdEeSsIiGgNnPpCcUuTt0-9:-]{0,24}") {
            for input in [text, tail] {
                if let Ok(design) = DesignR::parse("仙骨部", &input) {
                    prop_assert!(design.validate().is_ok());
                }
            }
        }

        #[test]
        fn barthel_validates_exactly_the_allowed_scores(scores in proptest::array::uniform10(0u8..=20)) {
            let barthel = Barthel::from_scores(scores);
            let allowed = BARTHEL_ITEMS.iter().zip(scores).all(|((_, _, ok), s)| ok.contains(&s));
            prop_assert_eq!(barthel.validate().is_ok(), allowed);
            let text = scores.map(|s| s.to_string()).join(",");
            prop_assert_eq!(Barthel::parse(&text).is_ok(), allowed);
            if allowed {
                prop_assert!(barthel.total() <= 100);
                prop_assert_eq!(barthel.total() % 5, 0);
            }
        }
    }
}
