//! Disaster mode's consultation (診療記録 J-SPEED): a visit recorded with
//! its J-SPEED sheet, from a patient's or casualty's chart. The team and
//! site are those of the last consultation (kept for the session), the
//! items are big toggles grouped as on the form, the age group and
//! pregnancy are asked only where the sheet needs them (the chart cannot
//! tell the age group; the patient is not recorded as male), and a note
//! says what was seen and done. A refusal of the core is told beside its
//! field.

use std::collections::BTreeSet;

use karte_types::{Problem, ReportAgeGroup};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_chart, load_sync_status, submit};
use crate::components::{JSpeedChoices, TextField};
use crate::display;
use crate::forms::{
    ConsultationForm, FieldErrors, chart_age_group, consultation_errors, error_text,
    may_be_pregnant, needs_age_group, parse_local_minutes, visible,
};
use crate::i18n::Tr;
use crate::pages::chart::ChartHeader;
use crate::pages::daily_report::age_group_words;
use crate::state::{Action, Page};

#[derive(Properties, PartialEq, Clone)]
pub struct RecordConsultationProps {
    pub patient: karte_types::PatientId,
}

#[component]
pub fn RecordConsultation(props: &RecordConsultationProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let form = {
        let place = state.consultation_place.clone();
        use_state(move || ConsultationForm::starting_at(crate::clock::now(), &place))
    };
    let touched = use_state(BTreeSet::<String>::new);
    let attempted = use_state(|| false);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);
    let chart = state.chart.clone().filter(|c| c.id == props.patient);
    let at = parse_local_minutes("at", &form.at).ok();

    let mut errors = match &chart {
        Some(chart) => visible(
            form.to_input(chart).err().unwrap_or_default(),
            &touched,
            *attempted,
        ),
        None => FieldErrors::new(),
    };
    if let Some(problem) = &*failure {
        for (field, error) in consultation_errors(problem) {
            errors.entry(field).or_insert(error);
        }
    }
    let change = |field: &'static str, apply: Box<dyn Fn(&mut ConsultationForm)>| {
        let (form, touched) = (form.clone(), touched.clone());
        move || {
            let mut next = (*form).clone();
            apply(&mut next);
            form.set(next);
            if !touched.contains(field) {
                let mut t = (*touched).clone();
                t.insert(field.to_owned());
                touched.set(t);
            }
        }
    };
    let typed = |field: &'static str, set: fn(&mut ConsultationForm, String)| {
        let (form, touched) = (form.clone(), touched.clone());
        Callback::from(move |value: String| {
            let mut next = (*form).clone();
            set(&mut next, value);
            form.set(next);
            if !touched.contains(field) {
                let mut t = (*touched).clone();
                t.insert(field.to_owned());
                touched.set(t);
            }
        })
    };
    let ontoggle = {
        let (form, touched) = (form.clone(), touched.clone());
        Callback::from(move |code: &'static str| {
            let mut next = (*form).clone();
            next.toggle(code);
            form.set(next);
            if !touched.contains("jspeed") {
                let mut t = (*touched).clone();
                t.insert("jspeed".to_owned());
                touched.set(t);
            }
        })
    };
    let onsubmit = {
        let (form, attempted, busy, failure, state, backend, chart, patient) = (
            form.clone(),
            attempted.clone(),
            busy.clone(),
            failure.clone(),
            state.clone(),
            backend.clone(),
            chart.clone(),
            props.patient.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let Some(chart) = &chart else { return };
            let Ok(input) = form.to_input(chart) else {
                return;
            };
            let (state2, backend2, patient2, place) = (
                state.clone(),
                backend.clone(),
                patient.clone(),
                form.place(),
            );
            let call = backend.record_consultation(patient.clone(), input);
            submit(&busy, &failure, &state, call, move |_| {
                state2.dispatch(Action::ConsultationRecorded(place));
                state2.dispatch(Action::Navigate(Page::Chart(patient2.clone())));
                state2.dispatch(Action::Notice("notice-consultation-saved"));
                load_chart(&backend2, &state2, patient2);
                load_sync_status(&backend2, &state2);
            });
        })
    };
    let oncancel = {
        let (state, patient) = (state.clone(), props.patient.clone());
        Callback::from(move |_| state.dispatch(Action::Navigate(Page::Chart(patient.clone()))))
    };
    let field_error = |field: &str| {
        error_text(&tr, &errors, field).map(|text| {
            html! { <p class="error" role="alert" data-testid={format!("consultation-{field}-error")}>{ text }</p> }
        })
    };
    let who = chart.as_ref().map(|chart| {
        let ask_age = needs_age_group(chart, at);
        let known_group = chart_age_group(chart, at);
        let pregnant = form.pregnant;
        let onpregnant = change("pregnant", Box::new(move |f| f.pregnant = !pregnant));
        html! {
            <fieldset class="choice-field" data-testid="consultation-who">
                <legend>{ tr.t("consultation-who") }</legend>
                <p data-testid="consultation-chart-facts">
                    { tr.t_args("consultation-chart-facts", &[
                        ("sex", display::coded(&tr, "sex", chart.patient.sex.code())),
                        ("group", known_group.map(|g| age_group_words(&tr, g)).unwrap_or_else(|| tr.t("consultation-age-unknown"))),
                    ]) }
                </p>
                if ask_age {
                    <p class="field-label">{ tr.t("field-age-group") }</p>
                    <div class="choices age-bands" data-testid="consultation-age-group">
                        { for ReportAgeGroup::ALL.iter().map(|group| {
                            let group = *group;
                            let chosen = form.age_group == Some(group);
                            let pick = change("age-group", Box::new(move |f| f.age_group = Some(group)));
                            html! {
                                <button type="button" class={classes!("choice", chosen.then_some("chosen"))}
                                    data-testid={format!("consultation-age-{}", group.code())} aria-pressed={chosen.to_string()}
                                    onclick={Callback::from(move |_: MouseEvent| pick())}>
                                    if chosen { <span aria-hidden="true">{ "✓ " }</span> }
                                    { age_group_words(&tr, group) }
                                </button>
                            }
                        }) }
                    </div>
                    { field_error("age-group") }
                }
                if may_be_pregnant(chart) {
                    <div class="choices">
                        <button type="button" class={classes!("choice", pregnant.then_some("chosen"))}
                            data-testid="consultation-pregnant" aria-pressed={pregnant.to_string()}
                            onclick={Callback::from(move |_: MouseEvent| onpregnant())}>
                            { if pregnant { "✓ " } else { "" } }{ tr.t("field-pregnant") }
                        </button>
                    </div>
                }
                { field_error("pregnant") }
            </fieldset>
        }
    });
    html! {
        <main data-testid="consultation-form">
            <ChartHeader />
            <h1>{ tr.t("consultation-title") }</h1>
            <p class="lead">{ tr.t("consultation-lead") }</p>
            <form onsubmit={onsubmit} novalidate=true>
                <div class="grid-form">
                    <TextField testid="consultation-team" label={tr.t("field-team")} value={form.team.clone()}
                        placeholder={tr.t("consultation-team-example")} error={error_text(&tr, &errors, "team")}
                        oninput={typed("team", |f, v| f.team = v)} />
                    <TextField testid="consultation-site" label={tr.t("field-site")} value={form.site.clone()}
                        placeholder={tr.t("report-site-example")} error={error_text(&tr, &errors, "site")}
                        oninput={typed("site", |f, v| f.site = v)} />
                    <TextField testid="consultation-at" kind="datetime-local" label={tr.t("field-consultation-at")} value={form.at.clone()}
                        error={error_text(&tr, &errors, "at")} oninput={typed("at", |f, v| f.at = v)}
                        reading={at.map(|at| display::time(&tr, at))} />
                </div>
                { who.unwrap_or_default() }
                <fieldset class="choice-field jspeed-sheet" data-testid="consultation-items">
                    <legend>{ tr.t("field-jspeed") }</legend>
                    { field_error("jspeed") }
                    <JSpeedChoices chosen={form.items.clone()} ontoggle={ontoggle} />
                </fieldset>
                <TextField testid="consultation-note" label={tr.t("field-note")} value={form.note.clone()}
                    multiline=true placeholder={tr.t("consultation-note-example")}
                    error={error_text(&tr, &errors, "note")} oninput={typed("note", |f, v| f.note = v)} />
                if let Some(problem) = &*failure {
                    <p class="error" role="alert" data-testid="consultation-save-error">{ display::problem(&tr, problem) }</p>
                }
                <div class="actions sticky-actions">
                    <button type="submit" class="primary big" data-testid="consultation-save" disabled={*busy || chart.is_none()}>
                        { tr.t_args("consultation-save", &[("count", form.items.len().to_string())]) }
                    </button>
                    <button type="button" class="secondary" data-testid="consultation-cancel" onclick={oncancel}>{ tr.t("consultation-cancel") }</button>
                </div>
            </form>
        </main>
    }
}
