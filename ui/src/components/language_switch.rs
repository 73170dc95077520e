//! The language switch: each language named in itself.

use yew::prelude::*;

use crate::i18n::Language;

#[derive(Properties, PartialEq, Clone)]
pub struct LanguageSwitchProps {
    pub current: Language,
    pub onchoose: Callback<Language>,
}

#[component]
pub fn LanguageSwitch(props: &LanguageSwitchProps) -> Html {
    html! {
        <div class="language-switch" role="group" data-testid="language-switch">
            { for Language::ALL.into_iter().map(|language| {
                let onchoose = props.onchoose.clone();
                let onclick = Callback::from(move |_| onchoose.emit(language));
                html! {
                    <button type="button" lang={language.code()}
                        data-testid={format!("language-{}", language.code())}
                        aria-pressed={(language == props.current).to_string()}
                        class={classes!((language == props.current).then_some("active"))}
                        onclick={onclick}>
                        { language.own_name() }
                    </button>
                }
            }) }
        </div>
    }
}
