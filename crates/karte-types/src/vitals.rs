//! Vital signs, with the units and plausible ranges checked at entry: a BP of
//! 1200 is a typo, not a fact.

use serde::{Deserialize, Serialize};

use crate::{ValidationError, ValidationErrors};

/// Vital signs of one visit. Every field is optional: a nurse records what she
/// measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VitalSigns {
    /// Body temperature, °C.
    pub temperature_c: Option<f64>,
    /// Systolic blood pressure, mmHg.
    pub systolic: Option<u16>,
    /// Diastolic blood pressure, mmHg.
    pub diastolic: Option<u16>,
    /// Pulse, beats per minute.
    pub pulse: Option<u16>,
    /// Respiratory rate, breaths per minute.
    pub respiration: Option<u16>,
    /// Oxygen saturation, %.
    pub spo2: Option<u8>,
    /// Consciousness on the Japan Coma Scale.
    pub jcs: Option<Jcs>,
    /// Pain on the numeric rating scale, 0–10.
    pub pain: Option<u8>,
}

/// Plausible ranges. Wide enough for the very ill, narrow enough to catch a
/// slipped decimal point.
pub const TEMPERATURE_RANGE: (f64, f64) = (30.0, 45.0);
pub const SYSTOLIC_RANGE: (u16, u16) = (40, 300);
pub const DIASTOLIC_RANGE: (u16, u16) = (20, 200);
pub const PULSE_RANGE: (u16, u16) = (20, 250);
pub const RESPIRATION_RANGE: (u16, u16) = (4, 80);
pub const SPO2_RANGE: (u8, u8) = (50, 100);
pub const PAIN_RANGE: (u8, u8) = (0, 10);

fn out_of_range(
    field: &str,
    what: &str,
    value: impl std::fmt::Display,
    lo: impl std::fmt::Display,
    hi: impl std::fmt::Display,
    unit: &str,
) -> ValidationError {
    ValidationError::new(
        field,
        "out_of_range",
        format!("{what} {value}{unit} is implausible: expected {lo}–{hi}{unit}; check for a typo"),
    )
}

fn in_range<T: PartialOrd + Copy + std::fmt::Display>(
    field: &str,
    what: &str,
    value: Option<T>,
    (lo, hi): (T, T),
    unit: &str,
) -> Result<(), ValidationError> {
    match value {
        Some(v) if v < lo || v > hi => Err(out_of_range(field, what, v, lo, hi, unit)),
        _ => Ok(()),
    }
}

impl VitalSigns {
    /// Checks every value against its plausible range.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if let Some(t) = self.temperature_c
            && (!t.is_finite() || t < TEMPERATURE_RANGE.0 || t > TEMPERATURE_RANGE.1)
        {
            errors.push(out_of_range(
                "temp",
                "temperature",
                t,
                TEMPERATURE_RANGE.0,
                TEMPERATURE_RANGE.1,
                " °C",
            ));
        }
        errors.check(in_range(
            "bp",
            "systolic pressure",
            self.systolic,
            SYSTOLIC_RANGE,
            " mmHg",
        ));
        errors.check(in_range(
            "bp",
            "diastolic pressure",
            self.diastolic,
            DIASTOLIC_RANGE,
            " mmHg",
        ));
        if let (Some(s), Some(d)) = (self.systolic, self.diastolic)
            && s <= d
        {
            errors.push(ValidationError::new(
                    "bp",
                    "inconsistent",
                    format!("blood pressure {s}/{d}: systolic must be above diastolic; write it as systolic/diastolic"),
                ));
        }
        if self.systolic.is_some() != self.diastolic.is_some() {
            errors.push(ValidationError::new(
                "bp",
                "incomplete",
                "blood pressure needs both values, e.g. 132/84",
            ));
        }
        errors.check(in_range("pulse", "pulse", self.pulse, PULSE_RANGE, "/min"));
        errors.check(in_range(
            "resp",
            "respiratory rate",
            self.respiration,
            RESPIRATION_RANGE,
            "/min",
        ));
        errors.check(in_range("spo2", "SpO2", self.spo2, SPO2_RANGE, "%"));
        errors.check(in_range("pain", "pain score", self.pain, PAIN_RANGE, ""));
        errors.into_result()
    }

    pub fn is_empty(&self) -> bool {
        *self == VitalSigns::default()
    }
}

