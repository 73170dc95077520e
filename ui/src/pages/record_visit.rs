//! Recording a visit: vital signs and a SOAP note, validated as typed. What
//! is typed is kept as an encrypted draft in the vault (a moment after the
//! last keystroke) and restored when the form reopens, so closing the app,
//! an auto-lock or a failed save loses nothing. One save, one record change.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;

use karte_types::{DraftInput, PatientId, Problem, Profession};
use yew::prelude::*;

use crate::backend::{BackendHandle, visit_draft_key};
use crate::calls::{AppContext, load_chart, load_sync_status, spawn};
use crate::components::{StepButtons, TextField};
use crate::display;
use crate::forms::{VisitForm, error_text, from_problem, parse_local_minutes, visible};
use crate::i18n::Tr;
use crate::pages::chart::ChartHeader;
use crate::state::{Action, LOCKED};

/// How long after the last keystroke the draft is written.
const DRAFT_DELAY: Duration = Duration::from_millis(700);

#[derive(Properties, PartialEq, Clone)]
pub struct RecordVisitProps {
    pub patient: PatientId,
}

/// The draft writer's bookkeeping, shared with its timers.
#[derive(Debug, Default)]
struct DraftClock {
    /// Bumped per keystroke; a timer writes only if no keystroke followed.
    generation: Cell<u64>,
    /// Set once the visit is saved, so no late timer brings the draft back.
    finished: Cell<bool>,
}

