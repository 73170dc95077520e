//! Records a DESIGN-R 2020 of one wound from the chart's photo section:
//! a button that opens the form, the wound's name and one choice per item,
//! the total as it stands, and Save (`record_scale`). The form and the core
//! check it by the same rules; a refusal is told beside its field.

use std::collections::BTreeSet;

use karte_types::{AssessmentInput, DesignDepth, DesignInflammation, ErrorCode, PatientId, Scale};
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
    /// Drawn open (render tests).
    #[prop_or_default]
    pub open: bool,
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
                visit: None,
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
