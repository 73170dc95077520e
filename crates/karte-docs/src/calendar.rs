//! The visit calendar of the monthly report: which marks each day of the
//! month carries on the standard form, computed from the month's visits.
//!
//! The marks (別紙様式2の記載要領): ○ a visit by a nurse (保健師・助産師・
//! 看護師・准看護師), ◎ two or more visits that day, ◇ a visit by a
//! physical, occupational or speech therapist, △ a visit under a
//! 特別訪問看護指示書, □ a long visit (長時間訪問看護加算). One day can carry
//! several: a nurse and a therapist the same day is ◎ and ◇.

use time::{Date, Month};

/// Who made a visit, as far as the calendar tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discipline {
    /// 保健師, 助産師, 看護師 or 准看護師.
    Nurse,
    /// 理学療法士, 作業療法士 or 言語聴覚士.
    Therapist,
}

/// One visit, with what the calendar needs to know of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthVisit {
    pub date: Date,
    pub discipline: Discipline,
    /// Made under a 特別訪問看護指示書.
    pub special_order: bool,
    /// A long visit (長時間訪問看護加算).
    pub long: bool,
}

/// The marks of one day; all false on a day without a visit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayMarks {
    /// ○: one visit, by a nurse.
    pub visit: bool,
    /// ◎: two or more visits.
    pub several: bool,
    /// ◇: a visit by a therapist.
    pub therapist: bool,
    /// △: a visit under a 特別訪問看護指示書.
    pub special_order: bool,
    /// □: a long visit.
    pub long: bool,
}

impl DayMarks {
    /// The marks as the form prints them, in the order of the legend.
    pub fn symbols(&self) -> String {
        [
            (self.visit, '○'),
            (self.several, '◎'),
            (self.therapist, '◇'),
            (self.special_order, '△'),
            (self.long, '□'),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, symbol)| symbol)
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        *self == DayMarks::default()
    }
}

/// The marks of every day of a month, the first element for day 1. Visits
/// in other months are left out: a report covers one month.
pub fn day_marks(year: i32, month: Month, visits: &[MonthVisit]) -> Vec<DayMarks> {
    let days = time::util::days_in_month(month, year);
    (1..=days)
        .map(|day| {
            let that_day: Vec<&MonthVisit> = visits
                .iter()
                .filter(|visit| {
                    visit.date.year() == year
                        && visit.date.month() == month
                        && visit.date.day() == day
                })
                .collect();
            let several = that_day.len() >= 2;
            DayMarks {
                visit: !several
                    && that_day
                        .iter()
                        .any(|visit| visit.discipline == Discipline::Nurse),
                several,
                therapist: that_day
                    .iter()
                    .any(|visit| visit.discipline == Discipline::Therapist),
                special_order: that_day.iter().any(|visit| visit.special_order),
                long: that_day.iter().any(|visit| visit.long),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn nurse(date: Date) -> MonthVisit {
        MonthVisit {
            date,
            discipline: Discipline::Nurse,
            special_order: false,
            long: false,
        }
    }

    fn therapist(date: Date) -> MonthVisit {
        MonthVisit {
            discipline: Discipline::Therapist,
            ..nurse(date)
        }
    }

    /// The marks of one day from that day's visits, table-driven.
    #[test]
    fn each_day_gets_the_standard_marks() {
        let day = date!(2026 - 11 - 10);
        let cases: Vec<(&str, Vec<MonthVisit>, &str)> = vec![
            ("no visit", vec![], ""),
            ("one nurse visit", vec![nurse(day)], "○"),
            ("two nurse visits", vec![nurse(day), nurse(day)], "◎"),
            (
                "three visits",
                vec![nurse(day), nurse(day), nurse(day)],
                "◎",
            ),
            ("one therapist visit", vec![therapist(day)], "◇"),
            (
                "nurse and therapist",
                vec![nurse(day), therapist(day)],
                "◎◇",
            ),
            (
                "under a special order",
                vec![MonthVisit {
                    special_order: true,
                    ..nurse(day)
                }],
                "○△",
            ),
            (
                "a long visit",
                vec![MonthVisit {
                    long: true,
                    ..nurse(day)
                }],
                "○□",
            ),
            (
                "twice under a special order, one long",
                vec![
                    MonthVisit {
                        special_order: true,
                        long: true,
                        ..nurse(day)
                    },
                    MonthVisit {
                        special_order: true,
                        ..nurse(day)
                    },
                ],
                "◎△□",
            ),
        ];
        for (name, visits, expected) in cases {
            let marks = day_marks(2026, Month::November, &visits);
            assert_eq!(marks.len(), 30, "{name}");
            assert_eq!(marks[9].symbols(), expected, "{name}");
            assert!(
                marks
                    .iter()
                    .enumerate()
                    .all(|(index, marks)| index == 9 || marks.is_empty()),
                "{name}: only the 10th is marked"
            );
        }
    }

    #[test]
    fn visits_of_other_months_are_left_out() {
        let visits = [
            nurse(date!(2026 - 10 - 31)),
            nurse(date!(2026 - 12 - 01)),
            nurse(date!(2025 - 11 - 05)),
            nurse(date!(2026 - 11 - 30)),
        ];
        let marks = day_marks(2026, Month::November, &visits);
        let marked: Vec<usize> = (0..marks.len()).filter(|&i| !marks[i].is_empty()).collect();
        assert_eq!(marked, vec![29]);
    }

    #[test]
    fn a_month_has_its_own_number_of_days() {
        assert_eq!(day_marks(2028, Month::February, &[]).len(), 29);
        assert_eq!(day_marks(2026, Month::February, &[]).len(), 28);
        assert_eq!(day_marks(2026, Month::December, &[]).len(), 31);
    }
}
