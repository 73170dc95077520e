//! Triaging a casualty: START first (walks, breathing, respiratory rate,
//! radial pulse or capillary refill, obeys) as big yes/no buttons and ±
//! steppers, PAT's four stages below, the category the rules give shown
//! live with every reason (symbol, colour word, numeral and group words,
//! never colour alone), and a clinician's override, which needs a reason.
//! Saved, the team's board comes back.

use karte_types::{
    Anatomy, Mechanism, PatientId, Problem, TriageCategory, TriageReason, TriageRule,
    ValidationError, Vulnerable,
};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_sync_status, submit};
use crate::components::{CountField, TextField, TriageBadge, YesNo};
use crate::display;
use crate::forms::{
    FieldErrors, JCS_LEVELS, LiveCategory, TriageForm, field_message, from_problem,
};
use crate::i18n::{Language, Tr};
use crate::pages::casualty_board::category_words;
use crate::pages::chart::ChartHeader;
use crate::state::{Action, Page};

#[derive(Properties, PartialEq, Clone)]
pub struct TriageProps {
    pub patient: PatientId,
}

/// A triage field's error in words: the triage message of its field and
/// code if there is one, else the general message naming the field.
fn triage_error(tr: &Tr, errors: &FieldErrors, field: &str) -> Option<String> {
    errors.get(field).map(|e| {
        let named =
            ValidationError::new(&format!("triage-{}", e.field), &e.code, e.message.clone());
        field_message(tr, &named)
    })
}

