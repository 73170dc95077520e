//! Lost devices (issue 11, item 11) at the hub: an organisation's lock
//! policy reaches its devices in every sync answer with the salts and slow
//! hashes of their unlock codes, never the codes; an administrator is given
//! each code once, and a device that runs low gets new ones.

use karte_hub::{HubConfig, HubStore};
use karte_sync::DeviceLock;
use karte_sync::unlock_code::{UnlockCodeCost, match_unlock_code};

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};

const CHEAP: UnlockCodeCost = UnlockCodeCost {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

async fn hub<B: Backend>() -> TestHub<B> {
    TestHub::start_with(HubConfig {
        unlock_code_cost: CHEAP,
        ..HubConfig::default()
    })
    .await
}

/// What the device is told of its organisation's lock at a sync.
async fn told<B: Backend>(hub: &TestHub<B>, device: &mut TestDevice) -> Option<DeviceLock> {
    let synced = device.sync(hub).await;
    let lock = synced.responses.last().unwrap().device_lock.clone();
    for response in &synced.responses {
        assert_eq!(response.device_lock, lock, "every page tells the same");
    }
    lock
}

pub async fn a_lock_policy_reaches_devices_with_hashes_of_their_codes_only<B: Backend>() {
    let hub = hub::<B>().await;
    let (station, _) = hub.add_org("A").await;
    let (clinic, _) = hub.add_org("B").await;
    let mut nurse = hub.enrol(&station.id, "nurse").await;
    let mut doctor = hub.enrol(&clinic.id, "doctor").await;
    assert_eq!(told(&hub, &mut nurse).await, None, "no policy, no lock");

    hub.store
        .set_lock_policy(&station.id, Some(14))
        .await
        .unwrap();
    assert_eq!(hub.store.lock_policy(&station.id).await.unwrap(), Some(14));
    let lock = told(&hub, &mut nurse).await.expect("the policy travels");
    assert_eq!(lock.lock_after_days, 14);
    assert_eq!(lock.cost, CHEAP);
    assert_eq!(lock.codes.len(), 5);
    assert_eq!(
        told(&hub, &mut doctor).await,
        None,
        "another organisation's"
    );
    // A quiet sync makes no new codes.
    assert_eq!(told(&hub, &mut nurse).await, Some(lock.clone()));

    // The administrator is given each code once; it matches its hash.
    let (number, code) = hub
        .store
        .issue_unlock_code(&nurse.id, hub.now())
        .await
        .unwrap();
    assert_eq!(number, 1);
    assert_eq!(match_unlock_code(&code, &lock.codes, &CHEAP), Some(1));
    let (second, other) = hub
        .store
        .issue_unlock_code(&nurse.id, hub.now())
        .await
        .unwrap();
    assert_eq!(second, 2);
    assert_ne!(other, code);
    // The codes are sealed at rest.
    let dump = hub.dump().await;
    for code in [&code, &other] {
        let plain = code.replace('-', "");
        for needle in [code.as_bytes(), plain.as_bytes()] {
            assert!(
                !dump.windows(needle.len()).any(|w| w == needle),
                "an unlock code is in the database in clear"
            );
        }
    }

    // A device running low gets new codes at its next sync; until then
    // the administrator is told there is none left.
    for expected in 3..=5 {
        let (number, _) = hub
            .store
            .issue_unlock_code(&nurse.id, hub.now())
            .await
            .unwrap();
        assert_eq!(number, expected);
    }
    let none = hub.store.issue_unlock_code(&nurse.id, hub.now()).await;
    assert_eq!(none.unwrap_err().code(), "no_unlock_code");
    let refilled = told(&hub, &mut nurse).await.unwrap();
    let numbers: Vec<u32> = refilled.codes.iter().map(|c| c.number).collect();
    assert_eq!(numbers, (1..=10).collect::<Vec<_>>());
    assert_eq!(
        refilled.codes[..5],
        lock.codes[..],
        "old codes keep their hashes"
    );
    let (number, _) = hub
        .store
        .issue_unlock_code(&nurse.id, hub.now())
        .await
        .unwrap();
    assert_eq!(number, 6);

    // Removed, the policy leaves the devices at their next sync.
    hub.store.set_lock_policy(&station.id, None).await.unwrap();
    assert_eq!(told(&hub, &mut nurse).await, None);
    let unknown = hub
        .store
        .set_lock_policy(&karte_hub::OrgId("01NOSUCHORG".into()), Some(3))
        .await;
    assert_eq!(unknown.unwrap_err().code(), "unknown_org");
}
