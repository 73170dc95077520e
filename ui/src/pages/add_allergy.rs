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
use crate::pages::entry_form::{back_to_chart, use_entry_form};

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
    let onsubmit = entry.onsubmit(
        &state,
        &backend,
        &props.patient,
        |f| f.to_input().ok(),
        |b, p, input| b.add_allergy(p, input),
    );
    let categories = display::coded_options(
        &tr,
        "category",
        AllergyCategory::ALL.iter().map(|c| c.code()),
    );
    let criticalities = display::coded_options(
        &tr,
        "criticality",
        Criticality::ALL.iter().map(|c| c.code()),
    );
    let back = back_to_chart(&state, &props.patient);
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
