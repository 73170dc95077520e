//! Create, edit, view, save and load: what is written is what is read back.

use karte_record::{Chart, RecordError};
use karte_types::{AllergyStatus, ClinicalStatus, Jcs, JcsLevel};
use serde_json::json;

use crate::support::*;

/// A chart with one of everything, edited by one nurse.
fn sample() -> (Chart, karte_types::Author) {
    let nurse = author("佐藤", "tablet-1");
    let mut chart = new_chart(&nurse);
    chart
        .add_allergy(&entry_id(1), &penicillin(), &edit(&nurse, 1))
        .unwrap();
    chart
        .add_condition(&entry_id(2), &hypertension(), &edit(&nurse, 2))
        .unwrap();
    chart
        .add_medication(&entry_id(3), &amlodipine(), &edit(&nurse, 3))
        .unwrap();
    chart
        .record_visit(&entry_id(4), &visit(60, 72), &edit(&nurse, 61))
        .unwrap();
    chart
        .record_visit(
            &entry_id(5),
            &visit(24 * 60, 80),
            &edit(&nurse, 24 * 60 + 1),
        )
        .unwrap();
    chart
        .record_visit(&entry_id(6), &visit(30, 90), &edit(&nurse, 62))
        .unwrap();
    (chart, nurse)
}

#[test]
fn create_edit_view() {
    let (chart, nurse) = sample();
    let view = chart.view().unwrap();
    assert_eq!(view.id, patient_id());
    assert_eq!(view.patient, yamada());
    assert_eq!(view.allergy_status, AllergyStatus::Recorded);
    assert_eq!(view.allergies.len(), 1);
    assert_eq!(view.allergies[0].input, penicillin());
    assert_eq!(view.allergies[0].meta.id, entry_id(1));
    assert_eq!(view.allergies[0].meta.recorded_by, nurse);
    assert_eq!(view.allergies[0].meta.recorded_at, at(1));
    assert_eq!(view.allergies[0].meta.entered_in_error, None);
    assert_eq!(view.conditions[0].input, hypertension());
    assert_eq!(view.medications[0].input, amlodipine());
    let visit_times: Vec<_> = view.visits.iter().map(|v| v.input.at).collect();
    assert_eq!(
        visit_times,
        vec![at(24 * 60), at(60), at(30)],
        "visits newest first"
    );
    assert_eq!(view.visits[1].input, visit(60, 72));
    assert!(view.reviews.is_empty());
}

#[test]
fn save_then_load_gives_the_same_view() {
    let (chart, nurse) = sample();
    let loaded = reload(&chart, &nurse, 1);
    assert_eq!(loaded.view().unwrap(), chart.view().unwrap());
    assert_eq!(loaded.heads(), chart.heads());
    assert_eq!(loaded.id(), chart.id());
}

#[test]
fn snapshot_plus_incremental_chunks_load_as_a_list_or_concatenated() {
    let nurse = author("佐藤", "tablet-1");
    let mut chart = new_chart(&nurse);
    let mut saved = vec![chart.save()];
    let mut heads = chart.heads();
    for n in 0..5u64 {
        chart
            .record_visit(
                &entry_id(n),
                &visit(n as i64 * 60, 70 + n as u16),
                &edit(&nurse, n as i64),
            )
            .unwrap();
        if n == 3 {
            chart
                .set_entry_field(&entry_id(1), "vitals.pulse", &json!(99), &edit(&nurse, 10))
                .unwrap();
        }
        saved.push(chart.save_after(&heads));
        heads = chart.heads();
    }
    assert!(saved.iter().all(|chunk| !chunk.is_empty()));
    let slices: Vec<&[u8]> = saved.iter().map(Vec::as_slice).collect();
    let from_list = Chart::load(actor(&nurse, 1), &slices).unwrap();
    assert_eq!(from_list.view().unwrap(), chart.view().unwrap());
    let joined = saved.concat();
    let from_one = Chart::load(actor(&nurse, 2), &[&joined]).unwrap();
    assert_eq!(from_one.view().unwrap(), chart.view().unwrap());
    assert_eq!(from_one.heads(), chart.heads());
    // Nothing after the last save: an empty chunk changes nothing.
    assert!(chart.save_after(&chart.heads()).is_empty());
}

