//! The wall clock, read in one place for the device and the hub alike.
//!
//! Tests must pass on any date, so a debug build can be told what time it
//! is: `KARTE_TEST_NOW=2028-02-29T09:00:00+09:00` makes a process that
//! reads this clock (the `karte` command, the app, the bridge, the hub)
//! start at that instant and run on from there at the real pace, so timers
//! such as the auto-lock still work. Several processes of one test run
//! must agree on the time (the hub refuses a request whose clock is off),
//! so a harness writes `INSTANT@MILLIS`: the instant stood at that real
//! Unix time in milliseconds, for every process alike. Release builds never
//! read the variable: a shipped app always tells the real time.

use karte_types::Timestamp;

/// The environment variable a debug build takes its starting instant from.
pub const TEST_NOW_VARIABLE: &str = "KARTE_TEST_NOW";

/// The time now: the system's, moved to `KARTE_TEST_NOW` in a debug build
/// that was given one.
pub fn now() -> Timestamp {
    let real = system_now();
    Timestamp(real.0 + test_offset(real))
}

fn system_now() -> Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}

/// How far the test clock stands from the real one, fixed at the first
/// reading in this process.
#[cfg(debug_assertions)]
fn test_offset(real: Timestamp) -> i64 {
    static OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *OFFSET.get_or_init(|| match std::env::var(TEST_NOW_VARIABLE) {
        Ok(text) if !text.trim().is_empty() => match parse_test_now(&text) {
            Ok((start, set_at)) => start.0 - set_at.unwrap_or(real).0,
            // A developer set it and a test depends on it: going on with the
            // real date would make the test prove nothing, so stop loudly.
            Err(message) => panic!("{message}"),
        },
        _ => 0,
    })
}

#[cfg(not(debug_assertions))]
fn test_offset(_real: Timestamp) -> i64 {
    0
}

/// Reads the variable's value: an RFC 3339 instant, or a date alone, which
/// means 09:00 in Japan that day (the start of a nurse's round); then, after
/// an `@`, the real Unix time in milliseconds at which the clock stood at
/// that instant, if one is given.
pub fn parse_test_now(text: &str) -> Result<(Timestamp, Option<Timestamp>), String> {
    let text = text.trim();
    let wrong = || {
        format!(
            "{TEST_NOW_VARIABLE}='{text}' is not a time: write it like 2028-02-29T09:00:00+09:00 \
             or 2028-02-29, optionally followed by @ and the real Unix time in milliseconds it stood at"
        )
    };
    let (instant, set_at) = match text.split_once('@') {
        Some((instant, millis)) => (
            instant,
            Some(Timestamp(millis.parse::<i64>().map_err(|_| wrong())?)),
        ),
        None => (text, None),
    };
    let instant = if instant.len() == 10 {
        format!("{instant}T09:00:00+09:00")
    } else {
        instant.to_owned()
    };
    let start = Timestamp::parse_rfc3339(TEST_NOW_VARIABLE, &instant).map_err(|_| wrong())?;
    Ok((start, set_at))
}

/// The variable's value that makes every process of a run agree that it is
/// `instant` now: what a test harness exports.
pub fn test_now_for_all(instant: Timestamp) -> String {
    format!("{}@{}", instant.to_rfc3339(), system_now().0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_alone_is_nine_in_the_morning_in_japan() {
        let (at, set_at) = parse_test_now("2028-02-29").unwrap();
        assert_eq!(at.to_rfc3339(), "2028-02-29T09:00:00+09:00");
        assert_eq!(set_at, None);
        let (exact, _) = parse_test_now("2027-01-31T23:59:00+09:00").unwrap();
        assert_eq!(exact.to_rfc3339(), "2027-01-31T23:59:00+09:00");
    }

    #[test]
    fn a_harness_value_names_the_real_time_it_stood_at() {
        let start = parse_test_now("2028-02-29").unwrap().0;
        let value = test_now_for_all(start);
        let (at, set_at) = parse_test_now(&value).unwrap();
        assert_eq!(at, start);
        let set_at = set_at.expect("the harness form names its real time");
        assert!((system_now().0 - set_at.0).abs() < 60_000);
        assert!(parse_test_now("2028-02-29@soon").is_err());
    }

    #[test]
    fn a_malformed_value_says_how_to_write_one() {
        let message = parse_test_now("next monday").unwrap_err();
        assert!(message.contains(TEST_NOW_VARIABLE) && message.contains("2028-02-29"));
        assert!(
            parse_test_now("2027-02-29").is_err(),
            "no 29 February in 2027"
        );
    }

    #[test]
    fn the_clock_is_after_2020() {
        // Whatever KARTE_TEST_NOW says in a test run, it is a real date.
        assert!(now().0 > 1_577_836_800_000);
    }
}
