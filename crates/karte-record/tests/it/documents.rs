//! Documents saved in the chart: saved by one person, approved once by a
//! second (who and when), never edited after; two devices rewriting one
//! unapproved draft leave both texts to review; received changes that
//! approve one's own document, or edit an approved one, are refused.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{Automerge, ROOT, ReadDoc};
use karte_record::{Chart, RecordError};
use karte_types::{
    Author, DocumentDraft, DocumentEntryInput, DocumentPatient, DocumentPhysician, DocumentStation,
    PlanDraft,
};
use serde_json::json;

use crate::support::*;

fn plan(goals: &str) -> DocumentDraft {
    DocumentDraft::Plan(PlanDraft {
        patient: DocumentPatient {
            name: "山田 太郎".into(),
            birth: karte_types::Date::from_ymd(1941, 3, 2).unwrap(),
            address: String::new(),
            care_level: String::new(),
        },
        made: karte_types::Date::from_ymd(2026, 11, 30).unwrap(),
        reviewed: None,
        goals: goals.into(),
        problems: Vec::new(),
        materials: String::new(),
        notes: String::new(),
        station: DocumentStation::default(),
        physician: DocumentPhysician::default(),
    })
}

fn goals_of(chart: &Chart) -> String {
    let documents = chart.documents().unwrap();
    match documents[0].input.draft().unwrap() {
        DocumentDraft::Plan(p) => p.goals,
        other => panic!("{other:?}"),
    }
}

/// A chart with a plan saved by Sato, and Tanaka's copy of it.
fn saved() -> (Chart, Author, Chart, Author) {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    let mut chart = new_chart(&sato);
    chart
        .add_document(
            &entry_id(1),
            &DocumentEntryInput::of(&plan("自宅で過ごす")),
            &edit(&sato, 10),
        )
        .unwrap();
    let theirs = replica(&chart, &tanaka, 1);
    (chart, sato, theirs, tanaka)
}

fn receive(chart: &Chart, bytes: &[u8], device: &str) -> Result<(), RecordError> {
    let device = device.to_owned();
    Chart::check_received(
        Some(chart),
        &chart.id(),
        bytes,
        move |_| Some(device.as_str().into()),
        at(7 * 24 * 60),
    )
}

#[test]
fn a_document_is_approved_once_by_a_second_person_and_not_edited_after() {
    let (mut chart, sato, mut theirs, tanaka) = saved();
    let refused = chart.approve_document(&entry_id(1), &edit(&sato, 11));
    assert!(
        matches!(&refused, Err(RecordError::Invalid(e)) if e.0[0].code == "same_person"),
        "{refused:?}"
    );
    chart
        .update_document(
            &entry_id(1),
            &plan("自宅で穏やかに過ごす"),
            &edit(&sato, 12),
        )
        .unwrap();
    let bytes = chart.save_after(&theirs.heads());
    theirs.apply(&bytes, &edit(&tanaka, 13)).unwrap();
    let heads = theirs.heads();
    theirs
        .approve_document(&entry_id(1), &edit(&tanaka, 20))
        .unwrap();
    // The approval passes the checks of the device that saved it.
    let approval = theirs.save_after(&heads);
    receive(&chart, &approval, "tablet-tanaka").unwrap();
    chart.apply(&approval, &edit(&sato, 21)).unwrap();
    let chart = reload(&chart, &sato, 2);
    let document = &chart.documents().unwrap()[0];
    assert_eq!(document.meta.recorded_by.user_name, "佐藤");
    assert_eq!(document.input.approved_by_name.as_deref(), Some("田中"));
    assert_eq!(document.input.approved_by, Some(tanaka.user.clone()));
    assert_eq!(document.input.approved_at, Some(at(20)));
    assert_eq!(goals_of(&chart), "自宅で穏やかに過ごす");
    assert_eq!(chart.view().unwrap().documents.len(), 1);

    let mut chart = chart;
    for attempt in [
        chart.update_document(&entry_id(1), &plan("書き換え"), &edit(&sato, 30)),
        chart.approve_document(&entry_id(1), &edit(&tanaka, 30)),
    ] {
        assert!(
            matches!(&attempt, Err(RecordError::Invalid(e)) if e.0[0].code == "approved"),
            "{attempt:?}"
        );
    }
    // Voiding is still possible.
    chart
        .void_entry(&entry_id(1), "別の利用者の計画書", &edit(&sato, 31))
        .unwrap();
    assert!(
        chart.documents().unwrap()[0]
            .meta
            .entered_in_error
            .is_some()
    );
}

