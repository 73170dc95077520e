//! The visits of a chart, newest first: when, by whom (and the profession
//! when not a nurse's, and 長時間訪問 when it was a long visit), the vital
//! signs in a line and the SOAP note. Visits entered in error stay, struck through.
//!
//! A page of the newest visits is drawn first and a button adds older ones:
//! a chart of years of visits opened at the bedside must not wait for
//! hundreds of entries nobody scrolls to.

use std::rc::Rc;

use karte_types::{ChartView, Profession, Visit, VitalSigns};
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

/// How many of a list are shown: one page at first, one page more each
/// time the user asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown(usize);

impl Shown {
    /// Visits per page: about a month of daily visits.
    pub const PAGE: usize = 20;

    pub fn first() -> Shown {
        Shown(Shown::PAGE)
    }

    pub fn more(self) -> Shown {
        Shown(self.0.saturating_add(Shown::PAGE))
    }

    /// The items shown, from the front of `items`, and how many are left.
    pub fn split<T>(self, items: &[T]) -> (&[T], usize) {
        let end = self.0.min(items.len());
        (&items[..end], items.len() - end)
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

/// The profession told beside a visit: only when it is not a nurse's, as
/// the timeline's visits are a nurse's unless told otherwise (and those
/// recorded before the profession was asked were).
fn shown_profession(visit: &Visit) -> Option<Profession> {
    visit.input.profession.filter(|p| *p != Profession::Nurse)
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
        // Keyed, so an open "entered in error" form stays with its visit
        // when a newer visit arrives above it.
        <li key={visit.meta.id.to_string()} class={classes!("visit", voided.then_some("voided"))} data-testid="visit">
            <div class="visit-head">
                <time>{ display::time(tr, visit.input.at) }</time>
                <span class="author">{ visit.meta.recorded_by.user_name.clone() }</span>
                if let Some(p) = shown_profession(visit) {
                    <span class="tag" data-testid="visit-profession">{ tr.t(&format!("profession-{}", p.code())) }</span>
                }
                if visit.input.long_visit {
                    <span class="tag" data-testid="visit-long-visit">{ tr.t("visit-long-visit") }</span>
                }
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
    let chart = &props.chart;
    // Kept with the patient it was for, so another patient's chart starts
    // at the first page again, while a reload of the same chart (after a
    // visit is recorded) keeps what the user opened.
    let paging = use_state(|| (chart.id.clone(), Shown::first()));
    let shown = if paging.0 == chart.id {
        paging.1
    } else {
        Shown::first()
    };
    let (visits, older) = shown.split(&chart.visits);
    let onmore = {
        let (paging, id) = (paging.clone(), chart.id.clone());
        Callback::from(move |_| paging.set((id.clone(), shown.more())))
    };
    html! {
        <section class="card" data-testid="visit-timeline">
            <h2>{ tr.t("chart-visits") }</h2>
            if visits.is_empty() {
                <p class="muted">{ tr.t("chart-no-visits") }</p>
            } else {
                <ol class="timeline">{ for visits.iter().map(|v| visit_item(&tr, &chart.id, v)) }</ol>
            }
            if older > 0 {
                <button type="button" class="secondary" data-testid="visits-older" onclick={onmore}>
                    { tr.t_args("chart-older-visits", &[("count", older.to_string())]) }
                </button>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::Shown;

    #[test]
    fn a_page_at_first_then_one_more_page_each_time() {
        let items: Vec<usize> = (0..45).collect();
        let (shown, left) = Shown::first().split(&items);
        assert_eq!((shown.len(), left), (Shown::PAGE, 25));
        assert_eq!(shown[0], 0, "the front (the newest) comes first");
        let (shown, left) = Shown::first().more().split(&items);
        assert_eq!((shown.len(), left), (40, 5));
        let (shown, left) = Shown::first().more().more().split(&items);
        assert_eq!((shown.len(), left), (45, 0));
    }

    #[test]
    fn a_short_list_is_shown_whole() {
        let (shown, left) = Shown::first().split(&[1, 2, 3]);
        assert_eq!((shown, left), (&[1, 2, 3][..], 0));
        let (shown, left) = Shown::first().split::<u8>(&[]);
        assert!(shown.is_empty() && left == 0);
        assert_eq!(Shown(usize::MAX).more(), Shown(usize::MAX));
    }
}
