//! A casualty's triage tag on their chart: the registration (tag, where
//! found, features), the triage in force with its reasons (and an
//! override's reason), every earlier triage, a button to triage again,
//! the transport (搬送機関, 収容医療機関, departure) with its form, and for
//! a casualty nobody has named yet, 身元判明 (`IdentifyCasualty`).

use std::rc::Rc;

use karte_types::{ChartView, Problem, Triage};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_chart, load_sync_status, submit};
use crate::components::{IdentifyCasualty, TextField, TriageBadge};
use crate::display;
use crate::forms::{TransportForm, error_text, from_problem, local_minutes, parse_local_minutes};
use crate::i18n::Tr;
use crate::state::{Action, Page};

#[derive(Properties, PartialEq, Clone)]
pub struct CasualtyCardProps {
    pub chart: Rc<ChartView>,
}

#[component]
pub fn CasualtyCard(props: &CasualtyCardProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let chart = &props.chart;
    let tag = &chart.triage;
    let current = tag.current();
    let retriage = {
        let (state, id) = (state.clone(), chart.id.clone());
        Callback::from(move |_: MouseEvent| {
            state.dispatch(Action::Navigate(Page::Triage(id.clone())))
        })
    };
    let fact = |label: String, value: Option<String>, testid: &'static str| {
        value.map(|v| html! { <><dt>{ label }</dt><dd data-testid={testid}>{ v }</dd></> })
    };
    let casualty = tag.casualty();
    html! {
        <section class="card casualty-card" data-testid="casualty-card">
            <h2>{ tr.t("casualty-card-title") }</h2>
            <dl class="facts">
                { fact(tr.t("field-tag"), casualty.map(|c| c.input.tag.clone()), "casualty-card-tag") }
                { fact(tr.t("field-found-at"), casualty.and_then(|c| c.input.found_at.clone()), "casualty-card-found-at") }
                { fact(tr.t("field-features"), casualty.and_then(|c| c.input.features.clone()), "casualty-card-features") }
                { fact(tr.t("casualty-card-registered"), casualty.map(|c| display::time(&tr, c.meta.recorded_at)), "casualty-card-registered") }
            </dl>
            if let Some(current) = current {
                <div class="current-triage" data-testid="casualty-card-current">
                    <p><TriageBadge category={current.input.category} />
                        <span class="muted">{ format!(" {} · {}", display::time(&tr, current.input.at), current.meta.recorded_by.user_name) }</span></p>
                    if let Some(reason) = &current.input.override_reason {
                        <p data-testid="casualty-card-override">{ tr.t_args("casualty-card-override", &[
                            ("computed", crate::pages::casualty_board::category_words(&tr, current.input.computed)),
                            ("reason", reason.clone()),
                        ]) }</p>
                    }
                    if let Some(outcome) = current.input.outcome() {
                        <ul class="reasons" data-testid="casualty-card-reasons">
                            { for outcome.reasons.iter().map(|r| html! { <li>{ crate::pages::triage::reason_words(&tr, r) }</li> }) }
                        </ul>
                    }
                </div>
            } else {
                <p class="muted" data-testid="casualty-card-untriaged">{ tr.t("triage-untriaged") }</p>
            }
            if let Some(link) = tag.identified_as() {
                <p data-testid="casualty-card-identified">{ tr.t_args("casualty-card-identified", &[
                    ("at", display::time(&tr, link.meta.recorded_at)),
                    ("by", link.meta.recorded_by.user_name.clone()),
                ]) }</p>
            }
            <div class="toolbar">
                <button type="button" class="primary" data-testid="chart-retriage" onclick={retriage}>{ tr.t("board-retriage") }</button>
            </div>
            if chart.unknown_casualty().is_some() && tag.identified_as().is_none() {
                <IdentifyCasualty chart={chart.clone()} />
            }
            if tag.history.len() > 1 {
                <h3>{ tr.t("casualty-card-history") }</h3>
                <ol class="triage-history" data-testid="casualty-card-history">
                    { for tag.history.iter().map(|t| history_line(&tr, t, current)) }
                </ol>
            }
            <TransportSection chart={chart.clone()} />
        </section>
    }
}

