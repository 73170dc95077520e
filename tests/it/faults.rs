//! Faults between devices and the hub: four devices of one organisation make
//! random edits and sync through a proxy that drops, truncates, delays and
//! duplicates traffic as a seeded generator decides, while the hub process
//! itself is SIGKILLed mid-sync and restarted on the same database and port.
//! Once the faults stop, every device converges on the same charts with
//! every entry written present exactly once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use karte_e2e::proxy::{Fault, FaultyProxy};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::device::{Device, assert_converged, sync_all_until_quiet};
use crate::hub_process::{HubProcess, sigkill};

const SEED: u64 = 0x6B61_7274_6500_0001;
const DEVICES: usize = 4;
const ROUNDS: usize = 36;
/// Rounds in which the hub is killed in the middle of a device's sync.
const KILL_ROUNDS: [usize; 2] = [12, 25];

/// Picks each connection's fault; about two connections in five misbehave.
fn fault_plan(seed: u64, enabled: Arc<AtomicBool>) -> impl Fn(u64) -> Fault + Send + Sync {
    let rng = Mutex::new(ChaCha8Rng::seed_from_u64(seed));
    move |_| {
        let mut rng = rng.lock().expect("the fault generator");
        let roll = rng.random_range(0..100u32);
        if !enabled.load(Ordering::SeqCst) {
            return Fault::None;
        }
        match roll {
            0..10 => Fault::Refuse,
            10..20 => Fault::TruncateResponse(rng.random_range(0..600)),
            20..30 => Fault::Delay(Duration::from_millis(rng.random_range(10..400))),
            30..40 => Fault::Duplicate,
            _ => Fault::None,
        }
    }
}

#[test]
fn devices_converge_through_a_faulty_link_and_a_hub_killed_mid_sync() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = format!("sqlite:{}", dir.path().join("hub.sqlite").display());
    let org = HubProcess::add_org(&db, dir.path(), "訪問看護ステーションさくら");
    let mut hub = HubProcess::serve(&db);
    let faults_on = Arc::new(AtomicBool::new(true));
    let proxy = FaultyProxy::start(hub.addr, fault_plan(SEED, faults_on.clone()));

    let mut devices: Vec<Device> = (0..DEVICES)
        .map(|i| {
            let code = HubProcess::invite(&db, &org);
            Device::enrolled(&hub.url(), &code, &format!("tablet {i}"))
        })
        .collect();

    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0xE017);
    let (mut errors, mut kills) = (0usize, 0usize);
    for round in 0..ROUNDS {
        let who = rng.random_range(0..DEVICES);
        let device = &mut devices[who];
        let edits = if KILL_ROUNDS.contains(&round) {
            // A bigger push, so the sync is still running when the kill
            // lands.
            20
        } else {
            rng.random_range(1..5)
        };
        for _ in 0..edits {
            device.random_edit(&mut rng);
        }
        if KILL_ROUNDS.contains(&round) {
            // Kill the hub once this sync's first request has reached the
            // proxy, a few milliseconds into it.
            let before = proxy.connections.load(Ordering::SeqCst);
            let connections = proxy.connections.clone();
            let pid = hub.pid();
            let after = Duration::from_millis(rng.random_range(0..30));
            let killer = std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(30);
                while connections.load(Ordering::SeqCst) == before && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::thread::sleep(after);
                sigkill(pid);
            });
            if device.sync_via(&proxy.url()).is_err() {
                errors += 1;
            }
            killer.join().expect("the killer thread");
            kills += 1;
            // While the hub is down, a device's sync fails and is retried
            // later; then the hub comes back on the same database and port.
            let other = &mut devices[(who + 1) % DEVICES];
            assert!(
                other.sync_via(&proxy.url()).is_err(),
                "the hub is down, so a sync cannot succeed"
            );
            errors += 1;
            hub.restart();
            continue;
        }
        if device.sync_via(&proxy.url()).is_err() {
            errors += 1;
        }
    }
    assert_eq!(kills, KILL_ROUNDS.len());
    assert!(errors > 0, "the faults made some syncs fail");
    assert!(
        proxy.connections.load(Ordering::SeqCst) > ROUNDS as u64,
        "every sync went through the proxy"
    );

    faults_on.store(false, Ordering::SeqCst);
    let url = proxy.url();
    sync_all_until_quiet(&mut devices, |_| url.clone(), 10);
    assert_converged(&mut devices);
}
