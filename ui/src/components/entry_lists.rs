//! The chart's problem list and medications, each entry with who recorded it.

use std::rc::Rc;

use karte_types::ChartView;
use yew::prelude::*;

use crate::display;
use crate::i18n::Tr;

#[derive(Properties, Clone)]
pub struct EntryListsProps {
    pub chart: Rc<ChartView>,
    pub onaddcondition: Callback<()>,
    pub onaddmedication: Callback<()>,
}

impl PartialEq for EntryListsProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.chart, &other.chart)
    }
}

#[component]
pub fn EntryLists(props: &EntryListsProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let chart = &props.chart;
    let add = |cb: &Callback<()>, id: &'static str, testid: &'static str| {
        let cb = cb.clone();
        html! { <button type="button" class="secondary" data-testid={testid} onclick={Callback::from(move |_| cb.emit(()))}>{ tr.t_args(id, &[]) }</button> }
    };
    html! {
        <div class="entry-lists">
            <section class="card" data-testid="conditions">
                <h2>{ tr.t("chart-problems") }</h2>
                if chart.conditions.is_empty() {
                    <p class="muted">{ tr.t("chart-none-recorded") }</p>
                }
                <ul>
                    { for chart.conditions.iter().map(|c| html! {
                        <li class={classes!(c.meta.entered_in_error.is_some().then_some("voided"))}>
                            <strong>{ c.input.name.clone() }</strong>
                            if let Some(code) = &c.input.icd10 { <span class="code">{ code.clone() }</span> }
                            <span class="status">{ display::coded(&tr, "status", c.input.status.code()) }</span>
                            if let Some(onset) = c.input.onset { <span class="muted">{ tr.t_args("chart-since", &[("date", display::date(&tr, onset))]) }</span> }
                        </li>
                    }) }
                </ul>
                { add(&props.onaddcondition, "chart-add-problem", "add-condition") }
            </section>
            <section class="card" data-testid="medications">
                <h2>{ tr.t("chart-medications") }</h2>
                if chart.medications.is_empty() {
                    <p class="muted">{ tr.t("chart-none-recorded") }</p>
                }
                <ul>
                    { for chart.medications.iter().map(|m| html! {
                        <li class={classes!(m.meta.entered_in_error.is_some().then_some("voided"))}>
                            <strong>{ m.input.name.clone() }</strong>
                            <span>{ format!("{} · {} · {}", m.input.dose, display::coded(&tr, "route", m.input.route.code()), m.input.frequency) }</span>
                        </li>
                    }) }
                </ul>
                { add(&props.onaddmedication, "chart-add-medication", "add-medication") }
            </section>
        </div>
    }
}
