//! Settings: language, how dates are written, night mode, auto-lock time,
//! hub enrolment and this device. All but the language are kept in the
//! vault; a choice of two applies as soon as it is tapped.

use std::cell::RefCell;
use std::rc::Rc;

use karte_types::{Settings as CoreSettings, SyncState};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, spawn, spawn_or_report, sync_now};
use crate::components::{LanguageSwitch, TextField};
use crate::display;
use crate::forms::field_message;
use crate::i18n::Tr;
use crate::pages::enrol::EnrolPanel;
use crate::state::Action;

/// The choices tapped and not yet saved. Saves go one at a time: a tap
/// made while one is on its way builds on what the taps before it chose and
/// is saved when that one is answered, so a quick second tap (night mode,
/// then dates) never writes the first choice back as it was.
#[derive(Default)]
struct Chosen {
    /// What the taps so far chose, while a save is on its way or waiting.
    latest: Option<CoreSettings>,
    /// Chosen after the save on its way was sent.
    waiting: bool,
    saving: bool,
}

impl Chosen {
    /// The settings with a tap's choice made, building on the taps not yet
    /// saved, or on `saved` when there are none.
    fn choose(
        &mut self,
        saved: CoreSettings,
        change: impl FnOnce(CoreSettings) -> CoreSettings,
    ) -> CoreSettings {
        let next = change(self.latest.unwrap_or(saved));
        self.latest = Some(next);
        self.waiting = true;
        next
    }

    /// The settings to save now, if a tap is waiting and no save is on its way.
    fn next_to_send(&mut self) -> Option<CoreSettings> {
        if self.saving || !self.waiting {
            return None;
        }
        self.saving = true;
        self.waiting = false;
        self.latest
    }

    /// A save was answered: whether every tap is now saved (then the
    /// answer is what the vault holds, and nothing is left to choose from).
    fn answered(&mut self) -> bool {
        self.saving = false;
        let done = !self.waiting;
        if done {
            self.latest = None;
        }
        done
    }
}

/// Saves the choices waiting in `chosen`, one save at a time.
fn save_chosen(backend: &BackendHandle, state: &AppContext, chosen: &Rc<RefCell<Chosen>>) {
    let Some(next) = chosen.borrow_mut().next_to_send() else {
        return;
    };
    let (backend_next, state, chosen) = (backend.clone(), state.clone(), chosen.clone());
    spawn(backend.save_settings(next), move |result| {
        let done = chosen.borrow_mut().answered();
        match result {
            Ok(saved) if done => state.dispatch(Action::SettingsLoaded(saved)),
            Ok(_) => save_chosen(&backend_next, &state, &chosen),
            Err(problem) => {
                // What the vault holds stands: the taps not saved are
                // dropped and the vault's settings shown again.
                *chosen.borrow_mut() = Chosen::default();
                state.dispatch(Action::Failed(problem));
                let answer_state = state.clone();
                spawn_or_report(backend_next.settings(), &state, move |held| {
                    answer_state.dispatch(Action::SettingsLoaded(held));
                });
            }
        }
    });
}

