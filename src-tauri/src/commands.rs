//! The one Tauri command, `call`: it takes an operation's name (the
//! `Karte-Operation` header) and its arguments (the raw JSON body) and hands
//! both to `karte_api::App::call`, which knows every operation. So the
//! shell names no operation, and a new one needs nothing here. It runs on
//! the blocking pool, since it is disk and crypto work.

use std::sync::Arc;

use karte_api::App;
use karte_types::{ErrorCode, Problem};
use tauri::State;
use tauri::ipc::{InvokeBody, Request};
use zeroize::Zeroizing;

/// The one app, shared by every call.
pub struct Shared(pub Arc<App>);

/// The header that names the operation.
const OPERATION: &str = "karte-operation";

#[tauri::command]
pub async fn call(
    app: State<'_, Shared>,
    request: Request<'_>,
) -> Result<serde_json::Value, Problem> {
    let name = request
        .headers()
        .get(OPERATION)
        .and_then(|name| name.to_str().ok())
        .ok_or_else(|| {
            Problem::new(
                ErrorCode::BadRequest,
                "a call names its operation in the Karte-Operation header",
            )
        })?
        .to_owned();
    // A copy the call wipes when done: the body may hold a passphrase.
    let arguments = Zeroizing::new(match request.body() {
        InvokeBody::Raw(bytes) => bytes.clone(),
        InvokeBody::Json(value) => serde_json::to_vec(value).unwrap_or_default(),
    });
    let app = Arc::clone(&app.0);
    tauri::async_runtime::spawn_blocking(move || app.call(&name, arguments).map_err(Problem::from))
        .await
        .unwrap_or_else(|_| {
            Err(Problem::new(
                ErrorCode::Internal,
                "the request failed inside the vault; unlock again",
            ))
        })
}
