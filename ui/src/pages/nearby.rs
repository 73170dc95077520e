//! 近くの端末 / Nearby devices: charts exchanged with another device of
//! the organisation on the same network, with no hub. Devices listening
//! nearby are looked for by multicast DNS; a device can also be dialled by
//! a typed address (`192.168.1.20:47080`); this device can be made
//! reachable (listening stops when the vault locks). The last exchange
//! with each device is kept in the vault and shown.
//!
//! An exchange shows "syncing…" while it runs, as the hub's sync does, and
//! its summary after: charts received and sent, and charts refused, each
//! with its reason in words.
//!
//! Field teams are made, joined and invited to here too (`TeamPanel`); a
//! device that never met a hub may sync once it is in a team.

use karte_types::{
    AppUser, NearbyDevice, NearbyExchange, NearbyRefusal, NearbyState, Problem, SyncState,
    TeamShown,
};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_sync_status, refresh_after_change, spawn, submit};
use crate::components::team_panel::TeamPanel;
use crate::display;
use crate::i18n::Tr;
use crate::pages::carry;
use crate::state::{Action, LOCKED};

/// Why nothing can be done here, as a message id: the same as for carried
/// bundles (a clerk may not take charts out; the organisation's devices
/// are known from the hub), except that a device in a team needs no hub.
pub fn blocked(
    user: Option<&AppUser>,
    sync: Option<&SyncState>,
    in_team: bool,
) -> Option<&'static str> {
    carry::why_blocked(user, sync).and_then(|why| match why {
        carry::Blocked::Role => Some("nearby-blocked-role"),
        carry::Blocked::NotEnrolled if in_team => None,
        carry::Blocked::NotEnrolled => Some("nearby-blocked-not-enrolled"),
    })
}

/// An exchange's summary in words.
pub fn exchange_summary(tr: &Tr, exchange: &NearbyExchange) -> String {
    tr.t_args(
        "nearby-exchanged",
        &[
            ("received", exchange.received_charts.to_string()),
            ("received_changes", exchange.received_changes.to_string()),
            ("sent", exchange.sent_charts.to_string()),
            ("sent_changes", exchange.sent_changes.to_string()),
        ],
    )
}

/// A refusal's error code in words: the screen's own for the chart checks
/// a peer's changes most often fail, else the banner's words for the code,
/// else "failed the checks" with the code.
fn reason_words(tr: &Tr, code: &str) -> String {
    let own = format!("nearby-reason-{code}");
    let banner = format!("problem-{code}");
    if tr.has(&own) {
        tr.t_args(&own, &[])
    } else if tr.has(&banner) {
        tr.t_args(&banner, &[])
    } else {
        tr.t_args("nearby-reason-other", &[("code", code.to_owned())])
    }
}

/// Each chart refused, and why, in words.
pub fn refusals(tr: &Tr, exchange: &NearbyExchange) -> Vec<String> {
    let line = |id: &str, refusal: &NearbyRefusal| {
        tr.t_args(
            id,
            &[
                ("chart", refusal.chart.clone()),
                ("reason", reason_words(tr, &refusal.code)),
            ],
        )
    };
    exchange
        .refused
        .iter()
        .map(|r| line("nearby-refused-here", r))
        .chain(
            exchange
                .refused_by_peer
                .iter()
                .map(|r| line("nearby-refused-there", r)),
        )
        .collect()
}

