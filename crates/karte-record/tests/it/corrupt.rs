//! Damaged bytes give an error, never a panic and never a silently shorter
//! chart. `tests/corrupt/` holds inputs that must be refused; random byte
//! mutations of a real chart must load or fail cleanly.

use std::path::PathBuf;

use karte_record::Chart;
use proptest::prelude::*;
use serde_json::json;

use crate::support::*;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corrupt")
}

/// A small chart saved as a snapshot plus two incremental chunks.
fn saved_chart() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let nurse = author("佐藤", "tablet-1");
    let mut chart = new_chart(&nurse);
    chart
        .add_allergy(&entry_id(1), &penicillin(), &edit(&nurse, 1))
        .unwrap();
    let snapshot = chart.save();
    let heads = chart.heads();
    chart
        .record_visit(&entry_id(2), &visit(10, 72), &edit(&nurse, 10))
        .unwrap();
    let first = chart.save_after(&heads);
    let heads = chart.heads();
    chart
        .set_entry_field(&entry_id(2), "vitals.pulse", &json!(80), &edit(&nurse, 11))
        .unwrap();
    let second = chart.save_after(&heads);
    (snapshot, first, second)
}

/// The corrupt inputs, by name. Regenerate the folder with
/// `KARTE_REGENERATE_CORPUS=1 cargo test -p karte-record --test it corpus`.
fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let (snapshot, first, second) = saved_chart();
    let mut flipped = snapshot.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let mut bad_checksum = first.clone();
    bad_checksum[5] ^= 0xff;
    let mut huge_length = snapshot[..9].to_vec();
    huge_length.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    let mut unknown_type = first.clone();
    unknown_type[8] = 9;
    let mut not_a_chart = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(&mut not_a_chart, automerge::ROOT, "hello", "world")
        .unwrap();
    vec![
        ("empty.bin", Vec::new()),
        ("garbage.bin", b"this is not a chart at all".to_vec()),
        ("magic-only.bin", vec![0x85, 0x6f, 0x4a, 0x83]),
        (
            "truncated-snapshot.bin",
            snapshot[..snapshot.len() * 2 / 3].to_vec(),
        ),
        ("flipped-byte-snapshot.bin", flipped),
        (
            "snapshot-then-truncated-change.bin",
            [snapshot.as_slice(), &second[..second.len() - 3]].concat(),
        ),
        (
            "snapshot-then-bad-checksum-change.bin",
            [snapshot.as_slice(), &bad_checksum].concat(),
        ),
        (
            "snapshot-then-garbage.bin",
            [snapshot.as_slice(), b"garbage"].concat(),
        ),
        (
            "snapshot-missing-a-chunk.bin",
            [snapshot.as_slice(), &second].concat(),
        ),
        ("huge-length.bin", huge_length),
        (
            "unknown-chunk-type.bin",
            [snapshot.as_slice(), &unknown_type].concat(),
        ),
        (
            "changes-without-their-base.bin",
            [first.as_slice(), &second].concat(),
        ),
        ("automerge-but-not-a-chart.bin", not_a_chart.save()),
    ]
}

#[test]
fn every_corrupt_input_is_refused_with_an_error() {
    let nurse = author("佐藤", "tablet-1");
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("tests/corrupt exists")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus is there: {files:?}");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        match Chart::load(actor(&nurse, 1), &[&bytes]) {
            Ok(_) => panic!("{name} loaded"),
            Err(e) => assert!(
                matches!(e.code().as_str(), "corrupt_chart" | "not_a_chart"),
                "{name}: unexpected error {e}"
            ),
        }
    }
}

#[test]
fn the_corpus_on_disk_is_what_the_generator_makes() {
    // Every case of the generator is on disk (so still refused by the test
    // above). `KARTE_REGENERATE_CORPUS=1` rewrites the folder.
    if std::env::var_os("KARTE_REGENERATE_CORPUS").is_some() {
        std::fs::create_dir_all(corpus_dir()).unwrap();
        for (name, bytes) in corpus() {
            std::fs::write(corpus_dir().join(name), bytes).unwrap();
        }
    }
    for (name, _) in corpus() {
        assert!(
            corpus_dir().join(name).exists(),
            "{name} missing; run with KARTE_REGENERATE_CORPUS=1"
        );
    }
}