#[test]
fn a_lost_chunk_is_an_error_not_a_shorter_chart() {
    let nurse = author("佐藤", "tablet-1");
    let mut chart = new_chart(&nurse);
    let snapshot = chart.save();
    let mut chunks = Vec::new();
    for n in 0..3u64 {
        let heads = chart.heads();
        chart
            .record_visit(&entry_id(n), &visit(n as i64, 70), &edit(&nurse, n as i64))
            .unwrap();
        chunks.push(chart.save_after(&heads));
    }
    let err = Chart::load(actor(&nurse, 1), &[&snapshot, &chunks[0], &chunks[2]]).unwrap_err();
    assert_eq!(err.code(), "corrupt_chart", "{err}");
}

#[test]
fn every_change_is_attributed_with_author_device_time_and_operation() {
    let (mut chart, nurse) = sample();
    let doctor = author("鈴木", "laptop-1");
    chart
        .void_entry(&entry_id(3), "wrong patient", &edit(&doctor, 100))
        .unwrap();
    let history = chart.history();
    let operations: Vec<&str> = history.iter().map(|c| c.operation.as_str()).collect();
    assert_eq!(
        operations,
        [
            "chart.create",
            "allergy.add",
            "condition.add",
            "medication.add",
            "visit.record",
            "visit.record",
            "visit.record",
            "entry.void"
        ]
    );
    for change in &history {
        let who = change.author.as_ref().expect("every change has an author");
        assert!(!who.device.as_str().is_empty() && !who.user_name.is_empty());
    }
    assert_eq!(history[0].author.as_ref(), Some(&nurse));
    assert_eq!(history[0].at, at(0));
    assert_eq!(history.last().unwrap().author.as_ref(), Some(&doctor));
    assert_eq!(history.last().unwrap().at, at(100));
    assert_eq!(history.last().unwrap().hash, chart.heads()[0]);
    // The history survives a save and a load.
    assert_eq!(reload(&chart, &nurse, 1).history(), history);
}

#[test]
fn void_keeps_the_entry_and_says_who_when_and_why() {
    let (mut chart, _) = sample();
    let doctor = author("鈴木", "laptop-1");
    chart
        .void_entry(
            &entry_id(4),
            "recorded on the wrong patient",
            &edit(&doctor, 200),
        )
        .unwrap();
    let view = chart.view().unwrap();
    assert_eq!(view.visits.len(), 3, "a void deletes nothing");
    let voided = view
        .visits
        .iter()
        .find(|v| v.meta.id == entry_id(4))
        .unwrap();
    let mark = voided
        .meta
        .entered_in_error
        .as_ref()
        .expect("marked entered in error");
    assert_eq!(mark.by, doctor);
    assert_eq!(mark.at, at(200));
    assert_eq!(mark.reason, "recorded on the wrong patient");
    assert_eq!(voided.input, visit(60, 72), "the voided content is kept");

    let before = chart.heads();
    chart
        .void_entry(&entry_id(4), "again", &edit(&doctor, 201))
        .unwrap();
    assert_eq!(chart.heads(), before, "voiding twice changes nothing");

    let err = chart
        .void_entry(&entry_id(999), "typo", &edit(&doctor, 202))
        .unwrap_err();
    assert!(
        matches!(err, RecordError::UnknownEntry(ref id) if *id == entry_id(999)),
        "{err}"
    );
    assert_eq!(err.code(), "unknown_entry");
    assert!(
        chart
            .void_entry(&entry_id(4), "  ", &edit(&doctor, 203))
            .is_err()
    );
}