#[component]
pub fn NearbyPage() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let nearby = use_state(|| None::<NearbyState>);
    let found = use_state(|| None::<Vec<NearbyDevice>>);
    let looking = use_state(|| false);
    let look_failure = use_state(|| None::<Problem>);
    let typed = use_state(String::new);
    // The device (name or address) an exchange runs with, and its outcome.
    let syncing = use_state(|| None::<String>);
    let outcome = use_state(|| None::<Result<NearbyExchange, Problem>>);
    let switching = use_state(|| false);
    let switch_failure = use_state(|| None::<Problem>);
    let teams = use_state(|| None::<Vec<TeamShown>>);

    let reload_teams = {
        let (backend, teams) = (backend.clone(), teams.clone());
        Callback::from(move |()| {
            let teams = teams.clone();
            spawn(backend.team_show(), move |result| {
                if let Ok(now) = result {
                    teams.set(Some(now));
                }
            });
        })
    };
    {
        let reload_teams = reload_teams.clone();
        use_effect_with((), move |()| reload_teams.emit(()));
    }
    let in_team = teams.as_ref().is_some_and(|teams| !teams.is_empty());
    let may_manage = state.user.as_ref().is_some_and(|user| user.role == "admin");
    let why_not = blocked(state.user.as_ref(), state.sync.as_ref(), in_team);

    let reload = {
        let (backend, nearby) = (backend.clone(), nearby.clone());
        Callback::from(move |()| {
            let nearby = nearby.clone();
            spawn(backend.nearby_state(), move |result| {
                if let Ok(now) = result {
                    nearby.set(Some(now));
                }
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |()| reload.emit(()));
    }
    // While this device is reachable, devices may dial it at any time: the
    // last exchanges are read again every few seconds.
    let listening = nearby.as_ref().is_some_and(|n| n.listening);
    {
        let reload = reload.clone();
        use_effect_with(listening, move |listening| {
            let timer = listening.then(|| every_few_seconds(move || reload.emit(())));
            // The timer stops when dropped, with the page or the toggle.
            move || {
                let _stopped = timer;
            }
        });
    }

    let onlook = {
        let (state, backend) = (state.clone(), backend.clone());
        let (looking, look_failure, found) = (looking.clone(), look_failure.clone(), found.clone());
        Callback::from(move |_| {
            let found = found.clone();
            submit(
                &looking,
                &look_failure,
                &state,
                backend.nearby_devices(None),
                move |list| found.set(Some(list)),
            );
        })
    };

    let sync_with = {
        let (state, backend) = (state.clone(), backend.clone());
        let (syncing, outcome, reload) = (syncing.clone(), outcome.clone(), reload.clone());
        Callback::from(move |peer: String| {
            if syncing.is_some() || peer.trim().is_empty() {
                return;
            }
            syncing.set(Some(peer.clone()));
            outcome.set(None);
            let (state, backend2, syncing, outcome, reload) = (
                state.clone(),
                backend.clone(),
                syncing.clone(),
                outcome.clone(),
                reload.clone(),
            );
            spawn(backend.nearby_sync(peer), move |result| {
                syncing.set(None);
                match &result {
                    Err(problem) if problem.code == LOCKED => {
                        state.dispatch(Action::Failed(problem.clone()));
                        return;
                    }
                    Ok(_) => {
                        refresh_after_change(&backend2, &state);
                        load_sync_status(&backend2, &state);
                    }
                    Err(_) => {}
                }
                outcome.set(Some(result));
                reload.emit(());
            });
        })
    };

    let ontoggle = {
        let (state, backend) = (state.clone(), backend.clone());
        let (switching, switch_failure, nearby) =
            (switching.clone(), switch_failure.clone(), nearby.clone());
        Callback::from(move |_| {
            let nearby = nearby.clone();
            submit(
                &switching,
                &switch_failure,
                &state,
                backend.nearby_listen(!listening),
                move |now| nearby.set(Some(now)),
            );
        })
    };

    let ontyped = {
        let typed = typed.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<web_sys::HtmlInputElement>() {
                typed.set(input.value());
            }
        })
    };
    let onsubmit_typed = {
        let (typed, sync_with) = (typed.clone(), sync_with.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            sync_with.emit((*typed).clone());
        })
    };

    let busy = syncing.is_some();
    let reason = why_not.map(|id| {
        html! { <p class="message notice" role="status" data-testid="nearby-blocked">{ tr.t(id) }</p> }
    });
    let sync_button = |peer: String, testid: &'static str| {
        let sync_with = sync_with.clone();
        let running = syncing.as_deref() == Some(peer.as_str());
        html! {
            <button type="button" class="primary" data-testid={testid}
                disabled={why_not.is_some() || busy}
                onclick={Callback::from(move |_| sync_with.emit(peer.clone()))}>
                { tr.t(if running { "nearby-syncing" } else { "nearby-sync" }) }
            </button>
        }
    };

    html! {
        <main class="nearby" data-testid="nearby">
            <h1>{ tr.t("nearby-title") }</h1>
            <p class="muted">{ tr.t("nearby-intro") }</p>
            { reason.clone() }
            <TeamPanel teams={(*teams).clone()} {may_manage} on_change={reload_teams.clone()} />
            <section class="card" data-testid="nearby-found">
                <h2>{ tr.t("nearby-found-title") }</h2>
                <div class="actions">
                    <button type="button" data-testid="nearby-look" disabled={why_not.is_some() || *looking}
                        onclick={onlook}>
                        { tr.t(if *looking { "nearby-looking" } else { "nearby-look" }) }
                    </button>
                </div>
                if let Some(problem) = &*look_failure {
                    <p class="message problem" role="alert" data-testid="nearby-look-error">{ display::problem(&tr, problem) }</p>
                }
                { match &*found {
                    None => html! {},
                    Some(list) if list.is_empty() => html! {
                        <p class="muted" data-testid="nearby-none">{ tr.t("nearby-none") }</p>
                    },
                    Some(list) => html! {
                        <ul class="nearby-list">
                            { for list.iter().map(|device| html! {
                                <li data-testid="nearby-device">
                                    <span class="nearby-address">{ device.addresses.join(", ") }</span>
                                    { sync_button(device.name.clone(), "nearby-device-sync") }
                                </li>
                            }) }
                        </ul>
                    },
                } }
                <form class="nearby-typed" onsubmit={onsubmit_typed}>
                    <label for="nearby-address">{ tr.t("nearby-address") }</label>
                    <input id="nearby-address" type="text" inputmode="url" autocomplete="off"
                        data-testid="nearby-address" placeholder="192.168.1.20:47080"
                        value={(*typed).clone()} oninput={ontyped} disabled={why_not.is_some() || busy} />
                    <button type="submit" class="primary" data-testid="nearby-address-sync"
                        disabled={why_not.is_some() || busy || typed.trim().is_empty()}>
                        { tr.t(if busy && syncing.as_deref() == Some(typed.as_str()) { "nearby-syncing" } else { "nearby-sync" }) }
                    </button>
                </form>
                <p class="muted">{ tr.t("nearby-address-help") }</p>
                if busy {
                    <p class="muted" role="status" data-testid="nearby-syncing">{ tr.t("nearby-syncing") }</p>
                }
                { match &*outcome {
                    None => html! {},
                    Some(Ok(exchange)) => html! {
                        <div class="message notice" role="status" data-testid="nearby-exchanged">
                            <p>{ exchange_summary(&tr, exchange) }</p>
                            { for refusals(&tr, exchange).into_iter().map(|line| html! {
                                <p data-testid="nearby-refused">{ line }</p>
                            }) }
                        </div>
                    },
                    Some(Err(problem)) => html! {
                        <p class="message problem" role="alert" data-testid="nearby-sync-error">{ display::problem(&tr, problem) }</p>
                    },
                } }
            </section>
            <section class="card" data-testid="nearby-reachable">
                <h2>{ tr.t("nearby-reachable-title") }</h2>
                <p class="muted">{ tr.t("nearby-reachable-help") }</p>
                <div class="actions">
                    <button type="button" data-testid="nearby-listen" aria-pressed={listening.to_string()}
                        class={classes!(listening.then_some("active"))}
                        disabled={why_not.is_some() || *switching} onclick={ontoggle}>
                        { tr.t(if listening { "nearby-listen-stop" } else { "nearby-listen-start" }) }
                    </button>
                </div>
                if let Some(problem) = &*switch_failure {
                    <p class="message problem" role="alert" data-testid="nearby-listen-error">{ display::problem(&tr, problem) }</p>
                }
                if let Some(now) = nearby.as_ref().filter(|n| n.listening) {
                    <p role="status" data-testid="nearby-listening">
                        { tr.t_args("nearby-listening", &[("addresses", now.addresses.join(", "))]) }
                    </p>
                    <p class="muted">{ tr.t(if now.advertised { "nearby-advertised" } else { "nearby-not-advertised" }) }</p>
                }
                if let Some(problem) = nearby.as_ref().and_then(|n| n.last_error.as_ref()) {
                    <p class="message problem" role="alert" data-testid="nearby-served-error">{ display::problem(&tr, problem) }</p>
                }
            </section>
            <section class="card" data-testid="nearby-last">
                <h2>{ tr.t("nearby-last-title") }</h2>
                { match nearby.as_ref().map(|n| &n.exchanges) {
                    Some(list) if !list.is_empty() => html! {
                        <ul class="nearby-list">
                            { for list.iter().map(|exchange| html! {
                                <li data-testid="nearby-last-exchange">
                                    <span>{ tr.t_args(if exchange.dialled { "nearby-last-dialled" } else { "nearby-last-served" }, &[
                                        ("device", exchange.device.clone()),
                                        ("time", display::time(&tr, exchange.at)),
                                    ]) }</span>
                                    <span class="muted">{ exchange_summary(&tr, exchange) }</span>
                                </li>
                            }) }
                        </ul>
                    },
                    _ => html! { <p class="muted" data-testid="nearby-last-none">{ tr.t("nearby-last-none") }</p> },
                } }
            </section>
        </main>
    }
}

