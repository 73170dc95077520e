//! Merging replicas: nothing concurrent is lost, and what a person must decide
//! becomes a review item that stays until resolved.

use karte_record::Chart;
use karte_types::{AllergyStatus, Author, ReviewKind};
use serde_json::json;

use crate::support::*;

struct Team {
    a: Author,
    b: Author,
    c: Author,
}

fn team() -> Team {
    Team {
        a: author("佐藤", "tablet-a"),
        b: author("田中", "tablet-b"),
        c: author("鈴木", "laptop-c"),
    }
}

/// A chart with one visit, and a replica of it on device B.
fn two_replicas(t: &Team) -> (Chart, Chart) {
    let mut a = new_chart(&t.a);
    a.record_visit(&entry_id(1), &visit(60, 72), &edit(&t.a, 61))
        .unwrap();
    let b = replica(&a, &t.b, 0);
    (a, b)
}

#[test]
fn concurrent_values_raise_a_review_that_a_later_write_does_not_clear() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    a.set_entry_field(&entry_id(1), "vitals.pulse", &json!(80), &edit(&t.a, 100))
        .unwrap();
    b.set_entry_field(&entry_id(1), "vitals.pulse", &json!(90), &edit(&t.b, 101))
        .unwrap();

    let new = a.merge(&mut b, &edit(&t.a, 110)).unwrap();
    assert_eq!(new.len(), 1, "one field has two values");
    let view = a.view().unwrap();
    let review = &view.reviews[0];
    assert_eq!(review.id, new[0]);
    assert_eq!(review.kind, ReviewKind::ConcurrentValues);
    assert_eq!(review.path, format!("visits/{}/vitals/pulse", entry_id(1)));
    assert_eq!(review.recorded_at, at(110));
    assert_eq!(review.resolution, None);
    let mut values: Vec<(String, String, i64)> = review
        .values
        .iter()
        .map(|v| {
            (
                v.value.clone(),
                v.author.as_ref().unwrap().user_name.clone(),
                v.at.unwrap().0,
            )
        })
        .collect();
    values.sort();
    assert_eq!(
        values,
        vec![
            ("80".into(), "佐藤".into(), at(100).0),
            ("90".into(), "田中".into(), at(101).0)
        ]
    );
    assert_eq!(a.history().last().unwrap().operation, "review.record");
    assert_eq!(a.history().last().unwrap().author.as_ref(), Some(&t.a));
    // Re-entering the value that shows writes nothing and keeps both values.
    let heads = a.heads();
    let shown = a.view().unwrap().visits[0].input.vitals.pulse.unwrap();
    a.set_entry_field(
        &entry_id(1),
        "vitals.pulse",
        &json!(shown),
        &edit(&t.a, 115),
    )
    .unwrap();
    assert_eq!(a.heads(), heads);

    // Automerge's next write replaces both values; the review item stays.
    a.set_entry_field(&entry_id(1), "vitals.pulse", &json!(85), &edit(&t.a, 120))
        .unwrap();
    let view = a.view().unwrap();
    assert_eq!(view.visits[0].input.vitals.pulse, Some(85));
    assert_eq!(
        view.open_reviews().count(),
        1,
        "a later write does not clear the review"
    );
    // ...and it survives a save and a load.
    let mut a = reload(&a, &t.a, 1);
    assert_eq!(a.view().unwrap().open_reviews().count(), 1);

    // Resolving records who, when and what, and writes the chosen value.
    a.resolve_review(&new[0], "90", &edit(&t.c, 130)).unwrap();
    let view = a.view().unwrap();
    assert_eq!(view.open_reviews().count(), 0);
    let resolution = view.reviews[0].resolution.as_ref().expect("resolved");
    assert_eq!(resolution.by, t.c);
    assert_eq!(resolution.at, at(130));
    assert_eq!(resolution.chosen, "90");
    assert_eq!(view.visits[0].input.vitals.pulse, Some(90));
    assert_eq!(a.history().last().unwrap().operation, "review.resolve");
    assert!(a.unrecorded_reviews().unwrap().is_empty());
}

