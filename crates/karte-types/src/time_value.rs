//! Dates and instants as the chart stores them.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// A calendar date (birth dates, onset, medication start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Date(pub time::Date);

impl Date {
    /// Parses `YYYY-MM-DD`; `field` names the form field in the error.
    pub fn parse(field: &str, text: &str) -> Result<Date, ValidationError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(text.trim(), &format)
            .map(Date)
            .map_err(|_| {
                ValidationError::new(
                    field,
                    "malformed_date",
                    format!("'{text}' is not a date; write it as YYYY-MM-DD, e.g. 1941-03-02"),
                )
            })
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Date> {
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(Date)
    }

    /// Whole years between this date (a birth date) and `on`.
    pub fn age_on(self, on: Date) -> i32 {
        let (b, o) = (self.0, on.0);
        let mut age = o.year() - b.year();
        if (o.month() as u8, o.day()) < (b.month() as u8, b.day()) {
            age -= 1;
        }
        age
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        write!(f, "{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
    }
}

/// An instant, in milliseconds since the Unix epoch (UTC). Always handed in by
/// the caller; the core never reads a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// Japan Standard Time; Karte shows local times in it.
const JST_OFFSET_SECONDS: i32 = 9 * 3600;

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    fn to_jst(self) -> time::OffsetDateTime {
        let utc = time::OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        utc.to_offset(
            time::UtcOffset::from_whole_seconds(JST_OFFSET_SECONDS).expect("valid offset"),
        )
    }

    /// The date of this instant in Japan.
    pub fn date_jst(self) -> Date {
        Date(self.to_jst().date())
    }

    /// The time of day of this instant in Japan.
    pub fn time_jst(self) -> time::Time {
        self.to_jst().time()
    }

    /// RFC 3339 with the Japanese offset, e.g. `2026-11-25T09:30:00+09:00`.
    pub fn to_rfc3339(self) -> String {
        let t = self.to_jst();
        format!(
            "{}T{:02}:{:02}:{:02}+09:00",
            Date(t.date()),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// Parses an RFC 3339 instant such as `2026-11-25T09:30:00+09:00`.
    pub fn parse_rfc3339(field: &str, text: &str) -> Result<Timestamp, ValidationError> {
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .map(|t| Timestamp((t.unix_timestamp_nanos() / 1_000_000) as i64))
            .map_err(|_| {
                ValidationError::new(
                    field,
                    "malformed_time",
                    format!("'{text}' is not a time; write it like 2026-11-25T09:30:00+09:00"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_round_trips_and_rejects_garbage() {
        let d = Date::parse("birth", "1941-03-02").unwrap();
        assert_eq!(d.to_string(), "1941-03-02");
        assert_eq!(
            Date::parse("birth", "1941-02-30").unwrap_err().code,
            "malformed_date"
        );
        assert!(Date::parse("birth", "2.3.1941").is_err());
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = Date::from_ymd(1941, 3, 2).unwrap();
        assert_eq!(birth.age_on(Date::from_ymd(2026, 3, 1).unwrap()), 84);
        assert_eq!(birth.age_on(Date::from_ymd(2026, 3, 2).unwrap()), 85);
    }

    #[test]
    fn timestamps_print_in_japan_time() {
        let t = Timestamp::parse_rfc3339("at", "2026-11-25T00:30:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-25T09:30:00+09:00");
        assert_eq!(Timestamp::parse_rfc3339("at", &t.to_rfc3339()).unwrap(), t);
    }
}
