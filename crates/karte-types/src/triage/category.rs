//! The four categories of the triage tag, each with its colour, numeral,
//! words and a symbol, so that none is ever told by colour alone.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// The four triage categories of the Japanese triage tag. Shown always
/// with colour, numeral, words and a symbol: never by colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TriageCategory {
    /// 赤 I 最優先治療群: immediate.
    Red,
    /// 黄 II 非緊急治療群: delayed.
    Yellow,
    /// 緑 III 軽処置群: minor.
    Green,
    /// 黒 0 死亡及び不処置群: dead or expectant.
    Black,
}

impl TriageCategory {
    /// In the order the board lists them: red first, black last.
    pub const ALL: [TriageCategory; 4] = [
        TriageCategory::Red,
        TriageCategory::Yellow,
        TriageCategory::Green,
        TriageCategory::Black,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TriageCategory::Red => "red",
            TriageCategory::Yellow => "yellow",
            TriageCategory::Green => "green",
            TriageCategory::Black => "black",
        }
    }

    /// The tag's numeral: I, II, III, 0.
    pub fn numeral(self) -> &'static str {
        match self {
            TriageCategory::Red => "I",
            TriageCategory::Yellow => "II",
            TriageCategory::Green => "III",
            TriageCategory::Black => "0",
        }
    }

    /// A shape for each category, so that it reads without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            TriageCategory::Red => "▲",
            TriageCategory::Yellow => "◆",
            TriageCategory::Green => "●",
            TriageCategory::Black => "✖",
        }
    }

    pub fn colour_ja(self) -> &'static str {
        match self {
            TriageCategory::Red => "赤",
            TriageCategory::Yellow => "黄",
            TriageCategory::Green => "緑",
            TriageCategory::Black => "黒",
        }
    }

    pub fn colour_en(self) -> &'static str {
        match self {
            TriageCategory::Red => "red",
            TriageCategory::Yellow => "yellow",
            TriageCategory::Green => "green",
            TriageCategory::Black => "black",
        }
    }

    pub fn group_ja(self) -> &'static str {
        match self {
            TriageCategory::Red => "最優先治療群",
            TriageCategory::Yellow => "非緊急治療群",
            TriageCategory::Green => "軽処置群",
            TriageCategory::Black => "死亡及び不処置群",
        }
    }

    pub fn group_en(self) -> &'static str {
        match self {
            TriageCategory::Red => "immediate",
            TriageCategory::Yellow => "delayed",
            TriageCategory::Green => "minor",
            TriageCategory::Black => "dead or expectant",
        }
    }

    /// `▲ 赤 I 最優先治療群`.
    pub fn label_ja(self) -> String {
        format!(
            "{} {} {} {}",
            self.symbol(),
            self.colour_ja(),
            self.numeral(),
            self.group_ja()
        )
    }

    /// `▲ red I immediate`.
    pub fn label_en(self) -> String {
        format!(
            "{} {} {} {}",
            self.symbol(),
            self.colour_en(),
            self.numeral(),
            self.group_en()
        )
    }

    /// How soon the person needs care, for "more urgent than": red 3,
    /// yellow 2, green 1. Black is 0: no treatment is waited for, and
    /// only START's "not breathing" gives it.
    pub fn urgency(self) -> u8 {
        match self {
            TriageCategory::Red => 3,
            TriageCategory::Yellow => 2,
            TriageCategory::Green => 1,
            TriageCategory::Black => 0,
        }
    }

    /// Parses a code, a colour (Japanese or English) or a numeral.
    pub fn parse(text: &str) -> Result<TriageCategory, ValidationError> {
        let t = text.trim();
        let lower = t.to_lowercase();
        for category in TriageCategory::ALL {
            let names = [
                category.code(),
                category.colour_ja(),
                category.numeral(),
                category.group_ja(),
            ];
            if names.iter().any(|n| lower == n.to_lowercase()) {
                return Ok(category);
            }
        }
        let roman = match lower.as_str() {
            "1" | "i" | "Ⅰ" => Some(TriageCategory::Red),
            "2" | "ii" | "Ⅱ" => Some(TriageCategory::Yellow),
            "3" | "iii" | "Ⅲ" => Some(TriageCategory::Green),
            "immediate" => Some(TriageCategory::Red),
            "delayed" => Some(TriageCategory::Yellow),
            "minor" => Some(TriageCategory::Green),
            "dead" | "expectant" => Some(TriageCategory::Black),
            _ => None,
        };
        roman.ok_or_else(|| {
            ValidationError::new(
                "category",
                "unknown_code",
                format!("'{text}' is not a triage category; use red, yellow, green or black (赤, 黄, 緑, 黒)"),
            )
        })
    }
}

impl std::fmt::Display for TriageCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
