//! A labelled choice from a short list (sex, care level, category).

use yew::prelude::*;

#[derive(Properties, PartialEq, Clone)]
pub struct SelectFieldProps {
    pub testid: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    /// (value, label) pairs, in the order shown.
    pub options: Vec<(AttrValue, String)>,
    #[prop_or_default]
    pub error: Option<String>,
    pub onchange: Callback<String>,
}

#[component]
pub fn SelectField(props: &SelectFieldProps) -> Html {
    let onchange = props.onchange.clone();
    let on_change = Callback::from(move |e: Event| {
        if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            onchange.emit(select.value());
        }
    });
    html! {
        <div class={classes!("field", props.error.is_some().then_some("invalid"))}>
            <label for={props.testid.clone()}>{ props.label.clone() }</label>
            <div class="control">
                <select data-testid={props.testid.clone()} id={props.testid.clone()} onchange={on_change}>
                    { for props.options.iter().map(|(value, label)| html! {
                        <option value={value.clone()} selected={*value == props.value}>{ label.clone() }</option>
                    }) }
                </select>
            </div>
            if let Some(error) = &props.error {
                <p class="error" data-testid={format!("{}-error", props.testid)} role="alert">{ error.clone() }</p>
            }
        </div>
    }
}
