//! A count typed or stepped (respiratory rate, pulse, capillary refill):
//! the visit form's input with ± buttons beside it.

use yew::prelude::*;

use crate::components::TextField;
use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct CountFieldProps {
    /// The input's test id; the buttons get `{testid}-down` and `{testid}-up`.
    pub testid: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    #[prop_or_default]
    pub unit: Option<AttrValue>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub error: Option<String>,
    pub oninput: Callback<String>,
    /// One press of − (`false`) or + (`true`).
    pub onstep: Callback<bool>,
}

#[component]
pub fn CountField(props: &CountFieldProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let what = props.label.to_string();
    let step = |up: bool| {
        let onstep = props.onstep.clone();
        Callback::from(move |_: MouseEvent| onstep.emit(up))
    };
    let after = html! {
        <span class="stepper" role="group" aria-label={what.clone()}>
            <button type="button" class="step" data-testid={format!("{}-down", props.testid)}
                aria-label={tr.t_args("visit-step-down", &[("what", what.clone())])}
                onclick={step(false)}>{ "−" }</button>
            <button type="button" class="step" data-testid={format!("{}-up", props.testid)}
                aria-label={tr.t_args("visit-step-up", &[("what", what.clone())])}
                onclick={step(true)}>{ "+" }</button>
        </span>
    };
    html! {
        <TextField testid={props.testid.clone()} label={props.label.clone()} value={props.value.clone()}
            unit={props.unit.clone()} inputmode={AttrValue::Static("decimal")} placeholder={props.placeholder.clone()}
            error={props.error.clone()} oninput={props.oninput.clone()} after={after} />
    }
}
