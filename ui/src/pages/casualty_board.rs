//! Disaster mode's home: the team's board. Counts per category, then every
//! casualty still here, untriaged first, then red, yellow, green, black,
//! the longest waiting since their last triage first; those past the
//! re-triage interval are marked in words and a symbol, not colour alone.
//! The core draws the board (`board`); this screen asks again after every
//! sync, when the interval changes and once a minute, so waiting times move.

use karte_types::{Board, BoardRow, DEFAULT_RETRIAGE_MINUTES, TriageCategory};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, spawn_or_report};
use crate::components::TriageBadge;
use crate::i18n::{Language, Tr};
use crate::state::{Action, Page};

/// The re-triage intervals a team can choose on the board, in minutes.
pub const INTERVALS: [u32; 3] = [15, DEFAULT_RETRIAGE_MINUTES, 60];

#[component]
pub fn CasualtyBoard() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let board = use_state(|| None::<Board>);
    let interval = use_state(|| DEFAULT_RETRIAGE_MINUTES);
    let tick = use_state(|| 0_u32);
    use_minute_ticks(tick.clone());
    {
        let (state, backend, board) = (state.clone(), backend.clone(), board.clone());
        // A sync that ends (`syncing` back to false, a new report) may have
        // brought casualties from the team: the board is drawn again.
        let deps = (*interval, *tick, state.syncing, state.last_report.clone());
        use_effect_with(deps, move |(minutes, _, _, _)| {
            let answer = board.clone();
            spawn_or_report(backend.board(Some(*minutes)), &state, move |drawn| {
                answer.set(Some(drawn))
            });
        });
    }
    let go = |page: Page| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Navigate(page.clone())))
    };
    let ongo = {
        let state = state.clone();
        Callback::from(move |page: Page| state.dispatch(Action::Navigate(page)))
    };
    let choose = |minutes: u32| {
        let interval = interval.clone();
        Callback::from(move |_: MouseEvent| interval.set(minutes))
    };
    html! {
        <main data-testid="disaster-board">
            <h1>{ tr.t("board-title") }</h1>
            <div class="toolbar">
                <button type="button" class="primary big" data-testid="register-casualty"
                    onclick={go(Page::RegisterCasualty)}>{ tr.t("board-register") }</button>
                <button type="button" class="secondary" data-testid="open-daily-report"
                    onclick={go(Page::DailyReport)}>{ tr.t("report-open") }</button>
                <div class="interval-choice" role="group" aria-label={tr.t("board-interval")}>
                    <span class="muted">{ tr.t("board-interval") }</span>
                    { for INTERVALS.iter().map(|m| {
                        let chosen = *interval == *m;
                        html! {
                            <button type="button" class={classes!("choice", chosen.then_some("chosen"))}
                                data-testid={format!("board-interval-{m}")} aria-pressed={chosen.to_string()}
                                onclick={choose(*m)}>{ tr.t_args("board-minutes", &[("minutes", m.to_string())]) }</button>
                        }
                    }) }
                </div>
            </div>
            if let Some(board) = &*board {
                <BoardView board={board.clone()} ongo={ongo} />
            } else {
                <p class="muted">{ tr.t("loading") }</p>
            }
        </main>
    }
}

/// Bumps `tick` once a minute while the board is open (a browser only).
#[hook]
fn use_minute_ticks(tick: UseStateHandle<u32>) {
    use_effect_with((), move |_| {
        #[cfg(target_arch = "wasm32")]
        let timer = {
            let tick = tick.clone();
            let count = std::rc::Rc::new(std::cell::Cell::new(0_u32));
            gloo_timers::callback::Interval::new(60_000, move || {
                count.set(count.get() + 1);
                tick.set(count.get());
            })
        };
        #[cfg(not(target_arch = "wasm32"))]
        let timer = tick;
        move || drop(timer)
    });
}

