//! The desktop binary: everything is in the library (`src/lib.rs`), which
//! the Android and iOS builds load through its mobile entry point instead.

// No console window behind the app on Windows, except in debug builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // `--version` answers before any window or vault is touched: a quick
    // check that the binary starts on a machine (the Windows build's smoke
    // run under Wine uses it).
    if std::env::args().nth(1).as_deref() == Some("--version") {
        println!("Karte {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    karte_app_lib::run();
}