#[test]
fn resolving_settles_the_field_in_the_document() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    a.set_entry_field(
        &entry_id(1),
        "soap.plan",
        &json!("入浴介助"),
        &edit(&t.a, 100),
    )
    .unwrap();
    b.set_entry_field(&entry_id(1), "soap.plan", &json!("清拭"), &edit(&t.b, 100))
        .unwrap();
    let review = a.merge(&mut b, &edit(&t.a, 110)).unwrap().remove(0);
    let winner = a.view().unwrap().visits[0].input.soap.plan.clone().unwrap();
    // Choosing the value that already shows still writes it: both values are
    // then replaced by one, and a later merge raises nothing new.
    a.resolve_review(&review, &json!(winner).to_string(), &edit(&t.a, 120))
        .unwrap();
    assert!(a.unrecorded_reviews().unwrap().is_empty());
    let mut b = b;
    assert!(
        b.merge(&mut a, &edit(&t.b, 130)).unwrap().is_empty(),
        "b learns the item already resolved"
    );
    assert_eq!(b.view().unwrap(), a.view().unwrap());
    assert_eq!(b.view().unwrap().open_reviews().count(), 0);

    // Choices are checked like any edit.
    let t2 = team();
    let (mut a, mut b) = two_replicas(&t2);
    a.set_entry_field(&entry_id(1), "vitals.pulse", &json!(80), &edit(&t2.a, 100))
        .unwrap();
    b.set_entry_field(&entry_id(1), "vitals.pulse", &json!(90), &edit(&t2.b, 100))
        .unwrap();
    let review = a.merge(&mut b, &edit(&t2.a, 110)).unwrap().remove(0);
    let heads = a.heads();
    assert_eq!(
        a.resolve_review(&review, "not json", &edit(&t2.a, 111))
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_eq!(
        a.resolve_review(&review, "900", &edit(&t2.a, 111))
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    let unknown = karte_types::ReviewId("nope".into());
    assert_eq!(
        a.resolve_review(&unknown, "80", &edit(&t2.a, 111))
            .unwrap_err()
            .code(),
        "unknown_review"
    );
    assert_eq!(a.heads(), heads, "refused resolutions commit nothing");
}

#[test]
fn two_replicas_recording_the_same_conflict_converge_on_one_item() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    a.set_entry_field(&entry_id(1), "vitals.pulse", &json!(80), &edit(&t.a, 100))
        .unwrap();
    b.set_entry_field(&entry_id(1), "vitals.pulse", &json!(90), &edit(&t.b, 100))
        .unwrap();
    let mut a_copy = replica(&a, &t.a, 7);
    let from_a = a.merge(&mut b, &edit(&t.a, 110)).unwrap();
    let from_b = b.merge(&mut a_copy, &edit(&t.b, 111)).unwrap();
    assert_eq!(
        from_a, from_b,
        "the same conflict gets the same id on both devices"
    );
    a.merge(&mut b, &edit(&t.a, 120)).unwrap();
    b.merge(&mut a, &edit(&t.b, 121)).unwrap();
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.view().unwrap(), b.view().unwrap());
    assert_eq!(a.view().unwrap().reviews.len(), 1);

    // Resolving on one device while the other still sees it open: both end resolved.
    a.resolve_review(&from_a[0], "80", &edit(&t.a, 130))
        .unwrap();
    b.merge(&mut a, &edit(&t.b, 131)).unwrap();
    assert_eq!(b.view().unwrap().open_reviews().count(), 0);
}

#[test]
fn a_third_concurrent_value_raises_a_wider_item_and_resolving_it_settles_both() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    let mut c = replica(&a, &t.c, 0);
    a.set_entry_field(&entry_id(1), "vitals.pulse", &json!(80), &edit(&t.a, 100))
        .unwrap();
    b.set_entry_field(&entry_id(1), "vitals.pulse", &json!(90), &edit(&t.b, 100))
        .unwrap();
    c.set_entry_field(&entry_id(1), "vitals.pulse", &json!(100), &edit(&t.c, 100))
        .unwrap();
    let first = a.merge(&mut b, &edit(&t.a, 110)).unwrap();
    let second = a.merge(&mut c, &edit(&t.a, 111)).unwrap();
    assert_eq!((first.len(), second.len()), (1, 1));
    let view = a.view().unwrap();
    let wide = view.reviews.iter().find(|r| r.id == second[0]).unwrap();
    assert_eq!(wide.values.len(), 3);
    a.resolve_review(&second[0], "100", &edit(&t.a, 120))
        .unwrap();
    assert_eq!(
        a.view().unwrap().open_reviews().count(),
        0,
        "the narrower item is settled too"
    );
}