#[test]
fn allergy_status_distinguishes_not_recorded_from_none_known() {
    let nurse = author("佐藤", "tablet-1");
    let mut chart = new_chart(&nurse);
    assert_eq!(
        chart.view().unwrap().allergy_status,
        AllergyStatus::NotRecorded
    );
    chart.set_no_known_allergies(&edit(&nurse, 1)).unwrap();
    assert_eq!(
        chart.view().unwrap().allergy_status,
        AllergyStatus::NoKnownAllergies
    );
    let heads = chart.heads();
    chart.set_no_known_allergies(&edit(&nurse, 2)).unwrap();
    assert_eq!(chart.heads(), heads, "saying it again writes nothing");

    // A new allergy withdraws "no known allergies" in the same change.
    chart
        .add_allergy(&entry_id(1), &penicillin(), &edit(&nurse, 3))
        .unwrap();
    assert_eq!(
        chart.view().unwrap().allergy_status,
        AllergyStatus::Recorded
    );
    let err = chart.set_no_known_allergies(&edit(&nurse, 4)).unwrap_err();
    assert_eq!(err.code(), "active_allergies");

    // Once the allergy is voided, "none known" may be recorded again.
    chart
        .void_entry(&entry_id(1), "wrong patient", &edit(&nurse, 5))
        .unwrap();
    assert_eq!(
        chart.view().unwrap().allergy_status,
        AllergyStatus::NotRecorded
    );
    chart.set_no_known_allergies(&edit(&nurse, 6)).unwrap();
    assert_eq!(
        chart.view().unwrap().allergy_status,
        AllergyStatus::NoKnownAllergies
    );
    // A resolved allergy is history, not a contradiction.
    let mut old = penicillin();
    old.status = ClinicalStatus::Resolved;
    chart
        .add_allergy(&entry_id(2), &old, &edit(&nurse, 7))
        .unwrap();
    assert_eq!(
        chart.view().unwrap().allergy_status,
        AllergyStatus::NoKnownAllergies
    );
    // Correcting it to active withdraws "none known" too.
    chart
        .set_entry_field(&entry_id(2), "status", &json!("active"), &edit(&nurse, 8))
        .unwrap();
    assert_eq!(
        chart.view().unwrap().allergy_status,
        AllergyStatus::Recorded
    );
    assert!(chart.unrecorded_reviews().unwrap().is_empty());
}

#[test]
fn set_entry_field_validates_and_writes_one_field() {
    let (mut chart, nurse) = sample();
    chart
        .set_entry_field(&entry_id(4), "vitals.pulse", &json!(88), &edit(&nurse, 70))
        .unwrap();
    chart
        .set_entry_field(&entry_id(4), "vitals.jcs", &json!("20r"), &edit(&nurse, 71))
        .unwrap();
    chart
        .set_entry_field(
            &entry_id(4),
            "soap.assessment",
            &json!("安定"),
            &edit(&nurse, 72),
        )
        .unwrap();
    let view = chart.view().unwrap();
    let v = view
        .visits
        .iter()
        .find(|v| v.meta.id == entry_id(4))
        .unwrap();
    assert_eq!(v.input.vitals.pulse, Some(88));
    assert_eq!(
        v.input.vitals.jcs,
        Some(Jcs {
            level: JcsLevel::II20,
            restless: true,
            incontinent: false,
            akinetic: false
        })
    );
    assert_eq!(v.input.soap.assessment.as_deref(), Some("安定"));
    assert_eq!(v.input.vitals.systolic, Some(132), "other fields untouched");

    let heads = chart.heads();
    chart
        .set_entry_field(&entry_id(4), "vitals.pulse", &json!(88), &edit(&nurse, 73))
        .unwrap();
    assert_eq!(chart.heads(), heads, "the same value again writes nothing");

    let typo = chart
        .set_entry_field(
            &entry_id(4),
            "vitals.systolic",
            &json!(1200),
            &edit(&nurse, 74),
        )
        .unwrap_err();
    assert_eq!(typo.code(), "invalid_input", "{typo}");
    let wrong_type = chart
        .set_entry_field(
            &entry_id(4),
            "vitals.pulse",
            &json!("fast"),
            &edit(&nurse, 74),
        )
        .unwrap_err();
    assert_eq!(wrong_type.code(), "invalid_input", "{wrong_type}");
    let unknown = chart
        .set_entry_field(&entry_id(4), "vitals.weight", &json!(60), &edit(&nurse, 74))
        .unwrap_err();
    assert_eq!(unknown.code(), "unknown_field", "{unknown}");
    let meta = chart
        .set_entry_field(&entry_id(4), "recorded_at", &json!(0), &edit(&nurse, 74))
        .unwrap_err();
    assert_eq!(meta.code(), "unknown_field", "{meta}");
    assert_eq!(chart.heads(), heads, "a refused edit commits nothing");
    assert_eq!(
        reload(&chart, &nurse, 1).view().unwrap(),
        chart.view().unwrap()
    );
}

