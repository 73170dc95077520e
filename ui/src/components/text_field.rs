//! One labelled input with its inline error. The input shows exactly what
//! was typed, valid or not, so a mistake is fixed, not retyped.

use yew::prelude::*;

#[derive(Properties, PartialEq, Clone)]
pub struct TextFieldProps {
    /// The test id of the input; its error gets `{testid}-error`.
    pub testid: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    #[prop_or_default]
    pub error: Option<String>,
    pub oninput: Callback<String>,
    /// The input type: text, password, date, datetime-local, url.
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    /// A hint for on-screen keyboards: decimal, numeric, tel.
    #[prop_or_default]
    pub inputmode: Option<AttrValue>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub unit: Option<AttrValue>,
    #[prop_or_default]
    pub multiline: bool,
    #[prop_or_default]
    pub autocomplete: Option<AttrValue>,
    /// Controls beside the input (the ± buttons of a vital sign).
    #[prop_or_default]
    pub after: Html,
    /// A line under the input: how a date typed reads in Japanese form,
    /// whatever the web view's locale shows inside a date input.
    #[prop_or_default]
    pub reading: Option<String>,
}

#[component]
pub fn TextField(props: &TextFieldProps) -> Html {
    let oninput = props.oninput.clone();
    let on_input = Callback::from(move |e: InputEvent| {
        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
            oninput.emit(input.value());
        } else if let Some(area) = e.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
            oninput.emit(area.value());
        }
    });
    // `autocomplete="off"` also keeps the browser from saving what was typed
    // into its session-restore files: notes and names must not reach disk.
    let error_id = format!("{}-error", props.testid);
    let invalid = props.error.is_some();
    let control = if props.multiline {
        html! {
            <textarea data-testid={props.testid.clone()} id={props.testid.clone()}
                value={props.value.clone()} oninput={on_input} rows="3" autocomplete="off"
                aria-invalid={invalid.to_string()} aria-describedby={error_id.clone()}
                placeholder={props.placeholder.clone()} />
        }
    } else {
        html! {
            <input data-testid={props.testid.clone()} id={props.testid.clone()}
                type={props.kind.clone()} value={props.value.clone()} oninput={on_input}
                inputmode={props.inputmode.clone()} placeholder={props.placeholder.clone()}
                autocomplete={props.autocomplete.clone().unwrap_or(AttrValue::Static("off"))}
                aria-invalid={invalid.to_string()} aria-describedby={error_id.clone()} />
        }
    };
    html! {
        <div class={classes!("field", invalid.then_some("invalid"))}>
            <label for={props.testid.clone()}>{ props.label.clone() }</label>
            <div class="control">
                { control }
                if let Some(unit) = &props.unit { <span class="unit">{ unit.clone() }</span> }
                { props.after.clone() }
            </div>
            if let Some(reading) = &props.reading {
                <p class="reading" data-testid={format!("{}-reading", props.testid)}>{ reading.clone() }</p>
            }
            if let Some(error) = &props.error {
                <p class="error" id={error_id} data-testid={format!("{}-error", props.testid)} role="alert">{ error.clone() }</p>
            }
        </div>
    }
}
