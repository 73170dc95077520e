//! The wall clock of the UI: the browser's in the web view. The core has no
//! clock of its own; the UI only needs one for "today", the default time of
//! a visit and the idle timer.

use karte_types::{Date, Timestamp};

#[cfg(target_arch = "wasm32")]
pub fn now() -> Timestamp {
    Timestamp(js_sys::Date::now() as i64)
}

/// Outside the browser (render tests), a fixed instant keeps output stable.
#[cfg(not(target_arch = "wasm32"))]
pub fn now() -> Timestamp {
    Timestamp(1_795_000_000_000)
}

/// Today's date in Japan.
pub fn today() -> Date {
    now().date_jst()
}
