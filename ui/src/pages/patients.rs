//! The patient list: instant kana/kanji search (one call per keystroke; a
//! late answer for an older search is dropped) and today's visits.

use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_patients};
use crate::components::PatientRow;
use crate::i18n::Tr;
use crate::state::{Action, Page, todays_visits};

/// The most rows the list draws. A station's whole register can be
/// thousands of patients; drawing them all would make every keystroke of
/// the search slow (200 rows took 80 ms a keystroke over 10,000 patients in
/// the app benchmark, 50 take under 40), and nobody scrolls that far: they
/// type.
pub const SHOWN_AT_MOST: usize = 50;

#[component]
pub fn Patients() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    {
        let (state, backend) = (state.clone(), backend.clone());
        use_effect_with((), move |_| {
            load_patients(&backend, &state, state.search.clone());
        });
    }
    let oninput = {
        let (state, backend) = (state.clone(), backend.clone());
        Callback::from(move |e: InputEvent| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            let text = input.value();
            state.dispatch(Action::SearchTyped(text.clone()));
            load_patients(&backend, &state, text);
        })
    };
    let onopen = {
        let state = state.clone();
        Callback::from(move |id| state.dispatch(Action::Navigate(Page::Chart(id))))
    };
    let onadd = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Navigate(Page::AddPatient)))
    };
    let today = todays_visits(&state.patients, crate::clock::today());
    html! {
        <main data-testid="patients">
            <div class="toolbar">
                <input type="search" class="search" data-testid="patient-search" value={state.search.clone()}
                    placeholder={tr.t("patients-search")} aria-label={tr.t("patients-search")}
                    oninput={oninput} autocomplete="off" />
                <button type="button" class="primary" data-testid="add-patient" onclick={onadd}>{ tr.t("patients-add") }</button>
            </div>
            if state.search.is_empty() {
                <section class="card" data-testid="todays-visits">
                    <h2>{ tr.t("patients-today") }</h2>
                    if today.is_empty() {
                        <p class="muted">{ tr.t("patients-today-none") }</p>
                    } else {
                        <ul class="patient-list">
                            { for today.into_iter().map(|p| html! { <PatientRow patient={p.clone()} onopen={onopen.clone()} /> }) }
                        </ul>
                    }
                </section>
            }
            <section class="card">
                <h2>{ tr.t_args("patients-all", &[("count", state.patients.len().to_string())]) }</h2>
                if state.patients.is_empty() {
                    <p class="muted" data-testid="patients-empty">
                        { if state.search.is_empty() { tr.t("patients-none") } else { tr.t("patients-no-match") } }
                    </p>
                }
                <ul class="patient-list" data-testid="patient-list">
                    { for state.patients.iter().take(SHOWN_AT_MOST).map(|p| html! { <PatientRow key={p.id.to_string()} patient={p.clone()} onopen={onopen.clone()} /> }) }
                </ul>
                if state.patients.len() > SHOWN_AT_MOST {
                    <p class="muted" data-testid="patients-more">
                        { tr.t_args("patients-more", &[("count", (state.patients.len() - SHOWN_AT_MOST).to_string())]) }
                    </p>
                }
            </section>
        </main>
    }
}
