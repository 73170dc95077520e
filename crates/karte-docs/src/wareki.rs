//! Dates as Japanese forms write them, in the era calendar (和暦): 令和8年11月.

use time::Date;
use time::macros::date;

/// Each era and its first day, newest first.
const ERAS: [(&str, Date); 5] = [
    ("令和", date!(2019 - 05 - 01)),
    ("平成", date!(1989 - 01 - 08)),
    ("昭和", date!(1926 - 12 - 25)),
    ("大正", date!(1912 - 07 - 30)),
    ("明治", date!(1868 - 10 - 23)),
];

/// The era and its year of a day, 元年 for the first; the Gregorian year for
/// days before 明治.
fn era_year(day: Date) -> String {
    match ERAS.iter().find(|(_, start)| day >= *start) {
        Some((name, start)) => match day.year() - start.year() + 1 {
            1 => format!("{name}元年"),
            year => format!("{name}{year}年"),
        },
        None => format!("{}年", day.year()),
    }
}

/// 令和8年11月7日
pub fn wareki_date(day: Date) -> String {
    format!("{}{}月{}日", era_year(day), day.month() as u8, day.day())
}

/// 令和8年11月, for the month of `day`.
pub fn wareki_month(day: Date) -> String {
    format!("{}{}月", era_year(day), day.month() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eras_change_on_their_first_day() {
        let cases = [
            (date!(2026 - 11 - 07), "令和8年11月7日"),
            (date!(2019 - 05 - 01), "令和元年5月1日"),
            (date!(2019 - 04 - 30), "平成31年4月30日"),
            (date!(1989 - 01 - 07), "昭和64年1月7日"),
            (date!(1989 - 01 - 08), "平成元年1月8日"),
            (date!(1926 - 12 - 25), "昭和元年12月25日"),
            (date!(1926 - 12 - 24), "大正15年12月24日"),
            (date!(1912 - 07 - 30), "大正元年7月30日"),
            (date!(1912 - 07 - 29), "明治45年7月29日"),
            (date!(1800 - 01 - 01), "1800年1月1日"),
        ];
        for (day, expected) in cases {
            assert_eq!(wareki_date(day), expected, "{day}");
        }
        assert_eq!(wareki_month(date!(2026 - 11 - 30)), "令和8年11月");
    }
}
