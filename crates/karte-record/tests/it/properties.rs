//! Property tests: random concurrent edits on several replicas, merged in
//! random orders, end in one state; and any sequence of edits survives a save
//! and a load, whole or as a snapshot plus chunks.

use std::collections::BTreeSet;

use karte_record::Chart;
use karte_types::{Author, CareLevel, ClinicalStatus, EntryId, ReviewId};
use proptest::prelude::*;
use serde_json::json;

use crate::support::*;

/// Visits every replica has from the start, so edits of them can collide.
const SHARED_VISITS: u64 = 3;

#[derive(Debug, Clone)]
enum Step {
    Visit { on: usize, pulse: u16 },
    Pulse { on: usize, visit: u64, pulse: u16 },
    Plan { on: usize, visit: u64, plan: usize },
    Jcs { on: usize, visit: u64, jcs: usize },
    Phone { on: usize, phone: usize },
    CareLevel { on: usize, level: Option<usize> },
    Void { on: usize, visit: u64 },
    NoKnownAllergies { on: usize },
    Allergy { on: usize, active: bool },
    Merge { into: usize, from: usize },
}

const PLANS: [&str; 3] = ["入浴介助", "清拭", "次回血圧再検"];
const JCS: [&str; 4] = ["0", "I-1", "II-20R", "III-300"];
const PHONES: [&str; 3] = ["0266-41-0000", "090-1234-5678", "080-9999-0000"];

