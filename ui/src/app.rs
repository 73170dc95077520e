//! The app: the state, the messages and the backend as contexts, the screen
//! for the current phase, and the app-wide timers (auto-lock after idle
//! time, background sync) that run while the vault is unlocked.

use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_sync_status, spawn, spawn_or_report, sync_now};
use crate::components::{LanguageSwitch, MessageBar, SyncBar};
use crate::display;
use crate::i18n::{Language, Localizer, Tr};
use crate::pages::add_allergy::AddAllergy;
use crate::pages::add_condition::AddCondition;
use crate::pages::add_medication::AddMedication;
use crate::pages::carry::CarryPage;
use crate::pages::casualty_board::CasualtyBoard;
use crate::pages::chart::ChartPage;
use crate::pages::daily_report::DailyReportPage;
use crate::pages::documents::DocumentsPage;
use crate::pages::enrol::EnrolStep;
use crate::pages::first_run::FirstRun;
use crate::pages::nearby::NearbyPage;
use crate::pages::patient_form::PatientForm;
use crate::pages::patients::Patients;
use crate::pages::record_consultation::RecordConsultation;
use crate::pages::record_visit::RecordVisit;
use crate::pages::register_casualty::RegisterCasualty;
use crate::pages::settings::Settings;
use crate::pages::triage::TriagePage;
use crate::pages::unlock::Unlock;
use crate::pages::visit_mode::VisitMode;
use crate::state::{Action, AppState, LockReason, Page, Phase};

#[derive(Properties, PartialEq, Clone)]
pub struct AppProps {
    pub backend: BackendHandle,
    /// The language to start in (the one chosen last time on this device).
    #[prop_or_default]
    pub language: Language,
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let localizer = use_memo((), |_| Localizer::new());
    let language = props.language;
    let state = use_reducer(move || AppState::with_language(language));
    let tr = Tr::new(state.language, localizer.clone()).with_era(state.settings.japanese_era);
    let backend = props.backend.clone();
    // Timers and listeners live longer than one render; they read the
    // newest state through this cell instead of the one they started with.
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();

    {
        let (state, backend) = (state.clone(), backend.clone());
        use_effect_with((), move |_| {
            spawn(backend.session_state(), move |result| match result {
                Ok(session) => {
                    crate::clock::follow_core(session.now);
                    state.dispatch(Action::SessionLoaded(session))
                }
                Err(problem) => state.dispatch(Action::Unreachable(problem)),
            });
        });
    }
    use_effect_with(state.language, |language| {
        platform::remember_language(*language)
    });
    use_effect_with(state.settings.night_mode, |night| {
        platform::show_night(*night)
    });
    {
        let (state, backend) = (state.clone(), backend.clone());
        use_effect_with(state.phase == Phase::Unlocked, move |unlocked| {
            if *unlocked {
                let answer_state = state.clone();
                spawn_or_report(backend.settings(), &state, move |settings| {
                    answer_state.dispatch(Action::SettingsLoaded(settings))
                });
                load_sync_status(&backend, &state);
                state.dispatch(Action::Online(platform::online()));
            }
        });
    }
    {
        let (latest, backend) = (latest.clone(), backend.clone());
        use_effect_with(state.phase == Phase::Unlocked, move |unlocked| {
            let timers = unlocked.then(|| platform::Timers::start(latest, backend));
            // Dropping the timers stops them and removes the listeners.
            move || {
                let _stopped = timers;
            }
        });
    }

    let body = match &state.phase {
        Phase::Starting => html! { <main class="narrow"><p>{ tr.t("loading") }</p></main> },
        Phase::Unreachable(problem) => html! {
            <main class="narrow" data-testid="unreachable">
                <h1>{ tr.t("unreachable-title") }</h1>
                <p class="error">{ display::problem(&tr, problem) }</p>
            </main>
        },
        Phase::FirstRun => html! { <><LanguageCorner /><FirstRun /></> },
        Phase::Enrol => html! { <><LanguageCorner /><EnrolStep /></> },
        Phase::Locked => html! { <><LanguageCorner /><Unlock /></> },
        Phase::Unlocked => html! { <Shell /> },
    };
    html! {
        <ContextProvider<Tr> context={tr}>
            <ContextProvider<BackendHandle> context={backend}>
                <ContextProvider<AppContext> context={state}>
                    { body }
                </ContextProvider<AppContext>>
            </ContextProvider<BackendHandle>>
        </ContextProvider<Tr>>
    }
}

