//! Wound photo entries in the chart: recorded with their wound, linked to a
//! DESIGN-R assessment of the same chart, received from another device and
//! merged with the photos of this one.

use karte_record::RecordError;
use karte_types::{PhotoInput, photos_by_wound};

use crate::support::*;
use karte_test_support::{barthel, design_r};

fn photo(minutes: i64, seed: u8, wound: Option<&str>) -> PhotoInput {
    PhotoInput {
        attachment: format!("{seed:02x}").repeat(32),
        media_type: "image/jpeg".into(),
        width: 4032,
        height: 3024,
        size: 4_000_000,
        taken_at: at(minutes),
        wound: wound.map(str::to_owned),
        assessment: None,
    }
}

#[test]
fn a_photo_linked_to_a_design_r_takes_its_wound_and_reads_back_after_a_reload() {
    let sato = author("佐藤", "tablet-sato");
    let mut chart = new_chart(&sato);
    chart
        .record_assessment(
            &entry_id(1),
            &design_r(10, "仙骨部", "D3-e1s6i0g3n3p0"),
            &edit(&sato, 10),
        )
        .unwrap();
    let linked = PhotoInput {
        assessment: Some(entry_id(1)),
        ..photo(11, 1, None)
    };
    chart
        .add_photo(&entry_id(2), &linked, &edit(&sato, 11))
        .unwrap();
    chart
        .add_photo(&entry_id(3), &photo(5, 2, Some("右踵部")), &edit(&sato, 12))
        .unwrap();
    let chart = reload(&chart, &sato, 2);
    let photos = chart.photos().unwrap();
    assert_eq!(
        photos.iter().map(|p| p.meta.id.clone()).collect::<Vec<_>>(),
        [entry_id(3), entry_id(2)]
    );
    assert_eq!(photos[1].input.wound.as_deref(), Some("仙骨部"));
    assert_eq!(photos[1].input.assessment, Some(entry_id(1)));
    assert_eq!(photos[1].meta.recorded_by.user_name, "佐藤");
}

#[test]
fn a_photo_links_only_a_design_r_of_this_chart_and_of_its_wound() {
    let sato = author("佐藤", "tablet-sato");
    let mut chart = new_chart(&sato);
    chart
        .record_assessment(
            &entry_id(1),
            &barthel(1, [10, 15, 5, 10, 0, 10, 5, 10, 10, 10]),
            &edit(&sato, 1),
        )
        .unwrap();
    chart
        .record_assessment(
            &entry_id(2),
            &design_r(2, "仙骨部", "D3-e1s6i0g3n3p0"),
            &edit(&sato, 2),
        )
        .unwrap();
    let heads = chart.heads();
    let link = |to: u64, wound: Option<&str>| PhotoInput {
        assessment: Some(entry_id(to)),
        ..photo(3, 3, wound)
    };
    assert!(matches!(
        chart.add_photo(&entry_id(9), &link(1, None), &edit(&sato, 3)),
        Err(RecordError::Invalid(_))
    ));
    assert!(matches!(
        chart.add_photo(&entry_id(9), &link(7, None), &edit(&sato, 3)),
        Err(RecordError::UnknownEntry(_))
    ));
    assert!(matches!(
        chart.add_photo(&entry_id(9), &link(2, Some("右踵部")), &edit(&sato, 3)),
        Err(RecordError::Invalid(_))
    ));
    let malformed = PhotoInput {
        attachment: "not a hash".into(),
        ..photo(3, 3, None)
    };
    assert!(
        chart
            .add_photo(&entry_id(9), &malformed, &edit(&sato, 3))
            .is_err()
    );
    assert_eq!(chart.heads(), heads, "a refused photo changes nothing");
}

#[test]
fn photos_taken_on_two_devices_merge_and_show_side_by_side_per_wound() {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    let mut ours = new_chart(&sato);
    let mut theirs = replica(&ours, &tanaka, 1);
    ours.add_photo(
        &entry_id(1),
        &photo(60, 1, Some("仙骨部")),
        &edit(&sato, 60),
    )
    .unwrap();
    theirs
        .add_photo(
            &entry_id(2),
            &photo(2000, 2, Some("仙骨部")),
            &edit(&tanaka, 2000),
        )
        .unwrap();
    let bytes = theirs.save_after(&ours.heads());
    karte_record::Chart::check_received(
        Some(&ours),
        &ours.id(),
        &bytes,
        |_| Some("tablet-tanaka".into()),
        at(7 * 24 * 60),
    )
    .unwrap();
    ours.apply(&bytes, &edit(&sato, 2001)).unwrap();
    let groups = photos_by_wound(&ours.photos().unwrap());
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].0.as_deref(), Some("仙骨部"));
    assert_eq!(
        groups[0]
            .1
            .iter()
            .map(|p| p.meta.id.clone())
            .collect::<Vec<_>>(),
        [entry_id(1), entry_id(2)]
    );
    assert!(ours.view().unwrap().reviews.is_empty());
}