/// Parses blood pressure written as `132/84`.
pub fn parse_blood_pressure(text: &str) -> Result<(u16, u16), ValidationError> {
    let malformed = || {
        ValidationError::new(
            "bp",
            "malformed",
            format!(
                "'{text}' is not a blood pressure; write it as systolic/diastolic, e.g. 132/84"
            ),
        )
    };
    let (s, d) = text.trim().split_once('/').ok_or_else(malformed)?;
    let s = s.trim().parse().map_err(|_| malformed())?;
    let d = d.trim().parse().map_err(|_| malformed())?;
    Ok((s, d))
}

/// A number for `field`, with a clear error for anything else.
pub fn parse_number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ValidationError> {
    text.trim()
        .parse()
        .map_err(|_| ValidationError::new(field, "malformed", format!("'{text}' is not a number")))
}

/// A level of the Japan Coma Scale (JCS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum JcsLevel {
    /// 0: alert.
    Alert,
    /// I-1, I-2, I-3: awake without stimulus.
    I1,
    I2,
    I3,
    /// II-10, II-20, II-30: arousable with stimulus.
    II10,
    II20,
    II30,
    /// III-100, III-200, III-300: not arousable.
    III100,
    III200,
    III300,
}

impl JcsLevel {
    pub const ALL: [JcsLevel; 10] = [
        JcsLevel::Alert,
        JcsLevel::I1,
        JcsLevel::I2,
        JcsLevel::I3,
        JcsLevel::II10,
        JcsLevel::II20,
        JcsLevel::II30,
        JcsLevel::III100,
        JcsLevel::III200,
        JcsLevel::III300,
    ];

    /// The numeric score: 0, 1, 2, 3, 10, 20, 30, 100, 200, 300.
    pub fn score(self) -> u16 {
        match self {
            JcsLevel::Alert => 0,
            JcsLevel::I1 => 1,
            JcsLevel::I2 => 2,
            JcsLevel::I3 => 3,
            JcsLevel::II10 => 10,
            JcsLevel::II20 => 20,
            JcsLevel::II30 => 30,
            JcsLevel::III100 => 100,
            JcsLevel::III200 => 200,
            JcsLevel::III300 => 300,
        }
    }

    pub(crate) fn from_score(score: u16) -> Option<JcsLevel> {
        JcsLevel::ALL.into_iter().find(|l| l.score() == score)
    }

    fn group(self) -> &'static str {
        match self.score() {
            0 => "",
            1..=3 => "I",
            10..=30 => "II",
            _ => "III",
        }
    }
}

/// A JCS assessment: a level with the optional qualifiers R (restless),
/// I (incontinent) and A (akinetic mutism / apallic state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Jcs {
    pub level: JcsLevel,
    pub restless: bool,
    pub incontinent: bool,
    pub akinetic: bool,
}

impl Jcs {
    pub fn alert() -> Jcs {
        Jcs {
            level: JcsLevel::Alert,
            restless: false,
            incontinent: false,
            akinetic: false,
        }
    }

    /// Parses the ways JCS is written: `0`, `3`, `I-3`, `II-20`, `20R`,
    /// `III-300-I`, `II-10RA`, `jcs 100`.
    pub fn parse(text: &str) -> Result<Jcs, ValidationError> {
        let malformed = || {
            ValidationError::new(
                "jcs",
                "malformed",
                format!(
                    "'{text}' is not a JCS level; use 0, I-1..I-3, II-10..II-30, III-100..III-300 with optional R, I or A"
                ),
            )
        };
        let folded: String = fold_ascii(text);
        let mut rest = folded.trim_start_matches("JCS").trim();
        // An optional Roman group prefix, which must agree with the number.
        let group = ["III", "II", "I"].into_iter().find(|g| {
            rest.strip_prefix(g).is_some_and(|r| {
                r.starts_with(['-', ' ']) || r.starts_with(|c: char| c.is_ascii_digit())
            })
        });
        if let Some(g) = group {
            rest = rest[g.len()..].trim_start_matches(['-', ' ']);
        }
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let score: u16 = rest[..digits_end].parse().map_err(|_| malformed())?;
        let level = JcsLevel::from_score(score).ok_or_else(malformed)?;
        if group.is_some_and(|g| g != level.group()) {
            return Err(malformed());
        }
        let mut jcs = Jcs {
            level,
            restless: false,
            incontinent: false,
            akinetic: false,
        };
        for c in rest[digits_end..].chars() {
            match c {
                '-' | ' ' => {}
                'R' => jcs.restless = true,
                'I' => jcs.incontinent = true,
                'A' => jcs.akinetic = true,
                _ => return Err(malformed()),
            }
        }
        if level == JcsLevel::Alert && (jcs.restless || jcs.incontinent || jcs.akinetic) {
            return Err(malformed());
        }
        Ok(jcs)
    }
}

