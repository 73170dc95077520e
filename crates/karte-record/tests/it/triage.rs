//! Disaster mode in the chart: a casualty registered without a name, every
//! triage kept, the newest standing, a review item when triages made
//! without seeing each other disagree, and what a received change may do.

use karte_record::Chart;
use karte_types::{
    AgeBand, Author, CasualtyInput, ReviewKind, Sex, TransportInput, TriageCategory,
    TriageFindings, TriageInput, TriageRequest,
};
use proptest::prelude::*;

use crate::support::*;

fn casualty() -> CasualtyInput {
    CasualtyInput {
        tag: "T-0123".into(),
        sex: Sex::Male,
        age_band: AgeBand::Sixties,
        found_at: Some("避難所 体育館東側".into()),
        found_latitude: Some(32.79),
        found_longitude: Some(130.74),
        features: Some("青い作業着".into()),
    }
}

fn casualty_chart(author: &Author) -> Chart {
    Chart::create_casualty(
        actor(author, 0),
        &patient_id(),
        &entry_id(1),
        &casualty(),
        &edit(author, 0),
    )
    .unwrap()
}

/// A START triage at `minutes` giving `category` (red by respiratory
/// rate, yellow with nothing red, green walking).
fn triage_at(minutes: i64, category: TriageCategory) -> TriageInput {
    let findings = match category {
        TriageCategory::Green => TriageFindings {
            walks: Some(true),
            ..TriageFindings::default()
        },
        TriageCategory::Black => TriageFindings {
            walks: Some(false),
            breathing: Some(false),
            ..TriageFindings::default()
        },
        red_or_yellow => TriageFindings {
            walks: Some(false),
            breathing: Some(true),
            respiratory_rate: Some(if red_or_yellow == TriageCategory::Red {
                32
            } else {
                20
            }),
            heart_rate: Some(90),
            obeys: Some(true),
            ..TriageFindings::default()
        },
    };
    let request = TriageRequest {
        findings,
        ..TriageRequest::default()
    };
    let (input, _) = request.decide(at(minutes)).unwrap();
    assert_eq!(input.category, category);
    input
}

#[test]
fn a_casualty_is_registered_without_a_name_and_found_by_tag() {
    let sato = author("佐藤", "tablet-sato");
    let chart = casualty_chart(&sato);
    // The chart's first change and the registration: stored in one save.
    assert_eq!(chart.history().len(), 2);
    let chart = reload(&chart, &sato, 1);
    let view = chart.view().unwrap();
    assert_eq!(view.patient.family, "");
    let registration = view.triage.casualty().unwrap();
    assert_eq!(registration.input, casualty());
    assert_eq!(registration.meta.recorded_by, sato);
    let summary = chart.summary().unwrap();
    assert_eq!(summary, karte_types::PatientSummary::from_chart(&view));
    assert_eq!(summary.display_name_ja(), "身元不明 男性 60代 #T-0123");
    assert_eq!(summary.display_name_en(), "Unknown, male, 60s, #T-0123");
    let keys = summary.search_keys();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    assert!(karte_types::matches_search(
        &karte_types::fold_for_search("t-0123"),
        &keys
    ));
    // A registration with no tag is refused and no chart is made.
    let mut untagged = casualty();
    untagged.tag = String::new();
    let refused = Chart::create_casualty(
        actor(&sato, 2),
        &patient_id(),
        &entry_id(1),
        &untagged,
        &edit(&sato, 0),
    );
    assert_eq!(refused.unwrap_err().code().as_str(), "invalid_input");
}

