//! Calls to the core from components, and the few sequences of them that
//! several screens share (refresh the list, open a chart, sync).

use karte_types::{PatientId, Problem};
use yew::{UseReducerHandle, UseStateHandle};

use crate::backend::{BackendHandle, Call};
use crate::state::{Action, AppState};

/// The app state as components reach it.
pub type AppContext = UseReducerHandle<AppState>;

/// Runs `call` and hands its result to `done`.
pub fn spawn<T: 'static>(call: Call<T>, done: impl FnOnce(Result<T, Problem>) + 'static) {
    yew::platform::spawn_local(async move { done(call.await) });
}

/// Runs `call`; a failure goes to the app's banner (or locks the app when
/// the core says it is locked), a success to `ok`.
pub fn spawn_or_report<T: 'static>(
    call: Call<T>,
    state: &AppContext,
    ok: impl FnOnce(T) + 'static,
) {
    let state = state.clone();
    spawn(call, move |result| match result {
        Ok(value) => ok(value),
        Err(problem) => state.dispatch(Action::Failed(problem)),
    });
}

/// Sends a form's write: the form is busy until the answer (a press while
/// busy sends nothing) and its last refusal is cleared. Then `ok` gets the
/// answer; a locked core locks the app (what was typed is the form's to
/// keep); any other problem stays in `failure`, shown beside the form.
pub fn submit<T: 'static>(
    busy: &UseStateHandle<bool>,
    failure: &UseStateHandle<Option<Problem>>,
    state: &AppContext,
    call: Call<T>,
    ok: impl FnOnce(T) + 'static,
) {
    if **busy {
        return;
    }
    busy.set(true);
    failure.set(None);
    let (busy, failure, state) = (busy.clone(), failure.clone(), state.clone());
    spawn(call, move |result| {
        busy.set(false);
        match result {
            Ok(value) => ok(value),
            Err(problem) if problem.code == crate::state::LOCKED => {
                state.dispatch(Action::Failed(problem))
            }
            Err(problem) => failure.set(Some(problem)),
        }
    });
}

/// Loads the patient list for `search`, tagged with it so that an answer
/// arriving after the user typed on is dropped.
pub fn load_patients(backend: &BackendHandle, state: &AppContext, search: String) {
    let answer_state = state.clone();
    spawn_or_report(backend.patients(search.clone()), state, move |patients| {
        answer_state.dispatch(Action::PatientsLoaded { search, patients })
    });
}

/// Loads a chart into the state (it is kept only if its page is still open).
pub fn load_chart(backend: &BackendHandle, state: &AppContext, patient: PatientId) {
    let answer_state = state.clone();
    spawn_or_report(backend.chart(patient), state, move |chart| {
        answer_state.dispatch(Action::ChartLoaded(std::rc::Rc::new(chart)))
    });
}

/// Refreshes the sync status bar.
pub fn load_sync_status(backend: &BackendHandle, state: &AppContext) {
    let answer_state = state.clone();
    spawn(backend.sync_state(), move |result| match result {
        Ok(sync) => answer_state.dispatch(Action::SyncStatus(sync)),
        Err(problem) if problem.code == crate::state::LOCKED => {
            answer_state.dispatch(Action::Failed(problem))
        }
        // The status bar shows the last known state; a failed refresh is not
        // worth a banner.
        Err(_) => {}
    });
}

/// Syncs with the hub now, then refreshes the status, the list and the
/// open chart, which may have received changes.
pub fn sync_now(backend: &BackendHandle, state: &AppContext) {
    if state.syncing {
        return;
    }
    state.dispatch(Action::SyncStarted);
    let backend_after = backend.clone();
    let answer_state = state.clone();
    spawn(backend.sync(), move |result| {
        let ok = result.is_ok();
        answer_state.dispatch(Action::SyncFinished(result));
        load_sync_status(&backend_after, &answer_state);
        if ok {
            refresh_after_change(&backend_after, &answer_state);
        }
    });
}

/// Reloads what a write or a sync may have changed: the list and the open chart.
pub fn refresh_after_change(backend: &BackendHandle, state: &AppContext) {
    if state.phase != crate::state::Phase::Unlocked {
        return;
    }
    load_patients(backend, state, state.search.clone());
    if let Some(patient) = state.page.patient() {
        load_chart(backend, state, patient.clone());
    }
}
