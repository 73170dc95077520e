//! Recording an allergy.

use karte_types::{AllergyCategory, Criticality, PatientId};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::AppContext;
use crate::components::{SelectField, TextField};
use crate::display;
use crate::forms::{AllergyForm, error_text};
use crate::i18n::Tr;
use crate::pages::chart::ChartHeader;
use crate::pages::entry_form::use_entry_form;
use crate::state::{Action, Page};

#[derive(Properties, PartialEq, Clone)]
pub struct AddAllergyProps {
    pub patient: PatientId,
}

#[component]
pub fn AddAllergy(props: &AddAllergyProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let entry = use_entry_form::<AllergyForm>();
    let errors = entry.errors(entry.form.to_input().err().unwrap_or_default());
    let onsubmit = {
        let (entry, state, backend, patient) = (
            entry.clone(),
            state.clone(),
            backend.clone(),
            props.patient.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            entry.attempt();
            if let Ok(input) = entry.form.to_input() {
                entry.save(
                    backend.add_allergy(patient.clone(), input),
                    &state,
                    &backend,
                    patient.clone(),
                );
            }
        })
    };
    let categories: Vec<(AttrValue, String)> = AllergyCategory::ALL
        .iter()
        .map(|c| {
            (
                AttrValue::from(c.code()),
                display::coded(&tr, "category", c.code()),
            )
        })
        .collect();
    let criticalities: Vec<(AttrValue, String)> = Criticality::ALL
        .iter()
        .map(|c| {
            (
                AttrValue::from(c.code()),
                display::coded(&tr, "criticality", c.code()),
            )
        })
        .collect();
    let back = {
        let (state, patient) = (state.clone(), props.patient.clone());
        Callback::from(move |_| state.dispatch(Action::Navigate(Page::Chart(patient.clone()))))
    };
    html! {
        <main data-testid="allergy-form">
            <ChartHeader />
            <h1>{ tr.t("allergy-add-title") }</h1>
            <form onsubmit={onsubmit} novalidate=true>
                <TextField testid="allergy-substance" label={tr.t("field-substance")} value={entry.form.substance.clone()}
                    error={error_text(&tr, &errors, "substance")} oninput={entry.setter("substance", |f, v| f.substance = v)} />
                <SelectField testid="allergy-category" label={tr.t("field-category")} value={entry.form.category.clone()}
                    options={categories} onchange={entry.setter("category", |f, v| f.category = v)} />
                <SelectField testid="allergy-criticality" label={tr.t("field-criticality")} value={entry.form.criticality.clone()}
                    options={criticalities} onchange={entry.setter("criticality", |f, v| f.criticality = v)} />
                <TextField testid="allergy-reaction" label={tr.t("field-reaction")} value={entry.form.reaction.clone()}
                    oninput={entry.setter("reaction", |f, v| f.reaction = v)} />
                if let Some(problem) = &*entry.failure {
                    <p class="error" role="alert" data-testid="allergy-save-error">{ display::problem(&tr, problem) }</p>
                }
                <div class="actions">
                    <button type="submit" class="primary" data-testid="allergy-save" disabled={*entry.busy}>{ tr.t("save") }</button>
                    <button type="button" class="secondary" onclick={back}>{ tr.t("cancel") }</button>
                </div>
            </form>
        </main>
    }
}