/// Upper-case ASCII with full-width forms and Roman numeral signs folded in.
fn fold_ascii(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc()
        .collect::<String>()
        .to_ascii_uppercase()
        .replace(['−', 'ー'], "-")
}

impl std::fmt::Display for Jcs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.level.group() {
            "" => f.write_str("0")?,
            group => write!(f, "{group}-{}", self.level.score())?,
        }
        for (flag, letter) in [
            (self.restless, 'R'),
            (self.incontinent, 'I'),
            (self.akinetic, 'A'),
        ] {
            if flag {
                write!(f, "{letter}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused_and_parsed_values_round_trip(text in "\\PC{0,16}", jcs in "(JCS)? ?(I|II|III|Ⅰ|Ⅱ|Ⅲ)?-?[0-9]{1,3}-?[RIA]{0,3}") {
            for text in [&text, &jcs] {
                if let Ok(parsed) = Jcs::parse(text) {
                    proptest::prop_assert_eq!(Jcs::parse(&parsed.to_string()), Ok(parsed));
                }
                if let Ok((s, d)) = parse_blood_pressure(text) {
                    proptest::prop_assert_eq!(parse_blood_pressure(&format!("{s}/{d}")), Ok((s, d)));
                }
                let _ = parse_number::<f64>("temp", text);
            }
        }
    }

    #[test]
    fn typos_in_vitals_are_caught() {
        let bp = VitalSigns {
            systolic: Some(1200),
            diastolic: Some(80),
            ..Default::default()
        };
        assert_eq!(bp.validate().unwrap_err().0[0].field, "bp");
        let spo2 = VitalSigns {
            spo2: Some(140),
            ..Default::default()
        };
        assert_eq!(spo2.validate().unwrap_err().0[0].field, "spo2");
        let temp = VitalSigns {
            temperature_c: Some(3.68),
            ..Default::default()
        };
        assert_eq!(temp.validate().unwrap_err().0[0].field, "temp");
        let nan = VitalSigns {
            temperature_c: Some(f64::NAN),
            ..Default::default()
        };
        assert!(nan.validate().is_err());
        let fine = VitalSigns {
            temperature_c: Some(36.8),
            systolic: Some(132),
            diastolic: Some(84),
            pulse: Some(72),
            respiration: Some(16),
            spo2: Some(97),
            jcs: Some(Jcs::alert()),
            pain: Some(2),
        };
        assert_eq!(fine.validate(), Ok(()));
    }

    #[test]
    fn blood_pressure_parses() {
        assert_eq!(parse_blood_pressure("132/84"), Ok((132, 84)));
        assert_eq!(parse_blood_pressure(" 132 / 84 "), Ok((132, 84)));
        assert!(parse_blood_pressure("132-84").is_err());
        assert!(parse_blood_pressure("abc/84").is_err());
    }

    #[test]
    fn jcs_parses_every_written_form() {
        for level in JcsLevel::ALL {
            let jcs = Jcs {
                level,
                restless: false,
                incontinent: false,
                akinetic: false,
            };
            assert_eq!(Jcs::parse(&jcs.to_string()), Ok(jcs), "{jcs}");
        }
        assert_eq!(Jcs::parse("20R").unwrap().to_string(), "II-20R");
        assert_eq!(Jcs::parse("III-300-I").unwrap().to_string(), "III-300I");
        assert_eq!(
            Jcs::parse("ＪＣＳ　II-10RA").unwrap().to_string(),
            "II-10RA"
        );
        assert_eq!(Jcs::parse("Ⅱ-20").unwrap().to_string(), "II-20");
        for bad in ["4", "I-10", "III-20", "0R", "II-20X", "", "abc"] {
            assert!(Jcs::parse(bad).is_err(), "{bad}");
        }
    }
}
