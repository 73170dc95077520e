//! What the list row and the chart say beside a patient's name: the
//! temporary identity of an unknown casualty, the current triage category
//! (symbol, numeral and words besides the colour, never colour alone) and
//! the 指示書 alerts.

use std::rc::Rc;

use karte_types::{
    CasualtyLabel, ChartView, OrderAlert, OrderStatus, PatientSummary, TriageCategory,
};
use yew::prelude::*;

use crate::display;
use crate::i18n::{Language, Tr};

/// The name as shown in the list: the names, or an unknown casualty's
/// temporary identity (「身元不明 男性 60代 #T-0123」).
pub fn patient_name(tr: &Tr, p: &PatientSummary) -> String {
    match tr.language {
        Language::Ja => p.display_name_ja(),
        Language::En => p.display_name_en(),
    }
}

/// A casualty label in the UI's language.
pub fn casualty_label(tr: &Tr, label: &CasualtyLabel) -> String {
    match tr.language {
        Language::Ja => label.label_ja(),
        Language::En => label.label_en(),
    }
}

fn category_label(tr: &Tr, category: TriageCategory) -> String {
    match tr.language {
        Language::Ja => category.label_ja(),
        Language::En => category.label_en(),
    }
}

/// The 指示書 alerts worth showing: a chart with a triage tag (a disaster
/// casualty) is not a home-care patient until an order says so, so "no
/// order" is left out for it; every other alert stays.
pub fn order_alerts(status: OrderStatus, triage_tagged: bool) -> Vec<OrderAlert> {
    let mut alerts = status.alerts;
    if triage_tagged {
        alerts.retain(|a| *a != OrderAlert::Missing);
    }
    alerts
}

#[derive(Properties, PartialEq, Clone)]
pub struct TriageBadgeProps {
    pub category: TriageCategory,
}

/// The triage category in force: 「▲ 赤 I 最優先治療群」 on its colour.
#[component]
pub fn TriageBadge(props: &TriageBadgeProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let c = props.category;
    html! {
        <span class={classes!("triage-badge", format!("triage-{}", c.code()))}
            data-testid="triage-category" data-category={c.code()}>
            { category_label(&tr, c) }
        </span>
    }
}

/// The short words of an alert, for the list row's badge.
fn short(tr: &Tr, alert: &OrderAlert) -> String {
    match alert {
        OrderAlert::Missing => tr.t("order-badge-missing"),
        OrderAlert::Expired { .. } => tr.t("order-badge-expired"),
        OrderAlert::Expiring { days_left: 0, .. } => tr.t("order-badge-expires-today"),
        OrderAlert::Expiring { days_left, .. } => {
            tr.t_args("order-badge-expiring", &[("days", days_left.to_string())])
        }
        OrderAlert::SpecialOverLimit { .. } => tr.t("order-badge-special-over"),
        OrderAlert::SpecialWithoutRegular { .. } => tr.t("order-badge-special-alone"),
        OrderAlert::PeriodTooLong { .. } => tr.t("order-badge-too-long"),
        OrderAlert::VisitsOutsideOrders { count } => {
            tr.t_args("order-badge-outside", &[("count", count.to_string())])
        }
    }
}

/// An alert in full, in the UI's language.
fn message(tr: &Tr, alert: &OrderAlert) -> String {
    match tr.language {
        Language::Ja => alert.message_ja(),
        Language::En => alert.message_en(),
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct OrderBadgeProps {
    pub alerts: Vec<OrderAlert>,
}

/// The list row's 指示書 badge: the first alert in short words, and how
/// many more there are; every alert in full in its title. Nothing when
/// there is no alert.
#[component]
pub fn OrderBadge(props: &OrderBadgeProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let Some(first) = props.alerts.first() else {
        return html! {};
    };
    let mut text = short(&tr, first);
    if props.alerts.len() > 1 {
        text.push_str(&tr.t_args(
            "order-badge-more",
            &[("count", (props.alerts.len() - 1).to_string())],
        ));
    }
    let title = props
        .alerts
        .iter()
        .map(|a| message(&tr, a))
        .collect::<Vec<_>>()
        .join("\n");
    html! {
        <span class="badge order-badge" data-testid="order-badge" title={title}>{ text }</span>
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct OrderAlertsProps {
    pub alerts: Vec<OrderAlert>,
}

/// The chart's 指示書 alerts, a line each. Nothing when there is none.
#[component]
pub fn OrderAlerts(props: &OrderAlertsProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    if props.alerts.is_empty() {
        return html! {};
    }
    html! {
        <ul class="order-alerts" data-testid="order-alerts" role="status">
            { for props.alerts.iter().map(|a| html! { <li data-testid="order-alert">{ message(&tr, a) }</li> }) }
        </ul>
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct ChartIdentityProps {
    pub chart: Rc<ChartView>,
}

/// The chart header's identity line: name, kana, age, sex, birth date and
/// care level; for an unknown casualty the temporary identity instead of
/// the (empty) names and the estimated birth date. The triage category in
/// force, if any, follows.
#[component]
pub fn ChartIdentity(props: &ChartIdentityProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let chart = &props.chart;
    let p = &chart.patient;
    let category = chart.triage.current().map(|t| t.input.category);
    let triage = category.map(|c| html! { <TriageBadge category={c} /> });
    match chart.unknown_casualty() {
        Some(label) => html! {
            <div class="identity">
                <h1 data-testid="chart-name">{ casualty_label(&tr, &label) }</h1>
                { triage }
                if let Some(level) = p.care_level { <span>{ display::care_level(&tr, level) }</span> }
            </div>
        },
        None => {
            let age = p.birth.age_on(crate::clock::today());
            html! {
                <div class="identity">
                    <h1 data-testid="chart-name">{ p.full_name() }</h1>
                    <span class="kana">{ p.full_kana() }</span>
                    <span>{ tr.t_args("patient-age", &[("age", age.to_string())]) }</span>
                    <span>{ display::coded(&tr, "sex", p.sex.code()) }</span>
                    <span class="muted" data-testid="chart-birth">{ display::date(&tr, p.birth) }</span>
                    if let Some(level) = p.care_level { <span>{ display::care_level(&tr, level) }</span> }
                    { triage }
                </div>
            }
        }
    }
}
