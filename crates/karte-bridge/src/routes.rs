//! The API's addresses: one per operation of [`karte_api::Session`], reads
//! as GET and writes as POST, all JSON under `/api/v1/`.

use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use karte_api::{AuditEntry, SyncStatus, SyncSummary, UserRecord};
use karte_types::{
    AllergyInput, ChartView, ConditionInput, Demographics, EntryId, MedicationInput, PatientId,
    PatientSummary, ReviewId, VisitInput,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::guard::{bearer_token, loopback_only};
use crate::{Bridge, Problem};

/// Every address the bridge answers, guarded by the loopback and token checks.
pub fn router(bridge: Bridge) -> Router {
    let patient = "/api/v1/patients/{patient}";
    let api = Router::new()
        .route("/api/v1/session", get(session))
        .route("/api/v1/create", post(create))
        .route("/api/v1/unlock", post(unlock))
        .route("/api/v1/lock", post(lock))
        .route("/api/v1/patients", get(patients).post(add_patient))
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
        .route("/api/v1/audit", get(audit_log))
        .route("/api/v1/sync/status", get(sync_status))
        .route("/api/v1/sync", post(sync))
        .fallback(unknown_address)
        .route_layer(middleware::from_fn_with_state(bridge.clone(), bearer_token));
    Router::new()
        .route("/", get(placeholder))
        .merge(api)
        .layer(middleware::from_fn(loopback_only))
        .with_state(bridge)
}

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

/// The page at `/` until the UI is built; it holds no patient data and so
/// needs no token.
async fn placeholder() -> impl IntoResponse {
    (
        [(header::REFERRER_POLICY, "no-referrer")],
        Html(
            "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>Karte</title>\
             <p>The Karte UI is not built yet. The bridge's API answers under /api/v1/.</p></html>",
        ),
    )
}

async fn unknown_address() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such address; the API lives under /api/v1/",
    )
}

#[derive(Debug, Serialize)]
struct SessionState {
    unlocked: bool,
    user: Option<UserRecord>,
}

async fn session(State(bridge): State<Bridge>) -> Answer<SessionState> {
    let user = bridge.current_user().await?;
    Ok(Json(SessionState {
        unlocked: user.is_some(),
        user,
    }))
}

#[derive(Debug, Deserialize)]
struct Credentials {
    user: Option<String>,
    passphrase: String,
}

async fn create(State(bridge): State<Bridge>, Body(c): Body<Credentials>) -> Answer<UserRecord> {
    let user = c.user.unwrap_or_else(|| "admin".to_owned());
    Ok(Json(bridge.create(user, c.passphrase).await?))
}

async fn unlock(State(bridge): State<Bridge>, Body(c): Body<Credentials>) -> Answer<UserRecord> {
    Ok(Json(bridge.unlock(c.user, c.passphrase).await?))
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

/// The id of what a write made.
#[derive(Debug, Serialize)]
struct Made<T> {
    id: T,
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

#[derive(Debug, Deserialize)]
struct Void {
    reason: String,
}

async fn void_entry(
    State(bridge): State<Bridge>,
    Path((patient, entry)): Path<(String, String)>,
    Body(body): Body<Void>,
) -> Answer<()> {
    bridge
        .with_session(move |s| s.void_entry(&PatientId(patient), &EntryId(entry), &body.reason))
        .await?;
    Ok(Json(()))
}

#[derive(Debug, Deserialize)]
struct Resolve {
    chosen: String,
}

async fn resolve_review(
    State(bridge): State<Bridge>,
    Path((patient, review)): Path<(String, String)>,
    Body(body): Body<Resolve>,
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

async fn sync_status(State(bridge): State<Bridge>) -> Answer<SyncStatus> {
    Ok(Json(bridge.with_session(|s| s.sync_status()).await?))
}

/// Syncs with the hub. Progress is not streamed yet: the answer comes when
/// the sync is done.
async fn sync(State(bridge): State<Bridge>) -> Answer<SyncSummary> {
    Ok(Json(bridge.with_session(|s| s.sync(|_| {})).await?))
}
