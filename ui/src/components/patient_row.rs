//! One patient in the list: name, kana, age and care level; opens the chart.
//! An unknown casualty shows the temporary identity and the triage category
//! instead (no estimated birth date or age); any 指示書 alert shows as a badge.

use karte_types::PatientSummary;
use yew::prelude::*;

use crate::components::patient_alerts::{OrderBadge, TriageBadge, order_alerts, patient_name};
use crate::display;
use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct PatientRowProps {
    pub patient: PatientSummary,
    pub onopen: Callback<karte_types::PatientId>,
}

#[component]
pub fn PatientRow(props: &PatientRowProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let p = &props.patient;
    let onclick = {
        let onopen = props.onopen.clone();
        let id = p.id.clone();
        Callback::from(move |_| onopen.emit(id.clone()))
    };
    let today = crate::clock::today();
    let casualty = p.unknown_casualty().is_some();
    let category = p.triage.as_ref().and_then(|t| t.category);
    let alerts = order_alerts(p.orders.status(today), p.triage.is_some());
    html! {
        <li>
            <button type="button" class="patient-row" data-testid="patient-row" data-patient-id={p.id.to_string()} onclick={onclick}>
                <span class="names">
                    <span class="name" data-testid="patient-name">{ patient_name(&tr, p) }</span>
                    if !casualty {
                        <span class="kana">{ format!("{} {}", p.family_kana, p.given_kana) }</span>
                    }
                </span>
                <span class="facts">
                    if let Some(category) = category { <TriageBadge category={category} /> }
                    if !casualty {
                        <span>{ tr.t_args("patient-age", &[("age", p.birth.age_on(today).to_string())]) }</span>
                        <span>{ display::coded(&tr, "sex", p.sex.code()) }</span>
                    }
                    if let Some(level) = p.care_level { <span>{ display::care_level(&tr, level) }</span> }
                    <OrderBadge alerts={alerts} />
                    if p.open_reviews > 0 {
                        <span class="badge">{ tr.t_args("patient-reviews", &[("count", p.open_reviews.to_string())]) }</span>
                    }
                </span>
            </button>
        </li>
    }
}
