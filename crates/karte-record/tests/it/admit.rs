//! The checks every replica makes of what it receives, as the hub runs them
//! on its copy of a chart before storing a push (`Chart::admit`) and as a
//! device runs them when it applies changes: changes that would make a
//! chart no chart are refused whole, and the copy or chart stays as it was.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{Automerge, Change, ObjType, ROOT};
use karte_record::{Chart, RecordError};
use karte_types::PatientId;

use crate::support::*;

/// Every change of `chart`, in causal order.
fn changes_of(chart: &Chart) -> Vec<Change> {
    Automerge::load(&chart.save()).unwrap().get_changes(&[])
}

/// One change on top of `chart` written with raw Automerge by `n`, as a
/// tampered device could write it.
fn raw_change_on(
    chart: &Chart,
    n: u8,
    write: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> Change {
    let mut doc = Automerge::load(&chart.save()).unwrap();
    doc.set_actor(actor(&author("悪意", "tampered"), n));
    let mut tx = doc.transaction();
    write(&mut tx);
    tx.commit_with(CommitOptions::default().with_message("raw".to_owned()));
    doc.get_changes(&chart.heads()).pop().unwrap()
}

/// A change that depends on nothing and makes the containers again: a
/// second "first change" of chart `id`.
fn second_first_change(id: &PatientId) -> Change {
    let mut doc = Automerge::new().with_actor(actor(&author("悪意", "tampered"), 9));
    let mut tx = doc.transaction();
    tx.put(ROOT, "schema", 1i64).unwrap();
    tx.put(ROOT, "patient_id", id.as_str()).unwrap();
    for key in [
        "patient",
        "allergy_assessment",
        "allergies",
        "conditions",
        "medications",
        "visits",
        "reviews",
        "review_resolutions",
    ] {
        tx.put_object(ROOT, key, ObjType::Map).unwrap();
    }
    tx.commit_with(CommitOptions::default().with_message("chart.create".to_owned()));
    doc.get_changes(&[]).pop().unwrap()
}

fn sorted_heads(doc: &Automerge) -> Vec<automerge::ChangeHash> {
    let mut heads = doc.get_heads();
    heads.sort();
    heads
}

#[test]
fn a_relay_admits_a_chart_whole_and_then_its_later_changes() {
    let a = author("佐藤", "tablet-a");
    let mut chart = new_chart(&a);
    let mut copy = Automerge::new();
    Chart::admit(&mut copy, &patient_id(), changes_of(&chart)).unwrap();
    let created = chart.heads();
    chart
        .record_visit(&entry_id(1), &visit(60, 72), &edit(&a, 61))
        .unwrap();
    let later: Vec<Change> = Automerge::load(&chart.save())
        .unwrap()
        .get_changes(&created);
    Chart::admit(&mut copy, &patient_id(), later).unwrap();
    let mut heads = chart.heads();
    heads.sort();
    assert_eq!(sorted_heads(&copy), heads);
}

#[test]
fn a_relay_refuses_what_no_replica_would_take_and_keeps_its_copy() {
    let a = author("佐藤", "tablet-a");
    let chart = new_chart(&a);
    let id = patient_id();
    let mut copy = Automerge::new();
    Chart::admit(&mut copy, &id, changes_of(&chart)).unwrap();
    let before = sorted_heads(&copy);

    let deleted_visits = raw_change_on(&chart, 1, |tx| tx.delete(ROOT, "visits").unwrap());
    let newer_schema = raw_change_on(&chart, 2, |tx| tx.put(ROOT, "schema", 2i64).unwrap());
    let other_patient = raw_change_on(&chart, 3, |tx| {
        tx.put(ROOT, "patient_id", "01JOTHERCHART0000000000000")
            .unwrap()
    });
    let cases: Vec<(&str, Vec<Change>, &str)> = vec![
        (
            "a second first change",
            vec![second_first_change(&id)],
            "other_chart",
        ),
        ("a container deleted", vec![deleted_visits], "not_a_chart"),
        ("a newer schema", vec![newer_schema], "not_a_chart"),
        ("another patient's id", vec![other_patient], "other_chart"),
    ];
    for (what, changes, code) in cases {
        let error = Chart::admit(&mut copy, &id, changes).unwrap_err();
        assert_eq!(error.code(), code, "{what}: {error}");
        assert_eq!(sorted_heads(&copy), before, "{what}: the copy is unchanged");
    }
}

#[test]
fn a_chart_new_to_a_relay_must_come_with_one_first_change_making_its_layout() {
    let a = author("佐藤", "tablet-a");
    let mut chart = new_chart(&a);
    chart
        .record_visit(&entry_id(1), &visit(60, 72), &edit(&a, 61))
        .unwrap();
    let id = patient_id();
    let all = changes_of(&chart);
    let without_first: Vec<Change> = all[1..].to_vec();
    let mut bare = Automerge::new().with_actor(actor(&a, 5));
    let mut tx = bare.transaction();
    tx.put(ROOT, "hello", "world").unwrap();
    tx.commit_with(CommitOptions::default());
    let two_firsts = [all.clone(), vec![second_first_change(&id)]].concat();
    let other = PatientId::from("01JOTHERCHART0000000000000");
    let cases: Vec<(&str, &PatientId, Vec<Change>, &str)> = vec![
        ("no first change", &id, without_first, "missing_changes"),
        ("two first changes", &id, two_firsts, "other_chart"),
        ("no chart at all", &id, bare.get_changes(&[]), "not_a_chart"),
        (
            "pushed as another chart",
            &other,
            all.clone(),
            "other_chart",
        ),
    ];
    for (what, doc, changes, code) in cases {
        let mut copy = Automerge::new();
        let error = Chart::admit(&mut copy, doc, changes).unwrap_err();
        assert_eq!(error.code(), code, "{what}: {error}");
        assert!(copy.get_heads().is_empty(), "{what}: the copy stays empty");
    }
}

#[test]
fn a_copy_broken_before_the_hub_checked_still_takes_later_changes() {
    let a = author("佐藤", "tablet-a");
    let mut chart = new_chart(&a);
    let mut copy = Automerge::new();
    Chart::admit(&mut copy, &patient_id(), changes_of(&chart)).unwrap();
    // What a hub stored before it checked charts: the layout is gone.
    let created = chart.heads();
    let broken = raw_change_on(&chart, 1, |tx| tx.delete(ROOT, "reviews").unwrap());
    copy.apply_changes([broken]).unwrap();
    chart
        .record_visit(&entry_id(1), &visit(60, 72), &edit(&a, 61))
        .unwrap();
    let visit_change = Automerge::load(&chart.save())
        .unwrap()
        .get_changes(&created);
    Chart::admit(&mut copy, &patient_id(), visit_change).unwrap();
    assert_eq!(copy.get_heads().len(), 2);
}

#[test]
fn a_device_refuses_a_change_that_breaks_its_chart_and_keeps_the_chart() {
    let a = author("佐藤", "tablet-a");
    let c = author("鈴木", "laptop-c");
    let chart = new_chart(&a);
    let mut held = replica(&chart, &c, 0);
    let heads = held.heads();
    let deleted = raw_change_on(&chart, 1, |tx| tx.delete(ROOT, "allergies").unwrap());
    let second = second_first_change(&patient_id());
    for (what, change, code) in [
        ("a container deleted", deleted, "not_a_chart"),
        ("a second first change", second, "other_chart"),
    ] {
        let error = held.apply(change.raw_bytes(), &edit(&c, 70)).unwrap_err();
        assert_eq!(error.code(), code, "{what}: {error}");
        assert_eq!(held.heads(), heads, "{what}: nothing applied");
        held.view().unwrap();
    }
}

#[test]
fn a_chart_with_two_first_changes_is_not_received_whole() {
    let a = author("佐藤", "tablet-a");
    let c = author("鈴木", "laptop-c");
    let chart = new_chart(&a);
    let mut doc = Automerge::load(&chart.save()).unwrap();
    doc.apply_changes([second_first_change(&patient_id())])
        .unwrap();
    let saved = doc.save();
    let error = Chart::receive_saved(actor(&c, 0), &saved, &edit(&c, 70)).unwrap_err();
    assert!(matches!(error, RecordError::NotAChart(_)), "{error}");
    assert!(Chart::arrival_digest(&saved).is_err());
}