#[component]
pub fn Settings() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let minutes = use_state(|| state.settings.auto_lock_minutes.to_string());
    let chosen = use_mut_ref(Chosen::default);

    let parsed: Result<CoreSettings, karte_types::ValidationError> = minutes
        .trim()
        .parse::<u32>()
        .map_err(|_| {
            karte_types::ValidationError::new("auto_lock_minutes", "malformed", "not a number")
        })
        .map(|auto_lock_minutes| CoreSettings {
            auto_lock_minutes,
            ..state.settings
        })
        .and_then(|s| s.validate().map(|()| s));
    let error = parsed.as_ref().err().map(|e| field_message(&tr, e));
    let onsave = {
        let (state, backend) = (state.clone(), backend.clone());
        let parsed = parsed.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(settings) = parsed.clone() else { return };
            let answer_state = state.clone();
            spawn_or_report(backend.save_settings(settings), &state, move |saved| {
                answer_state.dispatch(Action::SettingsLoaded(saved));
                answer_state.dispatch(Action::Notice("notice-saved"));
            });
        })
    };
    // A choice of two, saved at once: `change` gives the settings with it made.
    let choice = |testid: &'static str,
                  options: [(&'static str, bool); 2],
                  current: bool,
                  change: fn(CoreSettings, bool) -> CoreSettings| {
        html! {
            <div class="language-switch" role="group" data-testid={testid}>
                { for options.into_iter().map(|(label, value)| {
                    let (state, backend, chosen) = (state.clone(), backend.clone(), chosen.clone());
                    let onclick = Callback::from(move |_| {
                        let next = chosen.borrow_mut().choose(state.settings, |s| change(s, value));
                        // Shown at once; the vault's answer follows.
                        state.dispatch(Action::SettingsLoaded(next));
                        save_chosen(&backend, &state, &chosen);
                    });
                    html! {
                        <button type="button" data-testid={format!("{testid}-{value}")}
                            aria-pressed={(value == current).to_string()}
                            class={classes!((value == current).then_some("active"))}
                            onclick={onclick}>{ tr.t(label) }</button>
                    }
                }) }
            </div>
        }
    };
    let onlanguage = {
        let state = state.clone();
        Callback::from(move |language| state.dispatch(Action::LanguageChosen(language)))
    };
    let onenrolled = {
        let (state, backend) = (state.clone(), backend.clone());
        Callback::from(move |sync: SyncState| {
            state.dispatch(Action::SyncStatus(sync));
            state.dispatch(Action::Notice("notice-enrolled"));
            sync_now(&backend, &state);
        })
    };
    let enrolment = state.sync.as_ref().and_then(|s| s.enrolment.clone());
    html! {
        <main class="narrow" data-testid="settings">
            <h1>{ tr.t("settings-title") }</h1>
            <section class="card">
                <h2>{ tr.t("settings-language") }</h2>
                <LanguageSwitch current={state.language} onchoose={onlanguage} />
            </section>
            <section class="card">
                <h2>{ tr.t("settings-dates") }</h2>
                { choice("settings-era", [("settings-dates-western", false), ("settings-dates-era", true)],
                    state.settings.japanese_era, |s, japanese_era| CoreSettings { japanese_era, ..s }) }
            </section>
            <section class="card">
                <h2>{ tr.t("settings-night") }</h2>
                <p class="muted">{ tr.t("settings-night-lead") }</p>
                { choice("settings-night", [("settings-night-off", false), ("settings-night-on", true)],
                    state.settings.night_mode, |s, night_mode| CoreSettings { night_mode, ..s }) }
            </section>
            <section class="card">
                <h2>{ tr.t("settings-auto-lock") }</h2>
                <form onsubmit={onsave} novalidate=true class="inline-form">
                    <TextField testid="settings-auto-lock" label={tr.t("field-auto_lock_minutes")} value={(*minutes).clone()}
                        inputmode="numeric" unit={tr.t("unit-minutes")} error={error}
                        oninput={let minutes = minutes.clone(); Callback::from(move |v| minutes.set(v))} />
                    <button type="submit" class="primary" data-testid="settings-save">{ tr.t("save") }</button>
                </form>
            </section>
            <section class="card" data-testid="settings-hub">
                <h2>{ tr.t("settings-hub") }</h2>
                if let Some(e) = enrolment {
                    <dl class="facts">
                        <dt>{ tr.t("field-hub-url") }</dt><dd data-testid="settings-hub-url">{ e.hub_url }</dd>
                        <dt>{ tr.t("settings-org") }</dt><dd>{ e.org_name }</dd>
                        <dt>{ tr.t("field-device-name") }</dt><dd>{ e.device_name }</dd>
                        <dt>{ tr.t("settings-enrolled-at") }</dt><dd>{ display::time(&tr, e.enrolled_at) }</dd>
                    </dl>
                } else {
                    <p class="muted">{ tr.t("settings-not-enrolled") }</p>
                    <EnrolPanel onenrolled={onenrolled} />
                }
            </section>
            <section class="card">
                <h2>{ tr.t("settings-device") }</h2>
                <dl class="facts">
                    if let Some(user) = &state.user {
                        <dt>{ tr.t("field-user") }</dt><dd>{ format!("{} ({})", user.name, display::coded(&tr, "role", &user.role)) }</dd>
                    }
                    <dt>{ tr.t("settings-version") }</dt><dd>{ env!("CARGO_PKG_VERSION") }</dd>
                </dl>
            </section>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn night(s: CoreSettings) -> CoreSettings {
        CoreSettings {
            night_mode: false,
            ..s
        }
    }

    fn western(s: CoreSettings) -> CoreSettings {
        CoreSettings {
            japanese_era: false,
            ..s
        }
    }

    #[test]
    fn a_tap_made_while_a_save_is_on_its_way_keeps_the_first_choice() {
        let saved = CoreSettings {
            night_mode: true,
            japanese_era: true,
            ..CoreSettings::default()
        };
        let mut chosen = Chosen::default();
        chosen.choose(saved, night);
        let first = chosen
            .next_to_send()
            .expect("the first tap is sent at once");
        assert!(!first.night_mode && first.japanese_era);
        // The second tap comes before the first save's answer, from a page
        // still drawn with the vault's old settings.
        chosen.choose(saved, western);
        assert_eq!(chosen.next_to_send(), None, "one save at a time");
        assert!(!chosen.answered(), "a tap still waits");
        let second = chosen.next_to_send().expect("the waiting tap is sent next");
        assert!(
            !second.night_mode && !second.japanese_era,
            "both choices stand: {second:?}"
        );
        assert!(chosen.answered());
        assert_eq!(chosen.next_to_send(), None);
        // With nothing waiting, the next tap builds on the vault's settings.
        let third = chosen.choose(second, |s| CoreSettings {
            night_mode: true,
            ..s
        });
        assert!(third.night_mode && !third.japanese_era);
    }
}
