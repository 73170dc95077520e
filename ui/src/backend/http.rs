//! The backend over the local bridge (`karte ui serve`): JSON under
//! `/api/v1/` on this page's origin, with the bearer token the bridge printed
//! in the URL fragment. The token is kept in memory only.

use gloo_net::http::{Request, RequestBuilder};
use karte_types::{
    AllergyInput, AppUser, ChartView, ConditionInput, Credentials, Demographics, Draft, DraftInput,
    EnrolRequest, EntryId, Made, MedicationInput, PatientId, PatientSummary, Problem,
    ResolveRequest, ReviewId, SessionState, Settings, SyncReport, SyncState, VisitInput,
    VoidRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Backend, Call, Locked, local_problem, token_from_fragment};

/// The bridge at `base`, reached with `token`.
#[derive(Debug, Clone)]
pub struct HttpBackend {
    base: String,
    token: String,
}

enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl HttpBackend {
    /// The bridge that served this page, with the token of its fragment.
    pub fn from_location() -> Result<HttpBackend, Problem> {
        let location = web_sys::window()
            .ok_or_else(|| local_problem("no_window", "the UI runs outside a browser window"))?
            .location();
        let base = location.origin().unwrap_or_default();
        let token = token_from_fragment(&location.hash().unwrap_or_default()).ok_or_else(|| {
            local_problem(
                "no_token",
                "open the address that `karte ui serve` printed, with its #token=",
            )
        })?;
        Ok(HttpBackend { base, token })
    }

    fn builder(&self, method: Method, path: &str) -> RequestBuilder {
        let url = format!("{}/api/v1/{path}", self.base);
        let builder = match method {
            Method::Get => Request::get(&url),
            Method::Post => Request::post(&url),
            Method::Put => Request::put(&url),
            Method::Delete => Request::delete(&url),
        };
        // Answers hold patient data: never into the browser's disk cache.
        builder
            .header("Authorization", &format!("Bearer {}", self.token))
            .cache(web_sys::RequestCache::NoStore)
    }

    fn call<T: DeserializeOwned + 'static>(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Call<T> {
        let builder = self.builder(method, path);
        Box::pin(async move {
            let request = match body {
                Some(body) => builder.json(&body),
                None => builder.build(),
            }
            .map_err(|e| local_problem("bad_request", e.to_string()))?;
            let response = request.send().await.map_err(|e| {
                local_problem(
                    "bridge_unreachable",
                    format!("the local bridge did not answer: {e}"),
                )
            })?;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if (200..300).contains(&status) {
                let text = if text.trim().is_empty() {
                    "null"
                } else {
                    &text
                };
                serde_json::from_str(text).map_err(|e| {
                    local_problem(
                        "bad_answer",
                        format!("unreadable answer from the bridge: {e}"),
                    )
                })
            } else {
                Err(serde_json::from_str::<Problem>(&text).unwrap_or_else(|_| {
                    local_problem(
                        "http_error",
                        format!("the bridge answered {status}: {text}"),
                    )
                }))
            }
        })
    }

    fn get<T: DeserializeOwned + 'static>(&self, path: &str) -> Call<T> {
        self.call(Method::Get, path, None)
    }

    fn post<T: DeserializeOwned + 'static>(&self, path: &str, body: impl Serialize) -> Call<T> {
        self.call(Method::Post, path, Some(json(body)))
    }

    fn post_empty<T: DeserializeOwned + 'static>(&self, path: &str) -> Call<T> {
        self.call(Method::Post, path, Some(serde_json::Value::Null))
    }
}

fn json(value: impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn encode(segment: &str) -> String {
    String::from(js_sys::encode_uri_component(segment))
}

impl Backend for HttpBackend {
    fn session(&self) -> Call<SessionState> {
        self.get("session")
    }
    fn create(&self, credentials: Credentials) -> Call<AppUser> {
        self.post("create", credentials)
    }
    fn unlock(&self, credentials: Credentials) -> Call<AppUser> {
        self.post("unlock", credentials)
    }
    fn lock(&self) -> Call<Locked> {
        self.post_empty("lock")
    }
    fn patients(&self, search: Option<String>) -> Call<Vec<PatientSummary>> {
        match search.filter(|s| !s.trim().is_empty()) {
            Some(text) => self.get(&format!("patients?search={}", encode(&text))),
            None => self.get("patients"),
        }
    }
    fn add_patient(&self, patient: Demographics) -> Call<Made<PatientId>> {
        self.post("patients", patient)
    }
    fn chart(&self, patient: PatientId) -> Call<ChartView> {
        self.get(&format!("patients/{}/chart", encode(patient.as_str())))
    }
    fn update_patient(&self, patient: PatientId, demographics: Demographics) -> Call<()> {
        self.post(
            &format!("patients/{}", encode(patient.as_str())),
            demographics,
        )
    }
    fn add_allergy(&self, patient: PatientId, input: AllergyInput) -> Call<Made<EntryId>> {
        self.post(
            &format!("patients/{}/allergies", encode(patient.as_str())),
            input,
        )
    }
    fn set_no_known_allergies(&self, patient: PatientId) -> Call<()> {
        self.post_empty(&format!(
            "patients/{}/no-known-allergies",
            encode(patient.as_str())
        ))
    }
    fn add_condition(&self, patient: PatientId, input: ConditionInput) -> Call<Made<EntryId>> {
        self.post(
            &format!("patients/{}/conditions", encode(patient.as_str())),
            input,
        )
    }
    fn add_medication(&self, patient: PatientId, input: MedicationInput) -> Call<Made<EntryId>> {
        self.post(
            &format!("patients/{}/medications", encode(patient.as_str())),
            input,
        )
    }
    fn record_visit(&self, patient: PatientId, input: VisitInput) -> Call<Made<EntryId>> {
        self.post(
            &format!("patients/{}/visits", encode(patient.as_str())),
            input,
        )
    }
    fn void_entry(&self, patient: PatientId, entry: EntryId, request: VoidRequest) -> Call<()> {
        self.post(
            &format!(
                "patients/{}/entries/{}/void",
                encode(patient.as_str()),
                encode(entry.as_str())
            ),
            request,
        )
    }
    fn resolve_review(
        &self,
        patient: PatientId,
        review: ReviewId,
        request: ResolveRequest,
    ) -> Call<()> {
        self.post(
            &format!(
                "patients/{}/reviews/{}/resolve",
                encode(patient.as_str()),
                encode(review.as_str())
            ),
            request,
        )
    }
    fn sync_status(&self) -> Call<SyncState> {
        self.get("sync/status")
    }
    fn sync(&self) -> Call<SyncReport> {
        self.post_empty("sync")
    }
    fn enroll(&self, request: EnrolRequest) -> Call<SyncState> {
        self.post("enroll", request)
    }
    fn settings(&self) -> Call<Settings> {
        self.get("settings")
    }
    fn save_settings(&self, settings: Settings) -> Call<Settings> {
        self.post("settings", settings)
    }
    fn draft(&self, key: String) -> Call<Option<Draft>> {
        self.get(&format!("drafts/{}", encode(&key)))
    }
    fn save_draft(&self, key: String, input: DraftInput) -> Call<()> {
        self.call(
            Method::Put,
            &format!("drafts/{}", encode(&key)),
            Some(json(input)),
        )
    }
    fn discard_draft(&self, key: String) -> Call<()> {
        self.call(Method::Delete, &format!("drafts/{}", encode(&key)), None)
    }
}
