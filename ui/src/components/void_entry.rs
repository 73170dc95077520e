//! "Entered in error" for one entry: nothing is deleted, the entry is struck
//! out with who, when and why. Asks for the reason inline before it writes.

use karte_types::{EntryId, PatientId};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_chart, spawn_or_report};
use crate::i18n::Tr;
use crate::state::Action;

#[derive(Properties, PartialEq, Clone)]
pub struct VoidEntryProps {
    pub patient: PatientId,
    pub entry: EntryId,
}

#[component]
pub fn VoidEntry(props: &VoidEntryProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    // Optional, so the timeline renders on its own (render tests) too.
    let state = use_context::<AppContext>();
    let backend = use_context::<BackendHandle>();
    let open = use_state(|| false);
    let reason = use_state(String::new);
    let attempted = use_state(|| false);
    if !*open {
        let open = open.clone();
        return html! {
            <button type="button" class="plain-text" data-testid="void-open" onclick={Callback::from(move |_| open.set(true))}>
                { tr.t("void-open") }
            </button>
        };
    }
    let onsubmit = {
        let (reason, attempted, open) = (reason.clone(), attempted.clone(), open.clone());
        let (patient, entry) = (props.patient.clone(), props.entry.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let (Some(state), Some(backend)) = (state.clone(), backend.clone()) else {
                return;
            };
            if reason.trim().is_empty() {
                return;
            }
            let (answer_state, backend2, patient2, open) = (
                state.clone(),
                backend.clone(),
                patient.clone(),
                open.clone(),
            );
            spawn_or_report(
                backend.void_entry(patient.clone(), entry.clone(), reason.trim().to_owned()),
                &state,
                move |()| {
                    open.set(false);
                    answer_state.dispatch(Action::Notice("notice-saved"));
                    load_chart(&backend2, &answer_state, patient2);
                },
            );
        })
    };
    let missing = *attempted && reason.trim().is_empty();
    html! {
        <form class="void-form" onsubmit={onsubmit} novalidate=true>
            <label>
                { tr.t("void-reason") }
                <input data-testid="void-reason" value={(*reason).clone()} autocomplete="off"
                    aria-invalid={missing.to_string()}
                    oninput={let reason = reason.clone(); Callback::from(move |e: InputEvent| {
                        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() { reason.set(input.value()) }
                    })} />
            </label>
            if missing { <p class="error" role="alert" data-testid="void-reason-error">{ tr.t("void-reason-needed") }</p> }
            <div class="actions">
                <button type="submit" class="secondary" data-testid="void-confirm">{ tr.t("void-confirm") }</button>
                <button type="button" class="plain-text" onclick={Callback::from(move |_| open.set(false))}>{ tr.t("cancel") }</button>
            </div>
        </form>
    }
}