#[derive(Properties, PartialEq, Clone)]
pub struct BoardViewProps {
    pub board: Board,
    /// Opens a casualty's chart or their triage.
    pub ongo: Callback<Page>,
}

/// The counts and the rows of one drawn board.
#[component]
pub fn BoardView(props: &BoardViewProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let board = &props.board;
    let tile = |code: &'static str, label: String, count: u32| {
        html! {
            <div class={classes!("count-tile", format!("triage-{code}"))} data-testid={format!("board-count-{code}")}>
                <span class="count-label">{ label }</span>
                <strong class="count" data-testid="count">{ count }</strong>
            </div>
        }
    };
    html! {
        <>
            <section class="board-counts" data-testid="board-counts" aria-label={tr.t("board-counts")}>
                { tile("none", untriaged_label(&tr), board.untriaged) }
                { for board.counts.iter().map(|(c, n)| tile(c.code(), category_words(&tr, *c), *n)) }
                { tile("departed", tr.t("board-departed"), board.departed) }
            </section>
            <section class="card">
                <h2>{ tr.t_args("board-waiting", &[("minutes", board.retriage_minutes.to_string())]) }</h2>
                if board.rows.is_empty() {
                    <p class="muted" data-testid="board-empty">{ tr.t("board-empty") }</p>
                } else {
                    <ol class="board-list" data-testid="board-list">
                        { for board.rows.iter().map(|row| html! { <BoardLine key={row.patient.to_string()} row={row.clone()} ongo={props.ongo.clone()} /> }) }
                    </ol>
                }
            </section>
        </>
    }
}

#[derive(Properties, PartialEq, Clone)]
struct BoardLineProps {
    row: BoardRow,
    ongo: Callback<Page>,
}

/// One casualty on the board: category, name, time waiting, and buttons to
/// open the chart or triage again.
#[component]
fn BoardLine(props: &BoardLineProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let row = &props.row;
    let go = |page: Page| {
        let ongo = props.ongo.clone();
        Callback::from(move |_: MouseEvent| ongo.emit(page.clone()))
    };
    let name = match tr.language {
        Language::Ja => row.name_ja.clone(),
        Language::En => row.name_en.clone(),
    };
    let waiting = if row.category.is_some() {
        tr.t_args(
            "board-since-triage",
            &[("minutes", row.waiting_minutes.to_string())],
        )
    } else {
        tr.t_args(
            "board-since-registration",
            &[("minutes", row.waiting_minutes.to_string())],
        )
    };
    html! {
        <li class={classes!("board-row", row.overdue.then_some("overdue"))} data-testid="board-row"
            data-category={row.category.map_or("none", TriageCategory::code)} data-overdue={row.overdue.to_string()}>
            <span class="board-category">
                if let Some(category) = row.category {
                    <TriageBadge category={category} />
                } else {
                    <span class="triage-badge triage-none" data-testid="triage-category" data-category="none">{ untriaged_label(&tr) }</span>
                }
            </span>
            <button type="button" class="plain-text name" data-testid="board-name" onclick={go(Page::Chart(row.patient.clone()))}>{ name }</button>
            <span class="waiting" data-testid="board-waiting">{ waiting }</span>
            if row.overdue {
                <span class="badge overdue-badge" data-testid="board-overdue">{ tr.t("board-overdue") }</span>
            }
            <button type="button" class="secondary" data-testid="board-retriage" onclick={go(Page::Triage(row.patient.clone()))}>{ tr.t("board-retriage") }</button>
        </li>
    }
}

/// 「？ 未判定」: a registered casualty not triaged yet, with its own shape.
pub fn untriaged_label(tr: &Tr) -> String {
    tr.t("triage-untriaged")
}

/// A category's full words in the UI's language (「▲ 赤 I 最優先治療群」).
pub fn category_words(tr: &Tr, category: TriageCategory) -> String {
    match tr.language {
        Language::Ja => category.label_ja(),
        Language::En => category.label_en(),
    }
}
