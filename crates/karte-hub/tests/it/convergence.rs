//! Five devices of two organisations edit, sync in random order with random page
//! sizes, while charts are shared and unshared: in the end every device
//! holds exactly the charts its organisation may see, each identical to the
//! hub's, and no visit recorded anywhere is lost.

use std::collections::{BTreeMap, BTreeSet};

use karte_hub::{HubStore, OrgId};
use karte_types::PatientId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};
use crate::support::NOW;

const SEEDS: u64 = 10;
const STEPS: usize = 60;
const MAX_CHARTS: usize = 5;

pub async fn devices_converge_whatever_the_order_and_page_size<B: Backend>() {
    for seed in 0..SEEDS {
        run(seed, TestHub::<B>::start().await).await;
    }
}

async fn run<B: Backend>(seed: u64, hub: TestHub<B>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (a, _) = hub.add_org("a").await;
    let (b, _) = hub.add_org("b").await;
    let mut devices: Vec<(OrgId, TestDevice)> = Vec::new();
    for (org, name) in [(&a, "a1"), (&a, "a2"), (&a, "a3"), (&b, "b1"), (&b, "b2")] {
        devices.push((org.id.clone(), hub.enrol(&org.id, name).await));
    }
    let mut charts: Vec<PatientId> = Vec::new();
    // Every visit recorded, by chart: none may be lost.
    let mut visits: BTreeMap<PatientId, usize> = BTreeMap::new();

    for step in 0..STEPS {
        let which = rng.random_range(0..devices.len());
        let (_, device) = &mut devices[which];
        match rng.random_range(0..10) {
            0 if charts.len() < MAX_CHARTS => {
                let doc = device.create_chart(&format!("s{seed}c{step}"));
                charts.push(doc);
            }
            0..=4 => {
                let held: Vec<PatientId> = device.charts.keys().cloned().collect();
                if !held.is_empty() {
                    let doc = &held[rng.random_range(0..held.len())];
                    device.record_visit(doc, rng.random_range(50..120));
                    *visits.entry(doc.clone()).or_default() += 1;
                }
            }
            5..=7 => {
                device.max_response_bytes = rng.random_range(300..20_000);
                device.sync(&hub).await;
            }
            _ => {
                // The administrator shares a chart with the other
                // organisation, or stops sharing it.
                let known: Vec<PatientId> = {
                    let mut known = Vec::new();
                    for doc in &charts {
                        if hub.store.doc(doc).await.unwrap().is_some() {
                            known.push(doc.clone());
                        }
                    }
                    known
                };
                if !known.is_empty() {
                    let doc = &known[rng.random_range(0..known.len())];
                    let record = hub.store.doc(doc).await.unwrap().unwrap();
                    let other = if record.owner == a.id { &b.id } else { &a.id };
                    if record.circle.contains(other) {
                        hub.store.unshare(doc, other, NOW).await.unwrap();
                    } else {
                        hub.store.share(doc, other, NOW).await.unwrap();
                    }
                }
            }
        }
    }

    // Everyone syncs until nothing moves: twice round, so each device
    // receives what the others pushed last.
    for _ in 0..2 {
        for (_, device) in &mut devices {
            device.max_response_bytes = 1 << 20;
            device.sync(&hub).await;
        }
    }
    for (org, device) in &devices {
        let mut visible = BTreeSet::new();
        for doc in &charts {
            if let Some(record) = hub.store.doc(doc).await.unwrap()
                && record.circle.contains(org)
            {
                visible.insert(doc.clone());
            }
        }
        let held: BTreeSet<PatientId> = device.charts.keys().cloned().collect();
        assert_eq!(held, visible, "seed {seed}: device {}", device.id);
        for doc in &held {
            assert_eq!(
                device.heads(doc),
                hub.heads(doc).await,
                "seed {seed}: {doc} on {}",
                device.id
            );
        }
    }
    for (doc, recorded) in &visits {
        let holder = devices
            .iter()
            .find(|(_, d)| d.charts.contains_key(doc))
            .map(|(_, d)| d)
            .unwrap_or_else(|| panic!("seed {seed}: the owner holds {doc}"));
        let kept = holder.charts[doc].view().unwrap().visits.len();
        assert_eq!(kept, *recorded, "seed {seed}: visits of {doc}");
    }
}
