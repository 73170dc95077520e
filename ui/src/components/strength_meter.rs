//! Feedback on a new passphrase while it is typed.

use yew::prelude::*;

use crate::forms::Strength;
use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct StrengthMeterProps {
    pub passphrase: AttrValue,
}

#[component]
pub fn StrengthMeter(props: &StrengthMeterProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let strength = Strength::of(&props.passphrase);
    let level = strength as u8;
    html! {
        <div class={classes!("strength", format!("level-{level}"))} data-testid="passphrase-strength" aria-live="polite">
            <meter min="0" max="3" value={level.to_string()}></meter>
            <span>{ tr.t_args(strength.message_id(), &[]) }</span>
        </div>
    }
}
