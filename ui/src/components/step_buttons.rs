//! The − and + buttons beside a number a thumb can step (a vital sign of
//! the visit form, a count of triage), one place for both: big targets,
//! each named for a screen reader by what it steps.

use yew::prelude::*;

use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct StepButtonsProps {
    /// The stepped field's test id; the buttons get `{testid}-down` and `{testid}-up`.
    pub testid: AttrValue,
    /// What is stepped, in words (the field's label).
    pub what: AttrValue,
    /// One press of − (`false`) or + (`true`).
    pub onstep: Callback<bool>,
}

#[component]
pub fn StepButtons(props: &StepButtonsProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let what = props.what.to_string();
    let step = |up: bool| {
        let onstep = props.onstep.clone();
        Callback::from(move |_: MouseEvent| onstep.emit(up))
    };
    html! {
        <span class="stepper" role="group" aria-label={what.clone()}>
            <button type="button" class="step" data-testid={format!("{}-down", props.testid)}
                aria-label={tr.t_args("visit-step-down", &[("what", what.clone())])}
                onclick={step(false)}>{ "−" }</button>
            <button type="button" class="step" data-testid={format!("{}-up", props.testid)}
                aria-label={tr.t_args("visit-step-up", &[("what", what.clone())])}
                onclick={step(true)}>{ "+" }</button>
        </span>
    }
}