/// One earlier triage: when, the category, who; the one in force marked ▶,
/// a voided one struck out.
fn history_line(tr: &Tr, t: &Triage, current: Option<&Triage>) -> Html {
    let in_force = current.is_some_and(|c| c.meta.id == t.meta.id);
    html! {
        <li class={classes!(t.meta.entered_in_error.is_some().then_some("voided"))}>
            if in_force { <span aria-label={tr.t("casualty-card-in-force")}>{ "▶ " }</span> }
            <TriageBadge category={t.input.category} />
            { format!(" {} · {}", display::time(tr, t.input.at), t.meta.recorded_by.user_name) }
        </li>
    }
}

/// The transport in force and the form to record one.
#[component]
fn TransportSection(props: &CasualtyCardProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let form = use_state(TransportForm::default);
    let attempted = use_state(|| false);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);
    let chart = &props.chart;
    let transport = chart.triage.transport();

    let mut errors = if *attempted {
        form.to_input().err().unwrap_or_default()
    } else {
        Default::default()
    };
    if let Some(problem) = &*failure {
        for (field, error) in from_problem(problem) {
            errors.entry(field).or_insert(error);
        }
    }
    let edit = |change: fn(&mut TransportForm, String)| {
        let form = form.clone();
        Callback::from(move |value: String| {
            let mut next = (*form).clone();
            change(&mut next, value);
            form.set(next);
        })
    };
    let onnow = {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            form.set(TransportForm {
                departed: local_minutes(crate::clock::now()),
                ..(*form).clone()
            })
        })
    };
    let onsubmit = {
        let (form, attempted, busy, failure, state, backend, patient) = (
            form.clone(),
            attempted.clone(),
            busy.clone(),
            failure.clone(),
            state.clone(),
            backend.clone(),
            chart.id.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let Ok(input) = form.to_input() else { return };
            let (form, attempted, state2, backend2, patient2) = (
                form.clone(),
                attempted.clone(),
                state.clone(),
                backend.clone(),
                patient.clone(),
            );
            let call = backend.record_transport(patient.clone(), input);
            submit(&busy, &failure, &state, call, move |_| {
                form.set(TransportForm::default());
                attempted.set(false);
                state2.dispatch(Action::Notice("notice-saved"));
                load_chart(&backend2, &state2, patient2);
                load_sync_status(&backend2, &state2);
            });
        })
    };
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "—".to_owned());
    html! {
        <div class="transport" data-testid="transport">
            <h3>{ tr.t("transport-title") }</h3>
            if let Some(t) = transport {
                <dl class="facts" data-testid="transport-current">
                    <dt>{ tr.t("field-agency") }</dt><dd data-testid="transport-agency">{ or_dash(t.input.agency.clone()) }</dd>
                    <dt>{ tr.t("field-destination") }</dt><dd data-testid="transport-destination">{ or_dash(t.input.destination.clone()) }</dd>
                    <dt>{ tr.t("field-departed") }</dt><dd data-testid="transport-departed">{ or_dash(t.input.departed_at.map(|at| display::time(&tr, at))) }</dd>
                </dl>
            }
            <form onsubmit={onsubmit} novalidate=true>
                <div class="grid-form">
                    <TextField testid="transport-agency-input" label={tr.t("field-agency")} value={form.agency.clone()}
                        placeholder={tr.t("transport-agency-example")} oninput={edit(|f, v| f.agency = v)} />
                    <TextField testid="transport-destination-input" label={tr.t("field-destination")} value={form.destination.clone()}
                        placeholder={tr.t("transport-destination-example")} oninput={edit(|f, v| f.destination = v)} />
                    <TextField testid="transport-departed-input" kind="datetime-local" label={tr.t("field-departed")} value={form.departed.clone()}
                        error={error_text(&tr, &errors, "departed")} oninput={edit(|f, v| f.departed = v)}
                        reading={parse_local_minutes("departed", &form.departed).ok().map(|at| display::time(&tr, at))}
                        after={html! { <button type="button" class="secondary" data-testid="transport-now" onclick={onnow}>{ tr.t("transport-now") }</button> }} />
                </div>
                if let Some(text) = error_text(&tr, &errors, "transport") {
                    <p class="error" role="alert" data-testid="transport-error">{ text }</p>
                }
                if let Some(problem) = &*failure {
                    <p class="error" role="alert" data-testid="transport-save-error">{ display::problem(&tr, problem) }</p>
                }
                <div class="actions">
                    <button type="submit" class="primary" data-testid="transport-save" disabled={*busy}>{ tr.t("transport-save") }</button>
                </div>
            </form>
        </div>
    }
}