#[test]
fn concurrent_additions_from_every_device_survive() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    let mut c = replica(&a, &t.c, 0);
    a.record_visit(&entry_id(10), &visit(200, 70), &edit(&t.a, 200))
        .unwrap();
    a.add_allergy(&entry_id(11), &penicillin(), &edit(&t.a, 201))
        .unwrap();
    b.record_visit(&entry_id(20), &visit(210, 75), &edit(&t.b, 210))
        .unwrap();
    b.add_condition(&entry_id(21), &hypertension(), &edit(&t.b, 211))
        .unwrap();
    c.add_medication(&entry_id(30), &amlodipine(), &edit(&t.c, 220))
        .unwrap();
    c.record_visit(&entry_id(31), &visit(230, 80), &edit(&t.c, 230))
        .unwrap();

    assert!(a.merge(&mut b, &edit(&t.a, 300)).unwrap().is_empty());
    assert!(c.merge(&mut a, &edit(&t.c, 301)).unwrap().is_empty());
    a.merge(&mut c, &edit(&t.a, 302)).unwrap();
    b.merge(&mut a, &edit(&t.b, 303)).unwrap();
    for chart in [&a, &b, &c] {
        let view = chart.view().unwrap();
        let visits: Vec<_> = view.visits.iter().map(|v| v.meta.id.clone()).collect();
        assert_eq!(
            visits,
            vec![entry_id(31), entry_id(20), entry_id(10), entry_id(1)]
        );
        assert_eq!(view.allergies.len(), 1);
        assert_eq!(view.conditions.len(), 1);
        assert_eq!(view.medications.len(), 1);
        assert!(view.reviews.is_empty());
    }
    assert_eq!(a.view().unwrap(), b.view().unwrap());
    assert_eq!(a.view().unwrap(), c.view().unwrap());
}

#[test]
fn whole_form_saves_on_two_devices_keep_both_changes() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    let mut phone = yamada();
    phone.phone = Some("090-1234-5678".into());
    a.update_demographics(&phone, &edit(&t.a, 100)).unwrap();
    let mut address = yamada();
    address.address = Some("長野県伊那市".into());
    b.update_demographics(&address, &edit(&t.b, 100)).unwrap();
    assert!(
        a.merge(&mut b, &edit(&t.a, 110)).unwrap().is_empty(),
        "different fields do not conflict"
    );
    let patient = a.view().unwrap().patient;
    assert_eq!(patient.phone.as_deref(), Some("090-1234-5678"));
    assert_eq!(patient.address.as_deref(), Some("長野県伊那市"));

    // The same field from both devices is a review item.
    let mut b = replica(&a, &t.b, 1);
    let mut one = a.view().unwrap().patient;
    one.care_level = Some(karte_types::CareLevel::Care3);
    a.update_demographics(&one, &edit(&t.a, 120)).unwrap();
    let mut other = b.view().unwrap().patient;
    other.care_level = Some(karte_types::CareLevel::Care4);
    b.update_demographics(&other, &edit(&t.b, 121)).unwrap();
    let items = a.merge(&mut b, &edit(&t.a, 130)).unwrap();
    assert_eq!(items.len(), 1);
    let view = a.view().unwrap();
    assert_eq!(view.reviews[0].path, "patient/care_level");
    // Saving the unchanged form writes nothing. (Automerge would turn a write
    // of the winning value into a delete of the other, erasing the conflict.)
    let heads = a.heads();
    a.update_demographics(&view.patient, &edit(&t.a, 130))
        .unwrap();
    assert_eq!(
        a.heads(),
        heads,
        "an unchanged form must not touch a conflicted field"
    );
    a.resolve_review(&items[0], "\"care4\"", &edit(&t.a, 131))
        .unwrap();
    assert_eq!(
        a.view().unwrap().patient.care_level,
        Some(karte_types::CareLevel::Care4)
    );
}

