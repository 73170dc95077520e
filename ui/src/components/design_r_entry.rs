//! Records a DESIGN-R 2020 of one wound from the chart's photo section:
//! a button that opens the form, the wound's name and one choice per item,
//! the total as it stands, and Save (`record_scale`). The form and the core
//! check it by the same rules; a refusal is told beside its field.
//!
//! The assessment belongs to the visit being recorded: today's visit of
//! the chart (the latest recorded today, Japan time), which the form names.
//! With no visit recorded today it is saved without one, and the form says
//! so: a wound may be assessed between visits, and a visit recorded later
//! is a separate entry the assessment cannot be moved to.

use std::collections::BTreeSet;

use karte_types::{
    AssessmentInput, ChartView, Date, DesignDepth, DesignInflammation, EntryId, ErrorCode,
    PatientId, Scale, Timestamp,
};
use yew::prelude::*;

use super::{SelectField, TextField};
use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_chart, spawn};
use crate::forms::{DesignRForm, FieldErrors, design_r_scores, error_text, from_problem, visible};
use crate::i18n::Tr;
use crate::state::Action;

#[derive(Properties, PartialEq, Clone)]
pub struct DesignREntryProps {
    pub patient: PatientId,
    /// The wounds the chart already names, offered as the wound's name.
    #[prop_or_default]
    pub wounds: Vec<String>,
    /// Today's visit, which the assessment is recorded with
    /// ([`todays_visit`]); none when no visit was recorded today.
    #[prop_or_default]
    pub visit: Option<(EntryId, Timestamp)>,
    /// Drawn open (render tests).
    #[prop_or_default]
    pub open: bool,
}

/// The visit an assessment made now belongs to: the chart's latest visit
/// on `today` (Japan time) that is not marked in error.
pub fn todays_visit(chart: &ChartView, today: Date) -> Option<(EntryId, Timestamp)> {
    chart
        .visits
        .iter()
        .filter(|v| v.meta.entered_in_error.is_none() && v.input.at.date_jst() == today)
        .max_by_key(|v| (v.input.at, v.meta.id.clone()))
        .map(|v| (v.meta.id.clone(), v.input.at))
}