#[component]
pub fn RecordVisit(props: &RecordVisitProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let form = use_state(|| VisitForm::starting_at(crate::clock::now()));
    let touched = use_state(BTreeSet::<String>::new);
    let attempted = use_state(|| false);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);
    let restored = use_state(|| false);
    let draft_clock = use_memo((), |_| DraftClock::default());
    let key = visit_draft_key(&props.patient);

    // Restore the draft left by an earlier visit to this form.
    {
        let (backend, form, restored, key, touched) = (
            backend.clone(),
            form.clone(),
            restored.clone(),
            key.clone(),
            touched.clone(),
        );
        let draft_clock = draft_clock.clone();
        use_effect_with(key.clone(), move |_| {
            spawn(backend.draft(key), move |result| {
                // Typing already started: the user's keystrokes win.
                if draft_clock.generation.get() > 0 {
                    return;
                }
                if let Ok(Some(draft)) = result
                    && let Ok(saved) = serde_json::from_str::<VisitForm>(&draft.text)
                {
                    touched.set(
                        VisitForm::FIELDS
                            .iter()
                            .filter(|f| !saved.get(f).is_empty())
                            .map(|f| (*f).to_owned())
                            .collect(),
                    );
                    form.set(saved);
                    restored.set(true);
                }
            });
        });
    }

    let save_draft_later = {
        let (backend, key, draft_clock) = (backend.clone(), key.clone(), draft_clock.clone());
        Rc::new(move |next: VisitForm| {
            let generation = draft_clock.generation.get() + 1;
            draft_clock.generation.set(generation);
            let (backend, key, draft_clock) = (backend.clone(), key.clone(), draft_clock.clone());
            yew::platform::spawn_local(async move {
                yew::platform::time::sleep(DRAFT_DELAY).await;
                if draft_clock.generation.get() != generation || draft_clock.finished.get() {
                    return;
                }
                // A form emptied again leaves no draft behind. A draft that
                // fails to save is retried with the next keystroke.
                if next.is_blank() {
                    let _ = backend.discard_draft(key).await;
                } else {
                    let text = serde_json::to_string(&next).unwrap_or_default();
                    let _ = backend.save_draft(key, DraftInput { text }).await;
                }
            });
        })
    };

    let mut errors = visible(form.errors_as_typed(), &touched, *attempted);
    if *attempted {
        errors = visible(form.to_input().err().unwrap_or_default(), &touched, true);
    }
    if let Some(problem) = &*failure {
        for (field, error) in from_problem(problem) {
            errors.entry(field).or_insert(error);
        }
    }
    // Every edit, typed or stepped, goes one way: the form changes, its
    // draft is saved a moment later, and the field counts as touched.
    let edit = {
        let (form, touched, save_draft_later) =
            (form.clone(), touched.clone(), save_draft_later.clone());
        Rc::new(
            move |field: &'static str, change: &dyn Fn(&mut VisitForm)| {
                let mut next = (*form).clone();
                change(&mut next);
                save_draft_later(next.clone());
                form.set(next);
                if !touched.contains(field) {
                    let mut t = (*touched).clone();
                    t.insert(field.to_owned());
                    touched.set(t);
                }
            },
        )
    };
    let set = |field: &'static str| {
        let edit = edit.clone();
        Callback::from(move |value: String| edit(field, &|next| next.set(field, value.clone())))
    };
    let onsubmit = {
        let (form, attempted, busy, failure) = (
            form.clone(),
            attempted.clone(),
            busy.clone(),
            failure.clone(),
        );
        let (state, backend, patient, key) = (
            state.clone(),
            backend.clone(),
            props.patient.clone(),
            key.clone(),
        );
        let draft_clock = draft_clock.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let Ok(input) = form.to_input() else { return };
            if *busy {
                return;
            }
            busy.set(true);
            failure.set(None);
            let (busy, failure, state, backend2, patient2, key, draft_clock, form) = (
                busy.clone(),
                failure.clone(),
                state.clone(),
                backend.clone(),
                patient.clone(),
                key.clone(),
                draft_clock.clone(),
                form.clone(),
            );
            spawn(
                backend.record_visit(patient.clone(), input),
                move |result| {
                    busy.set(false);
                    match result {
                        Ok(_) => {
                            draft_clock.finished.set(true);
                            spawn(backend2.discard_draft(key), |_| {});
                            state.dispatch(Action::Navigate(state.after_visit(patient2.clone())));
                            state.dispatch(Action::Notice("notice-visit-saved"));
                            load_chart(&backend2, &state, patient2);
                            load_sync_status(&backend2, &state);
                        }
                        Err(problem) if problem.code == LOCKED => {
                            // The draft holds what was typed; it is restored after unlock.
                            state.dispatch(Action::Failed(problem));
                        }
                        Err(problem) => {
                            // Keep the form as typed, and make sure the draft has it too.
                            let text = serde_json::to_string(&*form).unwrap_or_default();
                            spawn(backend2.save_draft(key, DraftInput { text }), |_| {});
                            failure.set(Some(problem));
                        }
                    }
                },
            );
        })
    };
    let oncancel = {
        let (state, patient) = (state.clone(), props.patient.clone());
        Callback::from(move |_| {
            state.dispatch(Action::Navigate(state.after_visit(patient.clone())))
        })
    };
    // One press of a ± button: the same path as a keystroke (draft, touched).
    let press = |part: &'static str| {
        let edit = edit.clone();
        let field = if part == "sys" || part == "dia" {
            "bp"
        } else {
            part
        };
        Callback::from(move |up: bool| edit(field, &|next| next.step(part, up)))
    };
    let steppers = |part: &'static str, what: String| {
        html! { <StepButtons testid={format!("visit-{part}")} what={what} onstep={press(part)} /> }
    };
    let number = |field: &'static str,
                  label: &'static str,
                  unit: &'static str,
                  placeholder: &'static str| {
        let after = match field {
            "bp" => html! {
                <div class="bp-steppers">
                    <span class="bp-half">
                        <span class="stepper-label">{ tr.t("visit-bp-systolic") }</span>
                        { steppers("sys", tr.t("visit-bp-systolic")) }
                    </span>
                    <span class="bp-half">
                        <span class="stepper-label">{ tr.t("visit-bp-diastolic") }</span>
                        { steppers("dia", tr.t("visit-bp-diastolic")) }
                    </span>
                </div>
            },
            "jcs" => Html::default(),
            _ => steppers(field, tr.t_args(label, &[])),
        };
        html! {
            <TextField testid={format!("visit-{field}")} label={tr.t_args(label, &[])} value={form.get(field).to_owned()}
                unit={unit} inputmode={if field == "bp" || field == "jcs" { "text" } else { "decimal" }}
                placeholder={placeholder} error={error_text(&tr, &errors, field)} oninput={set(field)} after={after} />
        }
    };
    let onprofession = {
        let edit = edit.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                let value = select.value();
                edit("profession", &|next| next.profession = value.clone());
            }
        })
    };
    let onlong = {
        let edit = edit.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                let checked = input.checked();
                edit("long_visit", &|next| next.long_visit = checked);
            }
        })
    };
    let note = |field: &'static str, label: &'static str| {
        html! {
            <TextField testid={format!("visit-{field}")} label={tr.t_args(label, &[])} value={form.get(field).to_owned()}
                multiline=true error={error_text(&tr, &errors, field)} oninput={set(field)} />
        }
    };
    html! {
        <main data-testid="visit-form">
            <ChartHeader />
            <h1>{ tr.t("visit-title") }</h1>
            if *restored {
                <p class="message notice" data-testid="draft-restored">{ tr.t("visit-draft-restored") }</p>
            }
            <form onsubmit={onsubmit} novalidate=true>
                <TextField testid="visit-at" kind="datetime-local" label={tr.t("field-at")} value={form.at.clone()}
                    error={error_text(&tr, &errors, "at")} oninput={set("at")}
                    reading={parse_local_minutes("at", &form.at).ok().map(|at| display::time(&tr, at))} />
                <div class="visit-who">
                    <div class="field">
                        <label for="visit-profession">{ tr.t("visit-profession") }</label>
                        <select id="visit-profession" data-testid="visit-profession" onchange={onprofession}>
                            <option value="" selected={form.profession.is_empty()}>{ tr.t("visit-profession-unsaid") }</option>
                            { for Profession::ALL.iter().map(|p| html! {
                                <option value={p.code()} selected={form.profession == p.code()}>{ tr.t(&format!("profession-{}", p.code())) }</option>
                            }) }
                        </select>
                    </div>
                    <label class="check">
                        <input type="checkbox" data-testid="visit-long-visit" checked={form.long_visit} onchange={onlong} />
                        <span>{ tr.t("visit-long-visit") }</span>
                    </label>
                </div>
                <fieldset class="vitals-grid">
                    <legend>{ tr.t("visit-vitals") }</legend>
                    { number("temp", "field-temp", "°C", "36.5") }
                    { number("bp", "field-bp", "mmHg", "120/80") }
                    { number("pulse", "field-pulse", "/min", "72") }
                    { number("resp", "field-resp", "/min", "16") }
                    { number("spo2", "field-spo2", "%", "97") }
                    { number("jcs", "field-jcs", "", "0, I-3, II-20R") }
                    { number("pain", "field-pain", "/10", "0") }
                </fieldset>
                <fieldset class="soap-grid">
                    <legend>{ tr.t("visit-soap") }</legend>
                    { note("subjective", "field-subjective") }
                    { note("objective", "field-objective") }
                    { note("assessment", "field-assessment") }
                    { note("plan", "field-plan") }
                </fieldset>
                if let Some(text) = error_text(&tr, &errors, "visit") {
                    <p class="error" role="alert" data-testid="visit-empty-error">{ text }</p>
                }
                if let Some(problem) = &*failure {
                    <p class="error" role="alert" data-testid="visit-save-error">{ display::problem(&tr, problem) }</p>
                }
                <div class="actions sticky-actions">
                    <button type="submit" class="primary big" data-testid="visit-save" disabled={*busy}>{ tr.t("visit-save") }</button>
                    <button type="button" class="secondary" data-testid="visit-cancel" onclick={oncancel}>{ tr.t("visit-keep-draft") }</button>
                </div>
            </form>
        </main>
    }
}
