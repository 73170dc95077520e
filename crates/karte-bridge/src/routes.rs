//! The API's addresses: one per operation of [`karte_api::Session`], reads
//! as GET and writes as POST, all JSON under `/api/v1/`.

use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use karte_api::AuditEntry;
use karte_types::{
    AllergyInput, AppUser, ChartView, ConditionInput, Credentials, Demographics, Draft, DraftInput,
    EnrolRequest, EntryId, Made, MedicationInput, PatientId, PatientSummary, ResolveRequest,
    ReviewId, SessionState, Settings, SyncReport, SyncState, VisitInput, VoidRequest,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use zeroize::Zeroize;

use crate::guard::{bearer_token, loopback_only};
use crate::{Bridge, Problem};

/// Every address the bridge answers, guarded by the loopback check; the API
/// also by the token.
pub fn router(bridge: Bridge) -> Router {
    let patient = "/patients/{patient}";
    let api = Router::new()
        .route("/session", get(session))
        .route("/create", post(create))
        .route("/unlock", post(unlock))
        .route("/lock", post(lock))
        .route("/patients", get(patients).post(add_patient))
        .route(patient, post(update_patient))
        .route(&format!("{patient}/chart"), get(chart))
        .route(&format!("{patient}/allergies"), post(add_allergy))
        .route(
            &format!("{patient}/no-known-allergies"),
            post(set_no_known_allergies),
        )
        .route(&format!("{patient}/conditions"), post(add_condition))
        .route(&format!("{patient}/medications"), post(add_medication))
        .route(&format!("{patient}/visits"), post(record_visit))
        .route(
            &format!("{patient}/entries/{{entry}}/void"),
            post(void_entry),
        )
        .route(
            &format!("{patient}/reviews/{{review}}/resolve"),
            post(resolve_review),
        )
        .route("/audit", get(audit_log))
        .route("/sync/status", get(sync_status))
        .route("/sync", post(sync))
        .route("/enroll", post(enroll))
        .route("/settings", get(settings).post(save_settings))
        .route(
            "/drafts/{key}",
            get(draft).put(save_draft).delete(discard_draft),
        )
        .route_layer(middleware::from_fn_with_state(bridge.clone(), bearer_token))
        .fallback(unknown_address)
        // Answers hold patient data: no cache may keep them.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let pages = match bridge.ui() {
        Some(dir) => Router::new()
            .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => Router::new().route("/", get(placeholder)),
    };
    Router::new()
        .nest("/api/v1", api)
        .merge(pages)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(middleware::from_fn(loopback_only))
        .with_state(bridge)
}

/// The page may run only its own scripts and wasm, and talk only to the
/// bridge.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// A JSON body whose rejection is a [`Problem`] like every other failure.
struct Body<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(Problem::new(
                rejection.status(),
                "malformed_request",
                format!(
                    "{}; send a JSON body with Content-Type: application/json",
                    rejection.body_text()
                ),
            )),
        }
    }
}

type Answer<T> = Result<Json<T>, Problem>;

/// The page at `/` when the bridge was started without the built UI; it
/// holds no patient data and so needs no token.
async fn placeholder() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>Karte</title>\
         <p>The Karte UI is not served here: start the bridge with --ui-dist DIR. \
         The API answers under /api/v1/.</p></html>",
    )
}

async fn unknown_address() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such address; the API lives under /api/v1/",
    )
}

async fn session(State(bridge): State<Bridge>) -> Answer<SessionState> {
    Ok(Json(bridge.call(|app| app.session_state()).await?))
}

/// Runs `use_them` and then wipes the passphrase from memory.
fn then_wiped<T>(mut credentials: Credentials, use_them: impl FnOnce(&Credentials) -> T) -> T {
    let result = use_them(&credentials);
    credentials.passphrase.zeroize();
    result
}

async fn create(State(bridge): State<Bridge>, Body(c): Body<Credentials>) -> Answer<AppUser> {
    let user = bridge
        .call(move |app| then_wiped(c, |c| app.create(c)))
        .await?;
    Ok(Json(user))
}

async fn unlock(State(bridge): State<Bridge>, Body(c): Body<Credentials>) -> Answer<AppUser> {
    let user = bridge
        .call(move |app| then_wiped(c, |c| app.unlock(c)))
        .await?;
    Ok(Json(user))
}

#[derive(Debug, Serialize)]
struct Locked {
    was_unlocked: bool,
}

async fn lock(State(bridge): State<Bridge>) -> Json<Locked> {
    Json(Locked {
        was_unlocked: bridge.lock().await,
    })
}

#[derive(Debug, Deserialize)]
struct Search {
    search: Option<String>,
}

async fn patients(
    State(bridge): State<Bridge>,
    Query(q): Query<Search>,
) -> Answer<Vec<PatientSummary>> {
    let found = bridge
        .with_session(move |s| s.patients(q.search.as_deref()))
        .await?;
    Ok(Json(found))
}

async fn add_patient(
    State(bridge): State<Bridge>,
    Body(patient): Body<Demographics>,
) -> Answer<Made<PatientId>> {
    let id = bridge
        .with_session(move |s| s.add_patient(&patient))
        .await?;
    Ok(Json(Made { id }))
}

