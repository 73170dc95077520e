//! The Karte app: one Tauri window around the Yew UI. Windows and the
//! vault's location live here; every operation goes through the one
//! command, `call`, into `karte_api::App`, the same application API the
//! local HTTP bridge serves.
//!
//! The app is a library so that one `run` serves every platform: the
//! desktop binary (`src/main.rs`) calls it, and on Android and iOS the
//! system loads the library and enters through `mobile_entry_point`.

mod commands;

use std::path::PathBuf;
use std::sync::Arc;

use karte_api::{App, Environment, KdfParams};
use tauri::Manager;

/// The vault this app opens on a desktop: `KARTE_VAULT`, else the one in
/// the system's data directory (the same file `karte` uses).
#[cfg(desktop)]
fn vault_path(_app: &tauri::AppHandle) -> tauri::Result<PathBuf> {
    Ok(std::env::var_os("KARTE_VAULT")
        .map(PathBuf::from)
        .or_else(karte_api::default_vault_path)
        .unwrap_or_else(|| PathBuf::from("vault.karte")))
}

/// The vault this app opens on a phone or tablet: in the app's private
/// data folder, which no other app can read and which the system removes
/// with the app. A mobile app has neither an environment to set nor a
/// command line sharing the file.
#[cfg(mobile)]
fn vault_path(app: &tauri::AppHandle) -> tauri::Result<PathBuf> {
    Ok(app.path().app_data_dir()?.join("vault.karte"))
}

/// Starts the app and returns when its last window closes.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    tauri::Builder::default()
        .setup(|tauri_app| {
            let vault = vault_path(tauri_app.handle())?;
            if let Some(folder) = vault.parent() {
                // The vault's folder must exist before the first run creates
                // it; if it cannot be made, opening the vault says why.
                let _ = std::fs::create_dir_all(folder);
            }
            let app = Arc::new(App::new(vault, KdfParams::strong(), Environment::system));
            App::lock_when_idle(&app);
            tauri_app.manage(commands::Shared(app));
            // The window is made only now, once the app it calls is in
            // place: one Tauri made before `setup` could load the UI and
            // call `call` before there was anything to answer it (the
            // config's window says `"create": false` for this).
            for window in &tauri_app.config().app.windows {
                tauri::WebviewWindowBuilder::from_config(tauri_app.handle(), window)?.build()?;
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![commands::call])
        .build(tauri::generate_context!())
        .expect("the Karte window could not be built")
        .run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                // The key leaves memory when the app quits.
                if let Some(shared) = handle.try_state::<commands::Shared>() {
                    let _ = shared.0.lock();
                }
            }
        });
}