/// Runs `tick` every few seconds until the answer is dropped.
#[cfg(target_arch = "wasm32")]
fn every_few_seconds(tick: impl Fn() + 'static) -> gloo_timers::callback::Interval {
    gloo_timers::callback::Interval::new(3_000, tick)
}

/// Outside a browser (render tests) nothing ticks.
#[cfg(not(target_arch = "wasm32"))]
fn every_few_seconds(_tick: impl Fn() + 'static) {}

#[cfg(test)]
mod tests {
    use karte_types::Timestamp;

    use super::*;
    use crate::i18n::Language;
    use crate::pages::carry::tests::{enrolled, user};

    #[test]
    fn a_clerk_and_a_device_with_no_hub_are_told_why_not() {
        let sync = enrolled();
        for role in ["nurse", "doctor", "admin"] {
            assert_eq!(
                blocked(Some(&user(role)), Some(&sync), false),
                None,
                "{role}"
            );
        }
        assert_eq!(
            blocked(Some(&user("clerk")), Some(&sync), false),
            Some("nearby-blocked-role")
        );
        let alone = SyncState {
            enrolment: None,
            ..sync
        };
        assert_eq!(
            blocked(Some(&user("nurse")), Some(&alone), false),
            Some("nearby-blocked-not-enrolled")
        );
        // In a team, a device that never met a hub syncs with its members;
        // a clerk still may not.
        assert_eq!(blocked(Some(&user("nurse")), Some(&alone), true), None);
        assert_eq!(
            blocked(Some(&user("clerk")), Some(&alone), true),
            Some("nearby-blocked-role")
        );
    }

    fn exchange() -> NearbyExchange {
        NearbyExchange {
            device: "d1".into(),
            at: Timestamp(0),
            dialled: true,
            sent_changes: 4,
            sent_charts: 2,
            received_changes: 9,
            received_charts: 1,
            refused: vec![NearbyRefusal {
                chart: "01CHART".into(),
                code: "implausible_change_time".into(),
            }],
            refused_by_peer: vec![NearbyRefusal {
                chart: "01OTHER".into(),
                code: "no_such_reason".into(),
            }],
            clock_difference_minutes: 0,
        }
    }

    #[test]
    fn an_exchange_and_its_refusals_read_in_both_languages() {
        let ja = Tr::default().in_language(Language::Ja);
        assert_eq!(
            exchange_summary(&ja, &exchange()),
            "同期しました。受信：カルテ 1件（変更 9件）。送信：カルテ 2件（変更 4件）。"
        );
        let en = Tr::default().in_language(Language::En);
        assert_eq!(
            exchange_summary(&en, &exchange()),
            "Synced. Received: 1 charts (9 changes). Sent: 2 charts (4 changes)."
        );
        let lines = refusals(&en, &exchange());
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("Chart 01CHART was not accepted here: "));
        assert!(
            !lines[0].ends_with("implausible_change_time"),
            "a known code is put in words: {}",
            lines[0]
        );
        // A code with no words of its own is said generally, with the code.
        assert_eq!(
            lines[1],
            "Chart 01OTHER was not accepted by the other device: it did not pass the checks (no_such_reason)."
        );
        let ja_lines = refusals(&ja, &exchange());
        assert!(ja_lines[0].contains("時計"), "{}", ja_lines[0]);
    }
}