#[component]
pub fn TriagePage(props: &TriageProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let form = use_state(TriageForm::default);
    let overriding = use_state(|| false);
    let attempted = use_state(|| false);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);

    let live = form.live();
    // A re-triage starts blank (what is found now decides), with the
    // category in force and when it was given above it.
    let previous = state
        .chart
        .as_ref()
        .filter(|c| c.id == props.patient)
        .and_then(|c| c.triage.current().cloned());
    let mut errors = match &live {
        LiveCategory::Invalid(errors) => errors.clone(),
        _ => FieldErrors::new(),
    };
    if *attempted && let Err(more) = form.request() {
        for (field, error) in more {
            errors.entry(field).or_insert(error);
        }
    }
    if let Some(problem) = &*failure {
        for (field, error) in from_problem(problem) {
            errors.entry(field).or_insert(error);
        }
    }

    let change = {
        let form = form.clone();
        move |apply: Box<dyn Fn(&mut TriageForm)>| {
            let form = form.clone();
            move || {
                let mut next = (*form).clone();
                apply(&mut next);
                form.set(next);
            }
        }
    };
    let yes_no = |finding: &'static str, words: Option<(String, String)>| {
        let form_now = form.clone();
        let onanswer = Callback::from(move |value: bool| {
            let mut next = (*form_now).clone();
            next.answer(finding, value);
            form_now.set(next);
        });
        html! {
            <YesNo testid={format!("triage-{finding}")} label={tr.t(&format!("field-triage-{finding}"))}
                value={form.yes_no(finding)} onanswer={onanswer} words={words} />
        }
    };
    let count = |field: &'static str, unit: &'static str| {
        let (typed, stepped) = (form.clone(), form.clone());
        let oninput = Callback::from(move |value: String| {
            let mut next = (*typed).clone();
            next.set(field, value);
            typed.set(next);
        });
        let onstep = Callback::from(move |up: bool| {
            let mut next = (*stepped).clone();
            next.step(field, up);
            stepped.set(next);
        });
        html! {
            <CountField testid={format!("triage-{field}")} label={tr.t(&format!("field-triage-{field}"))}
                value={form.get(field).to_owned()} unit={AttrValue::Static(unit)}
                error={triage_error(&tr, &errors, field)} oninput={oninput} onstep={onstep} />
        }
    };
    let present_absent = Some((tr.t("answer-present"), tr.t("answer-absent")));
    let jcs_buttons = JCS_LEVELS.iter().map(|level| {
        let chosen = form.jcs == Some(*level);
        let level = *level;
        let pick = change(Box::new(move |f: &mut TriageForm| {
            f.jcs = if f.jcs == Some(level) {
                None
            } else {
                Some(level)
            }
        }));
        html! {
            <button type="button" class={classes!("choice", chosen.then_some("chosen"))}
                data-testid={format!("triage-jcs-{level}")} aria-pressed={chosen.to_string()}
                onclick={Callback::from(move |_: MouseEvent| pick())}>{ jcs_words(level) }</button>
        }
    });
    let toggles = |testid: &'static str, items: Vec<Toggle>| {
        html! {
            <div class="choices findings" data-testid={testid}>
                { for items.into_iter().map(|(code, words, chosen, apply)| {
                    let flip = change(apply);
                    html! {
                        <button type="button" class={classes!("choice", chosen.then_some("chosen"))}
                            data-testid={format!("{testid}-{code}")} aria-pressed={chosen.to_string()}
                            onclick={Callback::from(move |_: MouseEvent| flip())}>
                            if chosen { <span aria-hidden="true">{ "✓ " }</span> }
                            { words }
                        </button>
                    }
                }) }
            </div>
        }
    };
    let ja = tr.language == Language::Ja;
    let anatomy = toggle_items(
        Anatomy::ALL,
        &form.anatomy,
        Anatomy::code,
        if ja {
            Anatomy::label_ja
        } else {
            Anatomy::label_en
        },
        |f| &mut f.anatomy,
    );
    let mechanism = toggle_items(
        Mechanism::ALL,
        &form.mechanism,
        Mechanism::code,
        if ja {
            Mechanism::label_ja
        } else {
            Mechanism::label_en
        },
        |f| &mut f.mechanism,
    );
    let vulnerable = toggle_items(
        Vulnerable::ALL,
        &form.vulnerable,
        Vulnerable::code,
        if ja {
            Vulnerable::label_ja
        } else {
            Vulnerable::label_en
        },
        |f| &mut f.vulnerable,
    );

    let override_buttons = TriageCategory::ALL.iter().map(|c| {
        let c = *c;
        let chosen = form.override_category == Some(c);
        let pick = change(Box::new(move |f: &mut TriageForm| {
            f.override_category = if f.override_category == Some(c) { None } else { Some(c) }
        }));
        html! {
            <button type="button" class={classes!("choice", "category-choice", format!("triage-{}", c.code()), chosen.then_some("chosen"))}
                data-testid={format!("override-{}", c.code())} aria-pressed={chosen.to_string()}
                onclick={Callback::from(move |_: MouseEvent| pick())}>
                if chosen { <span aria-hidden="true">{ "✓ " }</span> }
                { category_words(&tr, c) }
            </button>
        }
    });
    let onoverride = {
        let (overriding, form) = (overriding.clone(), form.clone());
        Callback::from(move |_: MouseEvent| {
            if *overriding {
                // Closing the override forgets it: what is saved is what is shown.
                form.set(TriageForm {
                    override_category: None,
                    override_reason: String::new(),
                    ..(*form).clone()
                });
            }
            overriding.set(!*overriding);
        })
    };
    let onreason = {
        let form = form.clone();
        Callback::from(move |value: String| {
            let mut next = (*form).clone();
            next.override_reason = value;
            form.set(next);
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
            props.patient.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let Ok(request) = form.request() else { return };
            let (state2, backend2) = (state.clone(), backend.clone());
            let call = backend.triage(patient.clone(), request);
            submit(&busy, &failure, &state, call, move |_| {
                state2.dispatch(Action::Navigate(Page::Disaster));
                state2.dispatch(Action::Notice("notice-triage-saved"));
                load_sync_status(&backend2, &state2);
            });
        })
    };
    let oncancel = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Navigate(Page::Disaster)))
    };

    // What the rules give now, in full: the category and every reason.
    let shown = form.override_category.or(match &live {
        LiveCategory::Decided(outcome) => Some(outcome.category),
        _ => None,
    });
    let live_card = match &live {
        LiveCategory::Nothing => {
            html! { <p class="muted" data-testid="triage-live-nothing">{ tr.t("triage-live-nothing") }</p> }
        }
        LiveCategory::Needs(field) => html! {
            <p class="needs" data-testid="triage-live-needs">
                { tr.t_args("triage-live-needs", &[("finding", tr.t(&format!("field-triage-{field}")))]) }
            </p>
        },
        LiveCategory::Invalid(_) => {
            html! { <p class="error" data-testid="triage-live-invalid">{ tr.t("triage-live-invalid") }</p> }
        }
        LiveCategory::Decided(outcome) => html! {
            <>
                <p class="live-category"><TriageBadge category={outcome.category} /></p>
                <ul class="reasons" data-testid="triage-reasons">
                    { for outcome.reasons.iter().map(|r| html! {
                        <li data-testid="triage-reason">{ reason_words(&tr, r) }</li>
                    }) }
                </ul>
                if !outcome.unmeasured.is_empty() {
                    <p class="muted" data-testid="triage-unmeasured">
                        { tr.t_args("triage-unmeasured", &[("findings", outcome.unmeasured.iter()
                            .map(|f| tr.t(&format!("field-triage-{}", f.replace(' ', "-"))))
                            .collect::<Vec<_>>().join(if ja { "、" } else { ", " }))]) }
                    </p>
                }
            </>
        },
    };
    html! {
        <main data-testid="triage">
            <ChartHeader />
            <h1>{ tr.t("triage-title") }</h1>
            if let Some(previous) = previous {
                <p class="muted previous-triage" data-testid="triage-previous">
                    { tr.t("triage-previous") }
                    <TriageBadge category={previous.input.category} />
                    { format!(" {} · {}", display::time(&tr, previous.input.at), previous.meta.recorded_by.user_name) }
                </p>
            }
            <form onsubmit={onsubmit} novalidate=true class="triage-layout">
                <div class="triage-findings">
                    <fieldset class="triage-stage stage-start" data-testid="triage-start">
                        <legend>{ tr.t("triage-start") }</legend>
                        { yes_no("walks", None) }
                        { yes_no("breathing", present_absent.clone()) }
                        { count("rr", "/min") }
                        { yes_no("radial-pulse", present_absent.clone()) }
                        { count("pulse", "/min") }
                        { count("crt", "s") }
                        { yes_no("obeys", None) }
                    </fieldset>
                    <fieldset class="triage-stage stage-pat" data-testid="triage-pat">
                        <legend>{ tr.t("triage-pat") }</legend>
                        <h3>{ tr.t("triage-pat-physiology") }</h3>
                        <p class="muted">{ tr.t("triage-pat-shared") }</p>
                        <div class="field">
                            <span class="field-label">{ tr.t("field-triage-jcs") }</span>
                            <div class="choices jcs" role="group" aria-label={tr.t("field-triage-jcs")}>{ for jcs_buttons }</div>
                        </div>
                        { count("gcs", "") }
                        { count("sbp", "mmHg") }
                        { count("spo2", "%") }
                        { count("temp", "°C") }
                        { yes_no("shock", present_absent.clone()) }
                        <h3>{ tr.t("triage-pat-anatomy") }</h3>
                        { toggles("triage-anatomy", anatomy) }
                        <h3>{ tr.t("triage-pat-mechanism") }</h3>
                        { toggles("triage-mechanism", mechanism) }
                        <h3>{ tr.t("triage-pat-vulnerable") }</h3>
                        { toggles("triage-vulnerable", vulnerable) }
                    </fieldset>
                </div>
                <aside class="card triage-live" data-testid="triage-live" aria-live="polite">
                    <h2>{ tr.t("triage-live") }</h2>
                    { live_card }
                    <button type="button" class="secondary" data-testid="triage-override-open" aria-expanded={overriding.to_string()}
                        onclick={onoverride}>{ if *overriding { tr.t("triage-override-close") } else { tr.t("triage-override-open") } }</button>
                    if *overriding {
                        <div class="override" data-testid="triage-override">
                            <p class="muted">{ tr.t("triage-override-lead") }</p>
                            <div class="choices categories" role="group" aria-label={tr.t("triage-override-open")}>{ for override_buttons }</div>
                            <TextField testid="triage-override-reason" label={tr.t("field-triage-reason")} value={form.override_reason.clone()}
                                error={triage_error(&tr, &errors, "reason")} oninput={onreason} />
                        </div>
                    }
                </aside>
                <div class="actions sticky-actions triage-actions">
                    <span class="live-summary" data-testid="triage-live-summary">
                        if let Some(category) = shown {
                            <TriageBadge category={category} />
                            if form.override_category.is_some() { <span class="muted">{ tr.t("triage-overridden") }</span> }
                        } else {
                            <span class="muted">{ tr.t("triage-undecided") }</span>
                        }
                    </span>
                    <button type="submit" class="primary big" data-testid="triage-save" disabled={*busy}>{ tr.t("triage-save") }</button>
                    <button type="button" class="secondary" data-testid="triage-cancel" onclick={oncancel}>{ tr.t("triage-cancel") }</button>
                </div>
                if *attempted && !matches!(live, LiveCategory::Decided(_)) {
                    <p class="error" role="alert" data-testid="triage-save-needs">{ tr.t("triage-save-needs") }</p>
                }
                if let Some(problem) = &*failure {
                    <p class="error" role="alert" data-testid="triage-save-error">{ display::problem(&tr, problem) }</p>
                }
            </form>
        </main>
    }
}