#[test]
fn every_triage_is_kept_and_the_latest_by_time_stands() {
    let sato = author("佐藤", "tablet-sato");
    let mut chart = casualty_chart(&sato);
    chart
        .record_triage(
            &entry_id(2),
            &triage_at(5, TriageCategory::Red),
            &edit(&sato, 5),
        )
        .unwrap();
    // Recorded later, done earlier (written up from the paper tag).
    chart
        .record_triage(
            &entry_id(3),
            &triage_at(2, TriageCategory::Yellow),
            &edit(&sato, 20),
        )
        .unwrap();
    chart
        .record_transport(
            &entry_id(4),
            &TransportInput {
                agency: Some("熊本市消防局".into()),
                destination: Some("熊本赤十字病院".into()),
                departed_at: Some(at(30)),
            },
            &edit(&sato, 31),
        )
        .unwrap();
    let view = reload(&chart, &sato, 1).view().unwrap();
    let categories: Vec<TriageCategory> = view
        .triage
        .history
        .iter()
        .map(|t| t.input.category)
        .collect();
    assert_eq!(categories, [TriageCategory::Red, TriageCategory::Yellow]);
    assert_eq!(view.triage.current().unwrap().meta.id, entry_id(2));
    let summary = chart.summary().unwrap();
    let tag = summary.triage.unwrap();
    assert_eq!(tag.category, Some(TriageCategory::Red));
    assert_eq!(tag.triaged_at, Some(at(5)));
    assert_eq!(tag.departed_at, Some(at(30)));
    // A voided triage no longer stands; the one before it does again.
    chart
        .void_entry(&entry_id(2), "別の傷病者", &edit(&sato, 40))
        .unwrap();
    let view = chart.view().unwrap();
    assert_eq!(view.triage.current().unwrap().meta.id, entry_id(3));
    assert_eq!(view.triage.history.len(), 2);
}

/// Two devices each re-triage the same casualty offline, then merge.
fn concurrent(first: TriageCategory, second: TriageCategory) -> (Chart, Chart) {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    let mut ours = casualty_chart(&sato);
    ours.record_triage(
        &entry_id(2),
        &triage_at(1, TriageCategory::Yellow),
        &edit(&sato, 1),
    )
    .unwrap();
    let mut theirs = replica(&ours, &tanaka, 1);
    ours.record_triage(&entry_id(3), &triage_at(10, first), &edit(&sato, 10))
        .unwrap();
    theirs
        .record_triage(&entry_id(4), &triage_at(12, second), &edit(&tanaka, 12))
        .unwrap();
    (ours, theirs)
}

#[test]
fn concurrent_retriages_are_both_kept_and_a_disagreement_is_reviewed() {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    let (mut ours, theirs) = concurrent(TriageCategory::Red, TriageCategory::Green);
    let new = ours.apply(&theirs.save(), &edit(&sato, 20)).unwrap();
    assert_eq!(new.len(), 1);
    let view = ours.view().unwrap();
    assert_eq!(view.triage.history.len(), 3);
    // The newer (Tanaka's, at minute 12) stands.
    assert_eq!(view.triage.current().unwrap().meta.id, entry_id(4));
    let review = &view.reviews[0];
    assert_eq!(
        review.kind,
        ReviewKind::Clinical {
            rule: "triage-disagreement".into()
        }
    );
    assert_eq!(review.path, format!("triage/{}", entry_id(4)));
    assert_eq!(review.values.len(), 2);
    // Merged the other way round, the same item.
    let (ours2, mut theirs2) = concurrent(TriageCategory::Red, TriageCategory::Green);
    theirs2.apply(&ours2.save(), &edit(&tanaka, 20)).unwrap();
    assert_eq!(theirs2.view().unwrap().reviews[0].id, review.id);
    // A re-triage that saw both settles who stands and raises nothing new.
    ours.record_triage(
        &entry_id(5),
        &triage_at(25, TriageCategory::Red),
        &edit(&sato, 25),
    )
    .unwrap();
    assert!(ours.unrecorded_reviews().unwrap().is_empty());
}

