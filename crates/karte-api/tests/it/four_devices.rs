//! Four devices of one organisation, a real hub on 127.0.0.1, peer
//! sessions over real TLS on loopback and carried bundles: random
//! sequences of visits, peer syncs between pairs, hub syncs and bundle
//! exports and imports, then everyone syncs with the hub. All four end
//! with the same heads of every chart, and every visit written is in its
//! chart exactly once, on every device.

use std::collections::{BTreeMap, BTreeSet};

use karte_test_support::{PASSPHRASE, visit, yamada};
use karte_types::PatientId;
use proptest::prelude::*;

use crate::hub::{Device, TestHub};

const DEVICES: usize = 4;

#[derive(Debug, Clone)]
enum Step {
    /// A new chart on `device`, with one visit.
    NewChart { device: usize },
    /// A visit on one of the charts `device` holds (by position in its
    /// list), or on a new one if it holds none.
    Visit { device: usize, chart: usize },
    /// `dialler` dials `server` (another device).
    Peer { dialler: usize, server: usize },
    /// `device` syncs with the hub.
    Hub { device: usize },
    /// `from` exports a bundle of all its charts and `to` imports it.
    Bundle { from: usize, to: usize },
}

fn another(device: usize, offset: usize) -> usize {
    (device + 1 + offset % (DEVICES - 1)) % DEVICES
}

fn step() -> impl Strategy<Value = Step> {
    let device = 0..DEVICES;
    prop_oneof![
        2 => device.clone().prop_map(|device| Step::NewChart { device }),
        3 => (device.clone(), 0..8usize).prop_map(|(device, chart)| Step::Visit { device, chart }),
        3 => (device.clone(), 0..3usize).prop_map(|(dialler, offset)| Step::Peer {
            dialler,
            server: another(dialler, offset),
        }),
        1 => device.clone().prop_map(|device| Step::Hub { device }),
        2 => (device, 0..3usize).prop_map(|(from, offset)| Step::Bundle {
            from,
            to: another(from, offset),
        }),
    ]
}

/// The charts `device` holds, in its list's order.
fn held(device: &mut Device) -> Vec<PatientId> {
    let mut ids: Vec<PatientId> = device
        .session
        .patients("")
        .unwrap()
        .into_iter()
        .map(|patient| patient.id)
        .collect();
    ids.sort();
    ids
}

/// One peer session: `server` serves one dialler on a loopback port while
/// `dialler` dials it.
fn peer(server: &mut Device, dialler: &mut Device) {
    let listener = server.session.peer_listen("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::scope(|scope| {
        let serving = scope.spawn(move || server.session.peer_serve_one(&listener, |_| {}));
        let said = dialler.session.peer_sync(&address, |_| {});
        let served = serving.join().unwrap();
        let said = said.unwrap_or_else(|e| panic!("peer sync: {} ({e})", e.code()));
        served.unwrap_or_else(|e| panic!("peer serve: {} ({e})", e.code()));
        assert!(said.refused.is_empty(), "{said:?}");
        assert!(said.refused_by_peer.is_empty(), "{said:?}");
    });
}

/// A bundle of every chart `from` holds, imported by `to`.
fn bundle(from: &mut Device, to: &mut Device, org: &str, n: usize) {
    if held(from).is_empty() {
        return;
    }
    let path = from.dir.path().join(format!("{n}.kbn"));
    from.session
        .bundle_export(org, &false, &Some(path.to_string_lossy().into_owned()))
        .unwrap_or_else(|e| panic!("bundle export: {} ({e})", e.code()));
    let file = std::fs::read(&path).unwrap();
    to.session
        .import_bundle(&file)
        .unwrap_or_else(|e| panic!("bundle import: {} ({e})", e.code()));
}

/// The heads of every chart the vault holds, read from its stored
/// documents (the session is locked for it and not opened again).
fn stored_heads(device: Device) -> BTreeMap<PatientId, Vec<automerge::ChangeHash>> {
    let Device { dir, session } = device;
    session.lock();
    let vault = karte_store::Vault::open(&dir.path().join("vault.karte"))
        .unwrap()
        .unlock("admin", PASSPHRASE)
        .unwrap();
    let mut heads = BTreeMap::new();
    for id in vault.document_ids().unwrap() {
        let mut doc = automerge::Automerge::new();
        for chunk in vault.load_document(&id).unwrap() {
            doc.load_incremental(&chunk).unwrap();
        }
        let mut tips = doc.get_heads();
        tips.sort();
        heads.insert(id, tips);
    }
    vault.lock();
    heads
}

