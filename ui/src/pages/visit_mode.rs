//! Visit mode, for the patient's home: today's route in order, and for the
//! next patient on it the allergy banner, the last vital signs and large
//! buttons to record the visit or open the chart. The route is edited here
//! (earlier, later, off) and filled from a chart ("add to today's route").

use std::rc::Rc;

use karte_types::{ChartView, PatientId};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_patients, spawn};
use crate::components::patient_alerts::patient_name;
use crate::components::visit_timeline::vitals_line;
use crate::components::{AllergyBanner, AllergyBannerProps};
use crate::display;
use crate::i18n::Tr;
use crate::route::{self, Edit};
use crate::state::{Action, Page};

#[component]
pub fn VisitMode() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let today = crate::clock::today();
    let key = route::ROUTE_KEY.to_owned();
    // `None` until the route is read from the vault.
    let route = use_state(|| None::<Vec<PatientId>>);
    let next_chart = use_state(|| None::<Rc<ChartView>>);
    {
        let (state, backend, route, key) =
            (state.clone(), backend.clone(), route.clone(), key.clone());
        use_effect_with((), move |_| {
            // Every patient, for the names on the route.
            state.dispatch(Action::SearchTyped(String::new()));
            load_patients(&backend, &state, String::new());
            let backend2 = backend.clone();
            spawn(backend.draft(key.clone()), move |answer| {
                let text = answer.ok().flatten().map(|d| d.text).unwrap_or_default();
                // A past day's route is read by nobody: it goes.
                if route::is_of_another_day(&text, today) {
                    spawn(backend2.discard_draft(key), |_| {});
                }
                route.set(Some(route::parse(&text, today)));
            });
        });
    }
    let stops = route::stops(route.as_deref().unwrap_or_default(), &state.patients, today);
    let next = route::next_stop(&stops).cloned();
    {
        let (backend, next_chart) = (backend.clone(), next_chart.clone());
        use_effect_with(next.as_ref().map(|s| s.patient.id.clone()), move |next| {
            next_chart.set(None);
            if let Some(id) = next {
                spawn(backend.chart(id.clone()), move |answer| {
                    if let Ok(chart) = answer {
                        next_chart.set(Some(Rc::new(chart)));
                    }
                });
            }
        });
    }
    let onedit = {
        let (backend, route, key) = (backend.clone(), route.clone(), key.clone());
        move |patient: PatientId, change: Edit| {
            let (backend, route, key) = (backend.clone(), route.clone(), key.clone());
            Callback::from(move |_: MouseEvent| {
                let Some(current) = &*route else { return };
                let changed = route::edit(current, &patient, change);
                let text = route::to_text(&changed, today);
                route.set(Some(changed));
                spawn(
                    backend.save_draft(key.clone(), karte_types::DraftInput { text }),
                    |_| {},
                );
            })
        }
    };
    let go = |page: Page| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Navigate(page.clone())))
    };
    let next_card = match &next {
        Some(stop) => {
            let p = &stop.patient;
            let chart = next_chart.as_ref().filter(|c| c.id == p.id);
            let last = chart.and_then(|c| {
                c.visits
                    .iter()
                    .filter(|v| v.meta.entered_in_error.is_none())
                    .max_by_key(|v| v.input.at)
            });
            html! {
                <section class="card next-stop" data-testid="next-stop">
                    <h2>{ tr.t("visit-mode-next") }</h2>
                    <p class="next-name">
                        <strong data-testid="next-name">{ patient_name(&tr, p) }</strong>
                        if p.unknown_casualty().is_none() {
                            <span class="kana">{ format!("{} {}", p.family_kana, p.given_kana) }</span>
                            <span>{ tr.t_args("patient-age", &[("age", p.birth.age_on(today).to_string())]) }</span>
                        }
                    </p>
                    if let Some(chart) = chart {
                        <AllergyBanner ..AllergyBannerProps::of(chart) />
                        <p class="vitals" data-testid="next-last-vitals">
                            { match last {
                                Some(v) => tr.t_args("visit-mode-last-vitals", &[
                                    ("time", display::time(&tr, v.input.at)),
                                    ("vitals", vitals_line(&tr, &v.input.vitals)),
                                ]),
                                None => tr.t("visit-mode-no-vitals"),
                            } }
                        </p>
                    } else {
                        <p class="muted">{ tr.t("loading") }</p>
                    }
                    <div class="actions">
                        <button type="button" class="primary big" data-testid="next-record"
                            onclick={go(Page::RecordVisit(p.id.clone()))}>{ tr.t("visit-mode-record") }</button>
                        <button type="button" class="secondary big" data-testid="next-chart"
                            onclick={go(Page::Chart(p.id.clone()))}>{ tr.t("visit-mode-open-chart") }</button>
                    </div>
                </section>
            }
        }
        None if !stops.is_empty() => html! {
            <p class="message notice" data-testid="route-done">{ tr.t("visit-mode-done") }</p>
        },
        None => Html::default(),
    };
    html! {
        <main data-testid="visit-mode">
            <h1>{ tr.t("visit-mode-title") }<span class="muted title-date">{ display::date(&tr, today) }</span></h1>
            if route.is_none() {
                <p class="muted">{ tr.t("loading") }</p>
            } else if stops.is_empty() {
                <p class="muted" data-testid="route-empty">{ tr.t("visit-mode-empty") }</p>
            } else {
                { next_card }
                <section class="card">
                    <h2>{ tr.t("visit-mode-route") }</h2>
                    <ol class="route" data-testid="route">
                        { for stops.iter().enumerate().map(|(i, stop)| {
                            let id = stop.patient.id.clone();
                            let is_next = next.as_ref().is_some_and(|n| n.patient.id == id);
                            html! {
                                <li key={id.to_string()} data-testid="route-stop"
                                    class={classes!("route-stop", stop.visited.then_some("visited"), is_next.then_some("next"))}>
                                    <span class="order">{ i + 1 }</span>
                                    <button type="button" class="plain-text name" onclick={go(Page::Chart(id.clone()))}>
                                        { patient_name(&tr, &stop.patient) }
                                    </button>
                                    if stop.visited {
                                        <span class="badge done" data-testid="route-visited">{ tr.t("route-visited") }</span>
                                    }
                                    <span class="route-actions">
                                        <button type="button" data-testid="route-earlier" aria-label={tr.t("route-earlier")}
                                            disabled={i == 0} onclick={onedit(id.clone(), Edit::Earlier)}>{ "↑" }</button>
                                        <button type="button" data-testid="route-later" aria-label={tr.t("route-later")}
                                            disabled={i + 1 == stops.len()} onclick={onedit(id.clone(), Edit::Later)}>{ "↓" }</button>
                                        <button type="button" data-testid="route-remove" aria-label={tr.t("route-remove")}
                                            onclick={onedit(id.clone(), Edit::Remove)}>{ "×" }</button>
                                    </span>
                                </li>
                            }
                        }) }
                    </ol>
                </section>
            }
        </main>
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct RouteButtonProps {
    pub patient: PatientId,
}

/// On a chart: puts the patient on today's route (once).
#[component]
pub fn RouteButton(props: &RouteButtonProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let backend = use_context::<BackendHandle>().expect("backend");
    let today = crate::clock::today();
    let key = route::ROUTE_KEY.to_owned();
    let route = use_state(|| None::<Vec<PatientId>>);
    {
        let (backend, route, key) = (backend.clone(), route.clone(), key.clone());
        use_effect_with(props.patient.clone(), move |_| {
            spawn(backend.draft(key), move |answer| {
                let text = answer.ok().flatten().map(|d| d.text).unwrap_or_default();
                route.set(Some(route::parse(&text, today)));
            });
        });
    }
    let on_route = route.as_ref().is_some_and(|r| r.contains(&props.patient));
    let onclick = {
        let (route, patient) = (route.clone(), props.patient.clone());
        Callback::from(move |_| {
            if route.is_none() {
                return;
            }
            // Read again before writing: the route may have changed since
            // this button was drawn (its own screen, another window), and
            // adding to a stale copy would silently drop that change.
            let (backend, route, patient, key) =
                (backend.clone(), route.clone(), patient.clone(), key.clone());
            spawn(backend.draft(key.clone()), move |answer| {
                let Ok(draft) = answer else { return };
                let text = draft.map(|d| d.text).unwrap_or_default();
                let changed = route::add(&route::parse(&text, today), &patient);
                let text = route::to_text(&changed, today);
                route.set(Some(changed));
                spawn(
                    backend.save_draft(key, karte_types::DraftInput { text }),
                    |_| {},
                );
            });
        })
    };
    html! {
        <button type="button" class="secondary" data-testid="add-to-route"
            disabled={route.is_none() || on_route} onclick={onclick}>
            { if on_route { tr.t("route-added") } else { tr.t("route-add") } }
        </button>
    }
}
