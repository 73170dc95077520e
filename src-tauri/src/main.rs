//! The Karte app: one Tauri window around the Yew UI. Windows and the
//! vault's location live here; every operation goes through the one
//! command, `call`, into `karte_api::App`, the same application API the
//! local HTTP bridge serves.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::path::PathBuf;
use std::sync::Arc;

use karte_api::{App, Environment, KdfParams};

/// The vault this app opens: `KARTE_VAULT`, else the one in the system's
/// data directory (the same file `karte` uses).
fn vault_path() -> PathBuf {
    std::env::var_os("KARTE_VAULT")
        .map(PathBuf::from)
        .or_else(karte_api::default_vault_path)
        .unwrap_or_else(|| PathBuf::from("vault.karte"))
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let vault = vault_path();
    if let Some(folder) = vault.parent() {
        // The vault's folder must exist before the first run creates it.
        let _ = std::fs::create_dir_all(folder);
    }
    let app = Arc::new(App::new(vault, KdfParams::strong(), Environment::system));
    App::lock_when_idle(&app);
    let shutdown = Arc::clone(&app);
    tauri::Builder::default()
        .manage(commands::Shared(app))
        .invoke_handler(tauri::generate_handler![commands::call])
        .build(tauri::generate_context!())
        .expect("the Karte window could not be built")
        .run(move |_, event| {
            if let tauri::RunEvent::Exit = event {
                // The key leaves memory when the app quits.
                let _ = shutdown.lock();
            }
        });
}
