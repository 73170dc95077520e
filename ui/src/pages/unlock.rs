//! The unlock screen: pick the user (on a shared device) and type the
//! passphrase. Wrong passphrases and unknown users are told apart in plain
//! words. A device its organisation's policy locked (too long without the
//! hub) asks also for the administrator's unlock code.

use karte_types::{Credentials, ErrorCode, Problem};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, spawn};
use crate::components::{SelectField, TextField};
use crate::display;
use crate::i18n::Tr;
use crate::state::{Action, LockReason};

#[component]
pub fn Unlock() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let users = state.users.clone();
    let user = use_state(|| users.first().cloned().unwrap_or_default());
    let passphrase = use_state(String::new);
    let unlock_code = use_state(String::new);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);

    let onsubmit = {
        let (user, passphrase, unlock_code, busy, failure) = (
            user.clone(),
            passphrase.clone(),
            unlock_code.clone(),
            busy.clone(),
            failure.clone(),
        );
        let state = state.clone();
        let several = users.len() > 1;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let credentials = Credentials::new(
                (several || !user.is_empty()).then_some(user.as_str()),
                &passphrase,
            )
            .with_unlock_code(&unlock_code);
            let (state, busy, failure, passphrase) = (
                state.clone(),
                busy.clone(),
                failure.clone(),
                passphrase.clone(),
            );
            spawn(backend.unlock(credentials), move |result| {
                busy.set(false);
                passphrase.set(String::new());
                match result {
                    Ok(user) => state.dispatch(Action::Unlocked(user)),
                    Err(problem) => failure.set(Some(problem)),
                }
            });
        })
    };
    let device_locked = (*failure)
        .as_ref()
        .is_some_and(|p| matches!(p.code, ErrorCode::DeviceLocked | ErrorCode::WrongUnlockCode));
    let reason = state.lock_reason.map(|r| match r {
        LockReason::ByUser => tr.t("unlock-locked-by-user"),
        LockReason::Idle => tr.t("unlock-locked-idle"),
        LockReason::ByCore => tr.t("unlock-locked-by-core"),
    });
    html! {
        <main class="narrow" data-testid="unlock">
            <h1>{ tr.t("unlock-title") }</h1>
            if let Some(reason) = reason { <p class="lead" data-testid="lock-reason">{ reason }</p> }
            <form onsubmit={onsubmit} novalidate=true>
                if users.len() > 1 {
                    <SelectField testid="unlock-user" label={tr.t("field-user")} value={(*user).clone()}
                        options={users.iter().map(|u| (AttrValue::from(u.clone()), u.clone())).collect::<Vec<_>>()}
                        onchange={let user = user.clone(); Callback::from(move |v| user.set(v))} />
                } else if let Some(only) = users.first() {
                    <p class="who" data-testid="unlock-only-user">{ tr.t_args("unlock-as", &[("user", only.clone())]) }</p>
                }
                <TextField testid="unlock-passphrase" kind="password" label={tr.t("field-passphrase")}
                    value={(*passphrase).clone()} autocomplete="current-password"
                    error={(*failure).as_ref().map(|p| display::problem(&tr, p))}
                    oninput={let passphrase = passphrase.clone(); Callback::from(move |v| passphrase.set(v))} />
                if device_locked || !unlock_code.is_empty() {
                    <TextField testid="unlock-code" label={tr.t("field-unlock-code")}
                        value={(*unlock_code).clone()} autocomplete="off"
                        oninput={let unlock_code = unlock_code.clone(); Callback::from(move |v| unlock_code.set(v))} />
                }
                <button type="submit" class="primary" data-testid="unlock-submit" disabled={*busy}>
                    { if *busy { tr.t("unlock-running") } else { tr.t("unlock-submit") } }
                </button>
            </form>
        </main>
    }
}
