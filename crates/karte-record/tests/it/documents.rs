//! Documents saved in the chart: saved by one person, approved once by a
//! second (who and when), never edited after; two devices rewriting one
//! unapproved draft leave both texts to review; received changes that
//! approve one's own document, or edit an approved one, are refused.
//! Received changes are judged at their own dependencies, so an approval
//! and a concurrent draft rewrite get one verdict in either order, and the
//! merged chart shows the document unapproved: the approval's hash is of
//! a text no longer there.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{Automerge, ObjType, ROOT, ReadDoc, ScalarValue};
use karte_record::{Chart, RecordError};
use karte_types::{
    Author, DocumentDraft, DocumentEntryInput, DocumentPatient, DocumentPhysician, DocumentStation,
    PlanDraft,
};
use serde_json::json;

use crate::support::*;

pub(crate) fn plan(goals: &str) -> DocumentDraft {
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
    let (mut chart, sato, _, _) = saved();
    // Sato again, on a second device.
    let phone = author("佐藤", "phone-sato");
    let mut theirs = replica(&chart, &phone, 1);
    let base = chart.heads();
    chart
        .update_document(&entry_id(1), &plan("歩行を維持する"), &edit(&sato, 20))
        .unwrap();
    theirs
        .update_document(&entry_id(1), &plan("褥瘡を治す"), &edit(&phone, 21))
        .unwrap();
    let bytes = theirs.save_after(&base);
    receive(&chart, &bytes, "phone-sato").unwrap();
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
        json!({"approved_by": sato.user.0, "approved_by_name": "佐藤", "approved_at": at(20).0, "approved_draft": hash_of(&chart)}),
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

/// The SHA-256 (hex) of entry 1's draft text, as an approval records it.
fn hash_of(chart: &Chart) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(
        chart.documents().unwrap()[0].input.draft.as_bytes(),
    ))
}

/// A change written by hand on `author`'s device that adds entry 2 to the
/// documents with the input fields `fields`, recorded by the author at
/// `minutes`.
fn new_by_hand(chart: &Chart, author: &Author, minutes: i64, fields: serde_json::Value) -> Vec<u8> {
    let mut doc = Automerge::load(&chart.save())
        .unwrap()
        .with_actor(actor(author, 9));
    let heads = doc.get_heads();
    let (_, container) = doc.get(ROOT, "care_tasks").unwrap().unwrap();
    let mut tx = doc.transaction();
    let entry = tx
        .put_object(&container, entry_id(2).to_string(), ObjType::Map)
        .unwrap();
    tx.put(&entry, "recorded_by.user", author.user.0.as_str())
        .unwrap();
    tx.put(&entry, "recorded_by.user_name", author.user_name.as_str())
        .unwrap();
    tx.put(&entry, "recorded_by.device", author.device.0.as_str())
        .unwrap();
    tx.put(&entry, "recorded_at", at(minutes).0).unwrap();
    for (key, value) in fields.as_object().unwrap() {
        match value {
            serde_json::Value::String(s) => tx.put(&entry, key, s.as_str()).unwrap(),
            serde_json::Value::Number(n) => tx.put(&entry, key, n.as_i64().unwrap()).unwrap(),
            serde_json::Value::Null => tx.put(&entry, key, ScalarValue::Null).unwrap(),
            other => panic!("{other}"),
        }
    }
    let message = json!({ "op": "document.save", "author": author, "at": at(minutes).0 });
    tx.commit_with(
        CommitOptions::default()
            .with_message(message.to_string())
            .with_time(at(minutes).0 / 1000),
    );
    doc.save_after(&heads)
}

/// The input fields of a new, unapproved plan with `goals`, as a change
/// writes them.
fn new_plan_fields(goals: &str) -> serde_json::Value {
    let input = DocumentEntryInput::of(&plan(goals));
    json!({
        "kind": input.kind,
        "detail": input.detail,
        "draft": input.draft,
        "approved_by": null,
        "approved_by_name": null,
        "approved_at": null,
    })
}

