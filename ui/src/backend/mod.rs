//! How the UI reaches the core: one [`Backend`] trait, nothing else.
//!
//! Two implementations exist: [`tauri`] calls the desktop shell's commands and
//! [`http`] calls the local bridge (`karte ui serve`). Components only ever
//! see `Rc<dyn Backend>` through a context, so the same UI runs in the Tauri
//! window, in Chromium under the browser tests, and against a fake in tests.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use karte_types::{
    AllergyInput, AppUser, ChartView, ConditionInput, Credentials, Demographics, Draft, DraftInput,
    EnrolRequest, EntryId, Made, MedicationInput, PatientId, PatientSummary, Problem,
    ResolveRequest, ReviewId, SessionState, Settings, SyncReport, SyncState, VisitInput,
    VoidRequest,
};
use serde::Deserialize;

#[cfg(target_arch = "wasm32")]
pub mod http;
#[cfg(target_arch = "wasm32")]
pub mod tauri;

/// A call to the core, answered later. Not `Send`: the UI has one thread.
pub type Call<T> = Pin<Box<dyn Future<Output = Result<T, Problem>>>>;

/// The answer to `lock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Locked {
    pub was_unlocked: bool,
}

/// Every operation of the application API the UI uses. Object-safe, so the
/// app holds one `Rc<dyn Backend>` picked at start.
pub trait Backend {
    fn session(&self) -> Call<SessionState>;
    fn create(&self, credentials: Credentials) -> Call<AppUser>;
    fn unlock(&self, credentials: Credentials) -> Call<AppUser>;
    fn lock(&self) -> Call<Locked>;

    fn patients(&self, search: Option<String>) -> Call<Vec<PatientSummary>>;
    fn add_patient(&self, patient: Demographics) -> Call<Made<PatientId>>;
    fn chart(&self, patient: PatientId) -> Call<ChartView>;
    fn update_patient(&self, patient: PatientId, demographics: Demographics) -> Call<()>;
    fn add_allergy(&self, patient: PatientId, input: AllergyInput) -> Call<Made<EntryId>>;
    fn set_no_known_allergies(&self, patient: PatientId) -> Call<()>;
    fn add_condition(&self, patient: PatientId, input: ConditionInput) -> Call<Made<EntryId>>;
    fn add_medication(&self, patient: PatientId, input: MedicationInput) -> Call<Made<EntryId>>;
    fn record_visit(&self, patient: PatientId, input: VisitInput) -> Call<Made<EntryId>>;
    fn void_entry(&self, patient: PatientId, entry: EntryId, request: VoidRequest) -> Call<()>;
    fn resolve_review(
        &self,
        patient: PatientId,
        review: ReviewId,
        request: ResolveRequest,
    ) -> Call<()>;

    fn sync_status(&self) -> Call<SyncState>;
    fn sync(&self) -> Call<SyncReport>;
    fn enroll(&self, request: EnrolRequest) -> Call<SyncState>;

    fn settings(&self) -> Call<Settings>;
    fn save_settings(&self, settings: Settings) -> Call<Settings>;

    fn draft(&self, key: String) -> Call<Option<Draft>>;
    fn save_draft(&self, key: String, input: DraftInput) -> Call<()>;
    fn discard_draft(&self, key: String) -> Call<()>;
}

/// The backend as a context value: compared by identity, since there is
/// only ever one per app.
#[derive(Clone)]
pub struct BackendHandle(pub Rc<dyn Backend>);

impl PartialEq for BackendHandle {
    fn eq(&self, other: &BackendHandle) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for BackendHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackendHandle")
    }
}

impl std::ops::Deref for BackendHandle {
    type Target = dyn Backend;
    fn deref(&self) -> &(dyn Backend + 'static) {
        &*self.0
    }
}

/// The key under which the unsaved visit form of a patient is kept.
pub fn visit_draft_key(patient: &PatientId) -> String {
    format!("visit-{patient}")
}

/// The token from a fragment such as `#token=abc` or `#x=1&token=abc`.
/// The bridge prints it there so it never reaches a server log or a
/// referrer.
pub fn token_from_fragment(fragment: &str) -> Option<String> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Picks the backend for where the UI runs: the Tauri shell when its global
/// API is present, else the local bridge at this page's origin.
#[cfg(target_arch = "wasm32")]
pub fn pick() -> Result<Rc<dyn Backend>, Problem> {
    if tauri::available() {
        Ok(Rc::new(tauri::TauriBackend))
    } else {
        http::HttpBackend::from_location().map(|b| Rc::new(b) as Rc<dyn Backend>)
    }
}

/// A problem made in the UI itself (a transport failure, an unreadable
/// answer), shaped like the core's so it is shown the same way.
pub fn local_problem(code: &str, message: impl Into<String>) -> Problem {
    Problem::new(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_fragment() {
        assert_eq!(token_from_fragment("#token=abc"), Some("abc".to_owned()));
        assert_eq!(
            token_from_fragment("#lang=ja&token=x1"),
            Some("x1".to_owned())
        );
        assert_eq!(token_from_fragment("#token="), None);
        assert_eq!(token_from_fragment(""), None);
    }
}
