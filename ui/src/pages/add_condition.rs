//! Adding a problem (condition) to the problem list.

use karte_types::PatientId;
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::AppContext;
use crate::components::TextField;
use crate::display;
use crate::forms::{ConditionForm, error_text};
use crate::i18n::Tr;
use crate::pages::chart::ChartHeader;
use crate::pages::entry_form::{back_to_chart, use_entry_form};

#[derive(Properties, PartialEq, Clone)]
pub struct AddConditionProps {
    pub patient: PatientId,
}

#[component]
pub fn AddCondition(props: &AddConditionProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let entry = use_entry_form::<ConditionForm>();
    let errors = entry.errors(entry.form.to_input().err().unwrap_or_default());
    let onsubmit = entry.onsubmit(
        &state,
        &backend,
        &props.patient,
        |f| f.to_input().ok(),
        |b, p, input| b.add_condition(p, input),
    );
    let back = back_to_chart(&state, &props.patient);
    html! {
        <main data-testid="condition-form">
            <ChartHeader />
            <h1>{ tr.t("condition-add-title") }</h1>
            <form onsubmit={onsubmit} novalidate=true>
                <TextField testid="condition-name" label={tr.t("field-name")} value={entry.form.name.clone()}
                    error={error_text(&tr, &errors, "name")} oninput={entry.setter("name", |f, v| f.name = v)} />
                <TextField testid="condition-icd10" label={tr.t("field-icd10")} value={entry.form.icd10.clone()} placeholder="I10"
                    error={error_text(&tr, &errors, "icd10")} oninput={entry.setter("icd10", |f, v| f.icd10 = v)} />
                <TextField testid="condition-onset" kind="date" label={tr.t("field-onset")} value={entry.form.onset.clone()}
                    error={error_text(&tr, &errors, "onset")} oninput={entry.setter("onset", |f, v| f.onset = v)}
                    reading={display::date_reading(&tr, &entry.form.onset)} />
                <TextField testid="condition-note" label={tr.t("field-note")} value={entry.form.note.clone()} multiline=true
                    oninput={entry.setter("note", |f, v| f.note = v)} />
                if let Some(problem) = &*entry.failure {
                    <p class="error" role="alert" data-testid="condition-save-error">{ display::problem(&tr, problem) }</p>
                }
                <div class="actions">
                    <button type="submit" class="primary" data-testid="condition-save" disabled={*entry.busy}>{ tr.t("save") }</button>
                    <button type="button" class="secondary" onclick={back}>{ tr.t("cancel") }</button>
                </div>
            </form>
        </main>
    }
}
