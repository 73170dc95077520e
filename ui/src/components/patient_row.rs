//! One patient in the list: name, kana, age and care level; opens the chart.

use karte_types::PatientSummary;
use yew::prelude::*;

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
    let age = p.birth.age_on(crate::clock::today());
    html! {
        <li>
            <button type="button" class="patient-row" data-testid="patient-row" data-patient-id={p.id.to_string()} onclick={onclick}>
                <span class="names">
                    <span class="name" data-testid="patient-name">{ format!("{} {}", p.family, p.given) }</span>
                    <span class="kana">{ format!("{} {}", p.family_kana, p.given_kana) }</span>
                </span>
                <span class="facts">
                    <span>{ tr.t_args("patient-age", &[("age", age.to_string())]) }</span>
                    <span>{ display::coded(&tr, "sex", p.sex.code()) }</span>
                    if let Some(level) = p.care_level { <span>{ display::care_level(&tr, level) }</span> }
                    if p.open_reviews > 0 {
                        <span class="badge">{ tr.t_args("patient-reviews", &[("count", p.open_reviews.to_string())]) }</span>
                    }
                </span>
            </button>
        </li>
    }
}