#[test]
fn concurrent_retriages_that_agree_raise_nothing() {
    let sato = author("佐藤", "tablet-sato");
    let (mut ours, theirs) = concurrent(TriageCategory::Red, TriageCategory::Red);
    assert!(
        ours.apply(&theirs.save(), &edit(&sato, 20))
            .unwrap()
            .is_empty()
    );
    assert_eq!(ours.view().unwrap().triage.history.len(), 3);
    // A triage after an earlier one it saw is no disagreement either.
    let mut chart = casualty_chart(&sato);
    chart
        .record_triage(
            &entry_id(2),
            &triage_at(1, TriageCategory::Red),
            &edit(&sato, 1),
        )
        .unwrap();
    chart
        .record_triage(
            &entry_id(3),
            &triage_at(9, TriageCategory::Green),
            &edit(&sato, 9),
        )
        .unwrap();
    assert!(chart.unrecorded_reviews().unwrap().is_empty());
}

/// Checks the changes `theirs` made since `base` as a device that holds
/// `base` would, signed by `signer`.
fn check_all(base: &Chart, theirs: &Chart, signer: &str) -> Result<(), karte_record::RecordError> {
    Chart::check_received(
        Some(base),
        &base.id(),
        &theirs.save_after(&base.heads()),
        |_| Some(signer.into()),
        at(60),
    )
}

#[test]
fn received_registrations_triages_and_transports_pass_the_checks() {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    // A whole casualty chart, as received by a device that lacks it.
    let chart = casualty_chart(&sato);
    Chart::check_received(
        None,
        &chart.id(),
        &chart.save(),
        |_| Some("tablet-sato".into()),
        at(1),
    )
    .unwrap();
    let mut theirs = replica(&chart, &tanaka, 1);
    let request = TriageRequest {
        findings: TriageFindings {
            walks: Some(true),
            ..TriageFindings::default()
        },
        override_category: Some(TriageCategory::Yellow),
        override_reason: Some("骨盤の動揺あり".into()),
        ..TriageRequest::default()
    };
    let (overridden, _) = request.decide(at(3)).unwrap();
    theirs
        .record_triage(&entry_id(2), &overridden, &edit(&tanaka, 3))
        .unwrap();
    theirs
        .record_transport(
            &entry_id(3),
            &TransportInput {
                agency: Some("DMAT ヘリ".into()),
                ..TransportInput::default()
            },
            &edit(&tanaka, 4),
        )
        .unwrap();
    theirs
        .set_entry_field(
            &entry_id(1),
            "features",
            &"青い作業着、眼鏡".into(),
            &edit(&tanaka, 5),
        )
        .unwrap();
    check_all(&chart, &theirs, "tablet-tanaka").unwrap();
    // The same changes claimed by another device's signature are refused.
    let error = check_all(&chart, &theirs, "tablet-sato").unwrap_err();
    assert_eq!(error.code().as_str(), "misattributed_change");
}

