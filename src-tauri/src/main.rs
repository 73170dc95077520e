//! The desktop binary: everything is in the library (`src/lib.rs`), which
//! the Android and iOS builds load through its mobile entry point instead.

// No console window behind the app on Windows, except in debug builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    karte_app_lib::run();
}
