//! The Tauri commands: thin wiring over `karte_api::App`, one per operation
//! of the application API, with the same names and DTOs as the HTTP bridge.
//! Each runs on the blocking pool, since it is disk and crypto work.

use std::sync::Arc;

use karte_api::{ApiError, App, Session};
use karte_types::{
    AllergyInput, AppUser, ChartView, ConditionInput, Credentials, Demographics, Draft, DraftInput,
    EnrolRequest, EntryId, Made, MedicationInput, PatientId, PatientSummary, Problem,
    ResolveRequest, ReviewId, SessionState, Settings, SyncReport, SyncState, VisitInput,
    VoidRequest,
};
use tauri::State;

/// The one app, shared by every command.
pub struct Shared(pub Arc<App>);

type Answer<T> = Result<T, Problem>;

impl Shared {
    async fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&App) -> Result<T, ApiError> + Send + 'static,
    ) -> Answer<T> {
        let app = Arc::clone(&self.0);
        tauri::async_runtime::spawn_blocking(move || call(&app).map_err(Problem::from))
            .await
            .unwrap_or_else(|_| {
                Err(Problem::new(
                    "internal",
                    "the request failed inside the vault; unlock again",
                ))
            })
    }

    async fn session<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut Session) -> Result<T, ApiError> + Send + 'static,
    ) -> Answer<T> {
        self.call(move |app| app.with_session(call)).await
    }
}

#[tauri::command]
pub async fn session(app: State<'_, Shared>) -> Answer<SessionState> {
    app.call(|app| app.session_state()).await
}

#[tauri::command]
pub async fn create(app: State<'_, Shared>, credentials: Credentials) -> Answer<AppUser> {
    app.call(move |app| app.create(&credentials)).await
}

#[tauri::command]
pub async fn unlock(app: State<'_, Shared>, credentials: Credentials) -> Answer<AppUser> {
    app.call(move |app| app.unlock(&credentials)).await
}

#[derive(serde::Serialize)]
pub struct Locked {
    was_unlocked: bool,
}

#[tauri::command]
pub async fn lock(app: State<'_, Shared>) -> Answer<Locked> {
    let was_unlocked = app.call(|app| Ok(app.lock())).await?;
    Ok(Locked { was_unlocked })
}

#[tauri::command]
pub async fn patients(
    app: State<'_, Shared>,
    search: Option<String>,
) -> Answer<Vec<PatientSummary>> {
    app.session(move |s| s.patients(search.as_deref())).await
}

#[tauri::command]
pub async fn add_patient(app: State<'_, Shared>, patient: Demographics) -> Answer<Made<PatientId>> {
    let id = app.session(move |s| s.add_patient(&patient)).await?;
    Ok(Made { id })
}

#[tauri::command]
pub async fn chart(app: State<'_, Shared>, patient: PatientId) -> Answer<ChartView> {
    app.session(move |s| s.chart(&patient)).await
}

#[tauri::command]
pub async fn update_patient(
    app: State<'_, Shared>,
    patient: PatientId,
    demographics: Demographics,
) -> Answer<()> {
    app.session(move |s| s.update_patient(&patient, &demographics))
        .await
}

#[tauri::command]
pub async fn add_allergy(
    app: State<'_, Shared>,
    patient: PatientId,
    input: AllergyInput,
) -> Answer<Made<EntryId>> {
    let id = app
        .session(move |s| s.add_allergy(&patient, &input))
        .await?;
    Ok(Made { id })
}

#[tauri::command]
pub async fn set_no_known_allergies(app: State<'_, Shared>, patient: PatientId) -> Answer<()> {
    app.session(move |s| s.set_no_known_allergies(&patient))
        .await
}

#[tauri::command]
pub async fn add_condition(
    app: State<'_, Shared>,
    patient: PatientId,
    input: ConditionInput,
) -> Answer<Made<EntryId>> {
    let id = app
        .session(move |s| s.add_condition(&patient, &input))
        .await?;
    Ok(Made { id })
}

#[tauri::command]
pub async fn add_medication(
    app: State<'_, Shared>,
    patient: PatientId,
    input: MedicationInput,
) -> Answer<Made<EntryId>> {
    let id = app
        .session(move |s| s.add_medication(&patient, &input))
        .await?;
    Ok(Made { id })
}

#[tauri::command]
pub async fn record_visit(
    app: State<'_, Shared>,
    patient: PatientId,
    input: VisitInput,
) -> Answer<Made<EntryId>> {
    let id = app
        .session(move |s| s.record_visit(&patient, &input))
        .await?;
    Ok(Made { id })
}

#[tauri::command]
pub async fn void_entry(
    app: State<'_, Shared>,
    patient: PatientId,
    entry: EntryId,
    request: VoidRequest,
) -> Answer<()> {
    app.session(move |s| s.void_entry(&patient, &entry, &request.reason))
        .await
}

#[tauri::command]
pub async fn resolve_review(
    app: State<'_, Shared>,
    patient: PatientId,
    review: ReviewId,
    request: ResolveRequest,
) -> Answer<()> {
    app.session(move |s| s.resolve_review(&patient, &review, &request.chosen))
        .await
}

#[tauri::command]
pub async fn sync_status(app: State<'_, Shared>) -> Answer<SyncState> {
    app.call(|app| app.sync_state()).await
}

#[tauri::command]
pub async fn sync(app: State<'_, Shared>) -> Answer<SyncReport> {
    app.call(|app| app.sync(|_| {})).await
}

#[tauri::command]
pub async fn enroll(app: State<'_, Shared>, request: EnrolRequest) -> Answer<SyncState> {
    app.call(move |app| app.enroll(&request)).await
}

#[tauri::command]
pub async fn settings(app: State<'_, Shared>) -> Answer<Settings> {
    app.call(|app| app.settings()).await
}

#[tauri::command]
pub async fn save_settings(app: State<'_, Shared>, settings: Settings) -> Answer<Settings> {
    app.call(move |app| app.save_settings(&settings)).await
}

#[tauri::command]
pub async fn draft(app: State<'_, Shared>, key: String) -> Answer<Option<Draft>> {
    app.session(move |s| s.draft(&key)).await
}

#[tauri::command]
pub async fn save_draft(app: State<'_, Shared>, key: String, input: DraftInput) -> Answer<()> {
    app.session(move |s| s.save_draft(&key, &input)).await
}

#[tauri::command]
pub async fn discard_draft(app: State<'_, Shared>, key: String) -> Answer<()> {
    app.session(move |s| s.discard_draft(&key)).await
}
