//! Enrolment with a hub: its address, the one-time code from its
//! administrator and a name for this device. Shown after the vault is
//! created (with "continue offline") and in the settings.

use std::collections::BTreeSet;

use karte_types::{Problem, SyncState};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::spawn;
use crate::components::TextField;
use crate::display;
use crate::forms::{EnrolForm, error_text, from_problem, visible};
use crate::i18n::Tr;
use crate::pages::entry_form::field_setter;

#[derive(Properties, PartialEq, Clone)]
pub struct EnrolPanelProps {
    pub onenrolled: Callback<SyncState>,
    /// Shown as "continue offline" when set.
    #[prop_or_default]
    pub onskip: Option<Callback<()>>,
}

#[component]
pub fn EnrolPanel(props: &EnrolPanelProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let backend = use_context::<BackendHandle>().expect("backend");
    let form = use_state(EnrolForm::default);
    let touched = use_state(BTreeSet::<String>::new);
    let attempted = use_state(|| false);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);

    let mut errors = visible(
        form.to_request().err().unwrap_or_default(),
        &touched,
        *attempted,
    );
    if let Some(problem) = &*failure {
        errors.extend(from_problem(problem));
    }
    let set = |field: &'static str| {
        field_setter(
            &form,
            &touched,
            field,
            move |form: &mut EnrolForm, value| match field {
                "hub-url" => form.hub_url = value,
                "code" => form.code = value,
                _ => form.device_name = value,
            },
        )
    };
    let onsubmit = {
        let (form, attempted, busy, failure) = (
            form.clone(),
            attempted.clone(),
            busy.clone(),
            failure.clone(),
        );
        let onenrolled = props.onenrolled.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let Ok(request) = form.to_request() else {
                return;
            };
            if *busy {
                return;
            }
            busy.set(true);
            failure.set(None);
            let (busy, failure, onenrolled) = (busy.clone(), failure.clone(), onenrolled.clone());
            spawn(backend.enrol(request), move |result| {
                busy.set(false);
                match result {
                    Ok(sync) => onenrolled.emit(sync),
                    Err(problem) => failure.set(Some(problem)),
                }
            });
        })
    };
    html! {
        <form class="enrol" data-testid="enrol-form" onsubmit={onsubmit} novalidate=true>
            <TextField testid="enrol-hub-url" kind="url" label={tr.t("field-hub-url")} value={form.hub_url.clone()}
                placeholder="https://hub.example.jp" error={error_text(&tr, &errors, "hub-url")} oninput={set("hub-url")} />
            <TextField testid="enrol-code" label={tr.t("field-code")} value={form.code.clone()}
                error={error_text(&tr, &errors, "code")} oninput={set("code")} />
            <TextField testid="enrol-device-name" label={tr.t("field-device-name")} value={form.device_name.clone()}
                placeholder={tr.t("enrol-device-placeholder")} error={error_text(&tr, &errors, "device-name")} oninput={set("device-name")} />
            if let Some(problem) = &*failure {
                <p class="error" role="alert" data-testid="enrol-error">{ display::problem(&tr, problem) }</p>
            }
            <div class="actions">
                <button type="submit" class="primary" data-testid="enrol-submit" disabled={*busy}>
                    { if *busy { tr.t("enrol-running") } else { tr.t("enrol-submit") } }
                </button>
                if let Some(onskip) = &props.onskip {
                    <button type="button" class="secondary" data-testid="enrol-skip"
                        onclick={let onskip = onskip.clone(); Callback::from(move |_| onskip.emit(()))}>
                        { tr.t("enrol-skip") }
                    </button>
                }
            </div>
        </form>
    }
}

/// The enrolment step of the first run.
#[component]
pub fn EnrolStep() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<crate::calls::AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let onenrolled = {
        let state = state.clone();
        Callback::from(move |sync: SyncState| {
            state.dispatch(crate::state::Action::EnrolFinished(Some(sync)));
            // Bring in the organisation's charts right away.
            crate::calls::sync_now(&backend, &state);
        })
    };
    let onskip = Callback::from(move |_| state.dispatch(crate::state::Action::EnrolFinished(None)));
    html! {
        <main class="narrow" data-testid="enrol-step">
            <h1>{ tr.t("enrol-title") }</h1>
            <p class="lead">{ tr.t("enrol-lead") }</p>
            <EnrolPanel onenrolled={onenrolled} onskip={onskip} />
        </main>
    }
}