fn run_steps(steps: &[Step]) {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let org = station.id.as_str().to_owned();
    let mut devices: Vec<Device> = (0..DEVICES)
        .map(|i| Device::enrolled(&hub, &station.id, &format!("tablet {i}")))
        .collect();
    // Each learns the others' certs (and bundle keys) from the hub.
    for device in &mut devices {
        device.sync();
    }
    // Visits written, by chart: each visit's minute is unique, so a visit
    // is known by it wherever it lands.
    let mut written: BTreeMap<PatientId, BTreeSet<i64>> = BTreeMap::new();
    let mut minute = 0i64;
    let mut new_visit = |device: &mut Device,
                         chart: &PatientId,
                         written: &mut BTreeMap<PatientId, BTreeSet<i64>>| {
        minute += 1;
        device
            .session
            .record_visit(chart, &visit(minute, 60 + (minute % 40) as u16))
            .unwrap();
        written.entry(chart.clone()).or_default().insert(minute);
    };
    for (n, step) in steps.iter().enumerate() {
        match *step {
            Step::NewChart { device } => {
                let device = &mut devices[device];
                let chart = device.session.add_patient(&yamada()).unwrap();
                new_visit(device, &chart, &mut written);
            }
            Step::Visit { device, chart } => {
                let device = &mut devices[device];
                let charts = held(device);
                let chart = match charts.get(chart % charts.len().max(1)) {
                    Some(chart) => chart.clone(),
                    None => device.session.add_patient(&yamada()).unwrap(),
                };
                new_visit(device, &chart, &mut written);
            }
            Step::Peer { dialler, server } => {
                let [dialler, server] = devices.get_disjoint_mut([dialler, server]).unwrap();
                peer(server, dialler);
            }
            Step::Hub { device } => {
                devices[device].sync();
            }
            Step::Bundle { from, to } => {
                let [from, to] = devices.get_disjoint_mut([from, to]).unwrap();
                bundle(from, to, &org, n);
            }
        }
    }

    // Everyone syncs with the hub: the first round takes every device's
    // work to it, the second brings all of it to every device.
    for _ in 0..2 {
        for device in &mut devices {
            device.sync();
        }
    }

    let expected: BTreeSet<PatientId> = written.keys().cloned().collect();
    for (i, device) in devices.iter_mut().enumerate() {
        let charts: BTreeSet<PatientId> = held(device).into_iter().collect();
        assert_eq!(charts, expected, "device {i} holds every chart");
        for (chart, minutes) in &written {
            let visits = device.session.chart(chart).unwrap().visits;
            let mut ids: Vec<_> = visits.iter().map(|v| v.meta.id.clone()).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), visits.len(), "device {i}: a visit twice");
            let mut at: Vec<_> = visits.iter().map(|v| v.input.at).collect();
            at.sort();
            let mut wanted: Vec<_> = minutes.iter().map(|&m| visit(m, 0).at).collect::<Vec<_>>();
            wanted.sort();
            assert_eq!(at, wanted, "device {i}, chart {chart}: every visit once");
        }
    }
    let mut heads = devices.into_iter().map(stored_heads);
    let first = heads.next().unwrap();
    assert_eq!(first.len(), expected.len());
    for (i, other) in heads.enumerate() {
        assert_eq!(other, first, "device {} has device 0's heads", i + 1);
    }
}

proptest! {
    // Each case enrols four devices at a fresh hub; a few cases of up to
    // a dozen steps keep the test within seconds in debug.
    #![proptest_config(ProptestConfig {
        cases: 6,
        max_shrink_iters: 32,
        ..ProptestConfig::default()
    })]

    #[test]
    fn four_devices_syncing_by_peer_hub_and_bundle_converge_with_every_visit_once(
        steps in proptest::collection::vec(step(), 4..12)
    ) {
        run_steps(&steps);
    }
}

/// A fixed sequence that uses every kind of step, relay included: a chart
/// written on 0 reaches 3 through 1's bundle and 2's peer session before
/// any hub sync.
#[test]
fn a_chart_relayed_by_bundle_and_peer_converges_everywhere() {
    run_steps(&[
        Step::NewChart { device: 0 },
        Step::Peer {
            dialler: 1,
            server: 0,
        },
        Step::Visit {
            device: 1,
            chart: 0,
        },
        Step::Bundle { from: 1, to: 2 },
        Step::Visit {
            device: 0,
            chart: 0,
        },
        Step::Peer {
            dialler: 3,
            server: 2,
        },
        Step::Hub { device: 0 },
        Step::Visit {
            device: 3,
            chart: 0,
        },
    ]);
}
