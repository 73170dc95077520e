//! The J-SPEED 2018 items as big toggles, grouped as the item list in
//! `karte-types` groups them (trauma, infectious disease, other diagnoses,
//! procedures, outcome, relation to the event, protection, additional
//! syndromes): each with its number on the form and its words. A ticked
//! item says so in text (✓) and `aria-pressed`, not by colour alone.

use std::collections::BTreeSet;

use karte_types::{JSPEED_2018, JSpeedGroup, JSpeedItem};
use yew::prelude::*;

use crate::i18n::{Language, Tr};

#[derive(Properties, PartialEq, Clone)]
pub struct JSpeedChoicesProps {
    /// The codes of the items ticked.
    pub chosen: BTreeSet<&'static str>,
    /// A tap on an item: its code.
    pub ontoggle: Callback<&'static str>,
}

/// The groups in the order of the form, each with its items.
pub fn groups() -> Vec<(JSpeedGroup, Vec<&'static JSpeedItem>)> {
    let mut out: Vec<(JSpeedGroup, Vec<&'static JSpeedItem>)> = Vec::new();
    for item in JSPEED_2018 {
        match out.last_mut() {
            Some((group, items)) if *group == item.group => items.push(item),
            _ => out.push((item.group, vec![item])),
        }
    }
    out
}

#[component]
pub fn JSpeedChoices(props: &JSpeedChoicesProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let ja = tr.language == Language::Ja;
    html! {
        <div class="jspeed-groups">
            { for groups().into_iter().map(|(group, items)| {
                let code = format!("{group:?}").to_lowercase();
                html! {
                    <section class="jspeed-group" data-testid={format!("jspeed-group-{code}")}>
                        <h3>{ if ja { group.label_ja() } else { group.label_en() } }</h3>
                        <div class="choices jspeed-items">
                            { for items.into_iter().map(|item| {
                                let chosen = props.chosen.contains(item.code);
                                let ontoggle = props.ontoggle.clone();
                                let code = item.code;
                                html! {
                                    <button type="button" class={classes!("choice", "jspeed-item", chosen.then_some("chosen"))}
                                        data-testid={format!("jspeed-{}", item.code)} aria-pressed={chosen.to_string()}
                                        onclick={Callback::from(move |_: MouseEvent| ontoggle.emit(code))}>
                                        <span class="jspeed-mark" aria-hidden="true">{ if chosen { "✓" } else { "" } }</span>
                                        <span class="jspeed-number">{ item.number }</span>
                                        <span class="jspeed-words">{ if ja { item.ja } else { item.en } }</span>
                                    </button>
                                }
                            }) }
                        </div>
                    </section>
                }
            }) }
        </div>
    }
}
