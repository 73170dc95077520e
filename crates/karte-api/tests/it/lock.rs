//! Lost devices (issue 11, item 11): an organisation's policy locks a vault
//! that has not reached its hub for N days until an administrator's unlock
//! code is entered. The device's clock is moved by days from the time of
//! its syncs, so the tests pass on any date; the hub accepts such clocks.

use karte_types::{DeviceId, ErrorCode, Timestamp};

use crate::hub::{Device, TestHub};

const DAY: i64 = 24 * 60 * 60 * 1000;

/// A hub whose organisation locks devices after `days` (none: no policy),
/// and a device of it that has synced once.
fn synced_device(days: Option<u32>) -> (TestHub, karte_hub::Org, Device, DeviceId) {
    let hub = TestHub::for_moved_clocks();
    let (org, _) = hub.add_org("やまびこ訪問看護");
    hub.set_lock_policy(&org.id, days);
    let mut device = Device::enrolled(&hub, &org.id, "tablet");
    device.sync();
    let id = device.session.audit_log(&None).unwrap()[0].device.clone();
    (hub, org, device, id)
}

/// When the device last reached the hub, by its own clock.
fn last_sync(device: &Device) -> Timestamp {
    device.session.sync_status().unwrap().last_sync.unwrap().at
}

fn code_of(
    result: Result<Device, (tempfile::TempDir, ErrorCode)>,
) -> (tempfile::TempDir, ErrorCode) {
    match result {
        Ok(_) => panic!("the vault opened"),
        Err(refused) => refused,
    }
}

#[test]
fn a_vault_past_its_days_without_the_hub_opens_only_with_an_unused_code() {
    let (hub, _org, device, id) = synced_device(Some(7));
    let synced = last_sync(&device);
    let later = |days: i64| Timestamp(synced.0 + days * DAY);

    // Six days on it opens as ever.
    let device = device.reopen_at(later(6), None).unwrap();

    // Past seven days it does not, and a wrong code does not help.
    let (dir, code) = code_of(device.reopen_at(later(8), None));
    assert_eq!(code, ErrorCode::DeviceLocked);
    let (dir, code) = code_of(Device::open_at(dir, later(8), Some("0000-0000-0000")));
    assert_eq!(code, ErrorCode::WrongUnlockCode);

    // The administrator's code opens it, and the days start again.
    let first = hub.unlock_code(&id);
    let typed = first.to_lowercase().replace('-', " ");
    let device = Device::open_at(dir, later(8), Some(&typed)).unwrap();
    let log = device.session.audit_log(&None).unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.event.action, karte_store::AuditAction::Unlock);
    assert!(
        last.event.detail.contains("unlock code 1"),
        "{}",
        last.event.detail
    );
    let device = device.reopen_at(later(14), None).unwrap();

    // Locked again a week after the code: the used code no longer works,
    // the next one does.
    let (dir, code) = code_of(device.reopen_at(later(16), None));
    assert_eq!(code, ErrorCode::DeviceLocked);
    let (dir, code) = code_of(Device::open_at(dir, later(16), Some(&first)));
    assert_eq!(code, ErrorCode::WrongUnlockCode, "a used code works once");
    let next = hub.unlock_code(&id);
    assert_ne!(next, first);
    Device::open_at(dir, later(16), Some(&next)).unwrap();
}

#[test]
fn a_sync_starts_the_days_again_and_brings_the_policy_as_it_changes() {
    let (hub, org, device, id) = synced_device(Some(7));
    let synced = last_sync(&device);
    let later = |days: i64| Timestamp(synced.0 + days * DAY);

    let mut device = device.reopen_at(later(6), None).unwrap();
    device.sync();
    let resynced = last_sync(&device);
    assert!(resynced >= later(6) && resynced < later(7), "{resynced:?}");
    // Twelve days after the first sync, six after the last: open.
    let device = device.reopen_at(later(12), None).unwrap();
    let (dir, code) = code_of(device.reopen_at(later(14), None));
    assert_eq!(code, ErrorCode::DeviceLocked);

    // A longer policy reaches the device at its next sync (after a code).
    hub.set_lock_policy(&org.id, Some(30));
    let mut device = Device::open_at(dir, later(14), Some(&hub.unlock_code(&id))).unwrap();
    device.sync();
    let device = device.reopen_at(later(40), None).unwrap();
    let (dir, code) = code_of(device.reopen_at(later(45), None));
    assert_eq!(code, ErrorCode::DeviceLocked);

    // With the policy removed, nothing locks after the next sync.
    hub.set_lock_policy(&org.id, None);
    let mut device = Device::open_at(dir, later(45), Some(&hub.unlock_code(&id))).unwrap();
    device.sync();
    device.reopen_at(later(2_000), None).unwrap();
}

#[test]
fn with_no_policy_nothing_locks() {
    let (_hub, _org, device, _id) = synced_device(None);
    let synced = last_sync(&device);
    device
        .reopen_at(Timestamp(synced.0 + 5_000 * DAY), None)
        .unwrap();
}

#[test]
fn the_app_refuses_a_locked_vault_by_its_code_and_takes_an_unlock_code() {
    let (hub, _org, device, id) = synced_device(Some(7));
    let at = Timestamp(last_sync(&device).0 + 8 * DAY);
    let dir = device.dir;
    device.session.lock();
    let app = karte_api::App::new(
        dir.path().join("vault.karte"),
        karte_api::KdfParams::insecure_fast_for_tests(),
        move || karte_api::Environment::fixed(at, 7),
    );
    let passphrase = std::str::from_utf8(karte_test_support::PASSPHRASE).unwrap();
    let unlock = |arguments: serde_json::Value| {
        app.call(
            "unlock",
            zeroize::Zeroizing::new(serde_json::to_vec(&arguments).unwrap()),
        )
    };
    let refused = unlock(serde_json::json!({ "credentials": { "passphrase": passphrase } }));
    assert_eq!(refused.unwrap_err().code(), ErrorCode::DeviceLocked);
    assert!(!app.session_state().unwrap().unlocked);
    let code = hub.unlock_code(&id);
    let opened = unlock(serde_json::json!({
        "credentials": { "passphrase": passphrase, "unlock_code": code }
    }));
    assert!(opened.is_ok(), "{opened:?}");
    assert!(app.session_state().unwrap().unlocked);
}
