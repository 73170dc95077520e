//! The visits of a chart, newest first: when, by whom, the vital signs in a
//! line and the SOAP note. Visits entered in error stay, struck through.

use std::rc::Rc;

use karte_types::{ChartView, Visit, VitalSigns};
use yew::prelude::*;

use crate::display;
use crate::i18n::Tr;

#[derive(Properties, Clone)]
pub struct VisitTimelineProps {
    pub chart: Rc<ChartView>,
}

impl PartialEq for VisitTimelineProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.chart, &other.chart)
    }
}

/// The vital signs as one line, e.g. `T 36.8 °C · BP 132/84 · P 72`.
pub fn vitals_line(tr: &Tr, v: &VitalSigns) -> String {
    let mut parts = Vec::new();
    if let Some(t) = v.temperature_c {
        parts.push(format!("{} {t:.1} °C", tr.t("abbr-temp")));
    }
    if let (Some(s), Some(d)) = (v.systolic, v.diastolic) {
        parts.push(format!("{} {s}/{d}", tr.t("abbr-bp")));
    }
    if let Some(p) = v.pulse {
        parts.push(format!("{} {p}", tr.t("abbr-pulse")));
    }
    if let Some(r) = v.respiration {
        parts.push(format!("{} {r}", tr.t("abbr-resp")));
    }
    if let Some(s) = v.spo2 {
        parts.push(format!("SpO2 {s}%"));
    }
    if let Some(j) = v.jcs {
        parts.push(format!("JCS {j}"));
    }
    if let Some(p) = v.pain {
        parts.push(format!("{} {p}/10", tr.t("abbr-pain")));
    }
    parts.join(" · ")
}

fn visit_item(tr: &Tr, patient: &karte_types::PatientId, visit: &Visit) -> Html {
    let soap = &visit.input.soap;
    let voided = visit.meta.entered_in_error.is_some();
    let part = |id: &str, text: &Option<String>| {
        text.as_ref().map(|t| {
            html! {
                <div class="soap-part"><dt>{ tr.t_args(id, &[]) }</dt><dd>{ t.clone() }</dd></div>
            }
        })
    };
    html! {
        <li class={classes!("visit", voided.then_some("voided"))} data-testid="visit">
            <div class="visit-head">
                <time>{ display::time(visit.input.at) }</time>
                <span class="author">{ visit.meta.recorded_by.user_name.clone() }</span>
                if let Some(v) = &visit.meta.entered_in_error {
                    <span class="badge" data-testid="visit-voided">{ tr.t("entry-voided") }</span>
                    <span class="muted">{ format!("{} · {}", v.by.user_name, v.reason) }</span>
                } else {
                    <super::VoidEntry patient={patient.clone()} entry={visit.meta.id.clone()} />
                }
            </div>
            <p class="vitals" data-testid="visit-vitals">{ vitals_line(tr, &visit.input.vitals) }</p>
            <dl class="soap" data-testid="visit-soap">
                { for part("soap-s", &soap.subjective) }
                { for part("soap-o", &soap.objective) }
                { for part("soap-a", &soap.assessment) }
                { for part("soap-p", &soap.plan) }
            </dl>
        </li>
    }
}

#[component]
pub fn VisitTimeline(props: &VisitTimelineProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let visits = &props.chart.visits;
    html! {
        <section class="card" data-testid="visit-timeline">
            <h2>{ tr.t("chart-visits") }</h2>
            if visits.is_empty() {
                <p class="muted">{ tr.t("chart-no-visits") }</p>
            } else {
                <ol class="timeline">{ for visits.iter().map(|v| visit_item(&tr, &props.chart.id, v)) }</ol>
            }
        </section>
    }
}
