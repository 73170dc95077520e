//! The patient list: instant kana/kanji search (one call per keystroke; a
//! late answer for an older search is dropped) and today's visits. Only
//! the first matches are drawn, more on request ("show more").

use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_patients};
use crate::components::PatientRow;
use crate::i18n::Tr;
use crate::state::{Action, Page, todays_visits};

/// The rows the list draws at first, and how many more each press of
/// "show more" adds. A station's whole register can be thousands of
/// patients; every row drawn is work on every keystroke of the search (200
/// rows took 80 ms a keystroke over 10,000 patients in the app benchmark,
/// 50 under 40), and a tablet's screen holds about fifteen: the rest are
/// found by typing, or drawn on request.
pub const SHOWN_AT_FIRST: usize = 20;

/// How many rows to draw for `search`: more only after "show more" was
/// pressed for this very search (`shown`: the search and its count).
pub fn rows_to_draw(shown: &(String, usize), search: &str) -> usize {
    if shown.0 == search {
        shown.1
    } else {
        SHOWN_AT_FIRST
    }
}

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
    // "Show more" holds for the search it was pressed for; a keystroke
    // starts again from the first rows.
    let shown = use_state(|| (String::new(), SHOWN_AT_FIRST));
    let drawn = rows_to_draw(&shown, &state.search);
    let onmore = {
        let (shown, search) = (shown.clone(), state.search.clone());
        Callback::from(move |_: MouseEvent| shown.set((search.clone(), drawn + SHOWN_AT_FIRST)))
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
                    { for state.patients.iter().take(drawn).map(|p| html! { <PatientRow key={p.id.to_string()} patient={p.clone()} onopen={onopen.clone()} /> }) }
                </ul>
                if state.patients.len() > drawn {
                    <p class="muted" data-testid="patients-more">
                        { tr.t_args("patients-more", &[("count", (state.patients.len() - drawn).to_string())]) }
                    </p>
                    <button type="button" class="secondary" data-testid="patients-show-more" onclick={onmore}>
                        { tr.t_args("patients-show-more", &[("count", SHOWN_AT_FIRST.min(state.patients.len() - drawn).to_string())]) }
                    </button>
                }
            </section>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_rows_hold_only_for_the_search_they_were_asked_for() {
        assert_eq!(
            rows_to_draw(&(String::new(), SHOWN_AT_FIRST), "やま"),
            SHOWN_AT_FIRST
        );
        let more = ("やま".to_owned(), 2 * SHOWN_AT_FIRST);
        assert_eq!(rows_to_draw(&more, "やま"), 2 * SHOWN_AT_FIRST);
        assert_eq!(
            rows_to_draw(&more, "やまだ"),
            SHOWN_AT_FIRST,
            "typing on starts again"
        );
    }
}
