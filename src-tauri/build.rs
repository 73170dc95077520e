//! Generates the Tauri context (configuration, icons, capabilities), and
//! keeps the library's DLL form linkable on Windows with the GNU tools.

fn main() {
    tauri_build::build();
    // The library is also built as a `cdylib`, the shared object Android
    // loads; Cargo builds every crate type on every target. On Windows
    // with GNU ld, a DLL whose Rust code marks nothing for export gets
    // every global symbol exported instead (ld's auto-export): about
    // 141,000 in a debug build, past a DLL's limit of 65,535 ("export
    // ordinal too large"), and the desktop .exe, which needs only the
    // `rlib`, is never reached. Nothing on Windows loads that DLL, so it
    // exports nothing. Android and the Linux desktop are untouched.
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "windows" && target_env == "gnu" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-all-symbols");
    }
}
