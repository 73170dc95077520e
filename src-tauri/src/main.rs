//! The Karte app: one Tauri window around the Yew UI. Windows, the vault's
//! location and the command wiring live here; every operation is a call
//! into `karte_api::App`, the same application API the local HTTP bridge
//! serves.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use karte_api::{App, Environment, KdfParams};

/// How often the auto-lock is checked while the user does nothing.
const IDLE_CHECK: Duration = Duration::from_secs(10);

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
    let watch = Arc::clone(&app);
    // The vault locks itself after the auto-lock time without use, even if
    // the window is hidden or its page stopped running.
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(IDLE_CHECK);
            if watch.lock_if_idle() {
                tracing::info!("the vault locked itself after the auto-lock time without use");
            }
        }
    });
    let shutdown = Arc::clone(&app);
    tauri::Builder::default()
        .manage(commands::Shared(app))
        .invoke_handler(tauri::generate_handler![
            commands::session,
            commands::create,
            commands::unlock,
            commands::lock,
            commands::patients,
            commands::add_patient,
            commands::chart,
            commands::update_patient,
            commands::add_allergy,
            commands::set_no_known_allergies,
            commands::add_condition,
            commands::add_medication,
            commands::record_visit,
            commands::void_entry,
            commands::resolve_review,
            commands::sync_status,
            commands::sync,
            commands::enroll,
            commands::settings,
            commands::save_settings,
            commands::draft,
            commands::save_draft,
            commands::discard_draft,
        ])
        .build(tauri::generate_context!())
        .expect("the Karte window could not be built")
        .run(move |_, event| {
            if let tauri::RunEvent::Exit = event {
                // The key leaves memory when the app quits.
                shutdown.lock();
            }
        });
}
