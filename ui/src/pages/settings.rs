//! Settings: language, auto-lock time, hub enrolment and this device.

use karte_types::{Settings as CoreSettings, SyncState};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, spawn_or_report, sync_now};
use crate::components::{LanguageSwitch, TextField};
use crate::display;
use crate::forms::field_message;
use crate::i18n::Tr;
use crate::pages::enrol::EnrolPanel;
use crate::state::Action;

#[component]
pub fn Settings() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let minutes = use_state(|| state.settings.auto_lock_minutes.to_string());

    let parsed: Result<CoreSettings, karte_types::ValidationError> = minutes
        .trim()
        .parse::<u32>()
        .map_err(|_| {
            karte_types::ValidationError::new("auto_lock_minutes", "malformed", "not a number")
        })
        .map(|auto_lock_minutes| CoreSettings { auto_lock_minutes })
        .and_then(|s| s.validate().map(|()| s));
    let error = parsed.as_ref().err().map(|e| field_message(&tr, e));
    let onsave = {
        let (state, backend) = (state.clone(), backend.clone());
        let parsed = parsed.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(settings) = parsed.clone() else { return };
            let answer_state = state.clone();
            spawn_or_report(backend.save_settings(settings), &state, move |saved| {
                answer_state.dispatch(Action::SettingsLoaded(saved));
                answer_state.dispatch(Action::Notice("notice-saved"));
            });
        })
    };
    let onlanguage = {
        let state = state.clone();
        Callback::from(move |language| state.dispatch(Action::LanguageChosen(language)))
    };
    let onenrolled = {
        let (state, backend) = (state.clone(), backend.clone());
        Callback::from(move |sync: SyncState| {
            state.dispatch(Action::SyncStatus(sync));
            state.dispatch(Action::Notice("notice-enrolled"));
            sync_now(&backend, &state);
        })
    };
    let enrolment = state.sync.as_ref().and_then(|s| s.enrolment.clone());
    html! {
        <main class="narrow" data-testid="settings">
            <h1>{ tr.t("settings-title") }</h1>
            <section class="card">
                <h2>{ tr.t("settings-language") }</h2>
                <LanguageSwitch current={state.language} onchoose={onlanguage} />
            </section>
            <section class="card">
                <h2>{ tr.t("settings-auto-lock") }</h2>
                <form onsubmit={onsave} novalidate=true class="inline-form">
                    <TextField testid="settings-auto-lock" label={tr.t("field-auto_lock_minutes")} value={(*minutes).clone()}
                        inputmode="numeric" unit={tr.t("unit-minutes")} error={error}
                        oninput={let minutes = minutes.clone(); Callback::from(move |v| minutes.set(v))} />
                    <button type="submit" class="primary" data-testid="settings-save">{ tr.t("save") }</button>
                </form>
            </section>
            <section class="card" data-testid="settings-hub">
                <h2>{ tr.t("settings-hub") }</h2>
                if let Some(e) = enrolment {
                    <dl class="facts">
                        <dt>{ tr.t("field-hub-url") }</dt><dd data-testid="settings-hub-url">{ e.hub_url }</dd>
                        <dt>{ tr.t("settings-org") }</dt><dd>{ e.org_name }</dd>
                        <dt>{ tr.t("field-device-name") }</dt><dd>{ e.device_name }</dd>
                        <dt>{ tr.t("settings-enrolled-at") }</dt><dd>{ display::time(e.enrolled_at) }</dd>
                    </dl>
                } else {
                    <p class="muted">{ tr.t("settings-not-enrolled") }</p>
                    <EnrolPanel onenrolled={onenrolled} />
                }
            </section>
            <section class="card">
                <h2>{ tr.t("settings-device") }</h2>
                <dl class="facts">
                    if let Some(user) = &state.user {
                        <dt>{ tr.t("field-user") }</dt><dd>{ format!("{} ({})", user.name, display::coded(&tr, "role", &user.role)) }</dd>
                    }
                    <dt>{ tr.t("settings-version") }</dt><dd>{ env!("CARGO_PKG_VERSION") }</dd>
                </dl>
            </section>
        </main>
    }
}