#[test]
fn invalid_inputs_and_ids_are_refused() {
    let (mut chart, nurse) = sample();
    let heads = chart.heads();
    let mut bad = visit(5, 72);
    bad.vitals.spo2 = Some(140);
    assert_eq!(
        chart
            .record_visit(&entry_id(50), &bad, &edit(&nurse, 5))
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    let not_ulid = karte_types::EntryId("visit-1".into());
    assert_eq!(
        chart
            .record_visit(&not_ulid, &visit(5, 72), &edit(&nurse, 5))
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    let duplicate = chart
        .record_visit(&entry_id(1), &visit(5, 72), &edit(&nurse, 5))
        .unwrap_err();
    assert_eq!(
        duplicate.code(),
        "duplicate_entry",
        "ids are unique across collections"
    );
    let mut unnamed = yamada();
    unnamed.family_kana = "Yamada".into();
    assert_eq!(
        chart
            .update_demographics(&unnamed, &edit(&nurse, 5))
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_eq!(chart.heads(), heads);
    let created = Chart::create(actor(&nurse, 9), &patient_id(), &unnamed, &edit(&nurse, 0));
    assert!(created.is_err());
}

#[test]
fn update_demographics_writes_only_what_changed() {
    let (mut chart, nurse) = sample();
    let heads = chart.heads();
    chart
        .update_demographics(&yamada(), &edit(&nurse, 5))
        .unwrap();
    assert_eq!(chart.heads(), heads, "an unchanged form writes nothing");
    let mut moved = yamada();
    moved.address = Some("長野県伊那市".into());
    moved.care_level = None;
    chart.update_demographics(&moved, &edit(&nurse, 6)).unwrap();
    assert_eq!(chart.view().unwrap().patient, moved);
    assert_eq!(chart.history().last().unwrap().operation, "patient.update");
}

#[test]
fn three_hundred_visits_load_and_view_quickly() {
    let nurse = author("佐藤", "tablet-1");
    let mut chart = new_chart(&nurse);
    for n in 0..300u64 {
        chart
            .record_visit(
                &entry_id(n),
                &visit(n as i64 * 1440, 60 + (n % 40) as u16),
                &edit(&nurse, n as i64 * 1440),
            )
            .unwrap();
    }
    let saved = chart.save();
    // Warm up, then take the best of a few runs to keep the test steady on a busy machine.
    let mut best = std::time::Duration::MAX;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        let loaded = Chart::load(actor(&nurse, 1), &[&saved]).unwrap();
        let view = loaded.view().unwrap();
        best = best.min(start.elapsed());
        assert_eq!(view.visits.len(), 300);
    }
    eprintln!(
        "300 visits: {} bytes saved, load + view in {best:?}",
        saved.len()
    );
    // Generous: this also runs unoptimised in debug builds.
    assert!(
        best < std::time::Duration::from_millis(500),
        "load + view took {best:?}"
    );
}
