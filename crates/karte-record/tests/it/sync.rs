//! What sync needs of a chart: the changes of one device the hub lacks, and
//! a chart received whole that records the conflicts it already holds.

use karte_record::{Chart, RecordError};
use serde_json::json;

use crate::support::*;

#[test]
fn own_changes_since_the_hub_heads_leave_out_other_devices_and_what_the_hub_has() {
    let a = author("佐藤", "tablet-a");
    let b = author("田中", "tablet-b");
    let mut chart_a = new_chart(&a);
    chart_a
        .record_visit(&entry_id(1), &visit(60, 72), &edit(&a, 61))
        .unwrap();
    // Never acknowledged: everything A wrote.
    assert_eq!(chart_a.own_changes_since(&a.device, &[]).len(), 2);
    assert!(chart_a.own_changes_since(&b.device, &[]).is_empty());

    let hub_heads = chart_a.heads();
    let mut chart_b = replica(&chart_a, &b, 0);
    chart_b
        .record_visit(&entry_id(2), &visit(90, 80), &edit(&b, 91))
        .unwrap();
    let pushed = chart_b.own_changes_since(&b.device, &hub_heads);
    assert_eq!(pushed.len(), 1, "only B's visit");
    // Without the hub's heads B would still push only its own change.
    assert_eq!(chart_b.own_changes_since(&b.device, &[]), pushed);

    // Heads this chart has never seen (another device's change the hub
    // acknowledged alongside) are ignored rather than an error.
    let mut unknown = hub_heads.clone();
    unknown.push(karte_record::ChangeHash([7; 32]));
    assert_eq!(chart_b.own_changes_since(&b.device, &unknown), pushed);
    chart_a.apply(&pushed.concat(), &edit(&a, 100)).unwrap();
    assert!(
        chart_b
            .own_changes_since(&b.device, &chart_a.heads())
            .is_empty()
    );
}

/// Bytes of one chart holding two concurrent pulses that nobody merged.
fn unmerged_conflict() -> Vec<u8> {
    let a = author("佐藤", "tablet-a");
    let b = author("田中", "tablet-b");
    let mut chart_a = new_chart(&a);
    chart_a
        .record_visit(&entry_id(1), &visit(60, 72), &edit(&a, 61))
        .unwrap();
    let base = chart_a.heads();
    let mut chart_b = replica(&chart_a, &b, 0);
    chart_a
        .set_entry_field(&entry_id(1), "vitals.pulse", &json!(80), &edit(&a, 100))
        .unwrap();
    chart_b
        .set_entry_field(&entry_id(1), "vitals.pulse", &json!(90), &edit(&b, 101))
        .unwrap();
    [chart_a.save(), chart_b.save_after(&base)].concat()
}

/// A chart that one device wrote: its creation and `visits` visits, each
/// change made on top of the one before.
fn one_line_of_visits(visits: u64) -> Chart {
    let a = author("佐藤", "tablet-a");
    let mut chart = new_chart(&a);
    for n in 0..visits {
        chart
            .record_visit(&entry_id(n), &visit(60 * n as i64, 72), &edit(&a, 61))
            .unwrap();
    }
    chart
}

#[test]
fn a_received_chart_records_the_conflicts_it_arrives_with() {
    let c = author("鈴木", "laptop-c");
    let bytes = unmerged_conflict();
    let loaded = Chart::load(actor(&c, 0), &[&bytes]).unwrap();
    assert_eq!(loaded.unrecorded_reviews().unwrap().len(), 1);

    let (chart, new) = Chart::receive(actor(&c, 0), &bytes, &edit(&c, 200)).unwrap();
    assert_eq!(new.len(), 1);
    assert!(chart.unrecorded_reviews().unwrap().is_empty());
    let view = chart.view().unwrap();
    assert_eq!(view.reviews[0].values.len(), 2);
    assert_eq!(chart.id(), patient_id());
    // The review item is C's own change, to be pushed like any other.
    assert_eq!(chart.own_changes_since(&c.device, &[]).len(), 1);
}

#[test]
fn a_received_chart_needs_its_first_change_and_only_one_chart() {
    let a = author("佐藤", "tablet-a");
    let c = author("鈴木", "laptop-c");
    let mut chart = new_chart(&a);
    let created = chart.heads();
    chart
        .record_visit(&entry_id(1), &visit(60, 72), &edit(&a, 61))
        .unwrap();
    let without_first = chart.save_after(&created);
    assert!(matches!(
        Chart::receive(actor(&c, 0), &without_first, &edit(&c, 70)),
        Err(RecordError::MissingChanges(_))
    ));
    let other = Chart::create(
        actor(&a, 1),
        &"01JOTHERCHART0000000000000".into(),
        &yamada(),
        &edit(&a, 0),
    )
    .unwrap();
    let two_charts = [chart.save(), other.save()].concat();
    assert!(matches!(
        Chart::receive(actor(&c, 0), &two_charts, &edit(&c, 70)),
        Err(RecordError::OtherChart(_))
    ));
    assert!(Chart::receive(actor(&c, 0), b"", &edit(&c, 70)).is_err());
}

