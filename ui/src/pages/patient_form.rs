//! Adding a patient, and editing a patient's demographics. Validated as
//! typed with the core's rules; a failed save keeps every field.

use std::collections::BTreeSet;

use karte_types::{CareLevel, PatientId, Problem, Sex};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_chart, submit};
use crate::components::{SelectField, TextField};
use crate::display;
use crate::forms::{PatientForm as Form, error_text, from_problem, visible};
use crate::i18n::Tr;
use crate::pages::chart::ChartHeader;
use crate::pages::entry_form::field_setter;
use crate::state::{Action, Page};

#[derive(Properties, PartialEq, Clone)]
pub struct PatientFormProps {
    /// The patient to edit; a new patient when `None`.
    #[prop_or_default]
    pub patient: Option<PatientId>,
}

#[component]
pub fn PatientForm(props: &PatientFormProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let initial = state
        .chart
        .as_ref()
        .filter(|c| Some(&c.id) == props.patient.as_ref())
        .map(|c| Form::from_demographics(&c.patient));
    let form = use_state(|| initial.clone().unwrap_or_default());
    let loaded = use_state(|| initial.is_some() || props.patient.is_none());
    let touched = use_state(BTreeSet::<String>::new);
    let attempted = use_state(|| false);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);

    // Editing straight from a reload: fill the form once the chart arrives.
    {
        let (form, loaded) = (form.clone(), loaded.clone());
        use_effect_with(initial.clone(), move |initial| {
            if let Some(initial) = initial
                && !*loaded
            {
                form.set(initial.clone());
                loaded.set(true);
            }
        });
    }
    let today = crate::clock::today();
    let mut errors = visible(
        form.to_demographics(today).err().unwrap_or_default(),
        &touched,
        *attempted,
    );
    if let Some(problem) = &*failure {
        errors.extend(from_problem(problem));
    }
    let set = |field: &'static str| {
        field_setter(&form, &touched, field, move |form: &mut Form, value| {
            form.set(field, value)
        })
    };
    let onsubmit = {
        let (form, attempted, busy, failure) = (
            form.clone(),
            attempted.clone(),
            busy.clone(),
            failure.clone(),
        );
        let (state, backend) = (state.clone(), backend.clone());
        let patient = props.patient.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let Ok(demographics) = form.to_demographics(crate::clock::today()) else {
                return;
            };
            let (state2, backend2) = (state.clone(), backend.clone());
            match patient.clone() {
                None => submit(
                    &busy,
                    &failure,
                    &state,
                    backend.add_patient(demographics),
                    move |id| {
                        state2.dispatch(Action::Navigate(Page::Chart(id)));
                        state2.dispatch(Action::Notice("notice-patient-added"));
                    },
                ),
                Some(id) => submit(
                    &busy,
                    &failure,
                    &state,
                    backend.update_patient(id.clone(), demographics),
                    move |()| {
                        state2.dispatch(Action::Navigate(Page::Chart(id.clone())));
                        state2.dispatch(Action::Notice("notice-patient-saved"));
                        load_chart(&backend2, &state2, id);
                    },
                ),
            }
        })
    };
    let oncancel = {
        let state = state.clone();
        let back = props
            .patient
            .clone()
            .map(Page::Chart)
            .unwrap_or(Page::Patients);
        Callback::from(move |_| state.dispatch(Action::Navigate(back.clone())))
    };
    let sexes: Vec<(AttrValue, String)> = Sex::ALL
        .iter()
        .map(|s| {
            (
                AttrValue::from(s.code()),
                display::coded(&tr, "sex", s.code()),
            )
        })
        .collect();
    let mut levels: Vec<(AttrValue, String)> = vec![(AttrValue::from(""), tr.t("care-none"))];
    levels.extend(
        CareLevel::ALL
            .iter()
            .map(|l| (AttrValue::from(l.code()), display::care_level(&tr, *l))),
    );
    let field = |id: &'static str, label: &'static str, value: &str| {
        html! {
            <TextField testid={format!("patient-{id}")} label={tr.t_args(label, &[])} value={value.to_owned()}
                error={error_text(&tr, &errors, id)} oninput={set(id)} />
        }
    };
    html! {
        <main data-testid="patient-form">
            if props.patient.is_some() {
                <ChartHeader />
            }
            <h1>{ if props.patient.is_some() { tr.t("patient-edit-title") } else { tr.t("patient-add-title") } }</h1>
            <form onsubmit={onsubmit} novalidate=true class="grid-form">
                { field("family", "field-family", &form.family) }
                { field("given", "field-given", &form.given) }
                { field("family-kana", "field-family-kana", &form.family_kana) }
                { field("given-kana", "field-given-kana", &form.given_kana) }
                <TextField testid="patient-birth" kind="date" label={tr.t("field-birth")} value={form.birth.clone()}
                    error={error_text(&tr, &errors, "birth")} oninput={set("birth")}
                    reading={display::date_reading(&tr, &form.birth)} />
                <SelectField testid="patient-sex" label={tr.t("field-sex")} value={form.sex.clone()} options={sexes}
                    error={error_text(&tr, &errors, "sex")} onchange={set("sex")} />
                <SelectField testid="patient-care-level" label={tr.t("field-care-level")} value={form.care_level.clone()}
                    options={levels} error={error_text(&tr, &errors, "care-level")} onchange={set("care-level")} />
                { field("address", "field-address", &form.address) }
                { field("phone", "field-phone", &form.phone) }
                { field("insurance", "field-insurance", &form.insurance_number) }
                if let Some(problem) = &*failure {
                    <p class="error wide" role="alert" data-testid="patient-form-error">{ display::problem(&tr, problem) }</p>
                }
                <div class="actions wide">
                    <button type="submit" class="primary" data-testid="patient-save" disabled={*busy}>{ tr.t("save") }</button>
                    <button type="button" class="secondary" data-testid="patient-cancel" onclick={oncancel}>{ tr.t("cancel") }</button>
                </div>
            </form>
        </main>
    }
}