#[test]
fn two_devices_rewriting_one_draft_leave_both_texts_to_review() {
    let (mut chart, sato, mut theirs, tanaka) = saved();
    let base = chart.heads();
    chart
        .update_document(&entry_id(1), &plan("歩行を維持する"), &edit(&sato, 20))
        .unwrap();
    theirs
        .update_document(&entry_id(1), &plan("褥瘡を治す"), &edit(&tanaka, 21))
        .unwrap();
    let bytes = theirs.save_after(&base);
    receive(&chart, &bytes, "tablet-tanaka").unwrap();
    chart.apply(&bytes, &edit(&sato, 22)).unwrap();
    let view = chart.view().unwrap();
    let review = view
        .open_reviews()
        .find(|r| r.path.ends_with("/draft"))
        .expect("a review item for the draft");
    let texts: Vec<String> = review.values.iter().map(|v| v.value.to_string()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("歩行を維持する")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t.contains("褥瘡を治す")), "{texts:?}");
}

/// A change written by hand on `author`'s device: the fields of entry 1
/// set to `fields`, with a Karte message naming the author at `minutes`.
fn by_hand(chart: &Chart, author: &Author, minutes: i64, fields: serde_json::Value) -> Vec<u8> {
    let mut doc = Automerge::load(&chart.save())
        .unwrap()
        .with_actor(actor(author, 9));
    let heads = doc.get_heads();
    let (_, container) = doc.get(ROOT, "care_tasks").unwrap().unwrap();
    let (_, entry) = doc
        .get(&container, entry_id(1).to_string())
        .unwrap()
        .unwrap();
    let mut tx = doc.transaction();
    for (key, value) in fields.as_object().unwrap() {
        match value {
            serde_json::Value::String(s) => tx.put(&entry, key, s.as_str()).unwrap(),
            serde_json::Value::Number(n) => tx.put(&entry, key, n.as_i64().unwrap()).unwrap(),
            other => panic!("{other}"),
        }
    }
    let message = json!({ "op": "entry.correct", "author": author, "at": at(minutes).0 });
    tx.commit_with(
        CommitOptions::default()
            .with_message(message.to_string())
            .with_time(at(minutes).0 / 1000),
    );
    doc.save_after(&heads)
}

#[test]
fn a_received_approval_of_ones_own_document_or_an_edit_of_an_approved_one_is_refused() {
    let (chart, sato, mut theirs, tanaka) = saved();
    let own = by_hand(
        &chart,
        &sato,
        20,
        json!({"approved_by": sato.user.0, "approved_by_name": "佐藤", "approved_at": at(20).0}),
    );
    let error = receive(&chart, &own, "tablet-sato").unwrap_err();
    assert!(error.to_string().contains("second person"), "{error}");

    let half = by_hand(&chart, &tanaka, 20, json!({"approved_by": tanaka.user.0}));
    let error = receive(&chart, &half, "tablet-tanaka").unwrap_err();
    assert!(
        error.to_string().contains("part of the approval"),
        "{error}"
    );

    let heads = theirs.heads();
    theirs
        .approve_document(&entry_id(1), &edit(&tanaka, 20))
        .unwrap();
    let mut approved = chart;
    approved
        .apply(&theirs.save_after(&heads), &edit(&sato, 21))
        .unwrap();
    let text = serde_json::to_string(&plan("承認後の書き換え")).unwrap();
    let edit_after = by_hand(&approved, &sato, 30, json!({ "draft": text }));
    let error = receive(&approved, &edit_after, "tablet-sato").unwrap_err();
    assert!(error.to_string().contains("approved document"), "{error}");
}
