//! What the allergy, problem and medication forms share: the touched and
//! attempted bookkeeping, the save call, and the way back to the chart;
//! and how every form of the app sets a field.

use std::collections::BTreeSet;

use karte_types::{EntryId, PatientId, Problem};
use yew::prelude::*;

use crate::backend::{BackendHandle, Call};
use crate::calls::{AppContext, load_chart, submit};
use crate::forms::{FieldErrors, from_problem, visible};
use crate::state::{Action, Page};

/// The state of one entry form of type `F`.
pub struct EntryFormState<F: Clone + 'static> {
    pub form: UseStateHandle<F>,
    touched: UseStateHandle<BTreeSet<String>>,
    attempted: UseStateHandle<bool>,
    pub busy: UseStateHandle<bool>,
    pub failure: UseStateHandle<Option<Problem>>,
}

impl<F: Clone + 'static> Clone for EntryFormState<F> {
    fn clone(&self) -> Self {
        EntryFormState {
            form: self.form.clone(),
            touched: self.touched.clone(),
            attempted: self.attempted.clone(),
            busy: self.busy.clone(),
            failure: self.failure.clone(),
        }
    }
}

#[hook]
pub fn use_entry_form<F: Clone + Default + 'static>() -> EntryFormState<F> {
    EntryFormState {
        form: use_state(F::default),
        touched: use_state(BTreeSet::new),
        attempted: use_state(|| false),
        busy: use_state(|| false),
        failure: use_state(|| None),
    }
}

impl<F: Clone + 'static> EntryFormState<F> {
    /// The errors to show, given the form's own.
    pub fn errors(&self, own: FieldErrors) -> FieldErrors {
        let mut errors = visible(own, &self.touched, *self.attempted);
        if let Some(problem) = &*self.failure {
            errors.extend(from_problem(problem));
        }
        errors
    }

    /// A callback that writes one field with `write`.
    pub fn setter(&self, field: &'static str, write: fn(&mut F, String)) -> Callback<String> {
        field_setter(&self.form, &self.touched, field, write)
    }

    /// Marks a save attempt; the caller then saves only a valid form.
    pub fn attempt(&self) {
        self.attempted.set(true);
    }

    /// Saves with `call`, then returns to the chart; on failure keeps the form.
    pub fn save<T: 'static>(
        &self,
        call: Call<T>,
        state: &AppContext,
        backend: &BackendHandle,
        patient: PatientId,
    ) {
        let (state2, backend) = (state.clone(), backend.clone());
        submit(&self.busy, &self.failure, state, call, move |_| {
            state2.dispatch(Action::Navigate(Page::Chart(patient.clone())));
            state2.dispatch(Action::Notice("notice-saved"));
            load_chart(&backend, &state2, patient);
        });
    }
}

impl<F: Clone + 'static> EntryFormState<F> {
    /// The form's submit: marks the attempt, and saves a form that `input`
    /// accepts with `write`.
    pub fn onsubmit<I: 'static>(
        &self,
        state: &AppContext,
        backend: &BackendHandle,
        patient: &PatientId,
        input: fn(&F) -> Option<I>,
        write: fn(&BackendHandle, PatientId, I) -> EntryCall,
    ) -> Callback<SubmitEvent> {
        let (entry, state, backend, patient) = (
            self.clone(),
            state.clone(),
            backend.clone(),
            patient.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            entry.attempt();
            if let Some(input) = input(&entry.form) {
                entry.save(
                    write(&backend, patient.clone(), input),
                    &state,
                    &backend,
                    patient.clone(),
                );
            }
        })
    }
}

/// A callback that writes one field of the form in `form` with `write` and
/// marks the field touched, so its errors show from then on. Every form of
/// the app sets its fields through this.
pub fn field_setter<F: Clone + 'static>(
    form: &UseStateHandle<F>,
    touched: &UseStateHandle<BTreeSet<String>>,
    field: &'static str,
    write: impl Fn(&mut F, String) + 'static,
) -> Callback<String> {
    let (form, touched) = (form.clone(), touched.clone());
    Callback::from(move |value: String| {
        let mut next = (*form).clone();
        write(&mut next, value);
        form.set(next);
        let mut t = (*touched).clone();
        t.insert(field.to_owned());
        touched.set(t);
    })
}

/// Back to the patient's chart without saving.
pub fn back_to_chart(state: &AppContext, patient: &PatientId) -> Callback<MouseEvent> {
    let (state, patient) = (state.clone(), patient.clone());
    Callback::from(move |_| state.dispatch(Action::Navigate(Page::Chart(patient.clone()))))
}

/// The answer type of the entry writes.
pub type EntryCall = Call<EntryId>;
