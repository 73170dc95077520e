//! A hostile device of the organisation holds a valid key and writes the
//! chart document by hand: each change it could make instead of an edit is
//! refused by `check_change`, with the code that says why.
//!
//! The crafted changes are also kept in `tests/crafted/`, named
//! `<code>--<what>.bin`, each a change to the chart `nurses_chart` makes;
//! regenerate the folder with
//! `KARTE_REGENERATE_CORPUS=1 cargo test -p karte-record --test it crafted`.

use std::path::PathBuf;

use automerge::legacy::{Key, OpId, OpType};
use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{Automerge, ExpandedChange, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use karte_record::{Chart, RecordError};
use karte_types::{Author, Timestamp};
use serde_json::json;

use crate::support::*;

/// When the hostile changes arrive: a week after the chart was made.
fn received_at() -> Timestamp {
    at(7 * 24 * 60)
}

/// A chart with a visit recorded by Sato and an allergy by Tanaka.
fn nurses_chart() -> (Chart, Author) {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    let mut chart = new_chart(&sato);
    chart
        .record_visit(&entry_id(1), &visit(60, 72), &edit(&sato, 61))
        .unwrap();
    let mut theirs = replica(&chart, &tanaka, 1);
    theirs
        .add_allergy(&entry_id(2), &penicillin(), &edit(&tanaka, 70))
        .unwrap();
    chart.apply(&theirs.save(), &edit(&sato, 71)).unwrap();
    (chart, sato)
}

fn visit_key() -> String {
    entry_id(1).to_string()
}

/// Mallory's tablet, holding a copy of a chart and writing it by hand
/// under an actor of its own device, as a modified Karte could.
struct Hostile {
    doc: Automerge,
    author: Author,
}

impl Hostile {
    fn new(chart: &Chart) -> Hostile {
        let author = author("mallory", "tablet-mallory");
        let doc = Automerge::load(&chart.save())
            .unwrap()
            .with_actor(actor(&author, 7));
        Hostile { doc, author }
    }

    /// One change, with a Karte message naming Mallory at `minutes`.
    fn commit(&mut self, minutes: i64, write: impl FnOnce(&mut Transaction<'_>)) -> Vec<u8> {
        let message = json!({ "op": "entry.correct", "author": self.author, "at": at(minutes).0 });
        self.commit_with(Some(message.to_string()), at(minutes).0 / 1000, write)
    }

    fn commit_with(
        &mut self,
        message: Option<String>,
        seconds: i64,
        write: impl FnOnce(&mut Transaction<'_>),
    ) -> Vec<u8> {
        let heads = self.doc.get_heads();
        let mut tx = self.doc.transaction();
        write(&mut tx);
        let mut options = CommitOptions::default().with_time(seconds);
        if let Some(message) = message {
            options = options.with_message(message);
        }
        tx.commit_with(options);
        self.doc.save_after(&heads)
    }
}

/// The map at `path` from the root.
fn map(doc: &impl ReadDoc, path: &[&str]) -> ObjId {
    path.iter()
        .fold(ROOT, |obj, key| doc.get(&obj, *key).unwrap().expect(key).1)
}

/// What `chart` makes of `bytes`, signed by Mallory's tablet.
fn check(chart: &Chart, bytes: &[u8]) -> Result<(), RecordError> {
    Chart::check_received(
        Some(chart),
        &chart.id(),
        bytes,
        |_| Some("tablet-mallory".into()),
        received_at(),
    )
}

/// Checks that `bytes` are refused with `code`, and that the message says why.
fn refused(chart: &Chart, bytes: &[u8], code: &str, why: &str) {
    let error = check(chart, bytes).expect_err(why);
    assert_eq!(error.code().as_str(), code, "{why}: {error}");
    assert!(error.to_string().contains(why), "{why}: {error}");
}

/// `bytes`, one change, rewritten by `edit` as a modified Karte could
/// have written it: the same actor and sequence number, other operations.
pub fn rewrite(bytes: &[u8], edit: impl FnOnce(&mut ExpandedChange)) -> Vec<u8> {
    let mut expanded = automerge::Change::try_from(bytes).unwrap().decode();
    edit(&mut expanded);
    automerge::Change::from(expanded).raw_bytes().to_vec()
}

/// A crafted change to `nurses_chart`: its file name, the code it is
/// refused with, words of the message that say why, and its bytes.
type Crafted = (&'static str, &'static str, &'static str, Vec<u8>);

/// One change Mallory writes by hand at minute 100 of the chart.
fn by_hand(chart: &Chart, write: impl FnOnce(&mut Transaction<'_>)) -> Vec<u8> {
    Hostile::new(chart).commit(100, write)
}

fn crafted() -> Vec<Crafted> {
    let (chart, sato) = nurses_chart();
    let key = visit_key();
    let allergy = entry_id(2).to_string();
    let put = |path: &[&str], key: &'static str, value: ScalarValue| {
        by_hand(&chart, |tx| {
            let obj = map(tx, path);
            tx.put(&obj, key, value).unwrap();
        })
    };
    let hostile = Hostile::new(&chart);
    let as_sato = json!({ "op": "entry.correct", "author": sato, "at": at(100).0 });
    let with_message = |message: Option<String>, seconds: i64| {
        Hostile::new(&chart).commit_with(message, seconds, |tx| {
            let entry = map(tx, &["visits", &visit_key()]);
            tx.put(&entry, "vitals.pulse", 80).unwrap();
        })
    };
    let at_minute = |minutes: i64| {
        Hostile::new(&chart).commit(minutes, |tx| {
            let entry = map(tx, &["visits", &visit_key()]);
            tx.put(&entry, "vitals.pulse", 80).unwrap();
        })
    };
    let days = |n: i64| n * 24 * 60;
    // Mallory's whole visit, as Karte writes it, then named as Sato's.
    let mut theirs = replica(&chart, &hostile.author, 7);
    theirs
        .record_visit(&entry_id(9), &visit(90, 75), &edit(&hostile.author, 100))
        .unwrap();
    let whole_visit = theirs.save_after(&chart.heads());
    let as_satos = rewrite(&whole_visit, |change| {
        for op in &mut change.operations {
            let by = match &op.key {
                Key::Map(key) if key.as_str() == "recorded_by.user" => sato.user.as_str(),
                Key::Map(key) if key.as_str() == "recorded_by.user_name" => &sato.user_name,
                Key::Map(key) if key.as_str() == "recorded_by.device" => sato.device.as_str(),
                _ => continue,
            };
            op.action = OpType::Put(by.into());
        }
    });
    // The same write of a pulse, but not over the value its author saw:
    // two values would stand side by side.
    let beside = rewrite(&at_minute(100), |change| {
        change.operations[0].pred = Vec::<OpId>::new().into();
    });
    let again = Chart::create(
        actor(&hostile.author, 8),
        &chart.id(),
        &yamada(),
        &edit(&hostile.author, 100),
    )
    .unwrap()
    .save();
    let review = json!({
        "kind": "concurrent-values", "path": "visits/x/vitals/pulse", "values": [],
        "about": [], "recorded_at": at(100).0, "recorded_by": hostile.author,
    });
    let resolution = json!({ "by": hostile.author, "at": at(100).0, "chosen": "80" });
    let unknown_review = "0123456789abcdef0123456789abcdef";
    vec![
        (
            "forbidden_change--deletes-a-visit.bin",
            "forbidden_change",
            "deletes",
            by_hand(&chart, |tx| {
                tx.delete(map(tx, &["visits"]), key.as_str()).unwrap();
            }),
        ),
        (
            "forbidden_change--deletes-a-field.bin",
            "forbidden_change",
            "deletes 'reaction'",
            by_hand(&chart, |tx| {
                tx.delete(map(tx, &["allergies", &allergy]), "reaction")
                    .unwrap();
            }),
        ),
        (
            "forbidden_change--replaces-a-visit.bin",
            "forbidden_change",
            "over entry",
            by_hand(&chart, |tx| {
                tx.put_object(map(tx, &["visits"]), key.as_str(), ObjType::Map)
                    .unwrap();
            }),
        ),
        (
            "forbidden_change--reuses-an-entry-id.bin",
            "forbidden_change",
            "holds an entry",
            by_hand(&chart, |tx| {
                tx.put_object(map(tx, &["visits"]), allergy.as_str(), ObjType::Map)
                    .unwrap();
            }),
        ),
        (
            "forbidden_change--rewrites-who-recorded.bin",
            "forbidden_change",
            "never rewritten",
            put(&["visits", &key], "recorded_by.user", "user-mallory".into()),
        ),
        (
            "forbidden_change--field-visits-lack.bin",
            "forbidden_change",
            "not a field of visits",
            put(&["visits", &key], "vitals.glucose", 120.into()),
        ),
        (
            "forbidden_change--field-patients-lack.bin",
            "forbidden_change",
            "not a field of the patient",
            put(&["patient"], "blood_type", "A".into()),
        ),
        (
            "forbidden_change--root-key.bin",
            "forbidden_change",
            "only the chart's first change",
            put(&[], "billing", 1.into()),
        ),
        (
            "forbidden_change--document-not-an-entry.bin",
            "forbidden_change",
            "where entry care_tasks/01J00000000000000000000000 goes",
            put(&["care_tasks"], "01J00000000000000000000000", 1.into()),
        ),
        (
            "forbidden_change--assessment-without-who.bin",
            "forbidden_change",
            "together",
            put(&["allergy_assessment"], "no_known_allergies", true.into()),
        ),
        (
            "forbidden_change--pulse-of-the-wrong-type.bin",
            "forbidden_change",
            "not a valid entry",
            put(&["visits", &key], "vitals.pulse", "fast".into()),
        ),
        (
            "forbidden_change--counter.bin",
            "forbidden_change",
            "counter",
            put(&["visits", &key], "vitals.pulse", ScalarValue::counter(1)),
        ),
        (
            "forbidden_change--text-object.bin",
            "forbidden_change",
            "only maps and plain values",
            by_hand(&chart, |tx| {
                tx.put_object(map(tx, &["visits", &key]), "soap.plan", ObjType::Text)
                    .unwrap();
            }),
        ),
        (
            "forbidden_change--part-of-an-entry.bin",
            "forbidden_change",
            "who recorded it",
            by_hand(&chart, |tx| {
                let entry = tx
                    .put_object(map(tx, &["visits"]), entry_id(9).as_str(), ObjType::Map)
                    .unwrap();
                tx.put(&entry, "vitals.pulse", 80).unwrap();
            }),
        ),
        (
            "forbidden_change--value-beside-the-one-seen.bin",
            "forbidden_change",
            "without overwriting",
            beside,
        ),
        (
            "forbidden_change--document-saved-approved.bin",
            "forbidden_change",
            "saved first",
            by_hand(&chart, |tx| {
                let author = author("mallory", "tablet-mallory");
                let input = karte_types::DocumentEntryInput::of(&crate::documents::plan("自宅"));
                let entry = tx
                    .put_object(map(tx, &["care_tasks"]), entry_id(9).as_str(), ObjType::Map)
                    .unwrap();
                for (key, value) in [
                    ("recorded_by.user", author.user.as_str()),
                    ("recorded_by.user_name", &author.user_name),
                    ("recorded_by.device", author.device.as_str()),
                    ("kind", input.kind.as_str()),
                    ("detail", &input.detail),
                    ("draft", &input.draft),
                    ("approved_by", author.user.as_str()),
                    ("approved_by_name", &author.user_name),
                ] {
                    tx.put(&entry, key, value).unwrap();
                }
                tx.put(&entry, "recorded_at", at(100).0).unwrap();
                tx.put(&entry, "approved_at", at(100).0).unwrap();
            }),
        ),
        (
            "forbidden_change--starts-the-chart-over.bin",
            "forbidden_change",
            "starts the chart over",
            again,
        ),
        (
            "forbidden_change--resolves-no-review.bin",
            "forbidden_change",
            "does not hold",
            put(
                &["review_resolutions"],
                unknown_review,
                resolution.to_string().into(),
            ),
        ),
        (
            "forbidden_change--review-under-another-id.bin",
            "forbidden_change",
            "another id",
            put(&["reviews"], unknown_review, review.to_string().into()),
        ),
        (
            "misattributed_change--in-sato-s-name.bin",
            "misattributed_change",
            "names device tablet-sato",
            with_message(Some(as_sato.to_string()), at(100).0 / 1000),
        ),
        (
            "misattributed_change--no-message.bin",
            "misattributed_change",
            "no message",
            with_message(None, at(100).0 / 1000),
        ),
        (
            "misattributed_change--visit-recorded-as-sato-s.bin",
            "misattributed_change",
            "as by",
            as_satos,
        ),
        (
            "misattributed_change--voided-as-sato.bin",
            "misattributed_change",
            "entered-in-error as by",
            by_hand(&chart, |tx| {
                let mark = tx
                    .put_object(map(tx, &["visits", &key]), "entered_in_error", ObjType::Map)
                    .unwrap();
                let by = tx.put_object(&mark, "by", ObjType::Map).unwrap();
                tx.put(&by, "user", sato.user.as_str()).unwrap();
                tx.put(&by, "user_name", sato.user_name.as_str()).unwrap();
                tx.put(&by, "device", sato.device.as_str()).unwrap();
                tx.put(&mark, "at", at(100).0).unwrap();
                tx.put(&mark, "reason", "wrong patient").unwrap();
            }),
        ),
        (
            "implausible_change_time--a-day-after-arrival.bin",
            "implausible_change_time",
            "after it was received",
            at_minute(days(8) + 60),
        ),
        (
            "implausible_change_time--before-the-chart.bin",
            "implausible_change_time",
            "before the chart was created",
            at_minute(-days(2)),
        ),
        (
            "implausible_change_time--own-time-differs.bin",
            "implausible_change_time",
            "its own time",
            {
                let message =
                    json!({ "op": "entry.correct", "author": hostile.author, "at": at(100).0 });
                with_message(Some(message.to_string()), 0)
            },
        ),
    ]
}

fn crafted_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/crafted")
}

#[test]
fn every_crafted_change_is_refused_with_its_code_and_why() {
    let (chart, _) = nurses_chart();
    for (name, code, why, bytes) in crafted() {
        let error = check(&chart, &bytes).expect_err(name);
        assert_eq!(error.code().as_str(), code, "{name}: {error}");
        assert!(error.to_string().contains(why), "{name}: {error}");
    }
}

#[test]
fn the_crafted_changes_on_disk_are_refused_with_the_code_they_are_named_for() {
    let (chart, _) = nurses_chart();
    let mut files: Vec<_> = std::fs::read_dir(crafted_dir())
        .expect("tests/crafted exists")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "the crafted changes are there: {files:?}"
    );
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.split("--").next().unwrap();
        let error = check(&chart, &std::fs::read(&path).unwrap()).expect_err(&name);
        assert_eq!(error.code().as_str(), code, "{name}: {error}");
    }
}

#[test]
fn the_crafted_changes_on_disk_are_what_the_generator_makes() {
    if std::env::var_os("KARTE_REGENERATE_CORPUS").is_some() {
        std::fs::create_dir_all(crafted_dir()).unwrap();
        for (name, _, _, bytes) in crafted() {
            std::fs::write(crafted_dir().join(name), bytes).unwrap();
        }
    }
    for (name, _, _, bytes) in crafted() {
        let on_disk = std::fs::read(crafted_dir().join(name))
            .unwrap_or_else(|_| panic!("{name} missing; run with KARTE_REGENERATE_CORPUS=1"));
        assert_eq!(
            on_disk, bytes,
            "{name} differs; run with KARTE_REGENERATE_CORPUS=1"
        );
    }
}

#[test]
fn an_honest_edit_by_hand_passes_and_a_clock_off_by_hours_too() {
    let (chart, _) = nurses_chart();
    let days = |n: i64| n * 24 * 60;
    for minutes in [100, days(8) - 60, -days(1) + 60] {
        let bytes = Hostile::new(&chart).commit(minutes, |tx| {
            let entry = map(tx, &["visits", &visit_key()]);
            tx.put(&entry, "vitals.pulse", 80).unwrap();
        });
        check(&chart, &bytes).unwrap();
    }
}

#[test]
fn a_void_is_never_rewritten_nor_undone() {
    let (chart, sato) = nurses_chart();
    let mut voided = replica(&chart, &sato, 3);
    voided
        .void_entry(&entry_id(1), "wrong patient", &edit(&sato, 90))
        .unwrap();
    let bytes = by_hand(&voided, |tx| {
        tx.put(map(tx, &["visits", &visit_key()]), "entered_in_error", ())
            .unwrap();
    });
    refused(&voided, &bytes, "forbidden_change", "never undone");
}

#[test]
fn a_chart_not_held_must_come_with_its_own_first_change() {
    let (chart, _) = nurses_chart();
    let mallory = author("mallory", "tablet-mallory");
    let other = Chart::create(
        actor(&mallory, 7),
        &"01OTHER".into(),
        &yamada(),
        &edit(&mallory, 100),
    )
    .unwrap()
    .save();
    let receive = |patient: &str| {
        Chart::check_received(
            None,
            &patient.into(),
            &other,
            |_| Some(mallory.device.clone()),
            received_at(),
        )
    };
    let error = receive(chart.id().as_str()).unwrap_err();
    assert_eq!(error.code().as_str(), "forbidden_change", "{error}");
    assert!(error.to_string().contains("received as chart"), "{error}");
    receive("01OTHER").unwrap();
}

#[test]
fn settling_concurrent_values_on_the_winner_is_a_delete_that_passes() {
    // Two nurses assert "no known allergies" at once; asserting it again
    // writes the value that already wins, which Automerge 0.12 writes as a
    // delete of the other value. It keeps one, so nothing is lost.
    let a = author("佐藤", "tablet-sato");
    let b = author("田中", "tablet-tanaka");
    let mut chart = new_chart(&a);
    let mut theirs = replica(&chart, &b, 1);
    chart.set_no_known_allergies(&edit(&a, 1)).unwrap();
    theirs.set_no_known_allergies(&edit(&b, 2)).unwrap();
    chart.merge(&mut theirs, &edit(&a, 3)).unwrap();
    let before = reload(&chart, &a, 2);
    chart.set_no_known_allergies(&edit(&a, 4)).unwrap();
    let bytes = chart.save_after(&before.heads());
    let ops = automerge::Change::try_from(&bytes[..])
        .unwrap()
        .decode()
        .operations;
    assert_eq!(ops[0].action, OpType::Delete);
    let signer = |_: &_| Some(a.device.clone());
    Chart::check_received(Some(&before), &before.id(), &bytes, signer, received_at()).unwrap();

    // A delete that keeps none of the values is no settling.
    let every_value = values_of_no_known_allergies(&before);
    let forged = rewrite(&bytes, |change| {
        change.operations[0].pred = every_value.into()
    });
    let error = Chart::check_received(Some(&before), &before.id(), &forged, signer, received_at())
        .unwrap_err();
    assert_eq!(error.code().as_str(), "forbidden_change", "{error}");
    assert!(
        error.to_string().contains("deletes 'no_known_allergies'"),
        "{error}"
    );
}

/// The ids of every value "no known allergies" holds in `chart`.
fn values_of_no_known_allergies(chart: &Chart) -> Vec<OpId> {
    let doc = Automerge::load(&chart.save()).unwrap();
    let assessment = map(&doc, &["allergy_assessment"]);
    doc.get_all(&assessment, "no_known_allergies")
        .unwrap()
        .into_iter()
        .map(|(_, id)| match id {
            ObjId::Id(counter, actor, _) => OpId(counter, actor),
            ObjId::Root => unreachable!("a value's id"),
        })
        .collect()
}

/// A visit's profession and long-visit flag are fields like any other: a
/// correction of them passes, a profession Karte does not know is refused.
#[test]
fn a_visits_profession_and_long_visit_flag_pass_and_an_unknown_profession_does_not() {
    let (chart, _) = nurses_chart();
    let bytes = Hostile::new(&chart).commit(100, |tx| {
        let entry = map(tx, &["visits", &visit_key()]);
        tx.put(&entry, "profession", "physical-therapist").unwrap();
        tx.put(&entry, "long_visit", true).unwrap();
    });
    check(&chart, &bytes).unwrap();
    let bytes = Hostile::new(&chart).commit(100, |tx| {
        let entry = map(tx, &["visits", &visit_key()]);
        tx.put(&entry, "profession", "surgeon").unwrap();
    });
    refused(&chart, &bytes, "forbidden_change", "not a valid entry");
}

#[test]
fn an_entry_id_taken_earlier_in_the_same_line_is_refused() {
    // A line is checked at once, with the keys of the collections kept
    // through it: the id a visit earlier in the same line took is found
    // there, and an allergy written under it is refused as when the chart
    // already held the visit.
    let (chart, sato) = nurses_chart();
    let before = reload(&chart, &sato, 2);
    let mut grown = reload(&chart, &sato, 3);
    grown
        .record_visit(&entry_id(3), &visit(100, 72), &edit(&sato, 100))
        .unwrap();
    let visit_bytes = grown.save_after(&before.heads());
    let visit_hash = automerge::Change::try_from(&visit_bytes[..])
        .unwrap()
        .hash();
    let id = entry_id(3).to_string();
    let reuse = Hostile::new(&grown).commit(101, |tx| {
        tx.put_object(map(tx, &["allergies"]), id.as_str(), ObjType::Map)
            .unwrap();
    });
    let signer = |hash: &automerge::ChangeHash| {
        Some(if *hash == visit_hash {
            sato.device.clone()
        } else {
            "tablet-mallory".into()
        })
    };
    let line = [visit_bytes.clone(), reuse].concat();
    let error = Chart::check_received(Some(&before), &before.id(), &line, signer, received_at())
        .unwrap_err();
    assert_eq!(error.code().as_str(), "forbidden_change", "{error}");
    assert!(error.to_string().contains("holds an entry"), "{error}");
    Chart::check_received(
        Some(&before),
        &before.id(),
        &visit_bytes,
        signer,
        received_at(),
    )
    .unwrap();
}