#[test]
fn no_known_allergies_on_one_device_and_an_allergy_on_another_is_a_clinical_review() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    let mut c = replica(&a, &t.c, 0);
    a.set_no_known_allergies(&edit(&t.a, 100)).unwrap();
    b.add_allergy(&entry_id(50), &penicillin(), &edit(&t.b, 101))
        .unwrap();
    let mut a_copy = replica(&a, &t.a, 3);
    let from_a = a.merge(&mut b, &edit(&t.a, 110)).unwrap();
    let from_b = b.merge(&mut a_copy, &edit(&t.b, 110)).unwrap();
    assert_eq!(from_a.len(), 1);
    assert_eq!(from_a, from_b, "found the same in either merge order");
    let view = a.view().unwrap();
    let review = &view.reviews[0];
    assert_eq!(
        review.kind,
        ReviewKind::Clinical {
            rule: "nka-with-allergy".into()
        }
    );
    assert_eq!(review.path, format!("allergies/{}", entry_id(50)));
    assert_eq!(review.values.len(), 2);
    assert_eq!(review.values[0].author.as_ref(), Some(&t.a));
    assert_eq!(review.values[1].author.as_ref(), Some(&t.b));
    assert!(review.values[1].value.contains("ペニシリン"));
    assert_eq!(
        view.allergy_status,
        AllergyStatus::Recorded,
        "an active allergy outweighs 'none known'"
    );
    // A second concurrent allergy is a second item.
    c.add_allergy(&entry_id(60), &penicillin(), &edit(&t.c, 102))
        .unwrap();
    assert_eq!(a.merge(&mut c, &edit(&t.a, 120)).unwrap().len(), 1);
    // An allergy recorded where "none known" was already known withdraws it: no item.
    let mut d = replica(&a_copy, &t.c, 1);
    d.add_allergy(&entry_id(70), &penicillin(), &edit(&t.c, 103))
        .unwrap();
    assert!(a.merge(&mut d, &edit(&t.a, 121)).unwrap().is_empty());
    a.resolve_review(
        &from_a[0],
        "confirmed allergy; NKA was recorded in error",
        &edit(&t.a, 130),
    )
    .unwrap();
    let view = a.view().unwrap();
    assert_eq!(view.open_reviews().count(), 1);
    assert_eq!(
        view.reviews
            .iter()
            .find(|r| r.id == from_a[0])
            .unwrap()
            .resolution
            .as_ref()
            .unwrap()
            .chosen,
        "confirmed allergy; NKA was recorded in error"
    );
}

#[test]
fn apply_takes_saved_bytes_or_incremental_changes() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    let b_heads = b.heads();
    a.set_entry_field(&entry_id(1), "vitals.spo2", &json!(95), &edit(&t.a, 100))
        .unwrap();
    b.set_entry_field(&entry_id(1), "vitals.spo2", &json!(93), &edit(&t.b, 100))
        .unwrap();
    b.record_visit(&entry_id(2), &visit(300, 66), &edit(&t.b, 101))
        .unwrap();
    let changes = b.save_after(&b_heads);
    let mut a2 = replica(&a, &t.a, 2);
    let from_changes = a.apply(&changes, &edit(&t.a, 110)).unwrap();
    let from_snapshot = a2.apply(&b.save(), &edit(&t.a, 110)).unwrap();
    assert_eq!(from_changes.len(), 1);
    assert_eq!(from_changes, from_snapshot);
    assert_eq!(a.view().unwrap(), a2.view().unwrap());
    assert_eq!(a.view().unwrap().visits.len(), 2);
    // Applying again changes nothing.
    let heads = a.heads();
    assert!(a.apply(&changes, &edit(&t.a, 111)).unwrap().is_empty());
    assert_eq!(a.heads(), heads);
}