/// The language switch in the corner of the screens before unlocking.
#[component]
fn LanguageCorner() -> Html {
    let state = use_context::<AppContext>().expect("app state");
    let onchoose = Callback::from(move |language| state.dispatch(Action::LanguageChosen(language)));
    let current = use_context::<Tr>().map(|t| t.language).unwrap_or_default();
    html! { <div class="corner"><LanguageSwitch current={current} onchoose={onchoose} /></div> }
}

/// The unlocked app: header, messages, the page, and the sync bar.
#[component]
fn Shell() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let go = |page: Page| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Navigate(page.clone())))
    };
    let onlock = {
        let (state, backend) = (state.clone(), backend.clone());
        Callback::from(move |_| {
            // Forget first: the screen must not show patients while the
            // core is still answering.
            state.dispatch(Action::Locked(LockReason::ByUser));
            spawn(backend.lock(), |_| {});
        })
    };
    let onsync = {
        let (state, backend) = (state.clone(), backend.clone());
        Callback::from(move |()| sync_now(&backend, &state))
    };
    let ondismiss = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::Dismiss))
    };
    let page = match &state.page {
        Page::Patients => html! { <Patients /> },
        Page::AddPatient => html! { <PatientForm /> },
        Page::EditPatient(id) => html! { <PatientForm patient={id.clone()} /> },
        Page::Chart(id) => html! { <ChartPage patient={id.clone()} /> },
        Page::RecordVisit(id) => {
            html! { <RecordVisit key={id.to_string()} patient={id.clone()} /> }
        }
        Page::AddAllergy(id) => html! { <AddAllergy patient={id.clone()} /> },
        Page::AddCondition(id) => html! { <AddCondition patient={id.clone()} /> },
        Page::AddMedication(id) => html! { <AddMedication patient={id.clone()} /> },
        Page::Settings => html! { <Settings /> },
        Page::VisitMode => html! { <VisitMode /> },
        Page::Disaster => html! { <CasualtyBoard /> },
        Page::RegisterCasualty => html! { <RegisterCasualty /> },
        Page::Triage(id) => html! { <TriagePage key={id.to_string()} patient={id.clone()} /> },
        Page::DailyReport => html! { <DailyReportPage /> },
        Page::RecordConsultation(id) => {
            html! { <RecordConsultation key={id.to_string()} patient={id.clone()} /> }
        }
        Page::Carry => html! { <CarryPage /> },
        Page::Nearby => html! { <NearbyPage /> },
        Page::Documents(id) => html! { <DocumentsPage patient={id.clone()} /> },
    };
    let active = |p: &Page| {
        (std::mem::discriminant(p) == std::mem::discriminant(&state.page)).then_some("active")
    };
    // Registering, triaging, consultations and the daily report are part of the disaster area, too.
    let disaster_active = state.page.is_disaster().then_some("active");
    html! {
        <div class="shell">
            <header class="app-header">
                <span class="brand">{ "Karte" }</span>
                <nav>
                    <button type="button" class={classes!("nav", active(&Page::Patients))} data-testid="nav-patients" onclick={go(Page::Patients)}>{ tr.t("nav-patients") }</button>
                    <button type="button" class={classes!("nav", active(&Page::VisitMode))} data-testid="nav-visit-mode" onclick={go(Page::VisitMode)}>{ tr.t("nav-visit-mode") }</button>
                    <button type="button" class={classes!("nav", "nav-disaster", disaster_active)} data-testid="nav-disaster" onclick={go(Page::Disaster)}>{ tr.t("nav-disaster") }</button>
                    <button type="button" class={classes!("nav", active(&Page::Settings))} data-testid="nav-settings" onclick={go(Page::Settings)}>{ tr.t("nav-settings") }</button>
                </nav>
                <span class="user" data-testid="current-user">{ state.user.as_ref().map(|u| u.name.clone()).unwrap_or_default() }</span>
                <button type="button" class="secondary" data-testid="lock" onclick={onlock}>{ tr.t("nav-lock") }</button>
            </header>
            <MessageBar notice={state.notice} problem={state.problem.clone()} ondismiss={ondismiss} />
            <div class="page">{ page }</div>
            <SyncBar online={state.online} sync={state.sync.clone()} syncing={state.syncing}
                problem={state.last_sync_problem.clone()} onsync={onsync}
                report={state.last_report.clone()}
                oncarry={Some(go(Page::Carry))} onnearby={Some(go(Page::Nearby))} />
        </div>
    }
}