/// One PAT finding's button: its code, its words, whether it is chosen,
/// and what a tap does to the form.
type Toggle = (&'static str, String, bool, Box<dyn Fn(&mut TriageForm)>);

/// The buttons of one PAT list (anatomy, mechanism, vulnerable): each
/// finding of `all` toggles in the form's set that `slot` names.
fn toggle_items<T: Copy + Ord + 'static>(
    all: &[T],
    chosen: &std::collections::BTreeSet<T>,
    code: fn(T) -> &'static str,
    words: fn(T) -> &'static str,
    slot: fn(&mut TriageForm) -> &mut std::collections::BTreeSet<T>,
) -> Vec<Toggle> {
    all.iter()
        .map(|finding| {
            let finding = *finding;
            let apply: Box<dyn Fn(&mut TriageForm)> = Box::new(move |f: &mut TriageForm| {
                let set = slot(f);
                if !set.remove(&finding) {
                    set.insert(finding);
                }
            });
            (
                code(finding),
                words(finding).to_owned(),
                chosen.contains(&finding),
                apply,
            )
        })
        .collect()
}

/// A reason for a category in the user's language. The core names PAT's
/// listed findings by code (`pelvic-fracture`); the screen shows their
/// words (骨盤骨折).
pub fn reason_words(tr: &Tr, reason: &TriageReason) -> String {
    let ja = tr.language == Language::Ja;
    let finding = reason.finding.as_deref().and_then(|code| {
        let words = match reason.rule {
            TriageRule::PatAnatomy => Anatomy::parse(code)
                .ok()
                .map(|a| if ja { a.label_ja() } else { a.label_en() }),
            TriageRule::PatMechanism => Mechanism::parse(code)
                .ok()
                .map(|m| if ja { m.label_ja() } else { m.label_en() }),
            TriageRule::PatVulnerable => Vulnerable::parse(code)
                .ok()
                .map(|v| if ja { v.label_ja() } else { v.label_en() }),
            _ => None,
        };
        words.map(str::to_owned)
    });
    let shown = TriageReason {
        rule: reason.rule,
        finding: finding.or_else(|| reason.finding.clone()),
    };
    if ja { shown.text_ja() } else { shown.text_en() }
}

/// A JCS level as the scale writes it: 0, I-1 … III-300.
fn jcs_words(level: u16) -> String {
    match level {
        0 => "0".to_owned(),
        1..=3 => format!("I-{level}"),
        10..=30 => format!("II-{level}"),
        _ => format!("III-{level}"),
    }
}
