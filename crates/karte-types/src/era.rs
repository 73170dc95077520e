//! Japanese eras (和暦): which era a date falls in and its year within it,
//! as Japanese forms write dates (令和8年12月7日). An era starts on the day
//! its emperor's reign began; its first year is 元年.

use crate::Date;

/// The eras since Japan took up the Gregorian calendar (1873).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JapaneseEra {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl JapaneseEra {
    /// Every era, oldest first, with the day it began.
    const STARTS: [(JapaneseEra, i32, u8, u8); 5] = [
        (JapaneseEra::Meiji, 1868, 10, 23),
        (JapaneseEra::Taisho, 1912, 7, 30),
        (JapaneseEra::Showa, 1926, 12, 25),
        (JapaneseEra::Heisei, 1989, 1, 8),
        (JapaneseEra::Reiwa, 2019, 5, 1),
    ];

    /// The era's name as written in Japanese: 令和.
    pub fn kanji(self) -> &'static str {
        match self {
            JapaneseEra::Meiji => "明治",
            JapaneseEra::Taisho => "大正",
            JapaneseEra::Showa => "昭和",
            JapaneseEra::Heisei => "平成",
            JapaneseEra::Reiwa => "令和",
        }
    }

    /// The era's name in Latin letters: Reiwa.
    pub fn romaji(self) -> &'static str {
        match self {
            JapaneseEra::Meiji => "Meiji",
            JapaneseEra::Taisho => "Taisho",
            JapaneseEra::Showa => "Showa",
            JapaneseEra::Heisei => "Heisei",
            JapaneseEra::Reiwa => "Reiwa",
        }
    }
}

/// A date's era and year within it (1 for 元年).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EraYear {
    pub era: JapaneseEra,
    pub year: i32,
}

impl Date {
    /// The era and era year of this date; `None` before 1873, when Japan
    /// still kept the lunisolar calendar and a Gregorian date has no era
    /// year a form would write.
    pub fn japanese_era(self) -> Option<EraYear> {
        if self.0.year() < 1873 {
            return None;
        }
        let (era, start_year, ..) = JapaneseEra::STARTS
            .iter()
            .rev()
            .find(|(_, y, m, d)| Date::from_ymd(*y, *m, *d).is_some_and(|start| self >= start))?;
        Some(EraYear {
            era: *era,
            year: self.0.year() - start_year + 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn era(y: i32, m: u8, d: u8) -> Option<(JapaneseEra, i32)> {
        Date::from_ymd(y, m, d)
            .unwrap()
            .japanese_era()
            .map(|e| (e.era, e.year))
    }

    #[test]
    fn each_era_begins_on_its_first_day() {
        use JapaneseEra::*;
        assert_eq!(era(2019, 4, 30), Some((Heisei, 31)));
        assert_eq!(era(2019, 5, 1), Some((Reiwa, 1)));
        assert_eq!(era(1989, 1, 7), Some((Showa, 64)));
        assert_eq!(era(1989, 1, 8), Some((Heisei, 1)));
        assert_eq!(era(1926, 12, 24), Some((Taisho, 15)));
        assert_eq!(era(1926, 12, 25), Some((Showa, 1)));
        assert_eq!(era(1912, 7, 29), Some((Meiji, 45)));
        assert_eq!(era(1912, 7, 30), Some((Taisho, 1)));
        assert_eq!(era(1873, 1, 1), Some((Meiji, 6)));
        assert_eq!(era(1872, 12, 31), None);
    }

    #[test]
    fn the_era_year_turns_with_the_calendar_year() {
        use JapaneseEra::*;
        assert_eq!(era(2019, 12, 31), Some((Reiwa, 1)));
        assert_eq!(era(2020, 1, 1), Some((Reiwa, 2)));
        assert_eq!(era(2026, 12, 7), Some((Reiwa, 8)));
        assert_eq!(era(1941, 3, 2), Some((Showa, 16)));
    }
}
