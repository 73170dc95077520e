//! Identity found later, on an unknown casualty's triage card: a button
//! 身元判明 opens a search for the patient the casualty turned out to be;
//! one picked, both identities stand side by side for a confirmation, and
//! the link is recorded with `identify`. The known patient's chart comes
//! next, where the review items the link raised (sex, age, allergies the
//! two charts disagree on) wait. A refusal is told beside the button.

use std::rc::Rc;

use karte_types::{ChartView, PatientSummary, Problem};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, refresh_after_change, spawn, submit};
use crate::components::TextField;
use crate::components::patient_alerts::casualty_label;
use crate::display;
use crate::forms::{field_message, from_problem};
use crate::i18n::Tr;
use crate::state::{Action, Page};

#[derive(Properties, PartialEq, Clone)]
pub struct IdentifyCasualtyProps {
    /// The casualty's chart (an unknown casualty not yet identified).
    pub chart: Rc<ChartView>,
}

/// Who a casualty can be identified as: a named patient, not this chart.
pub fn candidates(casualty: &ChartView, found: Vec<PatientSummary>) -> Vec<PatientSummary> {
    found
        .into_iter()
        .filter(|s| s.id != casualty.id && s.unknown_casualty().is_none())
        .take(20)
        .collect()
}

/// A refusal in words: the core's reason for the link (`as`, with the
/// codes of `karte_types::casualty::identity::refusal`) when it gave one,
/// else the problem in plain words.
pub fn refusal_words(tr: &Tr, problem: &Problem) -> String {
    let fields = from_problem(problem);
    match fields.get("as") {
        Some(error) => field_message(tr, error),
        None => display::problem(tr, problem),
    }
}

#[component]
pub fn IdentifyCasualty(props: &IdentifyCasualtyProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let open = use_state(|| false);
    let search = use_state(String::new);
    // The search as typed last: an answer for any other text is stale.
    let latest = use_mut_ref(String::new);
    let found = use_state(|| None::<Vec<PatientSummary>>);
    let chosen = use_state(|| None::<PatientSummary>);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);
    let chart = props.chart.clone();

    let ontoggle = {
        let (open, chosen, failure) = (open.clone(), chosen.clone(), failure.clone());
        Callback::from(move |_: MouseEvent| {
            open.set(!*open);
            chosen.set(None);
            failure.set(None);
        })
    };
    let onsearch = {
        let (search, latest, found, backend, state) = (
            search.clone(),
            latest.clone(),
            found.clone(),
            backend.clone(),
            state.clone(),
        );
        Callback::from(move |text: String| {
            search.set(text.clone());
            *latest.borrow_mut() = text.clone();
            if text.trim().is_empty() {
                found.set(None);
                return;
            }
            let (latest, found, state) = (latest.clone(), found.clone(), state.clone());
            spawn(backend.patients(text.clone()), move |result| match result {
                Ok(list) if *latest.borrow() == text => found.set(Some(list)),
                Ok(_) => {}
                Err(problem) => state.dispatch(Action::Failed(problem)),
            });
        })
    };
    let onconfirm = {
        let (chosen, busy, failure, state, backend, casualty) = (
            chosen.clone(),
            busy.clone(),
            failure.clone(),
            state.clone(),
            backend.clone(),
            chart.id.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(known) = (*chosen).clone() else {
                return;
            };
            let (state2, backend2) = (state.clone(), backend.clone());
            let call = backend.identify(casualty.clone(), known.id.clone());
            submit(&busy, &failure, &state, call, move |_| {
                // The known chart, with the casualty's entries and the
                // review items the link raised.
                state2.dispatch(Action::Navigate(Page::Chart(known.id.clone())));
                state2.dispatch(Action::Notice("notice-identified"));
                refresh_after_change(&backend2, &state2);
            });
        })
    };
    let onback = {
        let (chosen, failure) = (chosen.clone(), failure.clone());
        Callback::from(move |_: MouseEvent| {
            chosen.set(None);
            failure.set(None);
        })
    };

    let body = match (&*chosen, &*found) {
        (Some(known), _) => confirmation(&tr, &chart, known, *busy, onconfirm, onback),
        (None, found) => {
            let list = found.clone().map(|f| candidates(&chart, f));
            html! {
                <>
                    <TextField testid="identify-search" label={tr.t("identify-search")} value={(*search).clone()}
                        placeholder={tr.t("identify-search-example")} oninput={onsearch} />
                    if let Some(list) = list {
                        if list.is_empty() {
                            <p class="muted" data-testid="identify-none">{ tr.t("identify-none") }</p>
                        } else {
                            <ul class="identify-candidates" data-testid="identify-candidates">
                                { for list.into_iter().map(|summary| {
                                    let pick = {
                                        let (chosen, summary) = (chosen.clone(), summary.clone());
                                        Callback::from(move |_: MouseEvent| chosen.set(Some(summary.clone())))
                                    };
                                    html! {
                                        <li>
                                            <button type="button" class="secondary identify-candidate" data-testid="identify-candidate" onclick={pick}>
                                                <strong>{ format!("{} {}", summary.family, summary.given) }</strong>
                                                { format!(" {} {}", summary.family_kana, summary.given_kana) }
                                                <span class="muted">{ format!(" {} · {}", display::date(&tr, summary.birth), display::coded(&tr, "sex", summary.sex.code())) }</span>
                                            </button>
                                        </li>
                                    }
                                }) }
                            </ul>
                        }
                    }
                </>
            }
        }
    };
    html! {
        <div class="identify" data-testid="identify">
            <button type="button" class="secondary" data-testid="identify-open" aria-expanded={open.to_string()}
                onclick={ontoggle}>{ if *open { tr.t("identify-close") } else { tr.t("identify-open") } }</button>
            if *open {
                <div class="identify-panel" data-testid="identify-panel">
                    <p class="muted">{ tr.t("identify-lead") }</p>
                    { body }
                    if let Some(problem) = &*failure {
                        <p class="error" role="alert" data-testid="identify-error">{ refusal_words(&tr, problem) }</p>
                    }
                </div>
            }
        </div>
    }
}