#[test]
fn a_received_new_document_is_unapproved_and_its_draft_is_of_the_entry() {
    let (chart, sato, _, tanaka) = saved();
    // The well-formed change passes, so the refusals below are for what they change.
    let fine = new_by_hand(&chart, &sato, 20, new_plan_fields("自宅で過ごす"));
    receive(&chart, &fine, "tablet-sato").unwrap();

    for (name, approval) in [
        ("self-approved", json!([sato.user.0, "佐藤", at(20).0])),
        (
            "by an invented user",
            json!(["user-誰か", "誰か", at(20).0]),
        ),
        (
            "by a real second person",
            json!([tanaka.user.0, "田中", at(20).0]),
        ),
    ] {
        let mut fields = new_plan_fields("自宅で過ごす");
        fields["approved_by"] = approval[0].clone();
        fields["approved_by_name"] = approval[1].clone();
        fields["approved_at"] = approval[2].clone();
        let bytes = new_by_hand(&chart, &sato, 20, fields);
        let error = receive(&chart, &bytes, "tablet-sato").unwrap_err();
        assert!(error.to_string().contains("saved first"), "{name}: {error}");
    }

    let mut hashed = new_plan_fields("自宅で過ごす");
    hashed["approved_draft"] = json!("00");
    let bytes = new_by_hand(&chart, &sato, 20, hashed);
    assert!(receive(&chart, &bytes, "tablet-sato").is_err());

    let mut malformed = new_plan_fields("自宅で過ごす");
    malformed["draft"] = json!("{not a draft");
    let bytes = new_by_hand(&chart, &sato, 20, malformed);
    let error = receive(&chart, &bytes, "tablet-sato").unwrap_err();
    assert!(
        error.to_string().contains("not a valid document entry"),
        "{error}"
    );

    let mut other_day = new_plan_fields("自宅で過ごす");
    other_day["detail"] = json!("2026-12-01");
    let bytes = new_by_hand(&chart, &sato, 20, other_day);
    let error = receive(&chart, &bytes, "tablet-sato").unwrap_err();
    assert!(error.to_string().contains("another document"), "{error}");
}

#[test]
fn only_the_one_who_saved_a_document_rewrites_its_draft() {
    let (chart, sato, mut theirs, tanaka) = saved();
    let refused = theirs.update_document(&entry_id(1), &plan("田中の文"), &edit(&tanaka, 20));
    assert!(
        matches!(&refused, Err(RecordError::Invalid(e)) if e.0[0].code == "not_author"),
        "{refused:?}"
    );
    let text = serde_json::to_string(&plan("田中の文")).unwrap();
    let rewrite = by_hand(&chart, &tanaka, 20, json!({ "draft": text }));
    let error = receive(&chart, &rewrite, "tablet-tanaka").unwrap_err();
    assert!(
        error.to_string().contains("only the one who saved"),
        "{error}"
    );

    // The one who saved it may, with a draft of the same document only.
    let text = serde_json::to_string(&plan("佐藤の文")).unwrap();
    let own = by_hand(&chart, &sato, 20, json!({ "draft": text }));
    receive(&chart, &own, "tablet-sato").unwrap();
    for bad in [
        "{not a draft".to_owned(),
        serde_json::to_string(&DocumentDraft::Plan(PlanDraft {
            made: karte_types::Date::from_ymd(2026, 12, 1).unwrap(),
            ..match plan("別の日") {
                DocumentDraft::Plan(p) => p,
                _ => unreachable!(),
            }
        }))
        .unwrap(),
    ] {
        let bytes = by_hand(&chart, &sato, 20, json!({ "draft": bad }));
        let error = receive(&chart, &bytes, "tablet-sato").unwrap_err();
        assert!(
            error.to_string().contains("not a valid document entry"),
            "{error}"
        );
    }
}

#[test]
fn a_received_approval_names_its_author_and_the_draft_they_saw() {
    let (chart, _, _, tanaka) = saved();
    let approval = |name: &str, draft: String| {
        by_hand(
            &chart,
            &tanaka,
            20,
            json!({"approved_by": tanaka.user.0, "approved_by_name": name, "approved_at": at(20).0, "approved_draft": draft}),
        )
    };
    receive(&chart, &approval("田中", hash_of(&chart)), "tablet-tanaka").unwrap();
    let error = receive(&chart, &approval("佐藤", hash_of(&chart)), "tablet-tanaka").unwrap_err();
    assert!(
        error.to_string().contains("but the change is by"),
        "{error}"
    );
    let error = receive(&chart, &approval("田中", "00".repeat(32)), "tablet-tanaka").unwrap_err();
    assert!(
        error.to_string().contains("not that of the draft"),
        "{error}"
    );
    let without_hash = by_hand(
        &chart,
        &tanaka,
        20,
        json!({"approved_by": tanaka.user.0, "approved_by_name": "田中", "approved_at": at(20).0}),
    );
    let error = receive(&chart, &without_hash, "tablet-tanaka").unwrap_err();
    assert!(
        error.to_string().contains("part of the approval"),
        "{error}"
    );
}