fn step(replicas: usize) -> impl Strategy<Value = Step> {
    let on = 0..replicas;
    let visit = 0..SHARED_VISITS;
    prop_oneof![
        1 => (on.clone(), 40u16..140).prop_map(|(on, pulse)| Step::Visit { on, pulse }),
        1 => (on.clone(), visit.clone(), 60u16..64).prop_map(|(on, visit, pulse)| Step::Pulse { on, visit, pulse }),
        1 => (on.clone(), visit.clone(), 0..PLANS.len()).prop_map(|(on, visit, plan)| Step::Plan { on, visit, plan }),
        1 => (on.clone(), visit.clone(), 0..JCS.len()).prop_map(|(on, visit, jcs)| Step::Jcs { on, visit, jcs }),
        1 => (on.clone(), 0..PHONES.len()).prop_map(|(on, phone)| Step::Phone { on, phone }),
        1 => (on.clone(), prop::option::of(0..CareLevel::ALL.len())).prop_map(|(on, level)| Step::CareLevel { on, level }),
        1 => (on.clone(), visit).prop_map(|(on, visit)| Step::Void { on, visit }),
        1 => on.clone().prop_map(|on| Step::NoKnownAllergies { on }),
        1 => (on.clone(), any::<bool>()).prop_map(|(on, active)| Step::Allergy { on, active }),
        3 => (on.clone(), on).prop_map(|(into, from)| Step::Merge { into, from }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Step>, Vec<(usize, usize)>)> {
    (3usize..=4).prop_flat_map(|replicas| {
        let pairs: Vec<(usize, usize)> = (0..replicas)
            .flat_map(|i| (0..replicas).map(move |j| (i, j)))
            .filter(|(i, j)| i != j)
            .collect();
        (
            Just(replicas),
            prop::collection::vec(step(replicas), 1..30),
            Just(pairs).prop_shuffle(),
        )
    })
}

struct Replicas {
    charts: Vec<Chart>,
    authors: Vec<Author>,
    added: BTreeSet<EntryId>,
    next_id: u64,
    clock: i64,
}

impl Replicas {
    fn new(count: usize) -> Replicas {
        let authors: Vec<Author> = (0..count)
            .map(|i| author(&format!("nurse{i}"), &format!("device-{i}")))
            .collect();
        let mut base = new_chart(&authors[0]);
        for n in 0..SHARED_VISITS {
            base.record_visit(
                &entry_id(n),
                &visit(n as i64 * 60, 72),
                &edit(&authors[0], n as i64),
            )
            .unwrap();
        }
        let charts = authors.iter().map(|a| replica(&base, a, 1)).collect();
        Replicas {
            charts,
            authors,
            added: BTreeSet::new(),
            next_id: 1000,
            clock: 100,
        }
    }

    fn tick(&mut self) -> i64 {
        self.clock += 1;
        self.clock
    }

    fn merge(&mut self, into: usize, from: usize) -> Result<Vec<ReviewId>, TestCaseError> {
        if into == from {
            return Ok(Vec::new());
        }
        let minutes = self.tick();
        let mut other = std::mem::replace(&mut self.charts[from], new_chart(&self.authors[from]));
        let author = self.authors[into].clone();
        let result = self.charts[into].merge(&mut other, &edit(&author, minutes));
        self.charts[from] = other;
        let new = result.map_err(|e| TestCaseError::fail(format!("merge failed: {e}")))?;
        // The patch-based search found everything a full walk finds.
        let missed = self.charts[into].unrecorded_reviews().unwrap();
        prop_assert!(
            missed.is_empty(),
            "review items missed by the merge: {missed:?}"
        );
        Ok(new)
    }

    fn run(&mut self, step: &Step) -> Result<(), TestCaseError> {
        let minutes = self.tick();
        let result = match *step {
            Step::Merge { into, from } => return self.merge(into, from).map(|_| ()),
            Step::Visit { on, pulse } => {
                self.next_id += 1;
                let id = entry_id(self.next_id);
                self.added.insert(id.clone());
                self.charts[on].record_visit(
                    &id,
                    &visit(minutes, pulse),
                    &edit(&self.authors[on], minutes),
                )
            }
            Step::Pulse { on, visit, pulse } => self.charts[on].set_entry_field(
                &entry_id(visit),
                "vitals.pulse",
                &json!(pulse),
                &edit(&self.authors[on], minutes),
            ),
            Step::Plan { on, visit, plan } => self.charts[on].set_entry_field(
                &entry_id(visit),
                "soap.plan",
                &json!(PLANS[plan]),
                &edit(&self.authors[on], minutes),
            ),
            Step::Jcs { on, visit, jcs } => self.charts[on].set_entry_field(
                &entry_id(visit),
                "vitals.jcs",
                &json!(JCS[jcs]),
                &edit(&self.authors[on], minutes),
            ),
            Step::Phone { on, phone } => {
                let mut patient = self.charts[on].view().unwrap().patient;
                patient.phone = Some(PHONES[phone].to_owned());
                self.charts[on].update_demographics(&patient, &edit(&self.authors[on], minutes))
            }
            Step::CareLevel { on, level } => {
                let mut patient = self.charts[on].view().unwrap().patient;
                patient.care_level = level.map(|l| CareLevel::ALL[l]);
                self.charts[on].update_demographics(&patient, &edit(&self.authors[on], minutes))
            }
            Step::Void { on, visit } => self.charts[on].void_entry(
                &entry_id(visit),
                "entered in error",
                &edit(&self.authors[on], minutes),
            ),
            Step::NoKnownAllergies { on } => {
                self.charts[on].set_no_known_allergies(&edit(&self.authors[on], minutes))
            }
            Step::Allergy { on, active } => {
                self.next_id += 1;
                let id = entry_id(self.next_id);
                self.added.insert(id.clone());
                let mut input = penicillin();
                if !active {
                    input.status = ClinicalStatus::Resolved;
                }
                self.charts[on].add_allergy(&id, &input, &edit(&self.authors[on], minutes))
            }
        };
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.code() == "active_allergies" => Ok(()),
            Err(e) => Err(TestCaseError::fail(format!("{step:?} failed: {e}"))),
        }
    }

    fn converged(&self) -> bool {
        let heads = self.charts[0].heads();
        self.charts.iter().all(|c| c.heads() == heads)
    }
}

proptest! {
    #![proptest_config(proptest_config(64))]

    #[test]
    fn replicas_merged_in_any_order_converge_without_losing_anything((replicas, steps, order) in scenario()) {
        let mut r = Replicas::new(replicas);
        for step in &steps {
            r.run(step)?;
        }
        // Everyone merges everyone, in a random order, until nothing is new.
        // (Recording review items makes changes, so it may take a few rounds.)
        let mut rounds = 0;
        while !r.converged() {
            rounds += 1;
            prop_assert!(rounds <= 6, "no convergence after {rounds} rounds");
            for &(into, from) in &order {
                r.merge(into, from)?;
            }
        }
        let first = r.charts[0].view().unwrap();
        for chart in &r.charts[1..] {
            prop_assert_eq!(&chart.view().unwrap(), &first);
        }
        // The cheap patient-list entry agrees with the one made from the view.
        for chart in &r.charts {
            prop_assert_eq!(chart.summary().unwrap(), karte_types::PatientSummary::from_chart(&first));
        }
        let review_ids: Vec<BTreeSet<ReviewId>> = r.charts.iter()
            .map(|c| c.view().unwrap().reviews.into_iter().map(|r| r.id).collect())
            .collect();
        for ids in &review_ids[1..] {
            prop_assert_eq!(ids, &review_ids[0]);
        }
        let present: BTreeSet<EntryId> = first.visits.iter().map(|v| v.meta.id.clone())
            .chain(first.allergies.iter().map(|a| a.meta.id.clone()))
            .collect();
        for id in &r.added {
            prop_assert!(present.contains(id), "entry {} was lost", id);
        }
        prop_assert_eq!(first.visits.len() as u64, SHARED_VISITS + r.added.iter().filter(|id| first.visits.iter().any(|v| &v.meta.id == *id)).count() as u64);
        for chart in &r.charts {
            prop_assert!(chart.unrecorded_reviews().unwrap().is_empty());
            prop_assert!(chart.history().iter().all(|c| c.author.is_some()), "an unattributed change");
        }
        // And the converged chart survives a save and a load.
        let loaded = reload(&r.charts[0], &r.authors[0], 9);
        prop_assert_eq!(loaded.view().unwrap(), first);
    }

    #[test]
    fn a_chart_received_saved_whole_ends_as_one_received_change_by_change((replicas, steps, _) in scenario()) {
        let mut r = Replicas::new(replicas);
        for step in &steps {
            r.run(step)?;
        }
        // The replicas put together without a merge of their own, as a hub
        // holds them: concurrent values nobody has recorded yet.
        let saves: Vec<Vec<u8>> = r.charts.iter().map(Chart::save).collect();
        let slices: Vec<&[u8]> = saves.iter().map(Vec::as_slice).collect();
        let hub = Chart::load(actor(&r.authors[0], 9), &slices).unwrap().save();
        let fresh = author("fresh", "device-fresh");
        let at = edit(&fresh, 10_000);
        let (slow, slow_new) = Chart::receive(actor(&fresh, 1), &hub, &at).unwrap();
        let fast = Chart::receive_saved(actor(&fresh, 1), &hub, &at).unwrap();
        prop_assert_eq!(fast.chart.view().unwrap(), slow.view().unwrap());
        prop_assert!(fast.chart.unrecorded_reviews().unwrap().is_empty());
        let slow_new: BTreeSet<ReviewId> = slow_new.into_iter().collect();
        let fast_new: BTreeSet<ReviewId> = fast.open_reviews.iter().cloned().collect();
        prop_assert_eq!(fast_new, slow_new);
        let received = Chart::load(actor(&fresh, 2), &[&hub]).unwrap();
        prop_assert_eq!(&fast.received_heads, &received.heads());
        // What the fresh replica adds is only its own review items.
        let own = fast.chart.own_changes_since(&fresh.device, &fast.received_heads);
        prop_assert_eq!(own.len(), usize::from(fast.chart.heads() != fast.received_heads));
    }

    #[test]
    fn any_edits_survive_save_and_load_whole_or_in_chunks(steps in prop::collection::vec(step(1), 1..25), every in 1usize..4) {
        let mut r = Replicas::new(1);
        let mut chunks = vec![r.charts[0].save()];
        let mut heads = r.charts[0].heads();
        for (i, step) in steps.iter().enumerate() {
            r.run(step)?;
            if i % every == 0 {
                chunks.push(r.charts[0].save_after(&heads));
                heads = r.charts[0].heads();
            }
        }
        chunks.push(r.charts[0].save_after(&heads));
        let expected = r.charts[0].view().unwrap();
        let nurse = r.authors[0].clone();
        let whole = Chart::load(actor(&nurse, 7), &[&r.charts[0].save()]).unwrap();
        prop_assert_eq!(whole.view().unwrap(), expected.clone());
        let slices: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let pieces = Chart::load(actor(&nurse, 8), &slices).unwrap();
        prop_assert_eq!(pieces.view().unwrap(), expected);
        prop_assert_eq!(pieces.heads(), r.charts[0].heads());
        prop_assert_eq!(pieces.history(), r.charts[0].history());
    }
}
