//! The backend inside the Tauri shell: the only place in the UI that calls
//! `window.__TAURI__.core.invoke`. Arguments are camelCase JSON keys; a
//! failed command rejects with the core's `Problem`.

use js_sys::{Function, Promise, Reflect};
use karte_types::{
    AllergyInput, AppUser, ChartView, ConditionInput, Credentials, Demographics, Draft, DraftInput,
    EnrolRequest, EntryId, Made, MedicationInput, PatientId, PatientSummary, Problem,
    ResolveRequest, ReviewId, SessionState, Settings, SyncReport, SyncState, VisitInput,
    VoidRequest,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{Backend, Call, Locked, local_problem};

/// The Tauri shell's commands.
#[derive(Debug, Clone, Copy)]
pub struct TauriBackend;

fn invoke_function() -> Option<Function> {
    let window = web_sys::window()?;
    let tauri = Reflect::get(&window, &JsValue::from_str("__TAURI__")).ok()?;
    let core = Reflect::get(&tauri, &JsValue::from_str("core")).ok()?;
    Reflect::get(&core, &JsValue::from_str("invoke"))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}

/// Whether the page runs inside the Tauri shell.
pub fn available() -> bool {
    invoke_function().is_some()
}

fn to_problem(error: JsValue) -> Problem {
    serde_wasm_bindgen::from_value::<Problem>(error.clone()).unwrap_or_else(|_| {
        local_problem(
            "shell_error",
            error
                .as_string()
                .unwrap_or_else(|| "the app shell refused the command".to_owned()),
        )
    })
}

fn invoke<T: DeserializeOwned + 'static>(command: &'static str, args: Value) -> Call<T> {
    Box::pin(async move {
        let invoke = invoke_function()
            .ok_or_else(|| local_problem("no_shell", "the Tauri shell is not available"))?;
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let args = serde::Serialize::serialize(&args, &serializer)
            .map_err(|e| local_problem("bad_request", e.to_string()))?;
        let promise: Promise = invoke
            .call2(&JsValue::NULL, &JsValue::from_str(command), &args)
            .map_err(to_problem)?
            .dyn_into()
            .map_err(|_| local_problem("shell_error", "invoke did not return a promise"))?;
        let answer = JsFuture::from(promise).await.map_err(to_problem)?;
        let answer = if answer.is_undefined() {
            JsValue::NULL
        } else {
            answer
        };
        serde_wasm_bindgen::from_value(answer).map_err(|e| {
            local_problem(
                "bad_answer",
                format!("unreadable answer from the shell: {e}"),
            )
        })
    })
}

impl Backend for TauriBackend {
    fn session(&self) -> Call<SessionState> {
        invoke("session", json!({}))
    }
    fn create(&self, credentials: Credentials) -> Call<AppUser> {
        invoke("create", json!({ "credentials": credentials }))
    }
    fn unlock(&self, credentials: Credentials) -> Call<AppUser> {
        invoke("unlock", json!({ "credentials": credentials }))
    }
    fn lock(&self) -> Call<Locked> {
        invoke("lock", json!({}))
    }
    fn patients(&self, search: Option<String>) -> Call<Vec<PatientSummary>> {
        invoke("patients", json!({ "search": search }))
    }
    fn add_patient(&self, patient: Demographics) -> Call<Made<PatientId>> {
        invoke("add_patient", json!({ "patient": patient }))
    }
    fn chart(&self, patient: PatientId) -> Call<ChartView> {
        invoke("chart", json!({ "patient": patient }))
    }
    fn update_patient(&self, patient: PatientId, demographics: Demographics) -> Call<()> {
        invoke(
            "update_patient",
            json!({ "patient": patient, "demographics": demographics }),
        )
    }
    fn add_allergy(&self, patient: PatientId, input: AllergyInput) -> Call<Made<EntryId>> {
        invoke("add_allergy", json!({ "patient": patient, "input": input }))
    }
    fn set_no_known_allergies(&self, patient: PatientId) -> Call<()> {
        invoke("set_no_known_allergies", json!({ "patient": patient }))
    }
    fn add_condition(&self, patient: PatientId, input: ConditionInput) -> Call<Made<EntryId>> {
        invoke(
            "add_condition",
            json!({ "patient": patient, "input": input }),
        )
    }
    fn add_medication(&self, patient: PatientId, input: MedicationInput) -> Call<Made<EntryId>> {
        invoke(
            "add_medication",
            json!({ "patient": patient, "input": input }),
        )
    }
    fn record_visit(&self, patient: PatientId, input: VisitInput) -> Call<Made<EntryId>> {
        invoke(
            "record_visit",
            json!({ "patient": patient, "input": input }),
        )
    }
    fn void_entry(&self, patient: PatientId, entry: EntryId, request: VoidRequest) -> Call<()> {
        invoke(
            "void_entry",
            json!({ "patient": patient, "entry": entry, "request": request }),
        )
    }
    fn resolve_review(
        &self,
        patient: PatientId,
        review: ReviewId,
        request: ResolveRequest,
    ) -> Call<()> {
        invoke(
            "resolve_review",
            json!({ "patient": patient, "review": review, "request": request }),
        )
    }
    fn sync_status(&self) -> Call<SyncState> {
        invoke("sync_status", json!({}))
    }
    fn sync(&self) -> Call<SyncReport> {
        invoke("sync", json!({}))
    }
    fn enroll(&self, request: EnrolRequest) -> Call<SyncState> {
        invoke("enroll", json!({ "request": request }))
    }
    fn settings(&self) -> Call<Settings> {
        invoke("settings", json!({}))
    }
    fn save_settings(&self, settings: Settings) -> Call<Settings> {
        invoke("save_settings", json!({ "settings": settings }))
    }
    fn draft(&self, key: String) -> Call<Option<Draft>> {
        invoke("draft", json!({ "key": key }))
    }
    fn save_draft(&self, key: String, input: DraftInput) -> Call<()> {
        invoke("save_draft", json!({ "key": key, "input": input }))
    }
    fn discard_draft(&self, key: String) -> Call<()> {
        invoke("discard_draft", json!({ "key": key }))
    }
}
