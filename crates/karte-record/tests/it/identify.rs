//! Identity found later, in the chart: the link is one change in the
//! casualty chart (an entry and the review items it raises), which other
//! devices accept as an honest edit, and links made on two replicas in any
//! order and merged in any order give one state.

use karte_record::Chart;
use karte_types::{
    AgeBand, Author, CasualtyInput, ChartView, IdentificationInput, PatientId, ReviewKind, Sex,
    TriageFindings, TriageRequest, identity_conflicts,
};
use proptest::prelude::*;

use crate::support::*;

fn casualty_chart(author: &Author) -> Chart {
    let casualty = CasualtyInput {
        tag: "T-0007".into(),
        sex: Sex::Female,
        age_band: AgeBand::Thirties,
        found_at: None,
        found_latitude: None,
        found_longitude: None,
        features: None,
    };
    Chart::create_casualty(
        actor(author, 0),
        &patient_id(),
        &entry_id(1),
        &casualty,
        &edit(author, 0),
    )
    .unwrap()
}

/// The view of a known chart: 山田太郎 (male, 85) under the id `id`.
fn known(author: &Author, id: &str) -> ChartView {
    Chart::create(
        actor(author, 9),
        &PatientId::from(id),
        &yamada(),
        &edit(author, 0),
    )
    .unwrap()
    .view()
    .unwrap()
}

fn link(chart: &mut Chart, to: &ChartView, entry: u64, author: &Author, minutes: i64) {
    let conflicts = identity_conflicts(&chart.view().unwrap(), to);
    chart
        .identify(
            &entry_id(entry),
            &IdentificationInput {
                patient: to.id.clone(),
            },
            conflicts,
            &edit(author, minutes),
        )
        .unwrap();
}

