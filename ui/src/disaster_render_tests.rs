//! Render tests of disaster mode's pieces: the board, the yes/no buttons
//! and the ± counts, checked for what a relief team must see (categories
//! in words and a symbol, never colour alone; who is overdue) and what the
//! browser tests select by.

use karte_types::{Board, BoardRow, PatientId, TriageCategory};
use yew::prelude::*;

use crate::components::{CountField, YesNo};
use crate::i18n::Language;
use crate::pages::casualty_board::BoardView;
use crate::render_tests::render;

fn row(id: &str, category: Option<TriageCategory>, waiting: u32, overdue: bool) -> BoardRow {
    BoardRow {
        patient: PatientId::from(id),
        name_ja: format!("身元不明 男性 60代 #{id}"),
        name_en: format!("Unknown, male, 60s, #{id}"),
        tag: Some(id.to_owned()),
        category,
        waiting_minutes: waiting,
        overdue,
    }
}

fn board() -> Board {
    Board {
        retriage_minutes: 30,
        untriaged: 1,
        counts: vec![
            (TriageCategory::Red, 1),
            (TriageCategory::Yellow, 0),
            (TriageCategory::Green, 1),
            (TriageCategory::Black, 0),
        ],
        departed: 2,
        rows: vec![
            row("T-1", None, 40, true),
            row("T-2", Some(TriageCategory::Red), 45, true),
            row("T-3", Some(TriageCategory::Green), 5, false),
        ],
    }
}

#[tokio::test]
async fn the_board_tells_categories_and_overdue_in_words_not_colour_alone() {
    let html = render(
        Language::Ja,
        html! { <BoardView board={board()} ongo={Callback::noop()} /> },
    )
    .await;
    // Every category in the counts with its symbol, numeral and words.
    for label in [
        "▲ 赤 I 最優先治療群",
        "◆ 黄 II 非緊急治療群",
        "● 緑 III 軽処置群",
        "✖ 黒 0 死亡及び不処置群",
        "？ 未判定",
    ] {
        assert!(html.contains(label), "{label} in {html}");
    }
    assert!(html.contains("data-testid=\"board-count-departed\""));
    // Rows in the core's order, the overdue ones marked in words too.
    let t1 = html.find("#T-1").unwrap();
    let t2 = html.find("#T-2").unwrap();
    let t3 = html.find("#T-3").unwrap();
    assert!(t1 < t2 && t2 < t3);
    assert_eq!(html.matches("‼ 再トリアージ時期").count(), 2, "{html}");
    assert_eq!(html.matches("data-overdue=\"true\"").count(), 2);
    assert!(html.contains("登録から40分（未判定）"));
    assert!(html.contains("トリアージから45分"));

    let en = render(
        Language::En,
        html! { <BoardView board={board()} ongo={Callback::noop()} /> },
    )
    .await;
    assert!(en.contains("▲ red I immediate") && en.contains("‼ Re-triage due"));
    assert!(en.contains("Unknown, male, 60s, #T-2"));
}

#[tokio::test]
async fn an_empty_board_says_where_to_start() {
    let empty = Board {
        rows: vec![],
        untriaged: 0,
        departed: 0,
        ..board()
    };
    let html = render(
        Language::Ja,
        html! { <BoardView board={empty} ongo={Callback::noop()} /> },
    )
    .await;
    assert!(html.contains("data-testid=\"board-empty\""), "{html}");
}

#[tokio::test]
async fn yes_no_shows_the_answer_pressed_and_steppers_name_their_buttons() {
    let html = render(
        Language::Ja,
        html! {
            <>
                <YesNo testid="triage-breathing" label="呼吸" value={Some(false)} onanswer={Callback::noop()}
                    words={Some(("あり".to_owned(), "なし".to_owned()))} />
                <CountField testid="triage-rr" label="呼吸数" value="32" unit={AttrValue::Static("/min")}
                    oninput={Callback::noop()} onstep={Callback::noop()} />
            </>
        },
    )
    .await;
    // The attributes of each button, up to the end of its tag.
    let tag_of = |testid: &str| {
        let at = html.find(&format!("data-testid=\"{testid}\"")).unwrap();
        html[at..at + html[at..].find('>').unwrap()].to_owned()
    };
    assert!(
        tag_of("triage-breathing-no").contains("aria-pressed=\"true\""),
        "{html}"
    );
    assert!(
        tag_of("triage-breathing-yes").contains("aria-pressed=\"false\""),
        "{html}"
    );
    assert!(html.contains("✓ ") && html.contains("あり") && html.contains("なし"));
    assert!(
        html.contains("data-testid=\"triage-rr-down\"")
            && html.contains("data-testid=\"triage-rr-up\"")
    );
}

#[test]
fn pat_findings_read_as_words_in_the_reasons() {
    use karte_types::{TriageReason, TriageRule};

    use crate::i18n::Tr;
    use crate::pages::triage::reason_words;

    let reason = TriageReason {
        rule: TriageRule::PatAnatomy,
        finding: Some("pelvic-fracture".into()),
    };
    let tr = Tr::default();
    assert_eq!(reason_words(&tr, &reason), "PAT 解剖学的評価（骨盤骨折）");
    assert_eq!(
        reason_words(&tr.in_language(Language::En), &reason),
        "PAT anatomy (pelvic fracture)"
    );
    let rate = TriageReason {
        rule: TriageRule::StartRespiratoryRate,
        finding: Some("32".into()),
    };
    assert!(reason_words(&tr, &rate).ends_with("（32）"));
}

#[test]
fn the_triage_screen_is_about_its_patient_and_the_board_about_none() {
    use crate::state::Page;

    let id = PatientId::from("p1");
    assert_eq!(Page::Triage(id.clone()).patient(), Some(&id));
    assert_eq!(Page::Disaster.patient(), None);
    assert_eq!(Page::RegisterCasualty.patient(), None);
}

#[tokio::test]
async fn the_jspeed_sheet_draws_every_item_by_group_with_its_state_in_text() {
    use std::collections::BTreeSet;

    use karte_types::JSPEED_2018;

    use crate::components::JSpeedChoices;

    let chosen: BTreeSet<&'static str> = ["fever", "hypertension"].into();
    let html = render(
        Language::Ja,
        html! { <JSpeedChoices chosen={chosen.clone()} ontoggle={Callback::noop()} /> },
    )
    .await;
    for item in JSPEED_2018 {
        assert!(html.contains(&format!("data-testid=\"jspeed-{}\"", item.code)));
        assert!(html.contains(item.ja), "{}", item.ja);
    }
    // Groups in the form's order, headed by their words.
    let trauma = html.find("外傷").unwrap();
    let outcome = html.find("転帰").unwrap();
    assert!(trauma < outcome);
    assert_eq!(html.matches("aria-pressed=\"true\"").count(), 2);
    assert_eq!(
        html.matches('✓').count(),
        2,
        "ticked in text, not colour alone"
    );
    let en = render(
        Language::En,
        html! { <JSpeedChoices chosen={chosen} ontoggle={Callback::noop()} /> },
    )
    .await;
    assert!(en.contains("fever (37.5 °C or over)") && en.contains("relation to the event"));
}
