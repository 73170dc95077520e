//! Calendar arithmetic in Japan time: days since the Unix epoch, weekdays and
//! the instants of local clock times, so visits fall on plausible days and
//! hours without reading a clock.

use karte_types::{Date, Timestamp};

const DAY_MILLIS: i64 = 86_400_000;
const JST_OFFSET_MILLIS: i64 = 9 * 3_600_000;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm, valid
/// far beyond any birth date a chart holds).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as i32, month, day)
}

/// Days since the epoch of a chart date.
pub fn day_number(date: Date) -> i64 {
    let d = date.0;
    days_from_civil(d.year(), d.month() as u8, d.day())
}

/// The chart date of a day number.
pub fn date_of(days: i64) -> Date {
    let (year, month, day) = civil_from_days(days);
    Date::from_ymd(year, month, day).expect("civil_from_days yields valid dates")
}

/// The Japanese calendar day an instant falls on, as a day number.
pub fn jst_day(at: Timestamp) -> i64 {
    (at.0 + JST_OFFSET_MILLIS).div_euclid(DAY_MILLIS)
}

/// 0 = Sunday .. 6 = Saturday; 1970-01-01 was a Thursday.
pub fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// The instant of a local (JST) clock time on a day.
pub fn jst_instant(days: i64, hour: u8, minute: u8) -> Timestamp {
    Timestamp(
        days * DAY_MILLIS + (i64::from(hour) * 60 + i64::from(minute)) * 60_000 - JST_OFFSET_MILLIS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-40_000, -1, 0, 59, 10_957, 20_000, 25_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        let date = Date::from_ymd(1941, 3, 2).unwrap();
        assert_eq!(date_of(day_number(date)), date);
    }

    #[test]
    fn local_times_land_on_the_japanese_day() {
        let days = days_from_civil(2026, 11, 25);
        assert_eq!(weekday(days), 3, "2026-11-25 is a Wednesday");
        let at = jst_instant(days, 9, 30);
        assert_eq!(at.to_rfc3339(), "2026-11-25T09:30:00+09:00");
        assert_eq!(jst_day(at), days);
        assert_eq!(jst_day(jst_instant(days, 0, 5)), days);
    }
}