/// What only a browser has: storage for the language choice, the online
/// flag, and the timers and listeners of auto-lock and background sync.
#[cfg(target_arch = "wasm32")]
mod platform {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use gloo_events::EventListener;
    use gloo_timers::callback::Interval;
    use wasm_bindgen::JsCast;

    use crate::backend::BackendHandle;
    use crate::calls::{AppContext, spawn, sync_now};
    use crate::i18n::Language;
    use crate::state::{Action, LockReason, Phase};

    const LANGUAGE_KEY: &str = "karte.language";

    pub fn stored_language() -> Language {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(LANGUAGE_KEY).ok().flatten())
            .and_then(|code| Language::from_code(&code))
            .unwrap_or_default()
    }

    /// Keeps the language (not patient data) for the next start and tells
    /// the page, for fonts and screen readers.
    pub fn remember_language(language: Language) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(storage) = window.local_storage().ok().flatten() {
            let _ = storage.set_item(LANGUAGE_KEY, language.code());
        }
        if let Some(root) = window.document().and_then(|d| d.document_element()) {
            let _ = root.set_attribute("lang", language.code());
        }
    }

    pub fn online() -> bool {
        web_sys::window().is_none_or(|w| w.navigator().on_line())
    }

    /// Night mode: the style sheet's dark colours, on `<html data-theme>`.
    pub fn show_night(night: bool) {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = if night {
                root.set_attribute("data-theme", "night")
            } else {
                root.remove_attribute("data-theme")
            };
        }
    }

    /// How much of the visible area's top the sticky header covers, and of
    /// its bottom the sync bar and the form's buttons, in CSS px.
    const COVERED_TOP: f64 = 72.0;
    const COVERED_BOTTOM: f64 = 150.0;

    /// Keeps the field being typed in view: an on-screen keyboard that
    /// comes up shrinks the visible area (the visual viewport) and would
    /// cover a field low on the form. Centres the focused field when it is
    /// outside what is left.
    fn keep_focus_in_view() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Some(field) = window.document().and_then(|d| d.active_element()) else {
            return;
        };
        if !matches!(field.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") {
            return;
        }
        let (top, height) = match window.visual_viewport() {
            Some(view) => (view.offset_top(), view.height()),
            None => (
                0.0,
                window
                    .inner_height()
                    .ok()
                    .and_then(|h| h.as_f64())
                    .unwrap_or_default(),
            ),
        };
        let rect = field.get_bounding_client_rect();
        if rect.top() < top + COVERED_TOP || rect.bottom() > top + height - COVERED_BOTTOM {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Center);
            field.scroll_into_view_with_scroll_into_view_options(&options);
        }
    }

    /// Where the page is scrolled to (the layout viewport's and the visual
    /// viewport's offsets), to tell whether anything moved it.
    fn page_position() -> (f64, f64, f64) {
        let Some(window) = web_sys::window() else {
            return (0.0, 0.0, 0.0);
        };
        let scroll = window.scroll_y().unwrap_or_default();
        let (view_top, view_left) = window
            .visual_viewport()
            .map(|v| (v.page_top(), v.page_left()))
            .unwrap_or_default();
        (scroll, view_top, view_left)
    }

    /// Auto-lock and background sync, for as long as this value lives.
    pub struct Timers {
        _listeners: Vec<EventListener>,
        _idle: Interval,
        _sync: Interval,
    }

    impl Timers {
        pub fn start(latest: Rc<RefCell<AppContext>>, backend: BackendHandle) -> Timers {
            let window = web_sys::window().expect("a browser window");
            let last_activity = Rc::new(Cell::new(js_sys::Date::now()));
            let mut listeners = Vec::new();
            for event in [
                "pointerdown",
                "pointermove",
                "keydown",
                "wheel",
                "touchstart",
            ] {
                let last_activity = last_activity.clone();
                listeners.push(EventListener::new(&window, event, move |_| {
                    last_activity.set(js_sys::Date::now())
                }));
            }
            // The field being typed stays above the on-screen keyboard: when
            // it gets the focus (after the keyboard had time to come up) and
            // whenever the visible area changes size. The late look is
            // skipped once the page has moved or the focus has gone on: a
            // nurse who scrolled on to tap something further down must not
            // have the page pulled back under her finger (issue 13: a PAT
            // finding tapped just after typing the respiratory rate was
            // lost). A newer focus replaces the look still waiting.
            let waiting = Rc::new(RefCell::new(None::<gloo_timers::callback::Timeout>));
            listeners.push(EventListener::new(&window, "focusin", move |event| {
                let field = event
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                let at = page_position();
                let look = gloo_timers::callback::Timeout::new(350, move || {
                    let focused = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.active_element());
                    if focused.is_some() && focused == field && page_position() == at {
                        keep_focus_in_view();
                    }
                });
                // Dropping the earlier timeout cancels it.
                waiting.borrow_mut().replace(look);
            }));
            listeners.push(EventListener::new(&window, "resize", |_| {
                keep_focus_in_view()
            }));
            if let Some(view) = window.visual_viewport() {
                listeners.push(EventListener::new(&view, "resize", |_| {
                    keep_focus_in_view()
                }));
            }
            for (event, online) in [("online", true), ("offline", false)] {
                let (latest, backend) = (latest.clone(), backend.clone());
                listeners.push(EventListener::new(&window, event, move |_| {
                    let state = latest.borrow().clone();
                    state.dispatch(Action::Online(online));
                    // A connection came back: catch up with the hub now.
                    if online && state.may_sync() {
                        sync_now(&backend, &state);
                    }
                }));
            }
            let idle = {
                let (latest, backend) = (latest.clone(), backend.clone());
                Interval::new(5_000, move || {
                    let state = latest.borrow().clone();
                    let limit = f64::from(state.settings.auto_lock_minutes) * 60_000.0;
                    if state.phase == Phase::Unlocked
                        && js_sys::Date::now() - last_activity.get() >= limit
                    {
                        state.dispatch(Action::Locked(LockReason::Idle));
                        spawn(backend.lock(), |_| {});
                    }
                })
            };
            let sync = Interval::new(60_000, move || {
                let state = latest.borrow().clone();
                if state.may_sync() && online() {
                    sync_now(&backend, &state);
                }
            });
            Timers {
                _listeners: listeners,
                _idle: idle,
                _sync: sync,
            }
        }
    }
}

/// Outside a browser (render tests) there is no storage and no timers.
#[cfg(not(target_arch = "wasm32"))]
mod platform {
    use std::cell::RefCell;
    use std::rc::Rc;

    use crate::backend::BackendHandle;
    use crate::calls::AppContext;
    use crate::i18n::Language;

    pub fn stored_language() -> Language {
        Language::default()
    }

    pub fn remember_language(_language: Language) {}

    pub fn online() -> bool {
        true
    }

    pub fn show_night(_night: bool) {}

    pub struct Timers;

    impl Timers {
        pub fn start(_latest: Rc<RefCell<AppContext>>, _backend: BackendHandle) -> Timers {
            Timers
        }
    }
}

pub use platform::stored_language;
