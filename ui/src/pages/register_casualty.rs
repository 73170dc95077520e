//! Registering an unknown casualty in under half a minute by touch: the tag
//! number typed, sex and age band tapped on big buttons, where found and
//! what would identify them typed if known; then straight to triage.

use std::collections::BTreeSet;

use karte_types::{AgeBand, Problem, Sex};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_sync_status, submit};
use crate::components::TextField;
use crate::display;
use crate::forms::{CasualtyForm, error_text, from_problem, visible};
use crate::i18n::{Language, Tr};
use crate::state::{Action, Page};

#[component]
pub fn RegisterCasualty() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let form = use_state(CasualtyForm::default);
    let touched = use_state(BTreeSet::<String>::new);
    let attempted = use_state(|| false);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);

    let mut errors = visible(
        form.to_input().err().unwrap_or_default(),
        &touched,
        *attempted,
    );
    if let Some(problem) = &*failure {
        for (field, error) in from_problem(problem) {
            errors.entry(field).or_insert(error);
        }
    }
    let edit = |field: &'static str, change: fn(&mut CasualtyForm, String)| {
        let (form, touched) = (form.clone(), touched.clone());
        Callback::from(move |value: String| {
            let mut next = (*form).clone();
            change(&mut next, value);
            form.set(next);
            if !touched.contains(field) {
                let mut t = (*touched).clone();
                t.insert(field.to_owned());
                touched.set(t);
            }
        })
    };
    let choose_sex = |sex: Sex| {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            form.set(CasualtyForm {
                sex: Some(sex),
                ..(*form).clone()
            })
        })
    };
    let choose_age = |band: AgeBand| {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            form.set(CasualtyForm {
                age_band: Some(band),
                ..(*form).clone()
            })
        })
    };
    let onsubmit = {
        let (form, attempted, busy, failure, state, backend) = (
            form.clone(),
            attempted.clone(),
            busy.clone(),
            failure.clone(),
            state.clone(),
            backend.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let Ok(input) = form.to_input() else { return };
            let (state2, backend2) = (state.clone(), backend.clone());
            submit(
                &busy,
                &failure,
                &state,
                backend.add_casualty(input),
                move |patient| {
                    state2.dispatch(Action::Navigate(Page::Triage(patient)));
                    state2.dispatch(Action::Notice("notice-casualty-registered"));
                    load_sync_status(&backend2, &state2);
                },
            );
        })
    };
    let oncancel = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Navigate(Page::Disaster)))
    };
    let age_words = |band: AgeBand| match tr.language {
        Language::Ja => band.label_ja(),
        Language::En => band.label_en(),
    };
    let choice_error = |field: &str| {
        error_text(&tr, &errors, field).map(|text| {
            html! { <p class="error" role="alert" data-testid={format!("{field}-error")}>{ text }</p> }
        })
    };
    html! {
        <main data-testid="register-casualty">
            <h1>{ tr.t("casualty-title") }</h1>
            <p class="lead">{ tr.t("casualty-lead") }</p>
            <form onsubmit={onsubmit} novalidate=true>
                <TextField testid="casualty-tag" label={tr.t("field-tag")} value={form.tag.clone()}
                    placeholder={AttrValue::Static("T-0123")} error={error_text(&tr, &errors, "tag")}
                    oninput={edit("tag", |f, v| f.tag = v)} />
                <fieldset class="choice-field" data-testid="casualty-sex">
                    <legend>{ tr.t("field-casualty-sex") }</legend>
                    <div class="choices">
                        { for Sex::ALL.iter().map(|sex| {
                            let chosen = form.sex == Some(*sex);
                            html! {
                                <button type="button" class={classes!("choice", chosen.then_some("chosen"))}
                                    data-testid={format!("casualty-sex-{}", sex.code())} aria-pressed={chosen.to_string()}
                                    onclick={choose_sex(*sex)}>{ display::coded(&tr, "sex", sex.code()) }</button>
                            }
                        }) }
                    </div>
                    { choice_error("casualty-sex") }
                </fieldset>
                <fieldset class="choice-field" data-testid="casualty-age-band">
                    <legend>{ tr.t("field-age-band") }</legend>
                    <div class="choices age-bands">
                        { for AgeBand::ALL.iter().map(|band| {
                            let chosen = form.age_band == Some(*band);
                            html! {
                                <button type="button" class={classes!("choice", chosen.then_some("chosen"))}
                                    data-testid={format!("casualty-age-{}", band.code())} aria-pressed={chosen.to_string()}
                                    onclick={choose_age(*band)}>{ age_words(*band) }</button>
                            }
                        }) }
                    </div>
                    { choice_error("age-band") }
                </fieldset>
                <div class="grid-form">
                    <TextField testid="casualty-found-at" label={tr.t("field-found-at")} value={form.found_at.clone()}
                        placeholder={tr.t("casualty-found-at-example")} error={error_text(&tr, &errors, "found-at")}
                        oninput={edit("found-at", |f, v| f.found_at = v)} />
                    <TextField testid="casualty-features" label={tr.t("field-features")} value={form.features.clone()}
                        placeholder={tr.t("casualty-features-example")}
                        oninput={edit("features", |f, v| f.features = v)} />
                </div>
                if let Some(problem) = &*failure {
                    <p class="error" role="alert" data-testid="casualty-save-error">{ display::problem(&tr, problem) }</p>
                }
                <div class="actions sticky-actions">
                    <button type="submit" class="primary big" data-testid="casualty-save" disabled={*busy}>{ tr.t("casualty-save") }</button>
                    <button type="button" class="secondary" data-testid="casualty-cancel" onclick={oncancel}>{ tr.t("casualty-cancel") }</button>
                </div>
            </form>
        </main>
    }
}
