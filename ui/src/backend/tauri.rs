//! The backend inside the Tauri shell: the only place in the UI that calls
//! the shell's `invoke`. The shell puts no JavaScript API object on the
//! page (`withGlobalTauri` is off); the UI reaches the IPC entry
//! `__TAURI_INTERNALS__.invoke` that Tauri gives its own page in any case,
//! as Tauri's own JavaScript library does. Every operation goes through the shell's
//! one command, `call`: the arguments travel as the raw JSON body, the
//! operation's name in the `Karte-Operation` header; a failed call rejects
//! with the core's `Problem`.

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use karte_types::{ErrorCode, Problem};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{Backend, Call, local_problem};

/// The Tauri shell's command.
#[derive(Debug, Clone, Copy)]
pub struct TauriBackend;

fn invoke_function() -> Option<Function> {
    let window = web_sys::window()?;
    let internals = Reflect::get(&window, &JsValue::from_str("__TAURI_INTERNALS__")).ok()?;
    let invoke = Reflect::get(&internals, &JsValue::from_str("invoke")).ok()?;
    let invoke = invoke.dyn_into::<Function>().ok()?;
    // Called as a method of the internals object, as Tauri's library does.
    Some(invoke.bind0(&internals))
}

/// Whether the page runs inside the Tauri shell.
pub fn available() -> bool {
    invoke_function().is_some()
}

fn to_problem(error: JsValue) -> Problem {
    serde_wasm_bindgen::from_value::<Problem>(error.clone()).unwrap_or_else(|_| {
        local_problem(
            ErrorCode::ShellError,
            error
                .as_string()
                .unwrap_or_else(|| "the app shell refused the command".to_owned()),
        )
    })
}

/// `{ headers: { "Karte-Operation": operation } }`, the options of invoke.
fn options(operation: &str) -> Result<Object, JsValue> {
    let headers = Object::new();
    Reflect::set(
        &headers,
        &JsValue::from_str("Karte-Operation"),
        &JsValue::from_str(operation),
    )?;
    let options = Object::new();
    Reflect::set(&options, &JsValue::from_str("headers"), &headers)?;
    Ok(options)
}

impl Backend for TauriBackend {
    fn send(&self, operation: &'static str, arguments: Vec<u8>) -> Call<Vec<u8>> {
        Box::pin(async move {
            let invoke = invoke_function().ok_or_else(|| {
                local_problem(ErrorCode::NoShell, "the Tauri shell is not available")
            })?;
            let body = Uint8Array::from(arguments.as_slice());
            let options = options(operation).map_err(to_problem)?;
            let promise: Promise = invoke
                .call3(&JsValue::NULL, &JsValue::from_str("call"), &body, &options)
                .map_err(to_problem)?
                .dyn_into()
                .map_err(|_| {
                    local_problem(ErrorCode::ShellError, "invoke did not return a promise")
                })?;
            let answer = JsFuture::from(promise).await.map_err(to_problem)?;
            if answer.is_undefined() || answer.is_null() {
                return Ok(Vec::new());
            }
            // The shell's answer as JSON text, read into its type by `call`.
            js_sys::JSON::stringify(&answer)
                .ok()
                .and_then(|text| text.as_string())
                .map(String::into_bytes)
                .ok_or_else(|| {
                    local_problem(ErrorCode::BadAnswer, "unreadable answer from the shell")
                })
        })
    }
}