async fn chart(State(bridge): State<Bridge>, Path(patient): Path<String>) -> Answer<ChartView> {
    let view = bridge
        .with_session(move |s| s.chart(&PatientId(patient)))
        .await?;
    Ok(Json(view))
}

async fn add_allergy(
    State(bridge): State<Bridge>,
    Path(patient): Path<String>,
    Body(input): Body<AllergyInput>,
) -> Answer<Made<EntryId>> {
    let id = bridge
        .with_session(move |s| s.add_allergy(&PatientId(patient), &input))
        .await?;
    Ok(Json(Made { id }))
}

async fn set_no_known_allergies(
    State(bridge): State<Bridge>,
    Path(patient): Path<String>,
) -> Answer<()> {
    bridge
        .with_session(move |s| s.set_no_known_allergies(&PatientId(patient)))
        .await?;
    Ok(Json(()))
}

async fn add_condition(
    State(bridge): State<Bridge>,
    Path(patient): Path<String>,
    Body(input): Body<ConditionInput>,
) -> Answer<Made<EntryId>> {
    let id = bridge
        .with_session(move |s| s.add_condition(&PatientId(patient), &input))
        .await?;
    Ok(Json(Made { id }))
}

async fn add_medication(
    State(bridge): State<Bridge>,
    Path(patient): Path<String>,
    Body(input): Body<MedicationInput>,
) -> Answer<Made<EntryId>> {
    let id = bridge
        .with_session(move |s| s.add_medication(&PatientId(patient), &input))
        .await?;
    Ok(Json(Made { id }))
}

async fn record_visit(
    State(bridge): State<Bridge>,
    Path(patient): Path<String>,
    Body(input): Body<VisitInput>,
) -> Answer<Made<EntryId>> {
    let id = bridge
        .with_session(move |s| s.record_visit(&PatientId(patient), &input))
        .await?;
    Ok(Json(Made { id }))
}

async fn void_entry(
    State(bridge): State<Bridge>,
    Path((patient, entry)): Path<(String, String)>,
    Body(body): Body<VoidRequest>,
) -> Answer<()> {
    bridge
        .with_session(move |s| s.void_entry(&PatientId(patient), &EntryId(entry), &body.reason))
        .await?;
    Ok(Json(()))
}

async fn resolve_review(
    State(bridge): State<Bridge>,
    Path((patient, review)): Path<(String, String)>,
    Body(body): Body<ResolveRequest>,
) -> Answer<()> {
    bridge
        .with_session(move |s| {
            s.resolve_review(&PatientId(patient), &ReviewId(review), &body.chosen)
        })
        .await?;
    Ok(Json(()))
}

#[derive(Debug, Deserialize)]
struct AuditFilter {
    patient: Option<String>,
}

async fn audit_log(
    State(bridge): State<Bridge>,
    Query(filter): Query<AuditFilter>,
) -> Answer<Vec<AuditEntry>> {
    let patient = filter.patient.map(PatientId);
    let entries = bridge
        .with_session(move |s| s.audit_log(patient.as_ref()))
        .await?;
    Ok(Json(entries))
}

async fn sync_status(State(bridge): State<Bridge>) -> Answer<SyncState> {
    Ok(Json(bridge.call(|app| app.sync_state()).await?))
}

/// Syncs with the hub. Progress is not streamed: the answer comes when the
/// sync is done, and the status bar shows that a sync is running.
async fn sync(State(bridge): State<Bridge>) -> Answer<SyncReport> {
    Ok(Json(bridge.call(|app| app.sync(|_| {})).await?))
}

async fn enroll(
    State(bridge): State<Bridge>,
    Body(request): Body<EnrolRequest>,
) -> Answer<SyncState> {
    Ok(Json(bridge.call(move |app| app.enroll(&request)).await?))
}

async fn update_patient(
    State(bridge): State<Bridge>,
    Path(patient): Path<String>,
    Body(demographics): Body<Demographics>,
) -> Answer<()> {
    bridge
        .with_session(move |s| s.update_patient(&PatientId(patient), &demographics))
        .await?;
    Ok(Json(()))
}

async fn settings(State(bridge): State<Bridge>) -> Answer<Settings> {
    Ok(Json(bridge.call(|app| app.settings()).await?))
}

async fn save_settings(
    State(bridge): State<Bridge>,
    Body(settings): Body<Settings>,
) -> Answer<Settings> {
    Ok(Json(
        bridge.call(move |app| app.save_settings(&settings)).await?,
    ))
}

async fn draft(State(bridge): State<Bridge>, Path(key): Path<String>) -> Answer<Option<Draft>> {
    Ok(Json(bridge.with_session(move |s| s.draft(&key)).await?))
}

async fn save_draft(
    State(bridge): State<Bridge>,
    Path(key): Path<String>,
    Body(input): Body<DraftInput>,
) -> Answer<()> {
    bridge
        .with_session(move |s| s.save_draft(&key, &input))
        .await?;
    Ok(Json(()))
}

async fn discard_draft(State(bridge): State<Bridge>, Path(key): Path<String>) -> Answer<()> {
    bridge.with_session(move |s| s.discard_draft(&key)).await?;
    Ok(Json(()))
}
