//! The wall clock of the UI. The core has no clock of its own and the UI
//! needs one only for "today", the default time of a visit and the idle
//! timer. It follows the core's clock: the first answer of the core says
//! what time the core thinks it is, and the UI keeps the difference from
//! the web view's clock, so both always agree about the date (a test clock
//! set in the core moves the UI with it; in a real app the two differ by
//! nothing).

use std::cell::Cell;

use karte_types::{Date, Timestamp};

thread_local! {
    /// How far the core's clock stands from the web view's, in milliseconds.
    static CORE_OFFSET: Cell<i64> = const { Cell::new(0) };
}

/// The time now, by the core's clock.
pub fn now() -> Timestamp {
    Timestamp(local_now().0 + CORE_OFFSET.with(Cell::get))
}

/// Takes the core's reading of the time, from the session's answer.
pub fn follow_core(core_now: Timestamp) {
    CORE_OFFSET.with(|offset| offset.set(core_now.0 - local_now().0));
}

#[cfg(target_arch = "wasm32")]
fn local_now() -> Timestamp {
    Timestamp(js_sys::Date::now() as i64)
}

/// Outside the browser (render tests), a fixed instant keeps output stable.
#[cfg(not(target_arch = "wasm32"))]
fn local_now() -> Timestamp {
    Timestamp(1_795_000_000_000)
}

/// Today's date in Japan.
pub fn today() -> Date {
    now().date_jst()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ui_follows_the_cores_clock() {
        let leap_day = Timestamp(1_835_395_200_000); // 2028-02-29T09:00:00+09:00
        follow_core(leap_day);
        assert_eq!(today().to_string(), "2028-02-29");
        follow_core(local_now());
        assert_eq!(now(), local_now());
    }
}
