//! A short confirmation or a failure in plain words, under the header.

use karte_types::Problem;
use yew::prelude::*;

use crate::display;
use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct MessageBarProps {
    pub notice: Option<&'static str>,
    pub problem: Option<Problem>,
    pub ondismiss: Callback<()>,
}

#[component]
pub fn MessageBar(props: &MessageBarProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let ondismiss = props.ondismiss.clone();
    let close = html! {
        <button type="button" class="plain" aria-label={tr.t("dismiss")} onclick={Callback::from(move |_| ondismiss.emit(()))}>{ "×" }</button>
    };
    if let Some(problem) = &props.problem {
        html! {
            <div class="message problem" data-testid="problem" role="alert">
                <span>{ display::problem(&tr, problem) }</span>{ close }
            </div>
        }
    } else if let Some(notice) = props.notice {
        html! {
            <div class="message notice" data-testid="notice" role="status">
                <span>{ tr.t_args(notice, &[]) }</span>{ close }
            </div>
        }
    } else {
        html! {}
    }
}