#[test]
fn another_patients_chart_is_refused_and_nothing_changes() {
    let t = team();
    let (mut a, _) = two_replicas(&t);
    let other_id = karte_types::PatientId(ulid::Ulid::from_parts(1, 1).to_string());
    let mut other = Chart::create(actor(&t.b, 0), &other_id, &yamada(), &edit(&t.b, 0)).unwrap();
    let heads = a.heads();
    let view = a.view().unwrap();
    assert_eq!(
        a.merge(&mut other, &edit(&t.a, 1)).unwrap_err().code(),
        "other_chart"
    );
    assert_eq!(
        a.apply(&other.save(), &edit(&t.a, 1)).unwrap_err().code(),
        "other_chart"
    );
    // Even a chart with the same patient id, created twice, is another document.
    let mut twin = Chart::create(actor(&t.b, 1), &patient_id(), &yamada(), &edit(&t.b, 0)).unwrap();
    assert_eq!(
        a.merge(&mut twin, &edit(&t.a, 1)).unwrap_err().code(),
        "other_chart"
    );
    assert_eq!(a.heads(), heads);
    assert_eq!(a.view().unwrap(), view);
}

#[test]
fn concurrent_voids_keep_the_entry_voided_without_a_review() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    a.void_entry(&entry_id(1), "wrong patient", &edit(&t.a, 100))
        .unwrap();
    b.void_entry(&entry_id(1), "duplicate", &edit(&t.b, 100))
        .unwrap();
    assert!(a.merge(&mut b, &edit(&t.a, 110)).unwrap().is_empty());
    let view = a.view().unwrap();
    let mark = view.visits[0]
        .meta
        .entered_in_error
        .clone()
        .expect("voided");
    // One void wins whole: its author goes with its own reason.
    assert!(
        (mark.by == t.a && mark.reason == "wrong patient")
            || (mark.by == t.b && mark.reason == "duplicate"),
        "{mark:?}"
    );
    assert_eq!(view.visits[0].input, visit(60, 72));
}

#[test]
fn the_same_value_written_on_two_devices_is_no_conflict() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    a.set_entry_field(&entry_id(1), "vitals.pulse", &json!(88), &edit(&t.a, 100))
        .unwrap();
    b.set_entry_field(&entry_id(1), "vitals.pulse", &json!(88), &edit(&t.b, 100))
        .unwrap();
    assert!(a.merge(&mut b, &edit(&t.a, 110)).unwrap().is_empty());
    assert!(a.unrecorded_reviews().unwrap().is_empty());
}

/// Found by the property test: Automerge's diff has no patch when a merge
/// replaces a losing value while the winner stays, so a search by patches
/// missed the new value.
#[test]
fn a_value_replacing_a_losing_value_is_reviewed_even_when_the_winner_stays() {
    let t = team();
    let (mut a, mut b) = two_replicas(&t);
    let mut c = replica(&a, &t.c, 0);
    // C's write comes after many operations of its own, so it wins throughout.
    for n in 0..3 {
        c.record_visit(&entry_id(500 + n), &visit(n as i64, 70), &edit(&t.c, 90))
            .unwrap();
    }
    b.set_entry_field(&entry_id(1), "vitals.pulse", &json!(90), &edit(&t.b, 100))
        .unwrap();
    c.set_entry_field(&entry_id(1), "vitals.pulse", &json!(90), &edit(&t.c, 100))
        .unwrap();
    a.merge(&mut b, &edit(&t.a, 101)).unwrap();
    a.set_entry_field(&entry_id(1), "vitals.pulse", &json!(85), &edit(&t.a, 102))
        .unwrap();
    // B holds 90 twice (no conflict to review); A's 85 then replaces B's 90 only.
    assert!(b.merge(&mut c, &edit(&t.b, 103)).unwrap().is_empty());
    let items = b.merge(&mut a, &edit(&t.b, 104)).unwrap();
    assert_eq!(items.len(), 1, "85 and 90 now stand side by side");
    let view = b.view().unwrap();
    let mut values: Vec<&str> = view.reviews[0]
        .values
        .iter()
        .map(|v| v.value.as_str())
        .collect();
    values.sort();
    assert_eq!(values, ["85", "90"]);
    assert!(b.unrecorded_reviews().unwrap().is_empty());
}