/// Sato rewrites the draft while Tanaka, from the same chart, approves the
/// text he saw: each change is judged at its own dependencies, so both
/// pass whichever the receiver holds first, both orders merge to one
/// chart, and that chart shows the document unapproved, since the approved
/// text is not the one there; Tanaka then approves the new text.
#[test]
fn an_approval_concurrent_with_a_draft_rewrite_gets_one_verdict_and_does_not_cover_the_new_text() {
    let (mut chart, sato, mut theirs, tanaka) = saved();
    let base = chart.heads();
    chart
        .update_document(&entry_id(1), &plan("夜間の見守り"), &edit(&sato, 20))
        .unwrap();
    theirs
        .approve_document(&entry_id(1), &edit(&tanaka, 21))
        .unwrap();
    let rewrite = chart.save_after(&base);
    let approval = theirs.save_after(&base);

    // The order the hub or a device receives them in does not matter.
    receive(&chart, &approval, "tablet-tanaka").unwrap();
    receive(&theirs, &rewrite, "tablet-sato").unwrap();
    let mut both = Vec::new();
    for (mut first, second, device) in [
        (reload(&chart, &sato, 2), &approval, "tablet-tanaka"),
        (reload(&theirs, &tanaka, 2), &rewrite, "tablet-sato"),
    ] {
        receive(&first, second, device).unwrap();
        first.apply(second, &edit(&sato, 22)).unwrap();
        both.push(first);
    }
    let documents: Vec<_> = both.iter().map(|c| c.documents().unwrap()).collect();
    assert_eq!(documents[0], documents[1]);
    let document = &documents[0][0];
    assert!(!document.input.is_approved(), "{document:?}");
    assert_eq!(document.input.approved_by, None);
    assert_eq!(goals_of(&both[0]), "夜間の見守り");

    // Tanaka approves the text that is there now; then it is approved.
    let mut merged = both.pop().unwrap();
    let heads = merged.heads();
    merged
        .approve_document(&entry_id(1), &edit(&tanaka, 30))
        .unwrap();
    let again = merged.save_after(&heads);
    let other = both.pop().unwrap();
    receive(&other, &again, "tablet-tanaka").unwrap();
    let document = &merged.documents().unwrap()[0];
    assert_eq!(document.input.approved_by, Some(tanaka.user.clone()));
    assert_eq!(document.input.approved_at, Some(at(30)));
}

/// Sato's two devices rewrote the draft at once; Tanaka, who did not save
/// it, may settle the review item by choosing one of Sato's texts (the
/// text's only author is still Sato), but not by writing text of his own.
#[test]
fn anyone_may_choose_among_the_drafts_standing_side_by_side_but_not_write_a_new_one() {
    let (mut chart, sato, _, tanaka) = saved();
    let phone = author("佐藤", "phone-sato");
    let mut other = replica(&chart, &phone, 1);
    let base = chart.heads();
    chart
        .update_document(&entry_id(1), &plan("歩行を維持する"), &edit(&sato, 20))
        .unwrap();
    other
        .update_document(&entry_id(1), &plan("褥瘡を治す"), &edit(&phone, 21))
        .unwrap();
    chart
        .apply(&other.save_after(&base), &edit(&sato, 22))
        .unwrap();
    let mut theirs = replica(&chart, &tanaka, 3);
    let review = theirs
        .view()
        .unwrap()
        .open_reviews()
        .find(|r| r.path.ends_with("/draft"))
        .expect("a review item for the draft")
        .clone();

    let own_text =
        serde_json::to_string(&serde_json::to_string(&plan("田中の文")).unwrap()).unwrap();
    let refused = theirs.resolve_review(&review.id, &own_text, &edit(&tanaka, 30));
    assert!(
        matches!(&refused, Err(RecordError::Invalid(e)) if e.0[0].code == "not_author"),
        "{refused:?}"
    );

    let heads = theirs.heads();
    let chosen = review
        .values
        .iter()
        .find(|v| v.value.to_string().contains("褥瘡を治す"))
        .unwrap()
        .value
        .to_string();
    theirs
        .resolve_review(&review.id, &chosen, &edit(&tanaka, 31))
        .unwrap();
    let resolution = theirs.save_after(&heads);
    receive(&chart, &resolution, "tablet-tanaka").unwrap();
    chart.apply(&resolution, &edit(&sato, 32)).unwrap();
    assert_eq!(goals_of(&chart), "褥瘡を治す");
}
