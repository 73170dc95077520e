//! The parsers of typed input (dates, times, blood pressure, JCS, coded
//! values) give a value or a validation error for any text, never a panic.
#![no_main]

use karte_types::{CareLevel, Date, Jcs, Timestamp, parse_blood_pressure};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = Date::parse("birth", text);
    let _ = Timestamp::parse_rfc3339("at", text);
    let _ = parse_blood_pressure(text);
    if let Ok(jcs) = Jcs::parse(text) {
        assert_eq!(Jcs::parse(&jcs.to_string()), Ok(jcs));
    }
    let _ = CareLevel::parse(text);
    let _ = karte_types::fold_for_search(text);
});