#[test]
fn a_valid_snapshot_with_its_chunks_loads() {
    let (snapshot, first, second) = saved_chart();
    let nurse = author("佐藤", "tablet-1");
    let chart = Chart::load(actor(&nurse, 1), &[&snapshot, &first, &second]).unwrap();
    assert_eq!(chart.view().unwrap().visits[0].input.vitals.pulse, Some(80));
}

#[test]
fn corrupt_bytes_received_in_a_sync_are_refused_and_change_nothing() {
    let nurse = author("佐藤", "tablet-1");
    let (snapshot, _, _) = saved_chart();
    let mut chart = Chart::load(actor(&nurse, 1), &[&snapshot]).unwrap();
    let heads = chart.heads();
    for (name, bytes) in corpus() {
        if name == "automerge-but-not-a-chart.bin" {
            // A foreign document's changes: refused as another chart's, and
            // by the check as a second start of this one.
            let signer = |_: &_| Some(nurse.device.clone());
            let checked = Chart::check_received(Some(&chart), &chart.id(), &bytes, signer, at(100));
            assert_eq!(checked.unwrap_err().code().as_str(), "forbidden_change");
            assert_eq!(
                chart.apply(&bytes, &edit(&nurse, 1)).unwrap_err().code(),
                "other_chart"
            );
            continue;
        }
        if name == "changes-without-their-base.bin" {
            // Corrupt only as a whole chart: this chart has their base.
            continue;
        }
        if bytes.is_empty() {
            assert!(
                chart.apply(&bytes, &edit(&nurse, 1)).unwrap().is_empty(),
                "nothing received, nothing done"
            );
            continue;
        }
        // The check of received changes reads them as strictly.
        let signer = |_: &_| Some(nurse.device.clone());
        let checked = Chart::check_received(Some(&chart), &chart.id(), &bytes, signer, at(100));
        let code = checked.expect_err(name).code();
        assert!(
            matches!(code.as_str(), "corrupt_chart" | "missing_changes"),
            "{name}: {code}"
        );
        let err = chart.apply(&bytes, &edit(&nurse, 1)).expect_err(name);
        assert!(
            matches!(err.code().as_str(), "corrupt_chart" | "missing_changes"),
            "{name}: {err}"
        );
        assert_eq!(chart.heads(), heads, "{name} changed the chart");
    }
}

proptest! {
    #![proptest_config(proptest_config(256))]

    #[test]
    fn random_mutations_load_or_fail_but_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..6),
        split in any::<bool>(),
    ) {
        let (snapshot, first, second) = saved_chart();
        let mut bytes = [snapshot.as_slice(), &first, &second].concat();
        for (at, byte, kind) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] ^= byte | 1,
                1 => bytes.truncate(i),
                2 => bytes.insert(i, byte),
                _ => { bytes.remove(i); }
            }
        }
        let nurse = author("佐藤", "tablet-1");
        let loaded = if split && bytes.len() > snapshot.len() {
            Chart::load(actor(&nurse, 1), &[&bytes[..snapshot.len()], &bytes[snapshot.len()..]])
        } else {
            Chart::load(actor(&nurse, 1), &[&bytes])
        };
        if let Ok(chart) = loaded {
            // Whatever loads must read without panicking.
            let _ = chart.view();
            let _ = chart.history();
        }
        let mut chart = Chart::load(actor(&nurse, 2), &[&snapshot]).unwrap();
        let signer = |_: &_| Some(nurse.device.clone());
        let _ = Chart::check_received(Some(&chart), &chart.id(), &bytes, signer, at(100));
        let _ = chart.apply(&bytes, &edit(&nurse, 1));
        let _ = chart.view();
    }
}