#[test]
fn a_chart_received_saved_whole_records_its_conflicts_like_one_received_change_by_change() {
    let c = author("鈴木", "laptop-c");
    let saved = Chart::load(actor(&c, 9), &[&unmerged_conflict()])
        .unwrap()
        .save();
    let (slow, slow_new) = Chart::receive(actor(&c, 0), &saved, &edit(&c, 200)).unwrap();
    let fast = Chart::receive_saved(actor(&c, 0), &saved, &edit(&c, 200)).unwrap();
    assert_eq!(fast.open_reviews, slow_new);
    assert_eq!(fast.open_reviews.len(), 1);
    // The same review change: one finding, the same author, time and base.
    assert_eq!(fast.chart.heads(), slow.heads());
    assert_eq!(fast.chart.save(), slow.save());
    assert!(fast.chart.unrecorded_reviews().unwrap().is_empty());
    assert_ne!(fast.received_heads, fast.chart.heads());
    // Stored as the bytes received and the review change after them, it
    // loads as the same chart.
    let stored = [saved, fast.chart.save_after(&fast.received_heads)].concat();
    let reloaded = Chart::load(actor(&c, 1), &[&stored]).unwrap();
    assert_eq!(reloaded.heads(), fast.chart.heads());
    assert_eq!(
        fast.chart
            .own_changes_since(&c.device, &fast.received_heads)
            .len(),
        1
    );
}

#[test]
fn a_chart_of_one_line_of_changes_is_received_whole_without_a_change() {
    let c = author("鈴木", "laptop-c");
    let chart = one_line_of_visits(5);
    let saved = chart.save();
    let fast = Chart::receive_saved(actor(&c, 0), &saved, &edit(&c, 500)).unwrap();
    assert!(fast.open_reviews.is_empty());
    assert_eq!(fast.chart.heads(), chart.heads());
    assert_eq!(fast.received_heads, chart.heads());
    assert_eq!(fast.chart.view().unwrap(), chart.view().unwrap());
    assert!(
        fast.chart
            .own_changes_since(&c.device, &fast.received_heads)
            .is_empty()
    );
}

#[test]
fn no_known_allergies_and_an_allergy_arriving_whole_are_reviewed() {
    let a = author("佐藤", "tablet-a");
    let b = author("田中", "tablet-b");
    let c = author("鈴木", "laptop-c");
    let mut chart_a = new_chart(&a);
    let mut chart_b = replica(&chart_a, &b, 0);
    chart_a.set_no_known_allergies(&edit(&a, 10)).unwrap();
    chart_b
        .add_allergy(&entry_id(1), &penicillin(), &edit(&b, 11))
        .unwrap();
    let saved = Chart::load(actor(&c, 9), &[&chart_a.save(), &chart_b.save()])
        .unwrap()
        .save();
    let fast = Chart::receive_saved(actor(&c, 0), &saved, &edit(&c, 500)).unwrap();
    let (_, slow_new) = Chart::receive(actor(&c, 0), &saved, &edit(&c, 500)).unwrap();
    assert_eq!(fast.open_reviews, slow_new);
    assert!(!fast.open_reviews.is_empty());
}

#[test]
fn bytes_that_are_not_a_whole_chart_are_refused_when_received_saved() {
    let a = author("佐藤", "tablet-a");
    let c = author("鈴木", "laptop-c");
    let mut chart = new_chart(&a);
    let created = chart.heads();
    chart
        .record_visit(&entry_id(1), &visit(60, 72), &edit(&a, 61))
        .unwrap();
    let without_first = chart.save_after(&created);
    assert!(Chart::receive_saved(actor(&c, 0), &without_first, &edit(&c, 70)).is_err());
    assert!(Chart::receive_saved(actor(&c, 0), b"", &edit(&c, 70)).is_err());
    let mut damaged = chart.save();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    assert!(Chart::receive_saved(actor(&c, 0), &damaged, &edit(&c, 70)).is_err());
}

#[test]
fn the_arrival_digest_is_what_receiving_whole_files_when_it_records_nothing() {
    let c = author("鈴木", "laptop-c");
    let saved = one_line_of_visits(3).save();
    let (heads, summary) = Chart::arrival_digest(&saved).unwrap().expect("settled");
    let fast = Chart::receive_saved(actor(&c, 0), &saved, &edit(&c, 500)).unwrap();
    assert_eq!(heads, fast.received_heads);
    assert_eq!(heads, fast.chart.heads(), "arrival recorded nothing");
    assert_eq!(summary, fast.chart.summary().unwrap());
    assert!(summary.last_visit.is_some());
}

#[test]
fn a_chart_whose_arrival_records_review_items_has_no_digest_until_they_are_recorded() {
    let c = author("鈴木", "laptop-c");
    let d = author("高橋", "tablet-d");
    let saved = Chart::load(actor(&c, 9), &[&unmerged_conflict()])
        .unwrap()
        .save();
    assert_eq!(Chart::arrival_digest(&saved).unwrap(), None);
    // Once one device has recorded the item, the next receives it settled,
    // with the open item counted in its list entry.
    let received = Chart::receive_saved(actor(&c, 0), &saved, &edit(&c, 200)).unwrap();
    let recorded = received.chart.save();
    let (heads, summary) = Chart::arrival_digest(&recorded).unwrap().expect("settled");
    let at_d = Chart::receive_saved(actor(&d, 0), &recorded, &edit(&d, 300)).unwrap();
    assert_eq!(heads, at_d.chart.heads());
    assert_eq!(summary, at_d.chart.summary().unwrap());
    assert_eq!(summary.open_reviews, 1);
    assert!(Chart::arrival_digest(b"not a chart").is_err());
}
