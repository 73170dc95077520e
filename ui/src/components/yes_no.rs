//! A yes/no finding as two big buttons (はい / いいえ), for a gloved
//! thumb: the answer tapped is pressed; tapping it again clears it.

use yew::prelude::*;

use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct YesNoProps {
    /// The group's test id; the buttons get `{testid}-yes` and `{testid}-no`.
    pub testid: AttrValue,
    pub label: AttrValue,
    pub value: Option<bool>,
    pub onanswer: Callback<bool>,
    /// Words for yes and no when はい/いいえ do not fit (あり/なし).
    #[prop_or_default]
    pub words: Option<(String, String)>,
}

#[component]
pub fn YesNo(props: &YesNoProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let (yes, no) = props
        .words
        .clone()
        .unwrap_or_else(|| (tr.t("answer-yes"), tr.t("answer-no")));
    let button = |value: bool, words: String| {
        let onanswer = props.onanswer.clone();
        let pressed = props.value == Some(value);
        html! {
            <button type="button" class={classes!("choice", pressed.then_some("chosen"))}
                data-testid={format!("{}-{}", props.testid, if value { "yes" } else { "no" })}
                aria-pressed={pressed.to_string()}
                onclick={Callback::from(move |_| onanswer.emit(value))}>
                if pressed { <span aria-hidden="true">{ "✓ " }</span> }
                { words }
            </button>
        }
    };
    html! {
        <div class="field yes-no" role="group" aria-label={props.label.clone()} data-testid={props.testid.clone()}>
            <span class="field-label">{ props.label.clone() }</span>
            <div class="choices">
                { button(true, yes) }
                { button(false, no) }
            </div>
        </div>
    }
}