/// The two identities side by side, and the buttons to link or choose again.
fn confirmation(
    tr: &Tr,
    casualty: &ChartView,
    known: &PatientSummary,
    busy: bool,
    onconfirm: Callback<MouseEvent>,
    onback: Callback<MouseEvent>,
) -> Html {
    let registration = casualty.triage.casualty();
    let fact = |label: String, value: Option<String>| {
        value.map(|v| html! { <><dt>{ label }</dt><dd>{ v }</dd></> })
    };
    let age = known.birth.age_on(crate::clock::today());
    html! {
        <div data-testid="identify-confirmation">
            <p>{ tr.t("identify-confirm-lead") }</p>
            <div class="identify-compare">
                <section class="card" data-testid="identify-casualty">
                    <h3>{ tr.t("identify-this-casualty") }</h3>
                    <p><strong>{ casualty.unknown_casualty().map(|l| casualty_label(tr, &l)).unwrap_or_default() }</strong></p>
                    <dl class="facts">
                        { fact(tr.t("field-tag"), registration.map(|c| c.input.tag.clone())) }
                        { fact(tr.t("field-sex"), registration.map(|c| display::coded(tr, "sex", c.input.sex.code()))) }
                        { fact(tr.t("field-age-band"), registration.map(|c| match tr.language {
                            crate::i18n::Language::Ja => c.input.age_band.label_ja(),
                            crate::i18n::Language::En => c.input.age_band.label_en(),
                        })) }
                        { fact(tr.t("field-found-at"), registration.and_then(|c| c.input.found_at.clone())) }
                        { fact(tr.t("field-features"), registration.and_then(|c| c.input.features.clone())) }
                        { fact(tr.t("casualty-card-registered"), registration.map(|c| display::time(tr, c.meta.recorded_at))) }
                    </dl>
                </section>
                <section class="card" data-testid="identify-known">
                    <h3>{ tr.t("identify-known-patient") }</h3>
                    <p><strong>{ format!("{} {}", known.family, known.given) }</strong>{ format!(" {} {}", known.family_kana, known.given_kana) }</p>
                    <dl class="facts">
                        { fact(tr.t("field-sex"), Some(display::coded(tr, "sex", known.sex.code()))) }
                        { fact(tr.t("field-birth"), Some(format!("{} ({})", display::date(tr, known.birth),
                            tr.t_args("patient-age", &[("age", age.to_string())])))) }
                    </dl>
                </section>
            </div>
            <p class="muted">{ tr.t("identify-review-note") }</p>
            <div class="actions">
                <button type="button" class="primary" data-testid="identify-confirm" disabled={busy} onclick={onconfirm}>{ tr.t("identify-confirm") }</button>
                <button type="button" class="secondary" data-testid="identify-back" onclick={onback}>{ tr.t("identify-back") }</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Language, Localizer};
    use karte_types::refusal;
    use karte_types::{ErrorCode, ValidationError};

    #[test]
    fn every_refusal_of_a_link_is_told_in_both_languages() {
        let localizer = Rc::new(Localizer::new());
        for language in [Language::Ja, Language::En] {
            let tr = Tr::new(language, localizer.clone());
            for code in [
                refusal::SAME_CHART,
                refusal::NOT_UNKNOWN,
                refusal::CYCLE,
                refusal::ALREADY_IDENTIFIED,
            ] {
                let mut problem = Problem::new(ErrorCode::InvalidInput, "refused");
                problem.fields = vec![ValidationError::new("as", code, "refused")];
                assert!(
                    tr.has(&format!("invalid-as-{code}")),
                    "invalid-as-{code} in {language:?}"
                );
                assert_eq!(
                    refusal_words(&tr, &problem),
                    tr.t(&format!("invalid-as-{code}"))
                );
            }
            // Anything else is told as the problem it is.
            let gone = Problem::new(ErrorCode::NotFound, "no such patient");
            assert_eq!(refusal_words(&tr, &gone), display::problem(&tr, &gone));
            for rule in ["identity-sex", "identity-age", "identity-allergies"] {
                assert!(
                    tr.has(&format!("review-rule-{rule}")),
                    "{rule} in {language:?}"
                );
            }
        }
        let ja = Tr::new(Language::Ja, localizer.clone());
        let mut problem = Problem::new(ErrorCode::InvalidInput, "refused");
        problem.fields = vec![ValidationError::new(
            "as",
            refusal::ALREADY_IDENTIFIED,
            "refused",
        )];
        assert!(refusal_words(&ja, &problem).contains("すでに別の利用者"));
    }
}