#[test]
fn a_link_is_one_change_with_its_review_items_and_passes_the_checks() {
    let sato = author("佐藤", "tablet-sato");
    let base = casualty_chart(&sato);
    let mut chart = replica(&base, &sato, 1);
    let yamada = known(&sato, "01KNOWN0000000000000000001");
    link(&mut chart, &yamada, 2, &sato, 5);
    assert_eq!(chart.history().len(), base.history().len() + 1);
    let view = chart.view().unwrap();
    let link = view.triage.identified_as().unwrap();
    assert_eq!(link.input.patient, yamada.id);
    assert_eq!(link.meta.recorded_by, sato);
    let mut rules: Vec<String> = view
        .reviews
        .iter()
        .map(|r| match &r.kind {
            ReviewKind::Clinical { rule } => rule.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    rules.sort();
    assert_eq!(rules, ["identity-age", "identity-sex"]);
    // The summary carries the link, so the list finds the chart it names.
    assert_eq!(
        chart.summary().unwrap().triage.unwrap().identified_as,
        Some(yamada.id.clone())
    );
    assert_eq!(
        chart.summary().unwrap(),
        karte_types::PatientSummary::from_chart(&view)
    );
    // Another device that holds the casualty chart takes the change.
    Chart::check_received(
        Some(&base),
        &base.id(),
        &chart.save_after(&base.heads()),
        |_| Some(sato.device.clone()),
        at(60),
    )
    .unwrap();
}

#[test]
fn two_devices_identifying_one_casualty_as_two_people_raise_one_review_item() {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    let base = casualty_chart(&sato);
    let yamada = known(&sato, "01KNOWN0000000000000000001");
    let suzuki = known(&sato, "01KNOWN0000000000000000002");
    let mut ours = replica(&base, &sato, 1);
    let mut theirs = replica(&base, &tanaka, 1);
    link(&mut ours, &yamada, 2, &sato, 5);
    link(&mut theirs, &suzuki, 3, &tanaka, 6);
    let disagreement = |chart: &Chart| {
        chart
            .view()
            .unwrap()
            .reviews
            .into_iter()
            .filter(|r| {
                r.kind
                    == ReviewKind::Clinical {
                        rule: "identity-disagreement".into(),
                    }
            })
            .collect::<Vec<_>>()
    };
    assert!(
        disagreement(&ours).is_empty(),
        "one device alone has one link"
    );
    let ours_apart = ours.save();
    ours.apply(&theirs.save(), &edit(&sato, 20)).unwrap();
    let found = disagreement(&ours);
    assert_eq!(found.len(), 1);
    let review = &found[0];
    // On the link that stands (Tanaka's, the later), naming both people.
    assert_eq!(review.path, format!("triage/{}", entry_id(3)));
    let mut named: Vec<&str> = review.values.iter().map(|v| v.value.as_str()).collect();
    named.sort();
    assert_eq!(
        named,
        [
            r#"{"identified_as":"01KNOWN0000000000000000001"}"#,
            r#"{"identified_as":"01KNOWN0000000000000000002"}"#
        ]
    );
    // Merged the other way round, the same item.
    theirs.apply(&ours_apart, &edit(&tanaka, 20)).unwrap();
    assert_eq!(disagreement(&theirs)[0].id, review.id);
    // Both devices linking to the same person raise nothing.
    let mut again = replica(&base, &sato, 1);
    let mut other = replica(&base, &tanaka, 1);
    link(&mut again, &yamada, 2, &sato, 5);
    link(&mut other, &yamada, 3, &tanaka, 6);
    again.apply(&other.save(), &edit(&sato, 20)).unwrap();
    assert!(disagreement(&again).is_empty());
}

proptest! {
    #![proptest_config(proptest_config(24))]

    /// Two devices link the casualty (to one chart or, by mistake, to
    /// another), re-triage it and sync with each other at any moments;
    /// once both have all, their charts read the same: every link kept,
    /// the same link in force, the same review items.
    #[test]
    fn links_on_two_replicas_converge_in_any_order(
        ops in proptest::collection::vec((0usize..2, 0usize..4), 1..8),
        a_first in any::<bool>(),
    ) {
        let devices = [author("佐藤", "tablet-sato"), author("田中", "tablet-tanaka")];
        let targets = [
            known(&devices[0], "01KNOWN0000000000000000001"),
            known(&devices[0], "01KNOWN0000000000000000002"),
        ];
        let base = casualty_chart(&devices[0]);
        let mut replicas = [replica(&base, &devices[0], 1), replica(&base, &devices[1], 1)];
        let mut links = 0;
        for (n, &(d, action)) in ops.iter().enumerate() {
            let minutes = 1 + n as i64;
            let author = &devices[d];
            match action {
                0 | 1 => {
                    link(&mut replicas[d], &targets[action], 100 + n as u64, author, minutes);
                    links += 1;
                }
                2 => {
                    let request = TriageRequest {
                        findings: TriageFindings { walks: Some(true), ..TriageFindings::default() },
                        ..TriageRequest::default()
                    };
                    let (input, _) = request.decide(at(minutes)).unwrap();
                    replicas[d].record_triage(&entry_id(100 + n as u64), &input, &edit(author, minutes)).unwrap();
                }
                _ => {
                    let saved = replicas[d].save();
                    let other = 1 - d;
                    replicas[other].apply(&saved, &edit(&devices[other], minutes)).unwrap();
                }
            }
        }
        let order = if a_first { [0, 1] } else { [1, 0] };
        for _ in 0..2 {
            for &d in &order {
                let saved = replicas[1 - d].save();
                replicas[d].apply(&saved, &edit(&devices[d], 90)).unwrap();
            }
        }
        let a = replicas[0].view().unwrap();
        let b = replicas[1].view().unwrap();
        prop_assert_eq!(a.triage.identifications.len(), links);
        prop_assert_eq!(
            a.triage.identified_as().map(|l| &l.meta.id),
            b.triage.identified_as().map(|l| &l.meta.id)
        );
        prop_assert_eq!(&a.triage, &b.triage);
        let ids = |v: &ChartView| v.reviews.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&a), ids(&b));
        prop_assert_eq!(replicas[0].summary().unwrap(), replicas[1].summary().unwrap());
    }
}
