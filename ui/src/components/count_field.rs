//! A count typed or stepped (respiratory rate, pulse, capillary refill):
//! a text field with the ± buttons (`StepButtons`) beside it.

use yew::prelude::*;

use crate::components::{StepButtons, TextField};

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
    let after = html! {
        <StepButtons testid={props.testid.clone()} what={props.label.clone()} onstep={props.onstep.clone()} />
    };
    html! {
        <TextField testid={props.testid.clone()} label={props.label.clone()} value={props.value.clone()}
            unit={props.unit.clone()} inputmode={AttrValue::Static("decimal")} placeholder={props.placeholder.clone()}
            error={props.error.clone()} oninput={props.oninput.clone()} after={after} />
    }
}
