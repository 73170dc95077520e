//! A patient's chart: the allergy banner, conflicts to review, vital-sign
//! trends, problems, medications, the visit timeline and wound photos; in
//! disaster mode or on a casualty's chart, a consultation (J-SPEED) too.

use karte_types::{AllergyStatus, ReviewId};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_chart, load_sync_status, spawn, spawn_or_report};
use crate::components::patient_alerts::order_alerts;
use crate::components::{
    AllergyBanner, AllergyBannerProps, CasualtyCard, ChartIdentity, EntryLists, OrderAlerts,
    ReviewList, TrendChart, VisitTimeline,
};
use crate::i18n::Tr;
use crate::pages::visit_mode::RouteButton;
use crate::state::{Action, Page};
use crate::trend::Trend;

/// The patient's name and the allergy banner, on top of every screen about
/// one patient. Loads the chart when it is not in memory yet.
#[component]
pub fn ChartHeader() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let patient = state.page.patient().cloned();
    {
        let (state, backend) = (state.clone(), backend.clone());
        use_effect_with(patient.clone(), move |patient| {
            if let Some(patient) = patient
                && state.chart.as_ref().is_none_or(|c| &c.id != patient)
            {
                load_chart(&backend, &state, patient.clone());
            }
        });
    }
    let Some(chart) = state.chart.clone() else {
        return html! { <header class="chart-header loading" data-testid="chart-loading">{ tr.t("loading") }</header> };
    };
    html! {
        <header class="chart-header">
            <ChartIdentity chart={chart.clone()} />
            <AllergyBanner ..AllergyBannerProps::of(&chart) />
        </header>
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct ChartPageProps {
    pub patient: karte_types::PatientId,
}

#[component]
pub fn ChartPage(props: &ChartPageProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let busy = use_state(|| false);
    let go = |page: Page| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Navigate(page.clone())))
    };
    let id = props.patient.clone();
    let onresolve = {
        let (state, backend, busy, id) = (state.clone(), backend.clone(), busy.clone(), id.clone());
        Callback::from(move |(review, chosen): (ReviewId, String)| {
            busy.set(true);
            let (state2, backend2, busy, id2) =
                (state.clone(), backend.clone(), busy.clone(), id.clone());
            spawn(
                backend.resolve_review(id.clone(), review, chosen),
                move |result| {
                    busy.set(false);
                    match result {
                        Ok(()) => {
                            state2.dispatch(Action::Notice("notice-review-resolved"));
                            load_chart(&backend2, &state2, id2);
                            load_sync_status(&backend2, &state2);
                        }
                        Err(problem) => state2.dispatch(Action::Failed(problem)),
                    }
                },
            );
        })
    };
    let onnka = {
        let (state, backend, id) = (state.clone(), backend.clone(), id.clone());
        Callback::from(move |_| {
            let (state2, backend2, id2) = (state.clone(), backend.clone(), id.clone());
            spawn_or_report(
                backend.set_no_known_allergies(id.clone()),
                &state,
                move |()| {
                    state2.dispatch(Action::Notice("notice-saved"));
                    load_chart(&backend2, &state2, id2);
                },
            );
        })
    };
    let chart = state.chart.clone().filter(|c| c.id == props.patient);
    html! {
        <main data-testid="chart">
            <ChartHeader />
            if let Some(chart) = chart {
                <OrderAlerts alerts={order_alerts(chart.order_status(crate::clock::today()), !chart.triage.is_empty())} />
                if !chart.triage.is_empty() { <CasualtyCard chart={chart.clone()} /> }
                <ReviewList reviews={chart.open_reviews().cloned().collect::<Vec<_>>()} onresolve={onresolve} busy={*busy} />
                <div class="toolbar">
                    <button type="button" class="primary" data-testid="record-visit" onclick={go(Page::RecordVisit(id.clone()))}>{ tr.t("chart-record-visit") }</button>
                    if state.disaster_mode || !chart.triage.is_empty() {
                        <button type="button" class="primary" data-testid="record-consultation" onclick={go(Page::RecordConsultation(id.clone()))}>{ tr.t("chart-record-consultation") }</button>
                    }
                    <RouteButton patient={id.clone()} />
                    <button type="button" class="secondary" data-testid="documents-open" onclick={go(Page::Documents(id.clone()))}>{ tr.t("chart-documents") }</button>
                    <button type="button" class="secondary" data-testid="edit-patient" onclick={go(Page::EditPatient(id.clone()))}>{ tr.t("chart-edit-patient") }</button>
                    <button type="button" class="secondary" data-testid="add-allergy" onclick={go(Page::AddAllergy(id.clone()))}>{ tr.t("chart-add-allergy") }</button>
                    if chart.allergy_status == AllergyStatus::NotRecorded {
                        <button type="button" class="secondary" data-testid="no-known-allergies" onclick={onnka}>{ tr.t("chart-no-known-allergies") }</button>
                    }
                </div>
                <section class="card" data-testid="trends">
                    <h2>{ tr.t("chart-trends") }</h2>
                    <div class="trends">
                        { for Trend::ALL.into_iter().map(|trend| html! { <TrendChart trend={trend} chart={chart.clone()} /> }) }
                    </div>
                </section>
                <EntryLists chart={chart.clone()}
                    onaddcondition={let s = state.clone(); let id = id.clone(); Callback::from(move |_| s.dispatch(Action::Navigate(Page::AddCondition(id.clone()))))}
                    onaddmedication={let s = state.clone(); let id = id.clone(); Callback::from(move |_| s.dispatch(Action::Navigate(Page::AddMedication(id.clone()))))} />
                <VisitTimeline chart={chart.clone()} />
                <crate::components::WoundPhotos patient={id.clone()} chart={chart.clone()} />
                <crate::pages::documents::ChartDocuments patient={id.clone()} chart={chart.clone()} />
                if let Some(address) = &chart.patient.address {
                    <p class="muted">{ format!("{}: {address}", tr.t("field-address")) }</p>
                }
                if let Some(phone) = &chart.patient.phone {
                    <p class="muted" data-testid="chart-phone">{ format!("{}: {phone}", tr.t("field-phone")) }</p>
                }
            }
        </main>
    }
}
