//! The first screen on a new device: create the vault with a user name and
//! a passphrase (typed twice, with strength feedback).

use std::collections::BTreeSet;

use karte_types::Credentials;
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, spawn};
use crate::components::{StrengthMeter, TextField};
use crate::display;
use crate::forms::{error_text, new_passphrase_errors, visible};
use crate::i18n::Tr;
use crate::pages::entry_form::field_setter;
use crate::state::Action;

#[component]
pub fn FirstRun() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let user = use_state(|| "admin".to_owned());
    let passphrase = use_state(String::new);
    let confirm = use_state(String::new);
    let touched = use_state(BTreeSet::<String>::new);
    let attempted = use_state(|| false);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<karte_types::Problem>);

    let errors = visible(
        new_passphrase_errors(&user, &passphrase, &confirm),
        &touched,
        *attempted,
    );
    let setter = |handle: &UseStateHandle<String>, field: &'static str| {
        field_setter(handle, &touched, field, |text: &mut String, value| {
            *text = value
        })
    };
    let onsubmit = {
        let (user, passphrase, confirm) = (user.clone(), passphrase.clone(), confirm.clone());
        let (attempted, busy, failure) = (attempted.clone(), busy.clone(), failure.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            if !new_passphrase_errors(&user, &passphrase, &confirm).is_empty() || *busy {
                return;
            }
            busy.set(true);
            let credentials = Credentials::new(Some(user.trim()), &passphrase);
            let (state, busy, failure) = (state.clone(), busy.clone(), failure.clone());
            let (passphrase, confirm) = (passphrase.clone(), confirm.clone());
            spawn(backend.create(credentials), move |result| {
                busy.set(false);
                match result {
                    Ok(user) => {
                        passphrase.set(String::new());
                        confirm.set(String::new());
                        state.dispatch(Action::VaultCreated(user));
                    }
                    Err(problem) => failure.set(Some(problem)),
                }
            });
        })
    };
    html! {
        <main class="narrow" data-testid="first-run">
            <h1>{ tr.t("first-run-title") }</h1>
            <p class="lead">{ tr.t("first-run-lead") }</p>
            <form onsubmit={onsubmit} novalidate=true>
                <TextField testid="create-user" label={tr.t("field-user")} value={(*user).clone()}
                    error={error_text(&tr, &errors, "user")} oninput={setter(&user, "user")} autocomplete="username" />
                <TextField testid="create-passphrase" kind="password" label={tr.t("field-passphrase")}
                    value={(*passphrase).clone()} error={error_text(&tr, &errors, "passphrase")}
                    oninput={setter(&passphrase, "passphrase")} autocomplete="new-password" />
                <StrengthMeter passphrase={(*passphrase).clone()} />
                <TextField testid="create-confirm" kind="password" label={tr.t("field-confirm")}
                    value={(*confirm).clone()} error={error_text(&tr, &errors, "confirm")}
                    oninput={setter(&confirm, "confirm")} autocomplete="new-password" />
                if let Some(problem) = &*failure {
                    <p class="error" role="alert" data-testid="create-error">{ display::problem(&tr, problem) }</p>
                }
                <button type="submit" class="primary" data-testid="create-submit" disabled={*busy}>
                    { tr.t("first-run-create") }
                </button>
            </form>
        </main>
    }
}
