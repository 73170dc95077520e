//! Adding a medication.

use karte_types::{PatientId, Route};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::AppContext;
use crate::components::{SelectField, TextField};
use crate::display;
use crate::forms::{MedicationForm, error_text};
use crate::i18n::Tr;
use crate::pages::chart::ChartHeader;
use crate::pages::entry_form::{back_to_chart, use_entry_form};

#[derive(Properties, PartialEq, Clone)]
pub struct AddMedicationProps {
    pub patient: PatientId,
}

#[component]
pub fn AddMedication(props: &AddMedicationProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let entry = use_entry_form::<MedicationForm>();
    let errors = entry.errors(entry.form.to_input().err().unwrap_or_default());
    let onsubmit = entry.onsubmit(
        &state,
        &backend,
        &props.patient,
        |f| f.to_input().ok(),
        |b, p, input| b.add_medication(p, input),
    );
    let routes = display::coded_options(&tr, "route", Route::ALL.iter().map(|r| r.code()));
    let back = back_to_chart(&state, &props.patient);
    html! {
        <main data-testid="medication-form">
            <ChartHeader />
            <h1>{ tr.t("medication-add-title") }</h1>
            <form onsubmit={onsubmit} novalidate=true>
                <TextField testid="medication-name" label={tr.t("field-name")} value={entry.form.name.clone()}
                    error={error_text(&tr, &errors, "name")} oninput={entry.setter("name", |f, v| f.name = v)} />
                <TextField testid="medication-dose" label={tr.t("field-dose")} value={entry.form.dose.clone()} placeholder="5 mg"
                    error={error_text(&tr, &errors, "dose")} oninput={entry.setter("dose", |f, v| f.dose = v)} />
                <SelectField testid="medication-route" label={tr.t("field-route")} value={entry.form.route.clone()}
                    options={routes} onchange={entry.setter("route", |f, v| f.route = v)} />
                <TextField testid="medication-frequency" label={tr.t("field-frequency")} value={entry.form.frequency.clone()}
                    placeholder={tr.t("medication-frequency-placeholder")}
                    error={error_text(&tr, &errors, "frequency")} oninput={entry.setter("frequency", |f, v| f.frequency = v)} />
                <TextField testid="medication-start" kind="date" label={tr.t("field-start")} value={entry.form.start.clone()}
                    error={error_text(&tr, &errors, "start")} oninput={entry.setter("start", |f, v| f.start = v)}
                    reading={display::date_reading(&tr, &entry.form.start)} />
                <TextField testid="medication-end" kind="date" label={tr.t("field-end")} value={entry.form.end.clone()}
                    error={error_text(&tr, &errors, "end")} oninput={entry.setter("end", |f, v| f.end = v)}
                    reading={display::date_reading(&tr, &entry.form.end)} />
                if let Some(problem) = &*entry.failure {
                    <p class="error" role="alert" data-testid="medication-save-error">{ display::problem(&tr, problem) }</p>
                }
                <div class="actions">
                    <button type="submit" class="primary" data-testid="medication-save" disabled={*entry.busy}>{ tr.t("save") }</button>
                    <button type="button" class="secondary" onclick={back}>{ tr.t("cancel") }</button>
                </div>
            </form>
        </main>
    }
}