#[component]
pub fn DesignREntry(props: &DesignREntryProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    // Optional, so the form renders on its own (render tests) too.
    let state = use_context::<AppContext>();
    let backend = use_context::<BackendHandle>();
    let open = use_state(|| props.open);
    let form = use_state(DesignRForm::default);
    let touched = use_state(BTreeSet::<String>::new);
    let attempted = use_state(|| false);
    let refused = use_state(FieldErrors::new);
    let busy = use_state(|| false);

    if !*open {
        let open = open.clone();
        return html! {
            <button type="button" class="secondary" data-testid="design-r-open"
                onclick={Callback::from(move |_| open.set(true))}>
                { tr.t("design-r-open") }
            </button>
        };
    }

    let edit = |field: &'static str| {
        let (form, touched, refused) = (form.clone(), touched.clone(), refused.clone());
        Callback::from(move |value: String| {
            let mut next = (*form).clone();
            next.set(field, value);
            form.set(next);
            let mut seen = (*touched).clone();
            seen.insert(field.to_owned());
            touched.set(seen);
            refused.set(FieldErrors::new());
        })
    };
    let checked = form.to_design_r();
    let mut errors = visible(
        checked.clone().err().unwrap_or_default(),
        &touched,
        *attempted,
    );
    for (field, error) in refused.iter() {
        errors.entry(field.clone()).or_insert_with(|| error.clone());
    }
    let onsubmit = {
        let (form, attempted, refused, busy, open) = (
            form.clone(),
            attempted.clone(),
            refused.clone(),
            busy.clone(),
            open.clone(),
        );
        let (touched, patient) = (touched.clone(), props.patient.clone());
        let visit = props.visit.as_ref().map(|(id, _)| id.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let (Some(state), Some(backend)) = (state.clone(), backend.clone()) else {
                return;
            };
            let Ok(design) = form.to_design_r() else {
                return;
            };
            let input = AssessmentInput {
                at: crate::clock::now(),
                visit: visit.clone(),
                scale: Scale::DesignR(design),
            };
            busy.set(true);
            let (form, attempted, refused, busy, open, touched, patient) = (
                form.clone(),
                attempted.clone(),
                refused.clone(),
                busy.clone(),
                open.clone(),
                touched.clone(),
                patient.clone(),
            );
            spawn(
                backend.record_scale(patient.clone(), input),
                move |result| {
                    busy.set(false);
                    match result {
                        Ok(_) => {
                            form.set(DesignRForm::default());
                            touched.set(BTreeSet::new());
                            attempted.set(false);
                            open.set(false);
                            state.dispatch(Action::Notice("notice-saved"));
                            load_chart(&backend, &state, patient);
                        }
                        Err(problem) if problem.code == ErrorCode::InvalidInput => {
                            refused.set(from_problem(&problem))
                        }
                        Err(problem) => state.dispatch(Action::Failed(problem)),
                    }
                },
            );
        })
    };

    let graded = |codes: Vec<&'static str>| -> Vec<(AttrValue, String)> {
        codes
            .into_iter()
            .map(|code| (AttrValue::Static(code), tr.t(&format!("design-r-{code}"))))
            .collect()
    };
    let scored = |field: &str| -> Vec<(AttrValue, String)> {
        design_r_scores(field)
            .iter()
            .map(|s| (AttrValue::from(s.to_string()), s.to_string()))
            .collect()
    };
    let select = |field: &'static str, value: &str, options: Vec<(AttrValue, String)>| {
        html! {
            <SelectField testid={format!("design-r-{field}")} label={tr.t(&format!("field-{field}"))}
                value={value.to_owned()} options={options}
                error={error_text(&tr, &errors, field)} onchange={edit(field)} />
        }
    };
    let total = checked.as_ref().ok().map(|d| d.total());
    let cancel = {
        let open = open.clone();
        Callback::from(move |_| open.set(false))
    };
    html! {
        <form class="design-r-form" data-testid="design-r-form" onsubmit={onsubmit} novalidate=true>
            <h3>{ tr.t("design-r-title") }</h3>
            <p class="muted" data-testid="design-r-visit">
                { match &props.visit {
                    Some((_, at)) => tr.t_args("design-r-with-visit", &[("time", at.to_rfc3339()[11..16].to_owned())]),
                    None => tr.t("design-r-no-visit"),
                } }
            </p>
            <TextField testid="design-r-wound" label={tr.t("field-wound")} value={form.wound.clone()}
                error={error_text(&tr, &errors, "wound")} oninput={edit("wound")}
                autocomplete="off" />
            if !props.wounds.is_empty() {
                <div class="actions">
                    { for props.wounds.iter().map(|w| {
                        let (pick, w) = (edit("wound"), w.clone());
                        html! {
                            <button type="button" class="plain-text" data-testid="design-r-known-wound"
                                onclick={let w = w.clone(); Callback::from(move |_| pick.emit(w.clone()))}>{ w }</button>
                        }
                    }) }
                </div>
            }
            { select("depth", &form.depth, graded(DesignDepth::ALL.iter().map(|d| d.code()).collect())) }
            { select("exudate", &form.exudate, scored("exudate")) }
            { select("size", &form.size, scored("size")) }
            { select("inflammation", &form.inflammation, graded(DesignInflammation::ALL.iter().map(|i| i.code()).collect())) }
            { select("granulation", &form.granulation, scored("granulation")) }
            { select("necrosis", &form.necrosis, scored("necrosis")) }
            { select("pocket", &form.pocket, scored("pocket")) }
            if let Some(total) = total {
                <p data-testid="design-r-total">
                    { tr.t_args("design-r-total", &[("total", total.to_string())]) }
                    { " · " }
                    <span data-testid="design-r-notation">{ checked.as_ref().map(|d| d.notation()).unwrap_or_default() }</span>
                </p>
            }
            <div class="actions">
                <button type="submit" class="primary" data-testid="design-r-save" disabled={*busy}>{ tr.t("design-r-save") }</button>
                <button type="button" class="plain-text" onclick={cancel}>{ tr.t("cancel") }</button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use karte_types::{Author, EntryMeta, Soap, Visit, VisitInput, VitalSigns};

    fn chart_with_visits(visits: &[(&str, &str)]) -> ChartView {
        let mut chart = crate::state::tests::chart("p1");
        for (id, at) in visits {
            let at = Timestamp::parse_rfc3339("at", at).unwrap();
            chart.visits.push(Visit {
                meta: EntryMeta {
                    id: EntryId::from(*id),
                    recorded_by: Author {
                        user: "u1".into(),
                        user_name: "sato".into(),
                        device: "d1".into(),
                    },
                    recorded_at: at,
                    entered_in_error: None,
                },
                input: VisitInput {
                    at,
                    vitals: VitalSigns::default(),
                    soap: Soap::default(),
                    profession: None,
                    long_visit: false,
                },
            });
        }
        chart
    }

    #[test]
    fn an_assessment_belongs_to_todays_latest_visit_not_a_voided_or_earlier_days() {
        let mut chart = chart_with_visits(&[
            ("v-yesterday", "2026-11-19T15:00:00+09:00"),
            ("v-morning", "2026-11-20T09:00:00+09:00"),
            ("v-afternoon", "2026-11-20T14:00:00+09:00"),
        ]);
        let today = Date::parse("today", "2026-11-20").unwrap();
        let (id, _) = todays_visit(&chart, today).unwrap();
        assert_eq!(id.as_str(), "v-afternoon");
        // Voided, the afternoon visit is not the one.
        let afternoon = chart
            .visits
            .iter_mut()
            .find(|v| v.meta.id.as_str() == "v-afternoon")
            .unwrap();
        afternoon.meta.entered_in_error = Some(karte_types::Voided {
            by: afternoon.meta.recorded_by.clone(),
            at: afternoon.input.at,
            reason: "wrong patient".into(),
        });
        assert_eq!(todays_visit(&chart, today).unwrap().0.as_str(), "v-morning");
        // Days are Japan's: a visit at 00:30 on the 21st there (the 20th in
        // UTC) is the 21st's.
        let late = chart_with_visits(&[("v-late", "2026-11-21T00:30:00+09:00")]);
        assert_eq!(todays_visit(&late, today), None);
        let next = Date::parse("today", "2026-11-21").unwrap();
        assert_eq!(todays_visit(&late, next).unwrap().0.as_str(), "v-late");
    }
}