#[test]
fn a_forged_triage_write_is_refused() {
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};
    let sato = author("佐藤", "tablet-sato");
    let mallory = author("mallory", "tablet-mallory");
    let mut chart = casualty_chart(&sato);
    chart
        .record_triage(
            &entry_id(2),
            &triage_at(1, TriageCategory::Red),
            &edit(&sato, 1),
        )
        .unwrap();
    let base = automerge::Automerge::load(&chart.save()).unwrap();
    let forge =
        |write: &dyn Fn(&mut automerge::transaction::Transaction<'_>, &automerge::ObjId)| {
            let mut doc = automerge::Automerge::load(&chart.save())
                .unwrap()
                .with_actor(actor(&mallory, 7));
            let triage = doc.get(ROOT, "triage").unwrap().unwrap().1;
            let entry = doc.get(&triage, entry_id(2).as_str()).unwrap().unwrap().1;
            let mut tx = doc.transaction();
            write(&mut tx, &entry);
            let message =
                serde_json::json!({ "op": "entry.correct", "author": mallory, "at": at(30).0 });
            tx.commit_with(
                automerge::transaction::CommitOptions::default()
                    .with_message(message.to_string())
                    .with_time(at(30).0 / 1000),
            );
            let bytes = doc.save_after(&base.get_heads());
            assert!(!bytes.is_empty());
            Chart::check_received(
                Some(&chart),
                &chart.id(),
                &bytes,
                |_| Some(mallory.device.clone()),
                at(60),
            )
        };
    // Turning a triage into a transport.
    let error = forge(&|tx, entry| tx.put(entry, "kind", "transport").unwrap()).unwrap_err();
    assert_eq!(error.code().as_str(), "forbidden_change", "{error}");
    assert!(error.to_string().contains("kind"), "{error}");
    // A category that is no category.
    let error = forge(&|tx, entry| tx.put(entry, "category", "purple").unwrap()).unwrap_err();
    assert_eq!(error.code().as_str(), "forbidden_change", "{error}");
    // Rewriting who triaged.
    let error =
        forge(&|tx, entry| tx.put(entry, "recorded_by.user_name", "鈴木").unwrap()).unwrap_err();
    assert_eq!(error.code().as_str(), "forbidden_change", "{error}");
    // A correction of the category to another one is an edit Karte makes.
    forge(&|tx, entry| tx.put(entry, "category", "yellow").unwrap()).unwrap();
}

proptest! {
    #![proptest_config(proptest_config(24))]

    /// Concurrent re-triages on three devices, merged in any order, give
    /// every device the same history, the same triage standing and, once
    /// they have synced with each other, the same review items (each merge
    /// records the disagreement it saw, so a three-way one may leave an
    /// item per step), and items exactly when the categories differ.
    #[test]
    fn concurrent_retriages_converge_in_any_order(
        categories in proptest::collection::vec(0usize..4, 3),
        minutes in proptest::collection::vec(2i64..50, 3),
        order in Just([0usize, 1, 2]).prop_shuffle(),
    ) {
        let devices = [
            author("佐藤", "tablet-sato"),
            author("田中", "tablet-tanaka"),
            author("鈴木", "laptop-suzuki"),
        ];
        let base = casualty_chart(&devices[0]);
        let mut replicas: Vec<Chart> = devices
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut chart = replica(&base, a, 1);
                let category = TriageCategory::ALL[categories[i]];
                chart
                    .record_triage(&entry_id(10 + i as u64), &triage_at(minutes[i], category), &edit(a, minutes[i]))
                    .unwrap();
                chart
            })
            .collect();
        // Device 0 takes the others in the shuffled order, device 1 in
        // the reverse order.
        let saved: Vec<Vec<u8>> = replicas.iter().map(Chart::save).collect();
        for &i in &order {
            replicas[0].apply(&saved[i], &edit(&devices[0], 60)).unwrap();
        }
        for &i in order.iter().rev() {
            replicas[1].apply(&saved[i], &edit(&devices[1], 60)).unwrap();
        }
        // Then they sync with each other: each holds what the other
        // recorded on the way (a merge records the heads it saw).
        let (first, second) = (replicas[0].save(), replicas[1].save());
        replicas[0].apply(&second, &edit(&devices[0], 61)).unwrap();
        replicas[1].apply(&first, &edit(&devices[1], 61)).unwrap();
        let a = replicas[0].view().unwrap();
        let b = replicas[1].view().unwrap();
        prop_assert_eq!(a.triage.history.len(), 3);
        prop_assert_eq!(&a.triage.history, &b.triage.history);
        prop_assert_eq!(a.triage.current().map(|t| &t.meta.id), b.triage.current().map(|t| &t.meta.id));
        let ids = |v: &karte_types::ChartView| v.reviews.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&a), ids(&b));
        let distinct: std::collections::HashSet<usize> = categories.iter().copied().collect();
        prop_assert_eq!(!a.reviews.is_empty(), distinct.len() > 1);
    }
}
