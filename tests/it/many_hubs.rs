//! Many hubs, one database: two `karte-hub serve` processes share one
//! throwaway PostgreSQL while four devices of one organisation write and
//! sync through both at once, each alternating between them from its own
//! thread. Afterwards every device holds every change any device made.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::device::{Device, assert_converged, sync_all_until_quiet};
use crate::hub_process::HubProcess;
use crate::postgres;

const SEED: u64 = 0x6B61_7274_6500_0002;
const DEVICES: usize = 4;
/// Syncs per device while all of them run at once.
const STEPS: usize = 10;

#[test]
fn devices_writing_through_two_hubs_on_one_postgres_miss_no_change() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let db = runtime.block_on(postgres::server().create_database());
    let dir = tempfile::tempdir().expect("a temporary folder");
    // The administration command runs the migrations; the hubs then start
    // one after the other on the migrated database.
    let org = HubProcess::add_org(&db, dir.path(), "訪問看護ステーションさくら");
    let hubs = [HubProcess::serve(&db), HubProcess::serve(&db)];
    assert_ne!(hubs[0].addr, hubs[1].addr);
    let urls: Vec<String> = hubs.iter().map(HubProcess::url).collect();

    let devices: Vec<Device> = (0..DEVICES)
        .map(|i| {
            let code = HubProcess::invite(&db, &org);
            Device::enrolled(&urls[i % 2], &code, &format!("tablet {i}"))
        })
        .collect();

    let workers: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(i, mut device)| {
            let urls = urls.clone();
            std::thread::spawn(move || {
                let mut rng = ChaCha8Rng::seed_from_u64(SEED + i as u64);
                let mut synced = 0usize;
                for step in 0..STEPS {
                    for _ in 0..rng.random_range(1..4) {
                        device.random_edit(&mut rng);
                    }
                    // Each device alternates hubs, starting on different
                    // ones, so both hubs always serve writers.
                    if device.sync_via(&urls[(i + step) % 2]).is_ok() {
                        synced += 1;
                    }
                    std::thread::sleep(Duration::from_millis(rng.random_range(0..50)));
                }
                (device, synced)
            })
        })
        .collect();
    let mut devices = Vec::new();
    let mut synced = 0;
    for worker in workers {
        let (device, n) = worker.join().expect("a device's thread");
        devices.push(device);
        synced += n;
    }
    assert!(
        synced >= DEVICES * STEPS / 2,
        "most concurrent syncs succeed: {synced} of {}",
        DEVICES * STEPS
    );

    // Each device finishes on the hub it did not enrol at, so a change has
    // to cross from one hub's writers to the other's readers.
    sync_all_until_quiet(&mut devices, |i| urls[(i + 1) % 2].clone(), 10);
    assert_converged(&mut devices);
}
